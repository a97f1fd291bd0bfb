"""Web interactions: validate, normalise queries, bound each session per window.

The privacy unit is the session, which the API issues (signed, expiring, rate-limited per
client address: api/sessions.py). Query strings are not public, so searches are released
only through partition selection (omega/dp/); a session adds at most Q distinct
normalised queries and K titles to a window, and the same ledger as a TV's caps the
windows it counts in (omega/dp/ledger.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from omega.dp.ledger import LedgerPolicy, PrivacyLedger
from omega.kafka.avro import AvroCodec
from omega.settings import Settings
from omega.validation import DeltaLimits, DeltaRejected, check_sent_time, decode_bounded

WEB_INTERACTION_SCHEMA = "omega.WebInteraction"
MAX_SESSION_ID_CHARS = 64
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class WebEvent:
    session_id: str
    kind: str
    query: str | None
    title_id: int | None
    at_ms: int


@dataclass(frozen=True, slots=True)
class WebLimits:
    max_bytes: int
    max_query_chars: int
    delta: DeltaLimits

    @classmethod
    def from_settings(cls, settings: Settings) -> WebLimits:
        return cls(settings.max_delta_bytes, settings.max_query_chars,
                   DeltaLimits.from_settings(settings))


def normalize_query(text: str) -> str:
    """Case-, width- and whitespace-insensitive form, so 'Sci-Fi ' and 'sci-fi' meet."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", "".join(c for c in folded if c.isprintable())).strip()


def parse_interaction(data: bytes, codec: AvroCodec, limits: WebLimits, now_ms: int) -> WebEvent:
    """Decode and check one interaction; raises DeltaRejected naming what is wrong."""
    record = decode_bounded(data, codec, WEB_INTERACTION_SCHEMA, limits.max_bytes, "interaction")
    session = record["session_id"]
    if not session or len(session) > MAX_SESSION_ID_CHARS or not session.isprintable():
        raise DeltaRejected("bad_session_id",
                            f"session_id must be 1..{MAX_SESSION_ID_CHARS} printable characters")
    check_sent_time(record["at_ms"], limits.delta, now_ms, "interaction.at_ms")
    kind, query, title_id = record["kind"], record["query"], record["title_id"]
    if kind == "SEARCH":
        if query is None:
            raise DeltaRejected("missing_query", "a SEARCH interaction needs query text")
        if len(query) > limits.max_query_chars:
            raise DeltaRejected("query_too_long", f"query has {len(query)} characters; "
                                f"at most {limits.max_query_chars}")
        query = normalize_query(query)
        if not query:
            raise DeltaRejected("empty_query", "query is empty after normalisation")
    elif title_id is None:
        raise DeltaRejected("missing_title", f"a {kind} interaction needs title_id")
    elif not 1 <= title_id <= limits.delta.title_universe_size:
        raise DeltaRejected("unknown_title", f"title_id is {title_id}; catalog ids are "
                            f"1..{limits.delta.title_universe_size}")
    return WebEvent(session, kind, query, title_id, record["at_ms"])


@dataclass(slots=True)
class SessionWindow:
    queries: list[str] = field(default_factory=list)
    titles: list[int] = field(default_factory=list)


SessionState = dict[str, Any]  # {"w": [[window, queries, titles], ...], "l": [[w, ε]]}


def apply_interaction(
    state: SessionState | None, event: WebEvent, window: int, max_queries: int,
    max_titles: int, closed_through_ms: int | None, policy: LedgerPolicy | None = None,
    *, released_through_ms: int | None = None,
) -> tuple[SessionState, list[str], list[int]]:
    """Merge one interaction into its session's window; returns (state, queries, titles) added.

    First come, first kept: a session's first Q distinct queries and K distinct titles.
    A session over its ledger's caps adds nothing to the window (its state unchanged).
    Charges are dropped on released-window time, as a device's (omega/windows.py).
    """
    windows = {int(w): SessionWindow(list(q), list(t)) for w, q, t in (state or {}).get("w", [])}
    ledger = PrivacyLedger([(int(w), float(e)) for w, e in (state or {}).get("l", [])])
    if closed_through_ms is not None:
        windows = {w: s for w, s in windows.items() if w > closed_through_ms}
    if window not in windows and policy is not None:
        if released_through_ms is not None:
            ledger.expire(released_through_ms, policy.keep_ms)
        if not ledger.try_charge(window, policy):
            return state or {"w": [], "l": []}, [], []
    current = windows.setdefault(window, SessionWindow())
    queries: list[str] = []
    titles: list[int] = []
    if event.query is not None:
        if event.query not in current.queries and len(current.queries) < max_queries:
            current.queries.append(event.query)
            queries.append(event.query)
    elif event.title_id is not None and event.title_id not in current.titles and \
            len(current.titles) < max_titles:
        current.titles.append(event.title_id)
        titles.append(event.title_id)
    encoded = {"w": [[w, s.queries, s.titles] for w, s in sorted(windows.items())],
               "l": [[w, e] for w, e in ledger.charges]}
    return encoded, queries, titles
