"""The local dev stack: Omega's own Kafka broker and Schema Registry from Maven Central's
jars, and `omega run` (`make run`), which starts every component as its own process.

Nothing in production imports this package (pyproject.toml's import contracts): the
services reach any Kafka cluster through `omega/kafka/`, and the `omega` command loads
this package's commands by entry point, so the production image leaves it out.
"""
