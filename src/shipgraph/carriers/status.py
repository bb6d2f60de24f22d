"""Carrier status value -> ShipmentStatus, per ARCHITECTURE's mapping tables.

A value a table does not list maps to UNKNOWN (the raw value is kept as the carrier
status by the caller) and is logged once per table and value.
"""

from __future__ import annotations

from collections.abc import Mapping

from shipgraph.domain import ShipmentStatus
from shipgraph.observability import get_logger

log = get_logger("shipgraph.carriers.status")


class StatusTable:
    def __init__(self, name: str, table: Mapping[str, ShipmentStatus]) -> None:
        self.name = name
        self._table = dict(table)
        self._warned: set[str] = set()

    def __getitem__(self, value: str) -> ShipmentStatus:
        status = self._table.get(value)
        if status is not None:
            return status
        if value not in self._warned:
            self._warned.add(value)
            log.warning("unmapped carrier status", table=self.name, value=value)
        return ShipmentStatus.UNKNOWN

    def values(self) -> list[str]:
        return list(self._table)
