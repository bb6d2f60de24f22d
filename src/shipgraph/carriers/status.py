"""Carrier status value -> ShipmentStatus, per ARCHITECTURE's mapping tables.

A value a table does not list maps to UNKNOWN (the raw value is kept as the carrier
status by the caller) and is logged once per table and value.
"""

from __future__ import annotations

from collections.abc import Mapping

from shipgraph.domain import ShipmentStatus
from shipgraph.observability import get_logger

log = get_logger("shipgraph.carriers.status")


# A carrier (or whoever signs as one) can send endless new statuses: each is logged
# once, up to this many per table, so the set stays bounded.
MAX_WARNED = 1000


class StatusTable:
    def __init__(self, name: str, table: Mapping[str, ShipmentStatus]) -> None:
        self.name = name
        self._table = dict(table)
        self._warned: set[str] = set()

    def __getitem__(self, value: str) -> ShipmentStatus:
        status = self._table.get(value)
        if status is not None:
            return status
        if value not in self._warned and len(self._warned) < MAX_WARNED:
            self._warned.add(value)
            log.warning("unmapped carrier status", table=self.name, value=value[:128])
        return ShipmentStatus.UNKNOWN

    def values(self) -> list[str]:
        return list(self._table)
