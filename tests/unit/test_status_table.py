"""An unmapped status is UNKNOWN and logged once; endless new ones keep memory bounded."""

from __future__ import annotations

from shipgraph.carriers.status import MAX_WARNED, StatusTable
from shipgraph.domain import ShipmentStatus


def test_unmapped_statuses_are_unknown_and_remembered_within_a_bound() -> None:
    table = StatusTable("test", {"delivered": ShipmentStatus.DELIVERED})
    assert table["delivered"] is ShipmentStatus.DELIVERED
    for n in range(MAX_WARNED * 3):
        assert table[f"made-up-{n}"] is ShipmentStatus.UNKNOWN
    assert len(table._warned) == MAX_WARNED
