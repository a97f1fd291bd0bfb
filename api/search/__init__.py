"""Search: what a query means (`query`, `awards`), what it retrieves from (`backends`, the
API's `replica` of the title index, the query `encoders`), how results rank (`ranking`,
with `signals` and `similar`) and what a result says (`reasons`, `cards`). Nothing here
knows HTTP: the routes call it (pyproject.toml's import contracts)."""
