"""Device tokens for /v1/sync: minted by `omega-api token` and the simulated fleet,
checked by the API.

A device token is `<key id>.<issued s>.<expires s>.<hex HMAC-SHA256(secret, "device id|
issued|expires")>`, times in Unix seconds. The first key in OMEGA_SYNC_KEYS signs new
tokens; every listed key verifies, so keys rotate without a flag day (docs/security.md).
A token is refused after its expiry, and before its issue time beyond CLOCK_SKEW_S.
Comparison is constant-time (`hmac.compare_digest`). Secrets are never logged.

Plain HMAC rather than itsdangerous (api/sessions.py): the token carries its own expiry
(so shortening OMEGA_SYNC_TOKEN_TTL_S never revives or cuts short issued tokens), allows
clock skew between issuer and API, and any HMAC library can mint or check one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from datetime import UTC, datetime

from omega.settings import SYNC_TOKEN_TTL_S, Settings

CLOCK_SKEW_S = 300  # an issuer's clock may run this far ahead of the API's
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
# Times of at most 10 digits: up to the year 2286, so every one prints as a date.
TOKEN = re.compile(r"([A-Za-z0-9_-]{1,32})\.([0-9]{1,10})\.([0-9]{1,10})\.([0-9a-f]{64})")
FETCH = "fetch a new one (omega-api token DEVICE prints one)"


class TokenRefused(ValueError):
    """A device token /v1/sync does not accept: the message says why and what to do."""


class KeyRing:
    def __init__(self, spec: str, ttl_s: int = SYNC_TOKEN_TTL_S) -> None:
        self.keys: dict[str, bytes] = {}
        self.ttl_s = ttl_s
        for item in spec.split(","):
            key_id, sep, secret = item.strip().partition(":")
            if not sep or not KEY_ID.fullmatch(key_id) or not secret:
                raise ValueError("OMEGA_SYNC_KEYS must be 'id:secret[,id:secret...]', each id "
                                 "1-32 letters, digits, - or _")
            self.keys[key_id] = secret.encode()
        self.signing = next(iter(self.keys))

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        """The keys of OMEGA_SYNC_KEYS, signing for OMEGA_SYNC_TOKEN_TTL_S."""
        return cls(settings.sync_keys, settings.sync_token_ttl_s)

    def __repr__(self) -> str:
        return f"KeyRing(ids={list(self.keys)})"  # never the secrets

    def token(self, device_id: str, key_id: str | None = None,
              issued: int | None = None) -> str:
        """A token for `device_id`, issued now (or at `issued`), valid for ttl_s."""
        key_id = key_id or self.signing
        at = int(time.time()) if issued is None else issued
        expires = at + self.ttl_s
        return f"{key_id}.{at}.{expires}.{_mac(self.keys[key_id], device_id, at, expires)}"

    def verify(self, device_id: str, token: str, now: float | None = None) -> None:
        """Raises TokenRefused, saying why, unless `token` is this device's and current."""
        match = TOKEN.fullmatch(token)
        if match is None:
            raise TokenRefused("the device token is malformed: expected <key id>.<issued s>."
                               f"<expires s>.<64 hex digits>; {FETCH}")
        key_id, issued, expires, mac = match[1], int(match[2]), int(match[3]), match[4]
        secret = self.keys.get(key_id)
        if secret is None:
            raise TokenRefused(f"the device token's key {key_id!r} is not accepted here "
                               f"(dropped in a key rotation?); {FETCH}")
        if not hmac.compare_digest(_mac(secret, device_id, issued, expires).encode(),
                                   mac.encode()):
            raise TokenRefused(f"the device token is not valid for this X-Device-Id; {FETCH}")
        now = time.time() if now is None else now
        if expires <= now:
            raise TokenRefused(f"the device token expired at {_utc(expires)}; {FETCH}")
        if issued > now + CLOCK_SKEW_S:
            raise TokenRefused(f"the device token is issued at {_utc(issued)}, more than "
                               f"{CLOCK_SKEW_S} s ahead of this server's clock: check the "
                               f"issuer's clock, then {FETCH}")


def bearer(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header; TokenRefused if it is not one."""
    scheme, _, token = authorization.strip().partition(" ")
    if not scheme or (scheme.lower() == "bearer" and not token.strip()):
        raise TokenRefused(f"no device token: send Authorization: Bearer <token>; {FETCH}")
    if scheme.lower() != "bearer":
        raise TokenRefused("the Authorization header must be 'Bearer <device token>': the "
                           "Bearer prefix is required")
    return token.strip()


def _mac(secret: bytes, device_id: str, issued: int, expires: int) -> str:
    message = f"{device_id}|{issued}|{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
