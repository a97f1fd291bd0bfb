"""What search retrieves from: the interface the ranker needs (`TitleSearch`), the one the
API holds (`SearchBackend`: also its size and health), and the Qdrant server behind them
(OMEGA_QDRANT_URL). The default backend is the API's own replica of the title index
(api/search/replica.py)."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from omega.index import SEARCH_EF, Hit, TitleFilter, VectorIndex


class TitleSearch(Protocol):
    def search(self, vector: np.ndarray, limit: int, where: TitleFilter | None = None,
               exclude: set[int] | None = None) -> list[Hit]: ...
    def vector(self, title_id: int) -> np.ndarray | None: ...


class SearchBackend(TitleSearch, Protocol):
    def count(self) -> int: ...
    def status(self) -> dict[str, Any]: ...


class ServerSearch:
    """TitleSearch over a Qdrant server collection (OMEGA_QDRANT_URL)."""

    def __init__(self, index: VectorIndex) -> None:
        self.index = index

    def search(self, vector: np.ndarray, limit: int, where: TitleFilter | None = None,
               exclude: set[int] | None = None) -> list[Hit]:
        exclude = exclude or set()
        hits = self.index.search(vector, limit + len(exclude), where, ef=SEARCH_EF)
        return [h for h in hits if h.title_id not in exclude][:limit]

    def vector(self, title_id: int) -> np.ndarray | None:
        return self.index.vectors([title_id]).get(title_id)

    def count(self) -> int:
        return self.index.count()

    def status(self) -> dict[str, Any]:
        return {"titles": self.index.count(), "backend": "qdrant-server"}
