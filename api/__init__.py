"""The FastAPI service (search, discover, titles, recommendations, sync): not built yet, see
issue 7. It will read only Kafka topics and the vector index, never streams/ state."""
