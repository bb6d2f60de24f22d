"""Load the carrier documents' examples from tests/fixtures/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture(carrier: str, name: str) -> Any:
    return json.loads((FIXTURES / carrier / f"{name}.json").read_text())


def fixture_bytes(carrier: str, name: str) -> bytes:
    return (FIXTURES / carrier / f"{name}.json").read_bytes()
