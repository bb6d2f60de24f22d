"""The store's engine: PostgreSQL (asyncpg), a SQLite file (aiosqlite, WAL), or a
SQLite database in memory that lives as long as its engine (`shipgraph dev`, tests)."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

POOL_WAIT_S = 5.0
"""How long a request waits for a pooled connection before the store says busy."""
CONNECT_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 30.0
"""PostgreSQL: the longest a connect or one statement may take before the database
counts as unavailable (a request must not hang on a server that stopped answering)."""
SQLITE_BUSY_TIMEOUT_MS = 5000
"""How long a SQLite writer waits for the write lock before the store says busy."""

MEMORY_TURN_WAIT_S = 30.0
"""How long a statement may wait for the one connection of a database in memory."""

MEMORY_URL = "sqlite+aiosqlite:///:memory:"
"""A database in this process's memory, gone when the process ends."""


def is_memory_url(url: str | sa.URL) -> bool:
    """A SQLite database in memory: ``:memory:``, or the URI an engine made for one."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    return parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An async engine for the store: on SQLite, WAL, foreign keys and a busy timeout
    on every connection; on PostgreSQL, connect and command timeouts."""
    parsed = sa.make_url(url)
    options.setdefault("pool_timeout", POOL_WAIT_S)
    if parsed.get_backend_name() != "sqlite":
        # No pre-ping (a round trip before every statement): a connection found dead
        # fails its request (SERVICE_UNAVAILABLE, a webhook 503) and the pool drops it.
        connect_args = options.setdefault("connect_args", {})
        connect_args.setdefault("timeout", CONNECT_TIMEOUT_S)
        connect_args.setdefault("command_timeout", COMMAND_TIMEOUT_S)
        return create_async_engine(parsed, **options)
    options.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    if is_memory_url(parsed):
        return _memory_engine(**options)
    engine = create_async_engine(parsed, **options)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _memory_engine(**options: Any) -> AsyncEngine:
    """A private in-memory database shared by the engine's connections, made at the
    schema's head before the engine is handed out (it is new; nothing to check).

    SQLite keeps a shared-cache memory database while one connection to it is open:
    a keeper connection holds it from here until the engine is disposed. The engine
    has one pooled connection, so its transactions take turns: two connections to
    one shared cache would lock each other's tables (SQLITE_LOCKED, which no busy
    timeout waits out)."""
    from shipgraph.store.sql.migrate import upgrade_sync  # it builds on this module

    uri = f"file:shipgraph-{uuid.uuid4().hex}?mode=memory&cache=shared"
    # every statement queues for that one connection: a burst waits its turn longer
    # than a request waits on a pool of many (300 reads at once took over 5 s)
    options["pool_timeout"] = max(options.get("pool_timeout", POOL_WAIT_S), MEMORY_TURN_WAIT_S)
    keeper = sqlite3.connect(uri, uri=True, check_same_thread=False)
    upgrade_sync(f"sqlite:///{uri}&uri=true")
    options.update(poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0)
    engine = create_async_engine(f"sqlite+aiosqlite:///{uri}&uri=true", **options)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "engine_disposed", lambda _engine: keeper.close())
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # a memory database stays "memory"
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # the system of record: each commit is synced, so a power cut loses no answered write
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()
