"""Timing primitives: paired latency rounds and concurrent throughput, each running
every subject in turn so that machine noise falls on all of them alike."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

Call = Callable[[], Awaitable[None]]
"""One request; raises when the answer is not a success."""

NS_PER_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class Latency:
    """Sequential call latencies of one subject, in nanoseconds."""

    samples_ns: Sequence[int]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.samples_ns) / NS_PER_MS

    @property
    def p95_ms(self) -> float:
        return statistics.quantiles(self.samples_ns, n=20, method="inclusive")[18] / NS_PER_MS

    @property
    def p99_ms(self) -> float:
        return quantile(self.samples_ns, 99) / NS_PER_MS


@dataclass(frozen=True, slots=True)
class Throughput:
    """Requests completed by concurrent clients over the wall-clock time they took."""

    requests: int
    elapsed_ns: int

    @property
    def per_second(self) -> float:
        return self.requests * 1e9 / self.elapsed_ns


def quantile(samples: Sequence[int] | Sequence[float], percent: int) -> float:
    """The ``percent``-th percentile (``statistics.quantiles``, inclusive method)."""
    if len(samples) == 1:
        return float(samples[0])
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]


def rotated(names: Sequence[T], turn: int) -> list[T]:
    """``names`` starting at position ``turn`` (mod len): who goes first changes each round."""
    start = turn % len(names)
    return [*names[start:], *names[:start]]


async def timed(call: Call) -> int:
    started = time.perf_counter_ns()
    await call()
    return time.perf_counter_ns() - started


async def latencies(
    calls: Mapping[str, Call],
    *,
    rounds: int,
    warmup: int,
    before: Mapping[str, Call] | None = None,
) -> dict[str, Latency]:
    """``warmup`` then ``rounds`` rounds; in each, every call once, in rotating order.
    ``before[name]``, when given, runs untimed just before each call of ``name``."""
    names = list(calls)
    prepare = before or {}

    async def once(name: str) -> int:
        if name in prepare:
            await prepare[name]()
        return await timed(calls[name])

    for turn in range(warmup):
        for name in rotated(names, turn):
            await once(name)
    gc.collect()
    samples: dict[str, list[int]] = {name: [] for name in names}
    for turn in range(rounds):
        for name in rotated(names, turn):
            samples[name].append(await once(name))
    return {name: Latency(found) for name, found in samples.items()}


async def drive(call: Call, *, clients: int, requests: int) -> int:
    """``clients`` concurrent loops sharing ``requests`` calls; the wall-clock ns taken."""
    remaining = requests

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    started = time.perf_counter_ns()
    async with asyncio.TaskGroup() as group:
        for _ in range(clients):
            group.create_task(client())
    return time.perf_counter_ns() - started


async def throughputs(
    calls: Mapping[str, Call], *, clients: int, requests: int, rounds: int
) -> dict[str, Throughput]:
    """Each call driven by ``clients`` concurrent clients for ``requests`` requests,
    split into ``rounds`` rounds in rotating order (plus one short warm-up round)."""
    names = list(calls)
    per_round = requests // rounds
    for name in names:
        await drive(calls[name], clients=clients, requests=clients)
    gc.collect()
    elapsed = dict.fromkeys(names, 0)
    for turn in range(rounds):
        for name in rotated(names, turn):
            elapsed[name] += await drive(calls[name], clients=clients, requests=per_round)
    return {name: Throughput(per_round * rounds, ns) for name, ns in elapsed.items()}
