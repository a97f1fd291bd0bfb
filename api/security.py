"""Device tokens for /v1/sync, and the headers every response carries.

A device token is `<key id>.<hex HMAC-SHA256(secret, device id)>`. The first key in
OMEGA_SYNC_KEYS signs new tokens; every listed key verifies, so keys rotate without a
flag day. Comparison is constant-time (`hmac.compare_digest`). Secrets are never logged.
"""

from __future__ import annotations

import hashlib
import hmac


class KeyRing:
    def __init__(self, spec: str) -> None:
        self.keys: dict[str, bytes] = {}
        for item in spec.split(","):
            key_id, sep, secret = item.strip().partition(":")
            if not sep or not key_id or not secret:
                raise ValueError("OMEGA_SYNC_KEYS must be 'id:secret[,id:secret...]'")
            self.keys[key_id] = secret.encode()
        self.signing = next(iter(self.keys))

    def __repr__(self) -> str:
        return f"KeyRing(ids={list(self.keys)})"  # never the secrets

    def token(self, device_id: str, key_id: str | None = None) -> str:
        key_id = key_id or self.signing
        mac = hmac.new(self.keys[key_id], device_id.encode(), hashlib.sha256).hexdigest()
        return f"{key_id}.{mac}"

    def verify(self, device_id: str, token: str) -> bool:
        key_id, _, mac = token.partition(".")
        secret = self.keys.get(key_id)
        if secret is None or not mac:
            return False
        expected = hmac.new(secret, device_id.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), mac.encode())


SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; connect-src 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "microphone=(self), camera=(), geolocation=()",
}
