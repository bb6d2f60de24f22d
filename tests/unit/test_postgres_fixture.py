import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import postgres_server as pg_support
from tests.support.postgres_server import PostgresServer, start_postgres_server
from tests.support.redis_server import free_port


def dsn(url: str) -> str:
    """The SQLAlchemy URL as asyncpg itself takes it."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def running(pid: int) -> bool:
    """Alive and not a zombie (the postmaster is init's child once pg_ctl exits,
    and init reaps it a moment after it ends)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def test_session_postgres_is_our_own(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    connection = await asyncpg.connect(dsn(postgres_url))
    try:
        assert await connection.fetchval("SELECT 1") == 1
        assert await connection.fetchval("SELECT current_database()") == "shipgraph"
        data_directory = await connection.fetchval("SHOW data_directory")
        port = int(await connection.fetchval("SHOW port"))
        sockets = await connection.fetchval("SHOW unix_socket_directories")
        listening = await connection.fetchval("SHOW listen_addresses")
    finally:
        await connection.close()
    assert Path(data_directory) == postgres_server.data_directory
    assert port == postgres_server.port != 5432
    assert f":{port}/" in postgres_url
    assert sockets == str(postgres_server.directory)
    assert listening == "127.0.0.1"


async def test_the_url_serves_sqlalchemy_with_asyncpg(postgres_url: str) -> None:
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
            assert engine.dialect.driver == "asyncpg"
    finally:
        await engine.dispose()


async def test_a_fresh_database_is_isolated(
    postgres_server: PostgresServer, postgres_url: str, fresh_postgres_url: str
) -> None:
    assert fresh_postgres_url != postgres_url
    first = await asyncpg.connect(dsn(fresh_postgres_url))
    try:
        await first.execute("CREATE TABLE only_here (id int)")
        await first.execute("INSERT INTO only_here VALUES (1)")
    finally:
        await first.close()
    second_url = postgres_server.create_database()
    second_name = second_url.rsplit("/", 1)[1]
    try:
        for url in (second_url, postgres_url):
            other = await asyncpg.connect(dsn(url))
            try:
                assert await other.fetchval("SELECT to_regclass('only_here')") is None
            finally:
                await other.close()
    finally:
        postgres_server.drop_database(second_name)
    assert (
        postgres_server.psql(f"SELECT count(*) FROM pg_database WHERE datname = '{second_name}'")
        == "0"
    )


async def test_a_copy_of_a_template_has_its_tables(postgres_server: PostgresServer) -> None:
    template_url = postgres_server.create_database()
    template = template_url.rsplit("/", 1)[1]
    copy = ""
    try:
        connection = await asyncpg.connect(dsn(template_url))
        try:
            await connection.execute(
                "CREATE TABLE migrated (id int); INSERT INTO migrated VALUES (7)"
            )
        finally:
            await connection.close()
        copy_url = postgres_server.create_database(template=template)
        copy = copy_url.rsplit("/", 1)[1]
        connection = await asyncpg.connect(dsn(copy_url))
        try:
            assert await connection.fetchval("SELECT id FROM migrated") == 7
        finally:
            await connection.close()
    finally:
        postgres_server.drop_database(template)
        if copy:
            postgres_server.drop_database(copy)


async def test_dropping_a_database_closes_what_a_test_left_open(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database()
    leaked = await asyncpg.connect(dsn(url))
    postgres_server.drop_database(url.rsplit("/", 1)[1])
    with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError)):
        await leaked.fetchval("SELECT 1")
    leaked.terminate()


@pytest.mark.parametrize("name", ["Robert'); DROP DATABASE shipgraph; --", "a-b", "", "x" * 64])
def test_a_database_name_that_is_not_plain_is_refused(
    postgres_server: PostgresServer, name: str
) -> None:
    with pytest.raises(ValueError, match="not a plain lower-case database name"):
        postgres_server.create_database(name)
    with pytest.raises(ValueError):
        postgres_server.drop_database(name)


def test_the_server_stops_cleanly_and_leaves_nothing() -> None:
    server = start_postgres_server()
    pid = int((server.data_directory / "postmaster.pid").read_text().split()[0])
    assert server.psql("SELECT 1", database="shipgraph") == "1"
    server.stop()
    assert not server.directory.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    assert not running(pid)
    server.stop()  # a second stop is harmless


async def test_a_durable_server_keeps_commits_through_a_crash() -> None:
    server = start_postgres_server(durable=True)
    try:
        assert server.psql("SHOW fsync") == "on"
        assert not server.directory.is_relative_to(pg_support.MEMORY_ROOT)
        assert server.psql("SHOW synchronous_commit") == "on"
        server.psql(
            "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)", database="shipgraph"
        )
        server.halt()
        server.restart()
        connection = await asyncpg.connect(dsn(server.url))
        try:
            assert await connection.fetchval("SELECT id FROM kept") == 42
        finally:
            await connection.close()
    finally:
        server.stop()


def test_a_port_already_taken_fails_with_the_server_log(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Path] = []
    original = tempfile.mkdtemp

    def mkdtemp(*args: Any, **kwargs: Any) -> str:
        made.append(Path(original(*args, **kwargs)))
        return str(made[-1])

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=r"(?s)server log:.*could not (bind|create)"):
            start_postgres_server(port=port)
    assert len(made) == 1
    assert not made[0].exists()


def test_a_free_port_taken_before_the_server_binds_it_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        choices = iter([port])
        monkeypatch.setattr(pg_support, "free_port", lambda: next(choices, None) or free_port())
        server = start_postgres_server()
        try:
            assert server.port != port
            assert server.psql("SHOW port") == str(server.port)
            assert server.url.endswith(f":{server.port}/shipgraph")
        finally:
            server.stop()


def test_a_server_left_by_a_killed_session_is_stopped_by_the_next() -> None:
    script = (
        "import os, sys\n"
        "from tests.support.postgres_server import start_postgres_server\n"
        "server = start_postgres_server()\n"
        "print(server.directory, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    session = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, timeout=30, check=False,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert session.returncode == -9, session.stderr
    orphan = Path(session.stdout.strip())
    pid = int((orphan / "data" / "postmaster.pid").read_text().split()[0])
    assert running(pid)
    server = start_postgres_server()
    try:
        assert not orphan.exists()
        assert not running(pid)
        assert server.directory.exists()
    finally:
        server.stop()
