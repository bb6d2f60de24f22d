"""`make bench`: every benchmark, figures on stdout, the issue's bars at the end."""

from __future__ import annotations

import time

import uvloop

from bench import cache, envio, fanout, lists, live, reads
from bench.deploy import deployment
from bench.report import Target, load, machine, show_targets
from shipgraph.observability import configure_logging


async def redis_benchmarks() -> list[Target]:
    """reads, lists and cache share one deployment on a private Redis."""
    async with deployment(redis=True, plain=True) as env:
        if env is None:
            return []
        return [*await reads.run(env), *await lists.run(env), *await cache.run(env)]


async def everything() -> list[Target]:
    await envio.run()
    targets = await fanout.run()
    targets += await redis_benchmarks()
    targets += await live.run()
    return targets


def main() -> None:
    # The in-process gateways log every carrier call at INFO; keep the figures readable.
    configure_logging("WARNING")
    print(machine(), flush=True)
    started = time.perf_counter()
    # The client on uvloop, as the servers run (uvicorn picks it): a lighter
    # instrument, the same for subject and baseline.
    targets = uvloop.run(everything())
    show_targets(targets)
    print(f"\n{load()}")
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
