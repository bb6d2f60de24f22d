"""A redis-server the test session starts itself, on a free loopback port.

The suite never talks to a Redis it did not start: the machine's own server (if
any) is left alone, and every test database is flushed before use.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class RedisServer:
    process: subprocess.Popen[bytes]
    port: int
    directory: Path
    durable: bool = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def halt(self) -> None:
        """Stop the server, keeping its data directory (see restart)."""
        terminate(self.process)

    def restart(self) -> None:
        """Start again on the same port and directory (a durable server keeps its data)."""
        self.process = start_redis_server(self.port, self.durable, self.directory).process

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_redis_server(
    port: int | None = None, durable: bool = False, directory: Path | None = None
) -> RedisServer:
    """``durable``: every write is in the append-only file before it is acknowledged,
    so a restart loses nothing (for tests that stop Redis mid-run)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed; `make test` installs it")
    directory = directory or Path(tempfile.mkdtemp(prefix="shipgraph-redis-"))
    port = port or free_port()
    persistence = (
        ["--appendonly", "yes", "--appendfsync", "always"] if durable else ["--appendonly", "no"]
    )
    process = subprocess.Popen(
        [
            binary,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--save", "",
            *persistence,
            "--dir", str(directory),
            "--logfile", str(directory / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=server_environment(),
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (directory / "redis.log").read_text(errors="replace")
            raise RuntimeError(f"redis-server exited at start:\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return RedisServer(process, port, directory, durable)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"redis-server did not answer on port {port} within 10 s")


def server_environment() -> dict[str, str]:
    """Our environment without LD_PRELOAD: under libfaketime (the year-ahead run,
    `faketime -f +365d pytest`) jemalloc'd redis-server recurses in clock_gettime and
    never answers. The server's clock is not what that run puts to the test."""
    return {name: value for name, value in os.environ.items() if name != "LD_PRELOAD"}
