"""Servers in their own processes: the gateway as `shipgraph serve` runs it, the
simulators as `shipgraph sandbox`, and bench/plain.py's baselines.

A child gets the environment without any inherited ``SHIPGRAPH_*`` variable (so it
can never reach a Redis the benchmark did not start), then the settings given here.
Its stderr goes to a temporary file, shown when it fails to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.redis_server import free_port, terminate
from tests.support.stack import KEYS

from shipgraph.config import ENV_PREFIX

BIN = Path(sys.executable).parent
START_TIMEOUT_S = 60.0
API_KEYS = ",".join(f"{tenant}:{key}" for tenant, key in KEYS.items())


@dataclass
class Child:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down gracefully), SIGKILL after 10 s."""
        terminate(self.process)
        self.log.unlink(missing_ok=True)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def cpu_s(self) -> float:
        return cpu_s(self.process.pid)

    def rss_mb(self) -> float:
        """Resident memory now (Linux /proc)."""
        with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def environment(settings: Mapping[str, object]) -> dict[str, str]:
    """Ours, without inherited SHIPGRAPH_* variables, plus ``settings`` as SHIPGRAPH_*."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)}
    for name, value in settings.items():
        if value is not None:
            env[f"{ENV_PREFIX}{name.upper()}"] = str(value)
    return env


async def _accepting(child: Child, port: int) -> None:
    """Wait until the child listens (uvicorn binds after its start-up has run)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"{child.url} exited at start:\n{child.tail()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    waited = f"{START_TIMEOUT_S:.0f} s"
    raise RuntimeError(f"{child.url} did not listen within {waited}:\n{child.tail()}")


def _spawn(argv: list[str], port: int, env: Mapping[str, str]) -> Child:
    fd, name = tempfile.mkstemp(prefix="shipgraph-bench-", suffix=".log")
    with os.fdopen(fd, "wb") as log:
        process = subprocess.Popen(
            argv, env=dict(env), stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    return Child(process, f"http://127.0.0.1:{port}", Path(name))


@contextlib.asynccontextmanager
async def child(argv: list[str], port: int, env: Mapping[str, str]) -> AsyncIterator[Child]:
    """Run ``argv`` (which must listen on ``port``) until the block ends."""
    running = _spawn(argv, port, env)
    try:
        await _accepting(running, port)
        yield running
    finally:
        running.stop()


def gateway(port: int, **settings: object) -> contextlib.AbstractAsyncContextManager[Child]:
    """`shipgraph serve` with ``settings`` (names as in shipgraph.config.Settings)."""
    base: dict[str, object] = {"api_keys": API_KEYS, "log_level": "WARNING", **settings}
    argv = [str(BIN / "shipgraph"), "serve", "--port", str(port)]
    return child(argv, port, environment(base))


def sandbox(
    port: int, gateway_url: str | None = None
) -> contextlib.AbstractAsyncContextManager[Child]:
    """`shipgraph sandbox`: the four simulators, webhooks to ``gateway_url`` (or none)."""
    argv = [str(BIN / "shipgraph"), "sandbox", "--port", str(port)]
    if gateway_url is not None:
        argv += ["--gateway-url", gateway_url]
    return child(argv, port, environment({"log_level": "WARNING"}))


def module(name: str, port: int, *args: str) -> contextlib.AbstractAsyncContextManager[Child]:
    """``python -m <name> --port PORT *args`` from the repository root."""
    argv = [sys.executable, "-m", name, "--port", str(port), *args]
    return child(argv, port, environment({}))


def port() -> int:
    return free_port()
