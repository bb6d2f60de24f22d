"""`shipgraph db upgrade`, and `serve`'s check of the schema, run as real processes on a
SQLite file (the embedded default included)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from shipgraph.cli import main
from shipgraph.config import DEFAULT_DATABASE_FILE, load_settings
from shipgraph.store.sql import current_is_head, upgrade
from shipgraph.store.sql.engine import MEMORY_URL
from shipgraph.store.sql.migrate import head_revisions
from tests.support.redis_server import free_port
from tests.unit.test_cli import clear_shipgraph_env, run

[HEAD] = head_revisions()


def test_db_upgrade_creates_the_schema_then_has_nothing_to_do(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shipgraph.db'}"
    for _ in range(2):
        result = run("db", "upgrade", SHIPGRAPH_DATABASE_URL=url)
        assert result.returncode == 0, result.stderr
        assert f"revision {HEAD} (head)" in result.stdout
    assert asyncio.run(current_is_head(url))


def test_without_a_database_url_both_use_the_embedded_file(tmp_path: Path) -> None:
    result = run("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"revision {HEAD} (head)" in result.stdout
    made = tmp_path / DEFAULT_DATABASE_FILE
    assert asyncio.run(current_is_head(f"sqlite+aiosqlite:///{made}"))


def test_serve_refuses_a_database_file_not_made_yet_and_leaves_none(tmp_path: Path) -> None:
    """The embedded default's first start: no file until `shipgraph db upgrade`."""
    result = run("serve", "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "shipgraph serve: there is no database at shipgraph.sqlite3: run `shipgraph db upgrade`"
    )
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_serve_refuses_an_empty_database_and_says_the_command(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "empty.db").close()
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    result = run("serve", "--port", str(free_port()), SHIPGRAPH_DATABASE_URL=url, cwd=tmp_path)
    assert result.returncode == 1
    assert f"the database schema is behind (at empty, this version needs {HEAD})" in result.stderr
    assert "run `shipgraph db upgrade`" in result.stderr


def test_dev_on_a_database_file_behind_says_the_command_too(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shipgraph.db'}"
    result = run("dev", "--port", str(free_port()), SHIPGRAPH_DATABASE_URL=url, cwd=tmp_path)
    assert result.returncode == 1
    assert "shipgraph dev: there is no database at" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_database_a_newer_version_migrated(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shipgraph.db'}"
    asyncio.run(upgrade(url))
    with sqlite3.connect(tmp_path / "shipgraph.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    result = run("serve", "--port", str(free_port()), SHIPGRAPH_DATABASE_URL=url, cwd=tmp_path)
    assert result.returncode == 1
    assert "newer than this version" in result.stderr


def test_db_upgrade_of_a_database_in_memory_is_refused() -> None:
    result = run("db", "upgrade", SHIPGRAPH_DATABASE_URL=MEMORY_URL)
    assert result.returncode == 1
    assert "in memory is made at each start" in result.stderr


@pytest.mark.parametrize("url", ["mysql://db/x", "postgresql://db/x", "sqlite:///x.db"])
def test_db_upgrade_refuses_a_url_of_another_driver(url: str) -> None:
    result = run("db", "upgrade", SHIPGRAPH_DATABASE_URL=url)
    assert result.returncode == 2
    assert "SHIPGRAPH_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_on_an_unreachable_database_fails_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such.db'}"
    result = run("db", "upgrade", SHIPGRAPH_DATABASE_URL=url)
    assert result.returncode == 1
    assert "the database did not answer" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_database_password_is_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_shipgraph_env(monkeypatch)
    url = "postgresql+asyncpg://shipgraph:s3cret@db.internal:5432/shipgraph"
    settings = load_settings(database_url=url)
    assert settings.database_url == url
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings)


def test_help_lists_db(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["db", "--help"])
    assert "upgrade" in capsys.readouterr().out


def test_a_libpq_sslmode_is_refused_with_what_asyncpg_takes() -> None:
    url = "postgresql+asyncpg://shipgraph@db.internal/shipgraph?sslmode=require"
    result = run("db", "upgrade", SHIPGRAPH_DATABASE_URL=url)
    assert result.returncode == 2
    assert "SHIPGRAPH_DATABASE_URL" in result.stderr and "ssl=require" in result.stderr
    assert "Traceback" not in result.stderr
