"""The README's operator notes give the figures the settings really default to."""

from __future__ import annotations

import re
from pathlib import Path

from shipgraph.config import ENV_PREFIX, Settings

README = Path(__file__).resolve().parents[2] / "README.md"
UNITS = {"": 1, "s": 1, "KiB": 1024}


def operator_rows() -> dict[str, float]:
    text = README.read_text()
    section = text.split("## Operator notes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| .+? \| ([\d.]+) ?(s|KiB)?\b.*? \| `(SHIPGRAPH_\w+)` \|$", section, re.M)
    return {name: float(number) * UNITS[unit] for number, unit, name in rows}


def test_every_figure_is_the_default() -> None:
    rows = operator_rows()
    assert len(rows) == 9, rows  # the database pool's two rows included
    for name, figure in rows.items():
        field = Settings.model_fields[name.removeprefix(ENV_PREFIX).lower()]
        assert float(field.default) == figure, name
