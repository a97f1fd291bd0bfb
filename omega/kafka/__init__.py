"""Kafka as Omega uses it: client factories and the admin calls (`clients`), the topic
catalog (`topics`) and the partition count the ledgers depend on (`partitions`), one
identity per role and its ACLs (`acls`), and the wire formats (`codecs` picks `registry`'s
framing or plain `avro` single-object encoding)."""
