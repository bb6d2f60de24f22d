"""TokenCache over both backends: one fetch across processes, refresh, invalidation."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from shipgraph.cache import Cache, RedisCache, TokenCache
from tests.cache.conftest import CacheFactory

SECRET = "tok-SECRET-1f2e3d"


@dataclass
class Issuer:
    """A token endpoint: each fetch issues ``<prefix>-<n>``, living ``lifetime_s``."""

    lifetime_s: float = 3600
    delay_s: float = 0.05
    prefix: str = SECRET
    error: Exception | None = None
    calls: int = 0
    issued: list[str] = field(default_factory=list)

    async def __call__(self) -> tuple[str, datetime]:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        token = f"{self.prefix}-{self.calls}"
        self.issued.append(token)
        return token, datetime.now(UTC) + timedelta(seconds=self.lifetime_s)


def tokens(cache: Cache, margin_s: float = 300) -> TokenCache:
    return TokenCache(cache, key="borzo:token:acme", refresh_margin_s=margin_s)


async def get_all(count: int, token_cache: TokenCache, issuer: Issuer) -> list[str]:
    return list(await asyncio.gather(*(token_cache.get(issuer) for _ in range(count))))


async def test_concurrent_gets_fetch_once(cache: Cache) -> None:
    issuer = Issuer()
    one = tokens(cache)
    assert await get_all(100, one, issuer) == [f"{SECRET}-1"] * 100
    assert await one.get(issuer) == f"{SECRET}-1"
    assert issuer.calls == 1


async def test_two_processes_fetch_once(make_cache: CacheFactory) -> None:
    issuer = Issuer(delay_s=0.1)
    first, second = tokens(make_cache()), tokens(make_cache())
    results = await asyncio.gather(get_all(100, first, issuer), get_all(100, second, issuer))
    assert list(results) == [[f"{SECRET}-1"] * 100] * 2
    assert issuer.calls == 1


async def test_refreshed_a_margin_before_expiry(cache: Cache) -> None:
    issuer = Issuer(lifetime_s=1.1, delay_s=0)
    one = tokens(cache, margin_s=1)  # kept 0.1 s
    assert await one.get(issuer) == f"{SECRET}-1"
    assert await one.get(issuer) == f"{SECRET}-1"
    await asyncio.sleep(0.15)
    assert await one.get(issuer) == f"{SECRET}-2"
    assert issuer.calls == 2


async def test_token_living_less_than_the_margin_is_not_cached(cache: Cache) -> None:
    issuer = Issuer(lifetime_s=60, delay_s=0)
    one = tokens(cache, margin_s=300)
    assert await one.get(issuer) == f"{SECRET}-1"
    assert await one.get(issuer) == f"{SECRET}-2"


async def test_invalidate_then_get_refetches(cache: Cache) -> None:
    issuer = Issuer(delay_s=0)
    one = tokens(cache)
    old = await one.get(issuer)
    await one.invalidate(old)
    assert await one.get(issuer) == f"{SECRET}-2"
    assert issuer.calls == 2


async def test_invalidating_an_old_token_keeps_the_new_one(make_cache: CacheFactory) -> None:
    issuer = Issuer(delay_s=0)
    first, second = tokens(make_cache()), tokens(make_cache())
    old = await first.get(issuer)
    await second.invalidate(old)  # second process saw a 403 first and refreshed
    new = await second.get(issuer)
    await first.invalidate(old)  # first's request with the old token 403s late
    assert await first.get(issuer) == new == f"{SECRET}-2"
    assert issuer.calls == 2


async def test_fetch_failure_reaches_every_waiter_and_is_not_cached(cache: Cache) -> None:
    issuer = Issuer(error=RuntimeError("401 from carrier"))
    one = tokens(cache)
    results = await asyncio.gather(*(one.get(issuer) for _ in range(30)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) and str(r) == "401 from carrier" for r in results)
    assert issuer.calls == 1
    issuer.error = None
    assert await one.get(issuer) == f"{SECRET}-2"


async def test_naive_expiry_is_refused(cache: Cache) -> None:
    async def naive() -> tuple[str, datetime]:
        return SECRET, datetime.now() + timedelta(hours=1)

    with pytest.raises(ValueError, match="aware"):
        await tokens(cache).get(naive)


async def test_redis_down_fetches_without_caching(down_cache: RedisCache) -> None:
    issuer = Issuer(delay_s=0.02)
    one = tokens(down_cache)
    assert await get_all(20, one, issuer) == [f"{SECRET}-1"] * 20
    await one.invalidate(f"{SECRET}-1")  # no crash either
    assert await one.get(issuer) == f"{SECRET}-2"


async def test_token_never_logged(
    make_cache: CacheFactory, down_cache: RedisCache, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    issuer = Issuer(delay_s=0)
    for cache in (make_cache(), down_cache):
        one = tokens(cache)
        token = await one.get(issuer)
        await one.invalidate(token)
        await one.invalidate(f"{SECRET}-stale")
        await tokens(cache, margin_s=7200).get(issuer)  # not cached: warned
        issuer.error = RuntimeError("fetch failed")
        with pytest.raises(RuntimeError):
            await one.get(issuer)
        issuer.error = None
        assert SECRET not in repr(one)
    assert caplog.records  # it did log: refreshes, warnings
    assert SECRET not in caplog.text
    assert all(SECRET not in str(r.args) for r in caplog.records)
