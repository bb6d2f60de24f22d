"""What the Envoy adapter answers beyond the domain types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.envoy import rates
from shipgraph.carriers.envoy.mapping import CARRIER, documents_of, shipment_errors, status_of
from shipgraph.carriers.envoy.rates import RateFacts
from shipgraph.carriers.parsing import geo_point, identifier, parse_time, text
from shipgraph.domain import BookedShipment, Document, ErrorCode, GeoPoint, Rate, ShipmentStatus


class EnvoyPending(CarrierError):
    """Envoy accepted the shipment (202) but had not rated it by the deadline. Keep
    ``shipment_id`` (e.g. as a DRAFT) and read it again later."""

    def __init__(self, shipment_id: str, message: str | None = None) -> None:
        text = message or f"Envoy is still preparing shipment {shipment_id}; read it again later"
        pending = BookedShipment(
            carrier_shipment_id=shipment_id,
            status=ShipmentStatus.DRAFT,
            carrier_status="created",
            carrier_data={"shipment_id": shipment_id},
        )
        super().__init__(CARRIER, ErrorCode.CARRIER_UNAVAILABLE, text, pending=pending)
        self.shipment_id = shipment_id


@dataclass(frozen=True, slots=True)
class EnvoyDraft:
    """A created (and usually rated) Envoy shipment, not purchased yet."""

    shipment_id: str
    status: ShipmentStatus
    carrier_status: str
    rates: list[Rate]
    errors: list[CarrierError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EnvoyShipmentSummary:
    """One Envoy shipment as read back (GET /shipments/{id} or a list entry)."""

    shipment_id: str
    status: ShipmentStatus
    carrier_status: str
    name: str | None = None
    tracking_number: str | None = None
    rates: list[Rate] = field(default_factory=list)
    selected_rate_id: str | None = None
    """Envoy's id of the purchased rate (``service.rate``)."""
    service: str | None = None
    carrier_name: str | None = None
    """``service.carrier.name`` of the purchase ("UPS")."""
    service_name: str | None = None
    """``service.carrier_service.name`` of the purchase ("Express")."""
    carrier_account: dict[str, str] | None = None
    """``service.carrier_account`` of the purchase: its id and name."""
    rate_facts: dict[str, RateFacts] = field(default_factory=dict)
    """Per Envoy rate id: what a domain Rate does not carry (ship_date, account)."""
    documents: tuple[Document, ...] = ()
    errors: list[CarrierError] = field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    origin_coordinates: GeoPoint | None = None
    """``addresses.origin.coordinates``: where Envoy placed the origin."""
    destination_coordinates: GeoPoint | None = None

    def draft(self) -> EnvoyDraft:
        return EnvoyDraft(
            self.shipment_id, self.status, self.carrier_status, self.rates, self.errors
        )


def summary_of(key: bytes, shipment: Mapping[str, Any]) -> EnvoyShipmentSummary | None:
    """An Envoy Shipment object, or None without an id."""
    shipment_id = identifier(shipment.get("id"))
    if shipment_id is None:
        return None
    status, raw = status_of(shipment.get("status"))
    service = shipment.get("service")
    service = service if isinstance(service, dict) else {}
    return EnvoyShipmentSummary(
        shipment_id=shipment_id,
        status=status,
        carrier_status=raw,
        name=text(shipment.get("name"), 200),
        tracking_number=tracking_number_of(shipment),
        rates=rates.rates_of(key, shipment_id, shipment),
        selected_rate_id=identifier(service.get("rate")),
        service=rates.service_name(service),
        carrier_name=rates.name_of(service.get("carrier")),
        service_name=rates.name_of(service.get("carrier_service")),
        carrier_account=rates.account_of(service.get("carrier_account")),
        rate_facts=rates.facts_of(shipment),
        documents=documents_of(shipment),
        errors=shipment_errors(shipment),
        created_at=parse_time(shipment.get("created_at")),
        updated_at=parse_time(shipment.get("updated_at")),
        origin_coordinates=coordinates_of(shipment, "origin"),
        destination_coordinates=coordinates_of(shipment, "destination"),
    )


def coordinates_of(shipment: Mapping[str, Any], role: str) -> GeoPoint | None:
    """``addresses.<role>.coordinates`` ({"latitude", "longitude", "confidence"} in the
    Shipment Model's example), or None."""
    addresses = shipment.get("addresses")
    party = addresses.get(role) if isinstance(addresses, dict) else None
    point = party.get("coordinates") if isinstance(party, dict) else None
    if not isinstance(point, dict):
        return None
    return geo_point(point.get("latitude"), point.get("longitude"))


TRACKING_KEYS = ("tracking_number", "tracking_code")


def tracking_number_of(shipment: Mapping[str, Any]) -> str | None:
    """The carrier's own tracking number. envoy.txt's Shipment model names none; we read
    ``tracking_number`` or ``tracking_code`` on the shipment, else on its first package
    that has one, and None otherwise (the shipment id then stands in)."""
    packages = shipment.get("packages")
    holders = [shipment, *(packages if isinstance(packages, list) else [])]
    for holder in holders:
        if not isinstance(holder, dict):
            continue
        for name in TRACKING_KEYS:
            found = identifier(holder.get(name))
            if found is not None:
                return found
    return None
