"""JWT issue and check: HS512 tokens shaped like the document's, valid ``validity_s``.

A token is accepted while the simulator remembers it and its validity has not run out
(measured on the monotonic clock, so validities below a second work for tests); the
``exp`` claim carries the same moment, rounded down to the second.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections import Counter

from starlette.requests import Request

from shipgraph.sandbox.entrego.errors import forbidden

ISSUER = "Entrego Logistics PH"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Tokens:
    def __init__(self, *, access_key: str, secret_key: str, validity_s: float) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.validity_s = validity_s
        self.authentications: Counter[str] = Counter()
        """Successful authentications per path (/v1/authenticate, /api/authenticate)."""
        self._signing_key = secrets.token_bytes(32)
        self._expires: dict[str, float] = {}

    def login(self, path: str, access_key: object, secret_key: object) -> str | None:
        """A new token for matching credentials, else None."""
        if not (isinstance(access_key, str) and isinstance(secret_key, str)):
            return None
        if not (
            hmac.compare_digest(access_key, self.access_key)
            and hmac.compare_digest(secret_key, self.secret_key)
        ):
            return None
        self.authentications[path] += 1
        return self._issue(access_key)

    def check(self, request: Request) -> None:
        """Raise 403 unless the request carries a live ``Authorization: Bearer`` token."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        expires = self._expires.get(token.strip()) if scheme.lower() == "bearer" else None
        if expires is None:
            raise forbidden("Access Denied")
        if time.monotonic() >= expires:
            raise forbidden("JWT token has expired")

    def expire_all(self) -> int:
        """Let every issued token run out now; returns how many there were."""
        count = len(self._expires)
        now = time.monotonic()
        for token in self._expires:
            self._expires[token] = now
        return count

    def reset_counters(self) -> None:
        self.authentications.clear()

    def _issue(self, subject: str) -> str:
        now = time.time()
        header = {"typ": "JWT", "alg": "HS512"}
        claims = {
            "jti": str(uuid.uuid4()),
            "sub": subject,
            "iss": ISSUER,
            "iat": int(now),
            "exp": int(now + self.validity_s),
            "roles": ["ROLE_ADMIN"],
        }
        signing_input = ".".join(
            _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = hmac.new(self._signing_key, signing_input.encode(), hashlib.sha512).digest()
        token = f"{signing_input}.{_b64(signature)}"
        self._expires[token] = time.monotonic() + self.validity_s
        return token
