"""A carrier's request budget, shared by every gateway process through Redis.

The ``limits`` library keeps moving windows (atomic in Redis, or in memory for a
single process). A caller waits for a slot up to ``max_wait_s``; past that it gets
RATE_LIMITED (retryable) instead of the carrier banning the account. While Redis
cannot be reached each process keeps the budget in its own memory: calls go on, and
the carrier's own limit answers are the backstop.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Sequence
from typing import Any

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from shipgraph.carriers.base import CarrierError
from shipgraph.domain import CarrierCode, ErrorCode
from shipgraph.observability import get_logger

log = get_logger("shipgraph.carriers.limits")

NAMESPACE = "shipgraph-carrier-limits"


def limiter_storage(redis_url: str | None, pool: ConnectionPool | None = None) -> Storage:
    """Redis (via redis-py) when configured, else this process's memory. ``pool``: the
    process's shared Redis connection pool, which the windows then use instead of one
    of their own (the URL only names the kind of server)."""
    if redis_url is None:
        storage = storage_from_string("async+memory://")
    else:
        scheme, sep, rest = redis_url.partition("://")
        # redis-py's bridge takes connection_pool (limits' hints name only scalars)
        shared: dict[str, Any] = {} if pool is None else {"connection_pool": pool}
        storage = storage_from_string(
            f"async+{scheme}{sep}{rest}", implementation="redispy", key_prefix=NAMESPACE, **shared
        )
    assert isinstance(storage, Storage)
    return storage


class WindowLimiter:
    """CallLimiter over moving windows, e.g. ``"100/minute;5000/day"``."""

    def __init__(
        self,
        carrier: CarrierCode,
        limits: str | Sequence[RateLimitItem],
        storage: Storage,
        *,
        account: str,
        max_wait_s: float = 5.0,
    ) -> None:
        self._carrier = carrier
        self._items = parse_many(limits) if isinstance(limits, str) else list(limits)
        self._shared = MovingWindowRateLimiter(storage)
        self._local = MovingWindowRateLimiter(limiter_storage(None))
        # Budgets are per carrier account; the credential itself never reaches Redis.
        self._key = f"{carrier.value}:{hashlib.sha256(account.encode()).hexdigest()[:16]}"
        self._max_wait_s = max_wait_s

    async def acquire(self) -> None:
        try:
            await self._acquire(self._shared)
        except (RedisError, OSError) as exc:
            log.warning(
                "shared rate limit unreachable", carrier=self._carrier.value, error=str(exc)
            )
            await self._acquire(self._local)

    async def _acquire(self, strategy: MovingWindowRateLimiter) -> None:
        deadline = time.monotonic() + self._max_wait_s
        for item in self._items:
            while not await strategy.hit(item, self._key):
                stats = await strategy.get_window_stats(item, self._key)
                wait_s = max(stats.reset_time - time.time(), 0.01)
                if time.monotonic() + wait_s > deadline:
                    raise CarrierError(
                        self._carrier,
                        ErrorCode.RATE_LIMITED,
                        f"{self._carrier.value} allows {item}; try again in {wait_s:.0f} s",
                        retryable=True,
                    )
                await asyncio.sleep(min(wait_s, 0.5))
