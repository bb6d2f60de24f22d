"""A PostgreSQL server the test session starts itself, on a free loopback port.

Like tests/support/redis_server.py: the suite never talks to a server it did not
start. The machine's own cluster (port 5432, /var/run/postgresql) is left alone:
ours lives in a temporary folder (data directory, unix socket, log), listens on
127.0.0.1 only, trusts loopback connections only, and is removed at the end.

initdb refuses to run as root, so under root every server binary runs as the
``postgres`` user, who is given the temporary folder.

A fresh database per test is ``CREATE DATABASE ... TEMPLATE ...`` (see
``create_database``, about 25 ms) rather than a schema per test: the store's URL
then differs only by the database name, so the store needs no search_path
plumbing; extensions (pg_trgm) and Alembic's version table are per database
anyway; and a template migrated once gives every copy the schema without running
the migrations again.

The server runs without LD_PRELOAD (``server_environment``), as Redis does. It
would run under libfaketime (tried: ``faketime -f +365d`` moves its now() a year
ahead too), but the year-ahead run tests our code's dates, not the server's: its
clock stays the machine's, so a store that mixed the database's now() with the
process's clock would show it there.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

from tests.support.redis_server import free_port, server_environment

DATABASE = "shipgraph"
SUPERUSER = "postgres"
START_TIMEOUT = 20.0
MEMORY_ROOT = Path("/dev/shm")
MEMORY_ROOM = 1 << 30
PREFIX = "shipgraph-postgres-"
OWNER = "owner.pid"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_names = count(1)


def find_bindir() -> Path:
    """The directory holding initdb, pg_ctl, postgres, pg_isready and psql:
    ``pg_config --bindir``, else Debian's newest /usr/lib/postgresql/<major>/bin,
    else wherever initdb is on PATH. (Debian does not put initdb on PATH.)"""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        majors = [p for p in debian.iterdir() if p.name.isdigit()]
        candidates += [p / "bin" for p in sorted(majors, key=lambda p: int(p.name), reverse=True)]
    on_path = shutil.which("initdb")
    if on_path is not None:
        candidates.append(Path(on_path).resolve().parent)
    needed = ("initdb", "pg_ctl", "postgres", "pg_isready", "psql")
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in needed):
            return bindir
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; "
        "`make test` installs Debian's postgresql"
    )


@dataclass
class PostgresServer:
    bindir: Path
    port: int
    directory: Path
    durable: bool = False
    _as_postgres: list[str] = field(default_factory=list)

    @property
    def data_directory(self) -> Path:
        return self.directory / "data"

    @property
    def log_file(self) -> Path:
        return self.directory / "postgres.log"

    @property
    def url(self) -> str:
        """The session's ``shipgraph`` database, for SQLAlchemy with asyncpg."""
        return self.database_url(DATABASE)

    def database_url(self, name: str) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL through psql over TCP as the superuser; its output, unaligned."""
        result = subprocess.run(
            [
                str(self.bindir / "psql"), "-X", "-q", "-A", "-t",
                "-v", "ON_ERROR_STOP=1",
                "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER,
                "-d", database, "-c", sql,
            ],
            capture_output=True, text=True, env=server_environment(),
            cwd=self.directory, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}): {sql}\n{result.stderr}")
        return result.stdout.strip()

    def create_database(self, name: str | None = None, template: str = "template1") -> str:
        """A new database copied from ``template`` (it must have no open connection);
        its URL. A template that holds the migrated schema makes each copy ready to
        use. The copy is by files (STRATEGY FILE_COPY): 24 ms against 34 ms for
        WAL_LOG, measured for the few megabytes of a test database."""
        name = f"test_{os.getpid()}_{next(_names)}" if name is None else name
        _check_identifier(name)
        _check_identifier(template)
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        """Drop it, closing any connection still open on it."""
        _check_identifier(name)
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def halt(self) -> None:
        """Stop at once, as a crash would (no checkpoint; WAL replayed at restart),
        keeping the data directory (see restart)."""
        if (self.data_directory / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate", "-w", "-t", "20")

    def restart(self) -> None:
        """Start again on the same port and data directory."""
        _start(self)

    def stop(self) -> None:
        try:
            self.halt()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run("pg_ctl", "-D", str(self.data_directory), *args)

    def _run(self, binary: str, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self._as_postgres, str(self.bindir / binary), *args],
            capture_output=True, text=True, env=server_environment(),
            cwd=self.directory, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(
                f"{binary} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{self._log_tail()}"
            )
        return result

    def _log_tail(self) -> str:
        try:
            log = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\nserver log:\n" + log[-4000:]


def start_postgres_server(port: int | None = None, durable: bool = False) -> PostgresServer:
    """initdb into a new temporary folder, start on a free port, create ``shipgraph``.

    ``durable``: production's fsync, synchronous_commit and full_page_writes, for
    tests that crash the server and count what survived. Otherwise they are off:
    nothing here outlives the session, and commits are cheaper."""
    bindir = find_bindir()
    as_postgres = _as_postgres_user()
    root = _temporary_root(durable)
    stop_orphans(Path(root), bindir, as_postgres)
    directory = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))
    (directory / OWNER).write_text(str(os.getpid()))
    server = PostgresServer(bindir, port or free_port(), directory, durable, as_postgres)
    try:
        if as_postgres:
            entry = pwd.getpwnam(SUPERUSER)
            os.chown(directory, entry.pw_uid, entry.pw_gid)
        server._run(
            "initdb", "-D", str(server.data_directory), "-U", SUPERUSER,
            "-E", "UTF8", "--locale=C", "-A", "trust", "--no-sync", "--no-instructions",
        )  # fmt: skip
        _configure(server)
        for attempt in range(3):
            try:
                _start(server)
                break
            except RuntimeError as error:
                # Another process may take the free port between its choice and our bind.
                if port is not None or attempt == 2 or "Address already in use" not in str(error):
                    raise
                server.port = free_port()
        server.psql(f"CREATE DATABASE {DATABASE}")
    except BaseException:
        server.stop()
        raise
    return server


def stop_orphans(root: Path, bindir: Path, as_postgres: list[str]) -> list[Path]:
    """Stop and remove the servers of test sessions that died without stopping them
    (a SIGKILLed pytest leaves its postmaster running, in memory under /dev/shm).
    A folder whose owning process lives, or that names none yet, is left alone:
    other sessions run at the same time. The folders removed."""
    removed: list[Path] = []
    for folder in root.glob(f"{PREFIX}*"):
        try:
            owner = int((folder / OWNER).read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        if (folder / "data" / "postmaster.pid").exists():
            subprocess.run(
                [*as_postgres, str(bindir / "pg_ctl"), "-D", str(folder / "data"),
                 "stop", "-m", "immediate", "-w", "-t", "20"],
                capture_output=True, env=server_environment(), cwd=root, check=False,
            )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _configure(server: PostgresServer) -> None:
    safety = "on" if server.durable else "off"
    settings = {
        "listen_addresses": "'127.0.0.1'",
        # Never /var/run/postgresql, where the machine's own server has its socket.
        "unix_socket_directories": f"'{server.directory}'",
        "fsync": safety,
        "synchronous_commit": safety,
        "full_page_writes": safety,
        "max_connections": "200",
        "timezone": "'UTC'",
        "jit": "off",
    }
    with (server.data_directory / "postgresql.conf").open("a") as conf:
        conf.write("\n# shipgraph test server\n")
        conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
    # Trust, but from this machine's loopback and our own socket only.
    (server.data_directory / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 trust\n"
    )


def _start(server: PostgresServer) -> None:
    """pg_ctl start, then wait until the port answers; the log on failure."""
    # pg_ctl -w notices a postmaster that dies while starting; pg_isready then
    # confirms the TCP port itself accepts connections.
    server._pg_ctl(
        "start", "-w", "-t", str(int(START_TIMEOUT)), "-l", str(server.log_file),
        "-o", f"-p {server.port}",
    )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT
    isready = [str(server.bindir / "pg_isready"), "-q", "-h", "127.0.0.1"]
    isready += ["-p", str(server.port), "-U", SUPERUSER, "-d", "postgres"]
    while time.monotonic() < deadline:
        if subprocess.run(isready, env=server_environment(), check=False).returncode == 0:
            return
        time.sleep(0.05)
    tail = server._log_tail()
    server.halt()
    raise RuntimeError(
        f"PostgreSQL did not accept connections on 127.0.0.1:{server.port} "
        f"within {START_TIMEOUT:.0f} s{tail}"
    )


def _as_postgres_user() -> list[str]:
    """Under root, the prefix that runs a command as ``postgres``; else nothing."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise RuntimeError(
            "running as root, but there is no `postgres` user to run the test server "
            "(initdb refuses root); `make test` installs Debian's postgresql, which adds it"
        ) from None
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise RuntimeError("running as root, but setpriv (util-linux) is not installed")
    return [setpriv, f"--reuid={SUPERUSER}", f"--regid={SUPERUSER}", "--init-groups", "--"]


def _temporary_root(durable: bool) -> str:
    """Where the server's folder goes: in memory (/dev/shm) unless durable; measured
    on this project's shared machine, initdb takes 0.6 s there against 1.8 s on disk
    and CREATE DATABASE 25 ms against 250 ms. A durable server stays on disk, where
    fsync costs what it costs in production."""
    candidates = [] if durable else [MEMORY_ROOT]
    candidates += [Path(tempfile.gettempdir()), Path("/tmp")]
    for root in candidates:
        if _usable(root, room=MEMORY_ROOM if root == MEMORY_ROOT else 0):
            return str(root)
    raise RuntimeError(f"no writable temporary folder for PostgreSQL among {candidates}")


def _usable(root: Path, room: int) -> bool:
    try:
        if not root.is_dir() or not os.access(root, os.W_OK | os.X_OK):
            return False
        if room and shutil.disk_usage(root).free < room:
            return False
        if os.geteuid() == 0:
            # The postgres user must be able to reach the folder we give it.
            resolved = root.resolve()
            return all(
                folder.stat().st_mode & stat.S_IXOTH for folder in (resolved, *resolved.parents)
            )
    except OSError:
        return False
    return True


def _check_identifier(name: str) -> None:
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a plain lower-case database name: {name!r}")
