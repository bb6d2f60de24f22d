"""The printed schema stays compatible with ../shared/contract/schema.graphql."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from graphql import build_schema
from graphql.utilities import find_breaking_changes, find_dangerous_changes

from shipgraph.schema import print_sdl

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contract" / "schema.graphql"


@pytest.fixture(scope="module")
def contract() -> str:
    if not CONTRACT.exists():
        pytest.fail(f"the contract is missing at {CONTRACT}")
    return CONTRACT.read_text()


def test_no_breaking_changes(contract: str) -> None:
    changes = find_breaking_changes(build_schema(contract), build_schema(print_sdl()))
    assert changes == [], "\n".join(change.description for change in changes)


def test_no_dangerous_changes(contract: str) -> None:
    changes = find_dangerous_changes(build_schema(contract), build_schema(print_sdl()))
    assert changes == [], "\n".join(change.description for change in changes)


def test_cli_prints_the_sdl() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "shipgraph", "schema"], check=True, capture_output=True, text=True
    ).stdout
    assert build_schema(printed)
    assert "type Shipment implements Node" in printed
    assert printed.strip() == print_sdl().strip()
