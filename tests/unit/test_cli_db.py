"""`shipgraph db upgrade`, run as a real process on a SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from shipgraph.cli import main
from shipgraph.config import load_settings
from shipgraph.store.sql import current_is_head
from tests.unit.test_cli import clear_shipgraph_env, run


def test_db_upgrade_creates_the_schema_then_has_nothing_to_do(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shipgraph.db'}"
    for _ in range(2):
        result = run("db", "upgrade", SHIPGRAPH_DATABASE_URL=url)
        assert result.returncode == 0, result.stderr
        assert "revision 0002 (head)" in result.stdout
    assert asyncio.run(current_is_head(url))


def test_db_upgrade_without_a_database_url_says_which_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clear_shipgraph_env(monkeypatch)
    with pytest.raises(SystemExit) as exited:
        main(["db", "upgrade"])
    assert "SHIPGRAPH_DATABASE_URL" in str(exited.value.code)


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
