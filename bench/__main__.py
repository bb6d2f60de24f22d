"""`make bench`: every benchmark, figures on stdout, the issue's bars at the end.

``python -m bench NAME ...`` runs only the named groups (envio, fanout, store, live,
scale, durability), for working on one of them; `make bench` runs them all.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

import uvloop
from tests.support.postgres_server import PostgresServer

from bench import cache, durability, envio, fanout, lists, live, reads, scale
from bench.common import fresh_database, private_postgres
from bench.deploy import deployment
from bench.report import Target, load, machine, show_targets
from shipgraph.observability import configure_logging

GROUPS = ("envio", "fanout", "store", "live", "scale", "durability")


async def store_benchmarks(database: PostgresServer | None) -> list[Target]:
    """reads, lists and cache share one deployment on a fresh PostgreSQL database and
    a private Redis."""
    if database is None:
        return []
    async with deployment(redis=True, plain=True, database=fresh_database(database)) as env:
        if env is None:
            return []
        return [*await reads.run(env, database), *await lists.run(env), *await cache.run(env)]


async def everything(names: tuple[str, ...]) -> list[Target]:
    targets: list[Target] = []
    async with AsyncExitStack() as exits:
        # One private PostgreSQL (in memory) for the run; each deployment gets a fresh
        # database on it. Durability starts its own, on disk, to crash it.
        database = await private_postgres(exits, "the PostgreSQL benchmarks")
        groups: dict[str, Callable[[], Awaitable[list[Target]]]] = {
            "envio": lambda: envio_rows(database),
            "fanout": fanout.run,
            "store": lambda: store_benchmarks(database),
            "live": lambda: live.run(database),
            "scale": lambda: scale.run(database),
            "durability": durability.run,
        }
        for name in names:
            targets += await groups[name]()
    return targets


async def envio_rows(database: PostgresServer | None) -> list[Target]:
    await envio.run(database)
    return []  # the issue sets no bar for them


def main() -> None:
    names = tuple(sys.argv[1:]) or GROUPS
    unknown = [name for name in names if name not in GROUPS]
    if unknown:
        raise SystemExit(f"unknown benchmark group(s) {unknown}; known: {', '.join(GROUPS)}")
    # The in-process gateways log every carrier call at INFO; keep the figures readable.
    configure_logging("WARNING")
    print(machine(), flush=True)
    started = time.perf_counter()
    # The client on uvloop, as the servers run (uvicorn picks it): a lighter
    # instrument, the same for subject and baseline.
    targets = uvloop.run(everything(names))
    show_targets(targets)
    print(f"\n{load()}")
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
