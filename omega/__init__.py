"""Shared package of Omega: settings, topic catalog, Avro codec and Kafka clients."""

__version__ = "0.1.0"
