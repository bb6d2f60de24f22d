"""The circuit breaker per carrier: opens after failures in a row, refuses with
CARRIER_UNAVAILABLE, lets a probe through after its reset time, and shares its state
between processes through Redis (and keeps working when Redis is gone)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.breaker import CarrierBreaker
from shipgraph.domain import CarrierCode, ErrorCode

RESET_S = 0.3


@pytest.fixture
async def clients(backend: str | None) -> AsyncIterator[list[Redis | None]]:
    """Two processes' Redis clients on the same server, or none in memory."""
    if backend is None:
        yield [None, None]
        return
    first, second = Redis.from_url(backend), Redis.from_url(backend)
    yield [first, second]
    await first.aclose()
    await second.aclose()


def breaker(client: Redis | None, threshold: int = 3) -> CarrierBreaker:
    return CarrierBreaker(CarrierCode.BORZO, threshold=threshold, reset_s=RESET_S, client=client)


async def call(guard: CarrierBreaker, *, failed: bool) -> None:
    admitted = await guard.admit()
    await admitted.done(failed)


async def refused(guard: CarrierBreaker) -> CarrierError:
    with pytest.raises(CarrierError) as caught:
        await guard.admit()
    return caught.value


async def test_opens_after_failures_in_a_row(clients: list[Redis | None]) -> None:
    guard = breaker(clients[0])
    for _ in range(3):
        await call(guard, failed=True)
    error = await refused(guard)
    assert error.code == ErrorCode.CARRIER_UNAVAILABLE
    assert error.retryable
    assert "circuit open" in error.message
    assert not await guard.healthy()


async def test_a_success_resets_the_count(clients: list[Redis | None]) -> None:
    guard = breaker(clients[0])
    for failed in (True, True, False, True, True):
        await call(guard, failed=failed)
    assert await guard.healthy()
    await call(guard, failed=True)
    assert not await guard.healthy()


async def test_half_open_probe_closes_on_success(clients: list[Redis | None]) -> None:
    guard = breaker(clients[0], threshold=1)
    await call(guard, failed=True)
    await refused(guard)
    await asyncio.sleep(RESET_S + 0.05)
    assert await guard.healthy()
    await call(guard, failed=False)
    await call(guard, failed=False)
    assert await guard.healthy()


async def test_half_open_probe_reopens_on_failure(clients: list[Redis | None]) -> None:
    guard = breaker(clients[0], threshold=1)
    await call(guard, failed=True)
    await asyncio.sleep(RESET_S + 0.05)
    await call(guard, failed=True)
    await refused(guard)
    assert not await guard.healthy()


async def test_half_open_lets_one_probe_through_at_a_time(clients: list[Redis | None]) -> None:
    guard = breaker(clients[0], threshold=1)
    await call(guard, failed=True)
    await asyncio.sleep(RESET_S + 0.05)
    probe = await guard.admit()
    error = await refused(guard)
    assert error.code == ErrorCode.CARRIER_UNAVAILABLE
    assert "half-open" in error.message
    await probe.done(False)
    await call(guard, failed=False)
    await call(guard, failed=False)


async def test_a_probe_that_never_reports_frees_its_place(clients: list[Redis | None]) -> None:
    guard = breaker(clients[0], threshold=1)
    await call(guard, failed=True)
    await asyncio.sleep(RESET_S + 0.05)
    await guard.admit()  # and never heard of again, as a process that died
    await refused(guard)
    await asyncio.sleep(RESET_S + 0.05)
    await call(guard, failed=False)
    assert await guard.healthy()


@pytest.mark.redis
async def test_one_probe_across_processes(redis_url: str) -> None:
    first_client, second_client = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        first, second = breaker(first_client, threshold=1), breaker(second_client, threshold=1)
        await call(first, failed=True)
        await refused(second)
        await asyncio.sleep(RESET_S + 0.05)
        probe = await first.admit()
        assert "half-open" in (await refused(second)).message
        await probe.done(False)
        await call(second, failed=False)
    finally:
        await first_client.aclose()
        await second_client.aclose()


@pytest.mark.redis
async def test_state_is_shared_between_processes(redis_url: str) -> None:
    first_client, second_client = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        first, second = breaker(first_client), breaker(second_client)
        await call(first, failed=True)
        await call(second, failed=True)
        await call(first, failed=True)
        await refused(second)
        assert not await first.healthy()
    finally:
        await first_client.aclose()
        await second_client.aclose()


async def test_carriers_have_breakers_of_their_own() -> None:
    borzo = breaker(None, threshold=1)
    envio = CarrierBreaker(CarrierCode.ENVIO, threshold=1, reset_s=RESET_S)
    await call(borzo, failed=True)
    await refused(borzo)
    await call(envio, failed=False)


async def test_redis_down_falls_back_to_process_memory() -> None:
    gone = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        guard = breaker(gone, threshold=2)
        await call(guard, failed=False)
        await call(guard, failed=True)
        await call(guard, failed=True)
        await refused(guard)
    finally:
        await gone.aclose()


async def test_redis_down_keeps_one_probe_in_process_memory() -> None:
    gone = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        guard = breaker(gone, threshold=1)
        await call(guard, failed=True)
        await asyncio.sleep(RESET_S + 0.05)
        probe = await guard.admit()
        assert "half-open" in (await refused(guard)).message
        await probe.done(False)
        await call(guard, failed=False)
    finally:
        await gone.aclose()


# --- calls that fail together ---------------------------------------------------


async def test_calls_admitted_together_and_failing_together_open_it(
    clients: list[Redis | None],
) -> None:
    guard = breaker(clients[0], threshold=5)
    admitted = [await guard.admit() for _ in range(22)]  # all admitted while closed
    await asyncio.gather(*(call.done(True) for call in admitted))
    assert not await guard.healthy()
    assert "circuit open" in (await refused(guard)).message


async def test_failures_of_two_processes_add_up(redis_url: str) -> None:
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        guards = [breaker(first, threshold=4), breaker(second, threshold=4)]
        admitted = [await guard.admit() for guard in guards for _ in range(2)]
        await asyncio.gather(*(call.done(True) for call in admitted))
        assert not await guards[0].healthy()
        assert not await guards[1].healthy()
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_failure_cancelled_while_it_is_being_recorded_still_counts(
    clients: list[Redis | None],
) -> None:
    guard = breaker(clients[0], threshold=2)
    for _ in range(2):
        admitted = await guard.admit()
        reporting = asyncio.create_task(admitted.done(True))
        await asyncio.sleep(0)
        reporting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reporting
    for _ in range(50):  # the shielded recordings finish on their own
        if not await guard.healthy():
            break
        await asyncio.sleep(0.01)
    assert not await guard.healthy()


async def test_a_call_from_before_the_opening_does_not_decide_for_the_probe(
    clients: list[Redis | None],
) -> None:
    guard = breaker(clients[0], threshold=1)
    late = await guard.admit()  # admitted while closed, ends long after
    await call(guard, failed=True)
    await asyncio.sleep(RESET_S + 0.05)
    probe = await guard.admit()
    await late.done(True)
    await probe.done(False)
    assert await guard.healthy()
    await call(guard, failed=False)
