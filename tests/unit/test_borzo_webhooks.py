"""Borzo callbacks: the document's two examples, signatures, and bad bodies."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from shipgraph.carriers.base import WebhookRejected
from shipgraph.carriers.borzo import webhooks
from shipgraph.domain import (
    CarrierCode,
    Courier,
    GeoPoint,
    Money,
    ShipmentStatus,
    TrackingUpdate,
)
from tests.support.fixtures import fixture, fixture_bytes

RECEIVED = datetime(2024, 12, 4, 3, 0, tzinfo=UTC)
EVENT_AT = datetime.fromisoformat("2024-12-04T00:21:48+07:00")
SECRET = "CALLBACK_SECRET_KEY"


def parse(body: bytes | dict[str, Any]) -> TrackingUpdate:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    [update] = webhooks.parse(raw, RECEIVED)
    assert update.carrier == CarrierCode.BORZO
    assert update.event_id.startswith("borzo:")
    return update


def order_event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(fixture("borzo", "callback_order_created"))
    event["event_type"] = "order_changed"
    event["order"].update(changes)
    return event


def test_the_documents_order_callback() -> None:
    update = parse(fixture_bytes("borzo", "callback_order_created"))
    assert update.carrier_shipment_id == "1250032"
    assert update.tracking_number == "50032"
    assert update.status == ShipmentStatus.CREATED
    assert update.carrier_status == "planned"
    assert update.log is not None
    assert update.log.occurred_at == EVENT_AT
    assert update.log.status == ShipmentStatus.CREATED
    assert update.courier is None
    assert update.delivered_at is None
    assert update.estimated_delivery_at == datetime.fromisoformat("2024-12-04T02:21:48+07:00")


def test_the_documents_delivery_callback() -> None:
    update = parse(fixture_bytes("borzo", "callback_delivery_created"))
    assert update.carrier_shipment_id == "1250032"
    assert update.tracking_number == "50032"
    # "active" is about the drop at this delivery's point, which may be an extra stop:
    # the order callbacks say where the destination stands
    assert (update.status, update.carrier_status, update.log) == (None, None, None)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("planned", ShipmentStatus.CREATED),
        ("courier_assigned", ShipmentStatus.PICKUP_SCHEDULED),
        ("courier_departed", ShipmentStatus.PICKUP_SCHEDULED),
        ("courier_at_pickup", ShipmentStatus.PICKUP_SCHEDULED),
        ("parcel_picked_up", ShipmentStatus.PICKED_UP),
    ],
)
def test_delivery_callbacks_about_the_shared_pickup_set_the_status(
    raw: str, status: ShipmentStatus
) -> None:
    event = copy.deepcopy(fixture("borzo", "callback_delivery_created"))
    event["event_type"] = "delivery_changed"
    event["delivery"]["status"] = raw
    event["delivery"]["courier"] = fixture("borzo", "courier_response")["courier"]
    update = parse(event)
    assert (update.status, update.carrier_status) == (status, raw)
    assert update.log is not None and update.log.status == status
    assert update.courier is not None and update.courier.name == "Name Surname"


@pytest.mark.parametrize("raw", ["finished", "canceled", "return_finished", "courier_arrived"])
def test_delivery_callbacks_about_a_drop_only_update_the_courier(raw: str) -> None:
    event = copy.deepcopy(fixture("borzo", "callback_delivery_created"))
    event["delivery"]["status"] = raw
    event["delivery"]["courier"] = fixture("borzo", "courier_response")["courier"]
    update = parse(event)
    assert (update.status, update.carrier_status, update.log) == (None, None, None)
    assert update.courier is not None and update.courier.location is not None
    assert update.courier.located_at == EVENT_AT


def test_order_callback_where_the_destination_is_delivered() -> None:
    event = order_event(
        status="completed",
        finish_datetime="2024-12-04T02:30:00+07:00",
        courier=fixture("borzo", "courier_response")["courier"],
    )
    event["event_datetime"] = "2024-12-04T02:31:00+07:00"
    destination = event["order"]["points"][1]
    destination["delivery"] = {"status": "finished"}
    destination["courier_visit_datetime"] = "2024-12-04T02:10:00+07:00"
    destination["checkin"] = {"recipient_full_name": "Ani", "recipient_position": None}
    update = parse(event)
    assert (update.status, update.carrier_status) == (ShipmentStatus.DELIVERED, "finished")
    assert update.log is not None
    assert update.log.occurred_at == datetime.fromisoformat("2024-12-04T02:31:00+07:00")
    assert update.delivered_at == datetime.fromisoformat("2024-12-04T02:10:00+07:00")
    assert update.received_by == "Ani"
    assert update.courier == Courier(
        name="Name Surname",
        phone="6288800000001",
        vehicle="motorbike",
        location=GeoPoint(-6.2914558, 106.8322649),
        located_at=datetime.fromisoformat("2024-12-04T02:31:00+07:00"),
    )


def test_order_callback_of_a_cancelled_order() -> None:
    event = order_event(status="canceled", status_description="Pelanggan tidak merespons")
    update = parse(event)
    assert (update.status, update.carrier_status) == (ShipmentStatus.CANCELLED, "canceled")
    assert update.log is not None and update.log.message == "Pelanggan tidak merespons"


def test_a_pickup_points_delivery_only_logs_in_an_order_callback() -> None:
    event = order_event(status="active")
    event["order"]["points"][0]["delivery"] = {"status": "finished"}
    event["order"]["points"][1]["delivery"] = {"status": "courier_departed"}
    update = parse(event)
    assert update.status == ShipmentStatus.PICKUP_SCHEDULED


def test_a_retry_is_the_same_event_and_another_body_another() -> None:
    body = fixture("borzo", "callback_order_created")
    first = parse(json.dumps(body).encode())
    again = parse(json.dumps(body, indent=2, sort_keys=True).encode())
    assert first.event_id == again.event_id
    changed = order_event()
    assert parse(changed).event_id != first.event_id


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"event_type": "order_created"}',
        json.dumps({"event_datetime": "yesterday", "order": {"order_id": 1}}).encode(),
        json.dumps({"event_datetime": "2024-12-04T00:21:48+07:00"}).encode(),
        json.dumps({"event_datetime": "2024-12-04T00:21:48+07:00", "order": {"x": 1}}).encode(),
        json.dumps({"event_datetime": "2024-12-04T00:21:48+07:00", "order": []}).encode(),
        json.dumps(
            {"event_datetime": "2024-12-04T00:21:48+07:00", "delivery": {"order_id": 1}}
        ).encode(),
        json.dumps(
            {"event_datetime": "2024-12-04T00:21:48+07:00", "delivery": {"status": "active"}}
        ).encode(),
    ],
)
def test_malformed_callbacks_are_400(body: bytes) -> None:
    with pytest.raises(WebhookRejected) as caught:
        webhooks.parse(body, RECEIVED)
    assert caught.value.status == 400


# --- signatures -----------------------------------------------------------------------


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


BODY = fixture_bytes("borzo", "callback_order_created")


@pytest.mark.parametrize(
    "headers",
    [
        {"X-DV-Signature": sign(BODY)},
        {"x-dv-signature": sign(BODY)},
        {"X-Dv-Signature": sign(BODY).upper()},
    ],
)
def test_a_correct_signature_passes(headers: dict[str, str]) -> None:
    webhooks.verify(SECRET, headers, BODY)


@pytest.mark.parametrize(
    ("secret", "headers", "body"),
    [
        (SECRET, {"x-dv-signature": sign(BODY, "other")}, BODY),
        (SECRET, {"x-dv-signature": "zz" + sign(BODY)[2:]}, BODY),
        (SECRET, {"x-dv-signature": "ünïcode"}, BODY),
        (SECRET, {}, BODY),
        (SECRET, {"x-dv-signature": ""}, BODY),
        (None, {"x-dv-signature": sign(BODY)}, BODY),
        ("", {"x-dv-signature": sign(BODY)}, BODY),
        (SECRET, {"x-dv-signature": sign(BODY)}, BODY[:-1] + b" "),
        (SECRET, {"x-dv-signature": sign(BODY)}, BODY.replace(b"50032", b"50033", 1)),
    ],
)
def test_a_bad_or_missing_signature_is_401(
    secret: str | None, headers: dict[str, str], body: bytes
) -> None:
    with pytest.raises(WebhookRejected) as caught:
        webhooks.verify(secret, headers, body)
    assert caught.value.status == 401


def destination_delivery(**changes: Any) -> dict[str, Any]:
    """The document's delivery callback, of the point the gateway booked as the destination."""
    event: dict[str, Any] = copy.deepcopy(fixture("borzo", "callback_delivery_created"))
    event["event_type"] = "delivery_changed"
    event["delivery"].update(client_order_id="SO-1", **changes)
    return event


def test_a_delivery_status_is_logged_at_its_status_datetime() -> None:
    # "status_datetime: Delivery status change date and time"; the event may come later
    event = destination_delivery(
        status="courier_arrived", status_datetime="2024-12-04T01:05:00+07:00"
    )
    event["event_datetime"] = "2024-12-04T01:06:30+07:00"
    update = parse(event)
    assert update.log is not None
    assert update.log.occurred_at == datetime.fromisoformat("2024-12-04T01:05:00+07:00")


@pytest.mark.parametrize("status_datetime", [None, "soon", 7])
def test_without_a_readable_status_datetime_the_event_time_is_the_logs(
    status_datetime: object,
) -> None:
    update = parse(destination_delivery(status_datetime=status_datetime))
    assert update.log is not None and update.log.occurred_at == EVENT_AT


def test_the_destinations_delivery_gives_its_window_and_cash_on_delivery() -> None:
    update = parse(destination_delivery(taking_amount="42000.00"))
    # the document's example: required_finish_datetime "2024-12-04T01:21:48+07:00"
    assert update.estimated_delivery_at == datetime.fromisoformat("2024-12-04T01:21:48+07:00")
    assert update.cash_on_delivery == Money(Decimal("42000.00"), "IDR")


def test_the_documents_zero_taking_amount_is_no_cash_on_delivery() -> None:
    assert parse(destination_delivery()).cash_on_delivery is None


def test_another_points_delivery_gives_no_window_or_cash_on_delivery() -> None:
    event = copy.deepcopy(fixture("borzo", "callback_delivery_created"))
    event["delivery"].update(status="planned", taking_amount="42000.00")
    update = parse(event)
    assert (update.estimated_delivery_at, update.cash_on_delivery) == (None, None)


def test_an_order_callback_finds_the_destination_by_its_client_order_id() -> None:
    # A point added after the destination (edit example 2 adds one at the end, as the
    # cabinet may): the destination is still the point the gateway marked.
    added = fixture("borzo", "edit_order_add_point_response")["order"]["points"]
    event = order_event(status="active", points=added)
    added[1].update(client_order_id="SO-1", delivery={"status": "courier_arrived"})
    added[2].update(delivery={"status": "finished"})
    update = parse(event)
    assert (update.status, update.carrier_status) == (
        ShipmentStatus.OUT_FOR_DELIVERY,
        "courier_arrived",
    )
    assert update.estimated_delivery_at == datetime.fromisoformat(
        added[1]["required_finish_datetime"]
    )


def test_without_a_client_order_id_the_last_drop_is_the_destination() -> None:
    added = fixture("borzo", "edit_order_add_point_response")["order"]["points"]
    added[2].update(delivery={"status": "finished"})
    update = parse(order_event(status="active", points=added))
    assert update.status == ShipmentStatus.DELIVERED
