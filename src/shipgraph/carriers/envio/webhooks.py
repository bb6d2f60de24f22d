"""Envio callbacks ("Callback Shipment (Webhook)" in envio.md): verify and parse.

Three shapes arrive at the one URL: the item event (top-level ``code`` is the
shipment code, with ``item``), the assign-driver event (``shipment`` with
``driver_name``) and the status events (``shipment`` with ``status``). The
document gives no event id, so an event is identified by a hash of its body: a
replay is the same bytes in meaning and is applied once.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shipgraph.carriers.base import WebhookRejected
from shipgraph.carriers.envio.mapping import (
    CARRIER,
    WEBHOOK_STATUS,
    cod_collection,
    cod_money,
    proof_of_delivery,
)
from shipgraph.carriers.parsing import (
    body_event_id,
    identifier,
    number,
    parse_time,
    text,
    webhook_object,
)
from shipgraph.domain import (
    Courier,
    ItemUpdate,
    ShipmentStatus,
    TrackingLog,
    TrackingUpdate,
)

# Carrier statuses we give the two events that have no status in the document.
ASSIGN_DRIVER = "assign_driver"
ITEM_UPDATE = "item_update"
MAX_QUANTITY = 1_000_000.0
MAX_WEIGHT_KG = 100_000.0
MAX_SIDE_CM = 100_000.0


def verify(
    token: str | None, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
) -> None:
    """``?token=`` or ``Authorization: Bearer`` must equal the configured token."""
    if not token:
        raise WebhookRejected(401, "no Envio webhook token is configured")
    given = query.get("token")
    if given is None:
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        given = credentials.strip() if scheme.lower() == "bearer" else None
    if given is None or not hmac.compare_digest(given.encode(), token.encode()):
        raise WebhookRejected(401, "bad or missing webhook token")


def event_id(body: Mapping[str, Any], prefix: str = "envio") -> str:
    return body_event_id(prefix, body)


def parse(body: bytes, received_at: datetime) -> list[TrackingUpdate]:
    event = webhook_object(body)
    if isinstance(event.get("item"), dict):
        return [_item_event(event)]
    shipment = event.get("shipment")
    code = identifier(shipment.get("code")) if isinstance(shipment, dict) else None
    if code is None:
        raise WebhookRejected(400, "the event names no readable shipment code")
    if "driver_name" in event:
        return [_driver_event(event, code, received_at)]
    if event.get("status") is not None:
        status = identifier(event.get("status"))
        if status is None:
            raise WebhookRejected(400, "the event's status is not a readable status value")
        return [_status_event(event, code, status, received_at)]
    raise WebhookRejected(400, "the event is neither a status, driver nor item event")


def _item_event(event: dict[str, Any]) -> TrackingUpdate:
    code = identifier(event.get("code"))
    item = event["item"]
    name = text(item.get("item_name"))
    quantity = number(item.get("quantity"), 0, MAX_QUANTITY)
    if code is None or name is None or quantity is None:
        raise WebhookRejected(
            400, "an item event needs a readable code, item.item_name and item.quantity"
        )
    return TrackingUpdate(
        carrier=CARRIER,
        event_id=event_id(event),
        tracking_number=code,
        item=ItemUpdate(
            name=name,
            quantity=quantity,
            sku=identifier(item.get("item_code")),
            weight_kg=number(item.get("weight"), 0, MAX_WEIGHT_KG),
            # centimetres, as we book them (envio.md names no unit for long/high/wide)
            length_cm=number(item.get("long"), 0, MAX_SIDE_CM),
            height_cm=number(item.get("high"), 0, MAX_SIDE_CM),
            width_cm=number(item.get("wide"), 0, MAX_SIDE_CM),
        ),
    )


def _driver_event(event: dict[str, Any], code: str, received_at: datetime) -> TrackingUpdate:
    courier = Courier(
        name=text(event.get("driver_name"), 200),
        phone=identifier(event.get("driver_phone"), 40),
        vehicle=text(event.get("vehicle_number"), 40),
    )
    vehicle = f" ({courier.vehicle})" if courier.vehicle else ""
    log = TrackingLog(
        status=ShipmentStatus.PICKUP_SCHEDULED,
        carrier_status=ASSIGN_DRIVER,
        occurred_at=received_at,
        message=f"Driver {courier.name or 'unnamed'} assigned{vehicle}",
    )
    return TrackingUpdate(
        carrier=CARRIER,
        event_id=event_id(event),
        tracking_number=code,
        status=ShipmentStatus.PICKUP_SCHEDULED,
        carrier_status=ASSIGN_DRIVER,
        log=log,
        courier=courier,
    )


def _status_event(
    event: dict[str, Any], code: str, carrier_status: str, received_at: datetime
) -> TrackingUpdate:
    status = WEBHOOK_STATUS[carrier_status]
    # ata_at is the time the event happened for the events that carry it.
    happened = parse_time(event.get("ata_at"))
    delivered = status == ShipmentStatus.DELIVERED
    # "Cancelled" and "Returned" carry received_by too: whoever took the goods back,
    # no recipient of the shipment, so it is told in the log only.
    taker = text(event.get("received_by"), 200)
    received_by = taker if delivered else None
    log = TrackingLog(
        status=status,
        carrier_status=carrier_status,
        occurred_at=happened or received_at,
        message=text(event.get("message")) or _received_message(taker),
    )
    cod = cod_money(event.get("cod_value"))
    # "Pick-up Succeed" names the pick-up time ata_at; "Delivered" carries the photos.
    picked_up = carrier_status == "picked_up"
    return TrackingUpdate(
        carrier=CARRIER,
        event_id=event_id(event),
        tracking_number=code,
        status=status,
        carrier_status=carrier_status,
        log=log,
        delivered_at=(happened or received_at) if delivered else None,
        received_by=received_by,
        estimated_delivery_at=parse_time(event.get("eta_at")),
        cash_on_delivery=cod,
        picked_up_at=(happened or received_at) if picked_up else None,
        cod_collection=cod_collection(event.get("cod_status"), event.get("cod_value")),
        proof_of_delivery=(
            proof_of_delivery(event.get("images"), received_by, happened or received_at)
            if delivered
            else None
        ),
    )


def _received_message(received_by: str | None) -> str | None:
    return f"Received by {received_by}" if received_by else None
