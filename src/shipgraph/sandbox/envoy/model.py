"""A simulated shipment and its views (the document's Shipment model)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shipgraph.sandbox.envoy.carriers import stamp

# Statuses. The document shows only "purchased" for a shipment ("Finalises (purchases) a
# shipment that was previously created & rated"); ours: "creating" while a 202'd create
# runs (the word of the document's manifest statuses), "rated" once carriers quoted,
# "failed" when none could (every carrier's error in ``errors``), "purchased".
CREATING, RATED, FAILED, PURCHASED = "creating", "rated", "failed", "purchased"
STATUSES = (CREATING, RATED, FAILED, PURCHASED)

# GET /shipments?include_fields=...: the parts a list item carries only when named.
INCLUDE_FIELDS = (
    "origin_address",
    "destination_address",
    "return_address",
    "rates",
    "selected_rate",
    "documents",
    "errors",
)
_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    """KSUID-looking ids like the document's (``shp_2iEunQY2MPyegzQuwvfc8wcsPgk``)."""
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(27))


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Label:
    id: str
    file_name: str
    file_type: str
    content: bytes
    created_at: datetime

    def view(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "label",
            "file_name": self.file_name,
            "file_type": self.file_type,
            "file_size": len(self.content),
            "file_url": f"{base_url}/files/labels/{self.file_name}",
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.created_at),
        }


@dataclass
class Shipment:
    id: str
    seq: int
    request: dict[str, Any]
    created_at: datetime
    batch_id: str | None = None
    base_url: str = ""
    """Where the simulator serving it is reachable (its file URLs in webhooks)."""
    status: str = CREATING
    ready_at: float = 0.0
    """Monotonic moment a 202'd create completes."""
    rates: list[dict[str, Any]] | None = None
    errors: list[dict[str, Any]] | None = None
    service: dict[str, Any] | None = None
    documents: list[Label] = field(default_factory=list)
    updated_at: datetime | None = None

    def touch(self) -> None:
        self.updated_at = utc_now()

    def label_format(self) -> str:
        label = (self.request.get("options") or {}).get("label") or {}
        fmt = label.get("format")
        return fmt if isinstance(fmt, str) else "pdf"

    def view(self, base_url: str) -> dict[str, Any]:
        req = self.request
        addresses = dict(req["addresses"])
        addresses.setdefault("return", None)
        addresses.setdefault("location_configuration_id", None)
        return {
            "id": self.id,
            "addresses": addresses,
            "tax_identifiers": req.get("tax_identifiers"),
            "packages": [
                {
                    "name": p.get("name"),
                    "geometry": {
                        k: p["geometry"].get(k) for k in ("length", "width", "height", "mass")
                    },
                    "predefined_package_code": p.get("predefined_package_code"),
                }
                for p in req["packages"]
            ],
            "customs": req.get("customs"),
            "options": req.get("options"),
            "carrier": req.get("carrier"),
            "name": req.get("name"),
            "documents": [d.view(base_url) for d in self.documents] or None,
            "rates": self.rates,
            "service": self.service,
            "status": self.status,
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.updated_at or self.created_at),
            "errors": self.errors,
        }

    def list_view(self, base_url: str, include: frozenset[str]) -> dict[str, Any]:
        """The full view minus the optional parts not named in ``include_fields``."""
        body = self.view(base_url)
        addresses = body["addresses"]
        for role in ("origin", "destination", "return"):
            if f"{role}_address" not in include:
                del addresses[role]
        for part, key in (
            ("rates", "rates"),
            ("selected_rate", "service"),
            ("documents", "documents"),
            ("errors", "errors"),
        ):
            if part not in include:
                del body[key]
        return body

    def control_view(self, base_url: str) -> dict[str, Any]:
        return {**self.view(base_url), "batch_id": self.batch_id, "seq": self.seq}
