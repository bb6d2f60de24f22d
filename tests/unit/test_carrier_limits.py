"""A carrier's request budget: waits, refuses with RATE_LIMITED, shared through Redis."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.limits import WindowLimiter, limiter_storage
from shipgraph.domain import CarrierCode, ErrorCode


def limiter(url: str | None, limits: str = "10/minute", **options: float) -> WindowLimiter:
    return WindowLimiter(
        CarrierCode.BORZO, limits, limiter_storage(url), account="token-1", **options
    )


async def test_within_the_budget_calls_go_at_once() -> None:
    budget = limiter(None, max_wait_s=0.1)
    started = time.monotonic()
    for _ in range(10):
        await budget.acquire()
    assert time.monotonic() - started < 0.5


async def test_over_the_budget_is_rate_limited_and_retryable() -> None:
    budget = limiter(None, max_wait_s=0.1)
    for _ in range(10):
        await budget.acquire()
    with pytest.raises(CarrierError) as refused:
        await budget.acquire()
    assert refused.value.code == ErrorCode.RATE_LIMITED
    assert refused.value.retryable
    assert refused.value.carrier == CarrierCode.BORZO


async def test_a_caller_waits_for_a_slot_that_frees_soon() -> None:
    budget = limiter(None, "2/second", max_wait_s=3)
    for _ in range(2):
        await budget.acquire()
    started = time.monotonic()
    await budget.acquire()
    assert 0.2 < time.monotonic() - started < 2.5


async def test_every_window_counts() -> None:
    budget = limiter(None, "100/minute;3/day", max_wait_s=0.1)
    for _ in range(3):
        await budget.acquire()
    with pytest.raises(CarrierError):
        await budget.acquire()


async def test_accounts_have_their_own_budgets() -> None:
    storage = limiter_storage(None)
    first = WindowLimiter(CarrierCode.BORZO, "1/minute", storage, account="a", max_wait_s=0.1)
    second = WindowLimiter(CarrierCode.BORZO, "1/minute", storage, account="b", max_wait_s=0.1)
    await first.acquire()
    await second.acquire()


async def test_two_processes_share_one_budget_through_redis(redis_url: str) -> None:
    one, two = limiter(redis_url, max_wait_s=0.1), limiter(redis_url, max_wait_s=0.1)
    results = await asyncio.gather(
        *(budget.acquire() for budget in [one, two] * 8), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, CarrierError)]
    assert len(results) - len(refused) == 10
    assert all(r.code == ErrorCode.RATE_LIMITED for r in refused)


async def test_memory_budgets_are_not_shared() -> None:
    one, two = limiter(None, max_wait_s=0.1), limiter(None, max_wait_s=0.1)
    for _ in range(10):
        await one.acquire()
        await two.acquire()


async def test_with_redis_unreachable_the_budget_is_kept_in_memory() -> None:
    budget = limiter("redis://127.0.0.1:1/0", "2/minute", max_wait_s=0.1)
    await budget.acquire()
    await budget.acquire()
    with pytest.raises(CarrierError) as refused:
        await budget.acquire()
    assert refused.value.code == ErrorCode.RATE_LIMITED


async def test_windows_go_through_the_process_pool_they_are_given(redis_url: str) -> None:
    """One Redis pool per process: the budget takes its connections from the shared
    pool, not from one of its own."""
    shared = Redis.from_url(redis_url)
    try:
        pool = shared.connection_pool
        budget = WindowLimiter(
            CarrierCode.BORZO,
            "10/minute",
            limiter_storage(redis_url, pool),
            account="token-1",
            max_wait_s=0.1,
        )
        before = await shared.info("clients")  # this client's one connection, now idle
        for _ in range(5):
            await budget.acquire()  # one after the other: the idle connection serves
        after = await shared.info("clients")
        assert after["connected_clients"] == before["connected_clients"]
    finally:
        await shared.aclose()
