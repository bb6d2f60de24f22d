"""Envio callbacks: the document's nine example events, and bad ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shipgraph.carriers.base import WebhookRejected
from shipgraph.carriers.envio import webhooks
from shipgraph.domain import (
    CarrierCode,
    Courier,
    ItemUpdate,
    Money,
    ShipmentStatus,
    TrackingUpdate,
)
from tests.support.fixtures import fixture, fixture_bytes

RECEIVED = datetime(2023, 6, 10, 8, 0, tzinfo=UTC)
ATA = datetime(2023, 6, 9, 23, 0, tzinfo=UTC)


def parse_one(name: str) -> TrackingUpdate:
    updates = webhooks.parse(fixture_bytes("envio", name), RECEIVED)
    assert len(updates) == 1
    update = updates[0]
    assert update.carrier == CarrierCode.ENVIO
    assert update.tracking_number == "S4563844412"
    assert update.event_id.startswith("envio:")
    return update


@pytest.mark.parametrize(
    ("name", "status", "carrier_status", "occurred_at", "message"),
    [
        ("webhook_manifested", ShipmentStatus.PICKUP_SCHEDULED, "manifested", RECEIVED, None),
        ("webhook_picked_up", ShipmentStatus.PICKED_UP, "picked_up", ATA, None),
        (
            "webhook_picked_up_failed",
            ShipmentStatus.PICKUP_FAILED,
            "picked_up_failed",
            RECEIVED,
            "Barang belum ready di pickup",
        ),
        ("webhook_delivered", ShipmentStatus.DELIVERED, "delivered", ATA, "Received by Robert"),
        (
            "webhook_delivery_failed",
            ShipmentStatus.DELIVERY_FAILED,
            "delivery_failed",
            ATA,
            "failed delivery reason here",
        ),
        (
            "webhook_resend",
            ShipmentStatus.IN_TRANSIT,
            "resend",
            ATA,
            "failed delivery reason here",
        ),
        # Their received_by is not a recipient's, but it is not dropped either.
        ("webhook_cancelled", ShipmentStatus.CANCELLED, "cancelled", ATA, "Received by Robert"),
        ("webhook_returned", ShipmentStatus.RETURNED, "returned", ATA, "Received by Robert"),
    ],
)
def test_status_events(
    name: str,
    status: ShipmentStatus,
    carrier_status: str,
    occurred_at: datetime,
    message: str | None,
) -> None:
    update = parse_one(name)
    assert update.status == status
    assert update.carrier_status == carrier_status
    assert update.log is not None
    assert update.log.status == status
    assert update.log.carrier_status == carrier_status
    assert update.log.occurred_at == occurred_at
    assert update.log.message == message


def test_delivered_carries_receiver_time_and_cod() -> None:
    update = parse_one("webhook_delivered")
    assert update.received_by == "Robert"
    assert update.delivered_at == ATA
    assert update.cash_on_delivery == Money(Decimal("23000"), "IDR")


def test_cancelled_and_returned_are_not_deliveries() -> None:
    for name in ("webhook_cancelled", "webhook_returned"):
        update = parse_one(name)
        assert update.received_by is None
        assert update.delivered_at is None


def test_resend_moves_the_estimate() -> None:
    update = parse_one("webhook_resend")
    assert update.estimated_delivery_at == datetime(2023, 6, 10, 23, 0, tzinfo=UTC)


def test_assign_driver_sets_the_courier() -> None:
    update = parse_one("webhook_assign_driver")
    assert update.courier == Courier(name="Usep", phone="6281897381723", vehicle="B 8219 K")
    assert update.status == ShipmentStatus.PICKUP_SCHEDULED
    assert update.log is not None and update.log.message == "Driver Usep assigned (B 8219 K)"


def test_item_event_updates_a_parcel_item() -> None:
    update = parse_one("webhook_item")
    assert update.item == ItemUpdate(
        name="Air Mineral 300 ML",
        quantity=2,
        sku="2192x127y",
        weight_kg=10,
        length_cm=10,
        height_cm=20,
        width_cm=30,
    )
    assert update.status is None and update.log is None


def test_same_event_same_id_in_any_key_order() -> None:
    body = fixture("envio", "webhook_delivered")
    reordered = json.dumps(dict(reversed(list(body.items())))).encode()
    first = webhooks.parse(fixture_bytes("envio", "webhook_delivered"), RECEIVED)[0]
    again = webhooks.parse(reordered, datetime.now(UTC))[0]
    assert first.event_id == again.event_id
    other = webhooks.parse(fixture_bytes("envio", "webhook_returned"), RECEIVED)[0]
    assert other.event_id != first.event_id


def test_unknown_status_is_kept_raw() -> None:
    body = {**fixture("envio", "webhook_manifested"), "status": "teleported"}
    update = webhooks.parse(json.dumps(body).encode(), RECEIVED)[0]
    assert update.status == ShipmentStatus.UNKNOWN
    assert update.carrier_status == "teleported"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{not json",
        b"[1, 2]",
        b'"text"',
        b"{}",
        b'{"shipment": {"code": ""}, "status": "delivered"}',
        b'{"shipment": "S1", "status": "delivered"}',
        b'{"shipment": {"code": "S1"}}',
        b'{"code": "S1", "item": {"quantity": 2}}',
        b'{"code": "S1", "item": {"item_name": "x", "quantity": "two"}}',
        b"\xff\xfe",
    ],
)
def test_malformed_events_are_rejected(body: bytes) -> None:
    with pytest.raises(WebhookRejected) as rejected:
        webhooks.parse(body, RECEIVED)
    assert rejected.value.status == 400


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({}, {"token": "s3cret"}),
        ({"authorization": "Bearer s3cret"}, {}),
        ({"authorization": "bearer s3cret"}, {}),
    ],
)
def test_token_accepted(headers: dict[str, str], query: dict[str, str]) -> None:
    webhooks.verify("s3cret", headers, query, b"{}")


@pytest.mark.parametrize(
    ("token", "headers", "query"),
    [
        ("s3cret", {}, {}),
        ("s3cret", {}, {"token": "wrong"}),
        ("s3cret", {"authorization": "Bearer wrong"}, {}),
        ("s3cret", {"authorization": "s3cret"}, {}),
        ("s3cret", {"authorization": "Basic s3cret"}, {}),
        (None, {}, {"token": "anything"}),
        ("", {}, {"token": ""}),
    ],
)
def test_token_refused(token: str | None, headers: dict[str, str], query: dict[str, str]) -> None:
    with pytest.raises(WebhookRejected) as rejected:
        webhooks.verify(token, headers, query, b"{}")
    assert rejected.value.status == 401
