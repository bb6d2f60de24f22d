"""Shipments and updates for the store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shipgraph.domain import (
    Address,
    CarrierCode,
    Shipment,
    ShipmentStatus,
    TrackingLog,
    TrackingUpdate,
)

BASE = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
_ADDRESS = Address(line1="Jl. Sudirman 1", country_code="ID", city="Jakarta")


def at(minutes: int) -> datetime:
    return BASE + timedelta(minutes=minutes)


def shipment(
    shipment_id: str,
    *,
    tenant: str = "acme",
    minute: int = 0,
    carrier: CarrierCode = CarrierCode.ENVIO,
    carrier_shipment_id: str | None = None,
    tracking_number: str | None = None,
    reference: str = "order-1",
    status: ShipmentStatus = ShipmentStatus.CREATED,
) -> Shipment:
    return Shipment(
        id=shipment_id,
        tenant=tenant,
        reference=reference,
        carrier=carrier,
        carrier_shipment_id=carrier_shipment_id or f"c-{shipment_id}",
        status=status,
        origin=_ADDRESS,
        destination=_ADDRESS,
        created_at=at(minute),
        updated_at=at(minute),
        tracking_number=tracking_number,
    )


def orphan(
    event_id: str,
    *,
    carrier_shipment_id: str | None = None,
    tracking_number: str | None = None,
    carrier: CarrierCode = CarrierCode.ENVIO,
) -> TrackingUpdate:
    log = TrackingLog(ShipmentStatus.IN_TRANSIT, "transit", at(1), message=event_id)
    return TrackingUpdate(
        carrier=carrier,
        event_id=event_id,
        carrier_shipment_id=carrier_shipment_id,
        tracking_number=tracking_number,
        status=ShipmentStatus.IN_TRANSIT,
        log=log,
    )
