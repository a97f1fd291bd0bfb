"""Web analytics sessions the API issues: a signed, expiring token per page session.

The page asks `POST /api/session` for one and sends its events under it; the session id the
events carry on Kafka is the one inside the token, never one a client chose. Signing and
expiry are itsdangerous's (Pallets): HMAC-SHA256 over the payload and its timestamp,
compared in constant time.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "omega.web-session.v1"


class SessionRefused(ValueError):
    """The token is not one this API issued, or it has expired: the message says which."""


@dataclass(frozen=True)
class Session:
    session_id: str
    token: str
    expires_ms: int


class SessionSigner:
    def __init__(self, secret: str, ttl_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT)
        self.ttl_s = ttl_s

    def __repr__(self) -> str:
        return f"SessionSigner(ttl_s={self.ttl_s})"  # never the secret

    def issue(self) -> Session:
        session_id = secrets.token_urlsafe(16)
        token = self._serializer.dumps(session_id)
        return Session(session_id, token, int((time.time() + self.ttl_s) * 1000))

    def verify(self, token: str) -> str:
        """The session id inside `token`; raises SessionRefused saying why not."""
        try:
            session_id = self._serializer.loads(token, max_age=self.ttl_s)
        except SignatureExpired:
            raise SessionRefused("the session has expired: ask POST /api/session for a "
                                 "new one") from None
        except BadSignature:
            raise SessionRefused("the session token was not issued by this service") from None
        if not isinstance(session_id, str):
            raise SessionRefused("the session token was not issued by this service")
        return session_id
