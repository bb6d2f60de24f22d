"""A simulated Envio shipment and the JSON views the document shows of it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shipgraph.sandbox.envio.validation import JsonObject, Number

# Tracking statuses, exactly as the document lists them.
NEW = "new"
ON_PICKUP = "on_pickup"
ON_TRANSIT = "on_transit"
CONSOLE = "Console"
ON_DELIVERY = "on_delivery"
DELIVERED = "delivered"
DISPUTED = "disputed"
# The document lists no tracking status for these; the simulator reuses the webhook's words.
CANCELLED = "cancelled"
RETURNED = "returned"

FINAL = frozenset({DELIVERED, CANCELLED, RETURNED})


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def fmt(moment: datetime | None) -> str | None:
    """The document's date format: UTC, whole seconds, ``Z`` ("2023-06-09T23:00:00Z")."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class LogEntry:
    message: str
    recorded_at: datetime
    latitude: float = 0
    longitude: float = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "recorded_at": fmt(self.recorded_at),
            "latitude": self.latitude,
            "longitude": self.longitude,
        }


@dataclass(frozen=True)
class Driver:
    name: str
    phone: str
    vehicle_number: str


@dataclass(frozen=True)
class Webhook:
    event: str
    body: dict[str, Any]


@dataclass(eq=False)
class Shipment:
    id: str
    code: str
    manifest_code: str
    ref_code: str
    base_url: str
    """Where the shipment was created, for links in webhooks sent without a request."""
    cod_value: Number
    pickup_address: JsonObject
    recipient: JsonObject
    items: list[JsonObject]
    eta_at: datetime
    etd_at: datetime
    status: str = NEW
    ata_at: datetime | None = None
    atd_at: datetime | None = None
    received_by: str = ""
    cod_status: str = ""
    driver: Driver | None = None
    failed_at: datetime | None = None
    failure_reason: str = ""
    logs: list[LogEntry] = field(default_factory=list)
    last_webhook: Webhook | None = None
    last_step_at: float = field(default_factory=time.monotonic)

    def log(self, message: str, at: datetime, latitude: float = 0, longitude: float = 0) -> None:
        self.logs.append(LogEntry(message, at, latitude, longitude))

    def reference(self, base_url: str) -> dict[str, Any]:
        """The create/update answer's ``data``."""
        return {
            "id": self.id,
            "code": self.code,
            "ref_code": self.ref_code,
            "eprint_receipt": f"{base_url}/print/resi/{self.id}",
        }

    def tracking(self) -> dict[str, Any]:
        """The tracking answer's ``data``; logs newest first as in the document's example."""
        return {
            "id": self.id,
            "code": self.code,
            "ref_code": self.ref_code,
            "eta_at": fmt(self.eta_at),
            "ata_at": fmt(self.ata_at),
            "etd_at": fmt(self.etd_at),
            "atd_at": fmt(self.atd_at),
            "received_by": self.received_by,
            "status": self.status,
            "cod_value": self.cod_value,
            "cod_status": self.cod_status,
            "logs": [entry.to_json() for entry in reversed(self.logs)],
        }

    def status_event(self, status: str, **fields: Any) -> Webhook:
        """A "Callback Shipment" body with the manifest code and a ``status``."""
        body: dict[str, Any] = {"code": self.manifest_code, "shipment": self.shipment_ref()}
        body["status"] = status
        body.update(fields)
        return Webhook(status, body)

    def shipment_ref(self) -> dict[str, Any]:
        return {"code": self.code, "ref_code": self.ref_code}
