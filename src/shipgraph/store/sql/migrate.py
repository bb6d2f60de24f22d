"""Alembic, run from the program: ``upgrade`` (``shipgraph db upgrade``) and the
check ``serve`` makes before it starts (``current_is_head``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from shipgraph.store.sql.store import create_engine

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
    config = alembic_config(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, config, revision)
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection  # env.py runs on this one
    command.upgrade(config, revision)


async def current_revisions(url: str) -> tuple[str, ...]:
    """The revisions the database is at (none for an empty one)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_current)
    finally:
        await engine.dispose()


def _current(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


def head_revisions() -> tuple[str, ...]:
    return tuple(ScriptDirectory(str(MIGRATIONS)).get_heads())


async def current_is_head(url: str) -> bool:
    """True when the database's schema is the one this version of shipgraph needs."""
    return set(await current_revisions(url)) == set(head_revisions())
