"""Entrego's JWT (entrego.txt, "Authentication", Method 1): where it comes from and
how long it lives."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from shipgraph import safe_json

TOKEN_LIFETIME = timedelta(hours=24)


class TokenSource(Protocol):
    """cache/tokens.py's TokenCache: one fetch across processes, dropped on a 403."""

    async def get(self, fetch: Callable[[], Awaitable[tuple[str, datetime]]]) -> str: ...

    async def invalidate(self, token: str) -> None: ...


def expiry(jwt: str, now: datetime) -> datetime:
    """The token's ``exp`` claim (read, not verified) when it is still ahead, else 24 h
    from now (the document's validity): the document's example token expired in 2018."""
    try:
        payload = jwt.split(".")[1]
        claims = safe_json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims["exp"]
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            expires = datetime.fromtimestamp(exp, UTC)
            if expires > now:
                return expires
    except (IndexError, ValueError, KeyError, TypeError, OverflowError, OSError):
        pass
    return now + TOKEN_LIFETIME
