"""Cache: ``locations`` (Entrego's provinces, read through CachedLoader on Redis).

Single flight: the cached provinces are evicted (their keys deleted in the private
Redis), the Entrego simulator is told to answer its Location API after 500 ms (so
that every request is in the gateway before the first load ends), and 200 identical
``locations`` queries are sent at once on 200 connections. The simulator counts the
calls it gets per path (its control API, ``/_control/counters``): the gateway should
make one.

Hit against miss: without added latency, rounds alternate a query on a just-evicted
key (a miss: cache read, lock, cache read, Entrego call, two cache writes, unlock)
and one on the filled key (a hit: one cache read). The simulator's count checks
that each miss went upstream and no hit did.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bench.common import BenchError, data, gql, graphql_at
from bench.deploy import Deployment
from bench.http import Endpoint, Http
from bench.measure import NS_PER_MS, Call, latencies, quantile
from bench.report import Target, at_most, section

QUERY = '{ locations(search: "metro manila") { id name level isoCode } }'
UPSTREAM = "/v1/locations/provinces"
CACHED = "shipgraph:cache:*places:ENTREGO:PROVINCE:*"
METRIC = "shipgraph_carrier_call_seconds"
LABELS = 'carrier="ENTREGO",operation="locations"'
CONCURRENT = 200
FLIGHTS = 3
LOAD_MS = 500
ROUNDS = 100
WARMUP = 5

MISS = "locations, miss"
HIT = "locations, hit"


async def upstream_calls(env: Deployment) -> int:
    counters: Any = await env.control("entrego", "/counters")
    return int(counters["locationCalls"].get(UPSTREAM, 0))


async def gateway_calls(env: Deployment) -> tuple[float, float]:
    """(count, seconds) of the gateway's Entrego ``locations`` calls, from /metrics."""
    answer = await env.http.get(Endpoint.of(f"{env.gateway}/metrics"), {})
    found = {"count": 0.0, "sum": 0.0}
    for line in answer.body.decode().splitlines():
        name, _, value = line.rpartition(" ")
        for kind in found:
            if name == f"{METRIC}_{kind}{{{LABELS}}}":
                found[kind] = float(value)
    return found["count"], found["sum"]


def query(env: Deployment, http: Http) -> Call:
    at = graphql_at(env.gateway)

    async def call() -> None:
        if not data(await gql(http, at, QUERY, {}), "locations"):
            raise BenchError("locations found no Metro Manila")

    return call


def evicting(redis: Redis) -> Call:
    async def evict() -> None:
        keys = [key async for key in redis.scan_iter(match=CACHED)]
        if keys:
            await redis.delete(*keys)

    return evict


@dataclass(frozen=True, slots=True)
class Burst:
    upstream: int
    """Calls the simulator counted."""
    gateway: tuple[float, float]
    """Calls and seconds the gateway's /metrics counted."""
    took_ns: list[int]
    wall_ns: int

    def line(self, n: int) -> str:
        took = self.took_ns
        waited = sum(t >= LOAD_MS * NS_PER_MS for t in took)
        calls, seconds = self.gateway
        return (
            f"cache    burst {n}: Entrego counted {self.upstream} call(s), the gateway"
            f" {calls:g} of {1000 * seconds / max(calls, 1):.0f} ms; {waited}/{CONCURRENT}"
            f" queries waited for it, each min {min(took) / NS_PER_MS:5.0f}"
            f" p50 {statistics.median(took) / NS_PER_MS:5.0f}"
            f" p99 {quantile(took, 99) / NS_PER_MS:5.0f} ms;"
            f" all in {self.wall_ns / NS_PER_MS:5.0f} ms"
        )


async def burst(env: Deployment, evict: Call) -> Burst:
    """CONCURRENT queries at once on a cold key."""
    await evict()
    before, metered = await upstream_calls(env), await gateway_calls(env)
    http = Http()  # its own connections: one per concurrent request
    call = query(env, http)
    took: list[int] = []

    async def one() -> None:
        started = time.perf_counter_ns()
        await call()
        took.append(time.perf_counter_ns() - started)

    try:
        started = time.perf_counter_ns()
        await asyncio.gather(*(one() for _ in range(CONCURRENT)))
        wall = time.perf_counter_ns() - started
    finally:
        await http.aclose()
    after = await gateway_calls(env)
    gateway = (after[0] - metered[0], after[1] - metered[1])
    return Burst(await upstream_calls(env) - before, gateway, took, wall)


async def run(env: Deployment) -> list[Target]:
    assert env.redis is not None
    redis = Redis.from_url(env.redis.url)
    evict = evicting(redis)
    try:
        await query(env, env.http)()  # Entrego's token, the connections
        await env.latency("entrego", LOAD_MS, UPSTREAM)
        flights = [await burst(env, evict) for _ in range(FLIGHTS)]
        await env.latency("entrego", 0, UPSTREAM)
        before = await upstream_calls(env)
        calls = {MISS: query(env, env.http), HIT: query(env, env.http)}
        found = await latencies(calls, rounds=ROUNDS, warmup=WARMUP, before={MISS: evict})
        misses = await upstream_calls(env) - before
    finally:
        await redis.aclose()
    if misses != ROUNDS + WARMUP:
        raise BenchError(f"{ROUNDS + WARMUP} misses made {misses} Entrego calls")
    section(
        f"cache: {CONCURRENT} identical locations queries at once on an evicted key, Entrego"
        f" answering in {LOAD_MS} ms ({FLIGHTS} times); then {ROUNDS} alternating rounds of"
        " miss and hit"
    )
    for n, flight in enumerate(flights, 1):
        print(flight.line(n))
    hit, miss = found[HIT], found[MISS]
    print(
        f"cache    {MISS:<16} p50 {miss.p50_ms:6.2f} ms  p99 {miss.p99_ms:6.2f} ms"
        "  (each went upstream)"
    )
    print(
        f"cache    {HIT:<16} p50 {hit.p50_ms:6.2f} ms  p99 {hit.p99_ms:6.2f} ms"
        f"  ratio p50 hit / miss {hit.p50_ms / miss.p50_ms:5.2f}x"
    )
    worst = max(max(flight.upstream, flight.gateway[0]) for flight in flights)
    return [at_most("cache", f"Entrego calls per {CONCURRENT} concurrent misses", worst, 1)]
