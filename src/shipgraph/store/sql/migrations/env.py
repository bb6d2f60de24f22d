"""Alembic's environment for the SQL store.

``shipgraph db upgrade`` (store/sql/migrate.py) hands a connection in
``config.attributes["connection"]``; the ``alembic`` command line (for writing new
revisions) connects to ``sqlalchemy.url`` or SHIPGRAPH_DATABASE_URL itself.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from shipgraph.config import load_settings
from shipgraph.store.sql.engine import create_engine
from shipgraph.store.sql.tables import metadata

config = context.config


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters a table by copying it: later revisions use batch operations
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_connected(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_on)
            await connection.commit()
    finally:
        await engine.dispose()


def run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def url_of_config() -> str:
    url = config.get_main_option("sqlalchemy.url") or load_settings().database()
    if not url:
        raise SystemExit("set SHIPGRAPH_DATABASE_URL (or sqlalchemy.url) to migrate")
    return url


shared = config.attributes.get("connection")
if shared is not None:
    run_on(shared)
elif context.is_offline_mode():
    run_offline(url_of_config())
else:
    asyncio.run(run_connected(url_of_config()))
