"""The document's API usage limits, per auth token: 100 requests a minute, 5 000 a day."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MINUTE_S = 60.0
DAY_S = 24 * 60 * 60.0


class RateLimiter:
    """Sliding windows; a refused request does not count."""

    def __init__(
        self,
        *,
        per_minute: int,
        per_day: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self.per_day = per_day
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}

    def allow(self, token: str) -> bool:
        now = self.clock()
        seen = self._seen.setdefault(token, deque())
        while seen and seen[0] <= now - DAY_S:
            seen.popleft()
        last_minute = sum(1 for at in reversed(seen) if at > now - MINUTE_S)
        if last_minute >= self.per_minute or len(seen) >= self.per_day:
            return False
        seen.append(now)
        return True

    def reset(self) -> None:
        self._seen.clear()
