"""`omega-api`: natural-language search, discover, titles, recommendations, TV sync and the
web page, answered from DP releases and the public catalog (Kafka topics and the vector
index only, never the worker's state)."""
