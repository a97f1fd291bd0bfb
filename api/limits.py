"""Rate limits: token buckets per client address and per device, answering 429; and
the JSON nesting limit, checked on a body as its pieces arrive (400).

A bucket holds up to `burst` tokens and refills at `rate` per second; a request takes
one. At most `max_keys` buckets are remembered (least recently used forgotten; a
forgotten key starts with a full bucket), so an attacker cycling addresses costs memory
bounded by `max_keys`, not by the attack. Pure and clock-injected for tests.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    def __init__(self, rate: float, burst: float, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limit needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    def take(self, key: str) -> float:
        """0 when `key` may go now (a token is taken), else seconds until it may."""
        now = self.clock()
        tokens, at = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after(wait_s: float) -> str:
    """The Retry-After header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_s)))


MAX_JSON_DEPTH = 32  # our bodies nest 4 deep; json.loads recurses once per level
# What changes the depth outside strings, and what starts or ends a string: an escape
# is taken whole (a backslash at the end of a piece escapes the next piece's first byte).
_JSON_TOKENS = re.compile(rb'\\(?:.|\Z)|["\[\]{}]', re.DOTALL)


class JsonDepth:
    """How deep a JSON text nests, fed in pieces: refuses before json.loads recurses.

    While the text holds at most `limit` '[' and '{' in all (strings included), it cannot
    nest deeper, and counting them is all the work; only past that are the held pieces
    (references to what the app keeps anyway) and the rest scanned token by token."""

    def __init__(self, limit: int = MAX_JSON_DEPTH) -> None:
        self.limit = limit
        self.openers = 0
        self.held: list[bytes] | None = []  # None once scanning
        self.depth = 0
        self.in_string = False
        self.escaped = False  # the previous piece ended in a backslash inside a string

    def feed(self, piece: bytes, more: bool = True) -> bool:
        """False once the text so far opens more than `limit` arrays/objects in one another;
        `more` is False for the last piece."""
        if self.held is not None:
            self.openers += piece.count(b"[") + piece.count(b"{")
            if self.openers <= self.limit:
                if more:
                    self.held.append(piece)
                return True
            pieces, self.held = [*self.held, piece], None
            return all(self._scan(p) for p in pieces)
        return self._scan(piece)

    def _scan(self, piece: bytes) -> bool:
        start = 0
        if self.escaped and piece:
            start, self.escaped = 1, False
        depth, in_string = self.depth, self.in_string
        for match in _JSON_TOKENS.finditer(piece, start):
            token = match[0]
            if token[0] == 0x5C:  # backslash: an escape, meaningful only inside a string
                self.escaped = in_string and len(token) == 1
            elif token == b'"':
                in_string = not in_string
            elif in_string:
                continue
            elif token in b"[{":
                depth += 1
                if depth > self.limit:
                    self.depth, self.in_string = depth, in_string
                    return False
            else:
                depth -= 1
        self.depth, self.in_string = depth, in_string
        return True
