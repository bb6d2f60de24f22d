"""Alembic, run from the program: ``upgrade`` (``shipgraph db upgrade``, and a database
in memory when its store opens) and the check ``serve`` makes before it starts."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from shipgraph.store.sql.engine import create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """Alembic's configuration without an alembic.ini: the migrations ship in the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # a ConfigParser value: '%' must be doubled (passwords may hold one)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (all the way by default)."""
    engine = create_engine(url)
    try:
        await upgrade_engine(engine, revision)
    finally:
        await engine.dispose()


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database of ``engine``, on one of its connections."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, config, revision)


def upgrade_sync(url: str) -> None:
    """Migrate to head through a synchronous driver (a SQLite database in memory,
    made before any event loop needs it)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            _upgrade(conn, alembic_config(url), "head")
    finally:
        engine.dispose()


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection  # env.py runs on this one
    command.upgrade(config, revision)


async def current_revisions(url: str) -> tuple[str, ...]:
    """The revisions the database is at (none for an empty one)."""
    engine = create_engine(url)
    try:
        return await engine_revisions(engine)
    finally:
        await engine.dispose()


async def engine_revisions(engine: AsyncEngine) -> tuple[str, ...]:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def _current(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


def head_revisions() -> tuple[str, ...]:
    return tuple(ScriptDirectory(str(MIGRATIONS)).get_heads())


def known_revisions() -> set[str]:
    """Every revision of this version's migrations."""
    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


async def current_is_head(url: str) -> bool:
    """True when the database's schema is the one this version of shipgraph needs."""
    return set(await current_revisions(url)) == set(head_revisions())
