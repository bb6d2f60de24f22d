"""Entrego's JWT (entrego.txt, "Authentication", Method 1) and how it rides on calls.

``CarrierHttp.request`` takes no per-call headers, so the token of the current call
is put in a context variable that a small transport wrapper turns into the
``Authorization: Bearer`` header.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx

TOKEN_LIFETIME = timedelta(hours=24)

current_token: ContextVar[str | None] = ContextVar("entrego_token", default=None)


class TokenSource(Protocol):
    """cache/tokens.py's TokenCache: one fetch across processes, dropped on a 403."""

    async def get(self, fetch: Callable[[], Awaitable[tuple[str, datetime]]]) -> str: ...

    async def invalidate(self, token: str) -> None: ...


class BearerTransport(httpx.AsyncBaseTransport):
    """Adds ``Authorization: Bearer <current_token>`` when a token is set."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        token = current_token.get()
        if token is not None:
            request.headers["Authorization"] = f"Bearer {token}"
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def expiry(jwt: str, now: datetime) -> datetime:
    """The token's ``exp`` claim (read, not verified) when it is still ahead, else 24 h
    from now (the document's validity): the document's example token expired in 2018."""
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims["exp"]
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            expires = datetime.fromtimestamp(exp, UTC)
            if expires > now:
                return expires
    except (IndexError, ValueError, KeyError, TypeError, OverflowError, OSError):
        pass
    return now + TOKEN_LIFETIME
