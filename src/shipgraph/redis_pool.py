"""The one Redis client of a gateway process, on a pool sized on purpose.

The cache, the event bus, the carriers' breakers and Borzo's request budget share
it. redis-py's default pool refuses a command at once ("Too many connections") when
its 100 connections are busy, so a burst failed with Redis perfectly healthy. This
pool holds ``max_connections`` at most and makes a command wait up to ``wait_s`` for
one to come free; only a wait that runs out fails, as ``PoolExhausted``, counted in
``shipgraph_redis_pool_exhausted_total``.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MaxConnectionsError

from shipgraph.observability import REDIS_POOL_EXHAUSTED

DEFAULT_MAX_CONNECTIONS = 50
DEFAULT_WAIT_S = 5.0
DEFAULT_SOCKET_TIMEOUT_S = 2.0

# What BlockingConnectionPool raises when its wait runs out (its only signal).
_NO_CONNECTION = "No connection available."


class PoolExhausted(MaxConnectionsError):
    """Every pooled connection stayed busy for the whole wait: Redis is reachable,
    this process is saturated. A ConnectionError still, for code that knows no more."""


class WaitingPool(BlockingConnectionPool):
    """BlockingConnectionPool whose exhaustion says what it is."""

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]
        except RedisConnectionError as exc:
            if isinstance(exc, PoolExhausted) or not _ran_out_of_wait(exc):
                raise
            REDIS_POOL_EXHAUSTED.inc()
            raise PoolExhausted(
                f"the Redis connection pool is exhausted: all {self.max_connections} "
                f"connections stayed busy for {self.timeout:g} s"
            ) from exc


def _ran_out_of_wait(exc: RedisConnectionError) -> bool:
    return str(exc) == _NO_CONNECTION and isinstance(exc.__cause__, TimeoutError)


def connect(
    url: str,
    *,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    wait_s: float = DEFAULT_WAIT_S,
    socket_timeout_s: float | None = DEFAULT_SOCKET_TIMEOUT_S,
    **connection_options: Any,
) -> Redis:
    """A client on its own WaitingPool; closing the client closes the pool.

    ``socket_timeout_s`` bounds each command (and each connect): a Redis that hangs
    costs a request that long, then the request is answered. The event bus reads its
    pub/sub connection without it (it waits for messages on purpose).
    """
    connection_options.setdefault("socket_timeout", socket_timeout_s)
    connection_options.setdefault("socket_connect_timeout", socket_timeout_s)
    pool = WaitingPool.from_url(
        url, max_connections=max_connections, timeout=wait_s, **connection_options
    )
    return Redis.from_pool(pool)


__all__ = ["PoolExhausted", "WaitingPool", "connect"]
