"""`make bench`: the Envio benchmark, figures on stdout."""

from __future__ import annotations

import asyncio
import time

from bench import envio
from bench.report import machine
from shipgraph.observability import configure_logging


def main() -> None:
    # The gateway logs every carrier call at INFO; keep the figures readable.
    configure_logging("WARNING")
    print(machine(), flush=True)
    started = time.perf_counter()
    asyncio.run(envio.run())
    print(f"\ndone in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
