"""The printed schema stays compatible with ../shared/contract/schema.graphql."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from graphql import build_schema
from graphql.utilities import (
    DangerousChangeType,
    find_breaking_changes,
    find_dangerous_changes,
)

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


ADDITIONS = {DangerousChangeType.OPTIONAL_ARG_ADDED, DangerousChangeType.OPTIONAL_INPUT_FIELD_ADDED}
"""What graphql-core calls dangerous but is an addition a client need not know of
(an optional argument or input field, whose absence means what it meant before)."""


def test_no_dangerous_changes_but_optional_additions(contract: str) -> None:
    changes = find_dangerous_changes(build_schema(contract), build_schema(print_sdl()))
    dangerous = [change for change in changes if change.type not in ADDITIONS]
    assert dangerous == [], "\n".join(change.description for change in dangerous)


def test_what_is_added_to_the_contract_is_described(contract: str) -> None:
    """Every type, field, argument and enum value beyond the contract has a
    description: generated clients show them."""
    known, printed = build_schema(contract), build_schema(print_sdl())
    missing = []
    for name, kind in printed.type_map.items():
        if name.startswith("__"):
            continue
        before = known.type_map.get(name)
        if before is None and not kind.description:
            missing.append(name)
        for field_name, field in getattr(kind, "fields", {}).items():
            old = getattr(before, "fields", {}).get(field_name) if before else None
            if old is None and not field.description:
                missing.append(f"{name}.{field_name}")
            for arg_name, arg in getattr(field, "args", {}).items():
                if (old is None or arg_name not in old.args) and not arg.description:
                    missing.append(f"{name}.{field_name}({arg_name})")
        for value_name, value in getattr(kind, "values", {}).items():
            old_values = getattr(before, "values", {}) if before else {}
            if value_name not in old_values and not value.description:
                missing.append(f"{name}.{value_name}")
    assert missing == []


def test_cli_prints_the_sdl() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "shipgraph", "schema"], check=True, capture_output=True, text=True
    ).stdout
    assert build_schema(printed)
    assert "type Shipment implements Node" in printed
    assert printed.strip() == print_sdl().strip()
