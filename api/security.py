"""The headers every response carries; device tokens (omega/device_tokens.py), as the
API's routes import them."""

from __future__ import annotations

from omega.device_tokens import CLOCK_SKEW_S, KeyRing, TokenRefused, bearer

__all__ = ["CLOCK_SKEW_S", "SECURITY_HEADERS", "KeyRing", "TokenRefused", "bearer"]

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
