from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from shipgraph.store.sql import upgrade
from shipgraph.store.sql.engine import MEMORY_URL
from tests.support.postgres_server import PostgresServer, start_postgres_server
from tests.support.redis_server import RedisServer, start_redis_server

# Every gateway a test builds keeps its records in memory unless the test says where:
# never a file in the working directory, nor a database named in the environment.
os.environ["SHIPGRAPH_DATABASE_URL"] = MEMORY_URL


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's own Redis, emptied before each test."""
    client = redis.Redis.from_url(redis_server.url)
    try:
        client.flushall()
    finally:
        client.close()
    return redis_server.url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's own PostgreSQL (initdb in a temporary folder, a free loopback
    port), started the first time a test asks for it."""
    server = start_postgres_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """``postgresql+asyncpg://postgres@127.0.0.1:<port>/shipgraph``, shared by the session."""
    return postgres_server.url


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new empty database on the session's PostgreSQL for one test, dropped after it."""
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url.rsplit("/", 1)[1])


MIGRATED_TEMPLATE = "shipgraph_migrated"


@pytest.fixture(scope="session")
def migrated_postgres_template(postgres_server: PostgresServer) -> str:
    """A database migrated to head once per session, copied for each test that needs
    one (a copy takes milliseconds, a migration much longer)."""
    url = postgres_server.create_database(MIGRATED_TEMPLATE)
    # In a thread of its own: a test's event loop may be running here. upgrade()
    # disposes its engine, and a template must have no connections.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, upgrade(url)).result()
    return MIGRATED_TEMPLATE


@pytest.fixture
def migrated_postgres_url(
    postgres_server: PostgresServer, migrated_postgres_template: str
) -> Iterator[str]:
    """A fresh database at the schema's head for one test, dropped after it."""
    url = postgres_server.create_database(template=migrated_postgres_template)
    try:
        yield url
    finally:
        postgres_server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture(params=["sqlite", "postgresql"])
async def migrated_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database at the schema's head, once a SQLite file and once on the
    session's PostgreSQL (what two processes would share)."""
    if request.param == "postgresql":
        migrated: str = request.getfixturevalue("migrated_postgres_url")
        return migrated
    database = f"sqlite+aiosqlite:///{tmp_path / 'shipgraph.db'}"
    await upgrade(database)
    return database


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str | None:
    """Run a test once in memory and once on the session's Redis: the Redis URL or None."""
    if request.param == "memory":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url
