"""Borzo proof of delivery, tracking links, the pick-up time, and delivery callbacks
placed on their point: fed the document's order and delivery examples."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shipgraph.carriers.borzo import webhooks
from shipgraph.domain import (
    CarrierCode,
    ProofOfDelivery,
    ShipmentStatus,
    TrackingUpdate,
    apply_update,
)
from tests.support.builders import shipment
from tests.support.fixtures import fixture
from tests.unit.test_borzo_adapter import FakeBorzo, booked, carrier

RECEIVED = datetime(2024, 12, 4, 3, 0, tzinfo=UTC)
VISITED = "2024-12-04T02:10:00+07:00"
PLACE = "https://robotapitest-id.borzodelivery.com/photos/202686/place.jpg"
SIGN = "https://robotapitest-id.borzodelivery.com/photos/202686/sign.jpg"
TRACK = "https://borzo.id/track/50032"


def parse(event: dict[str, Any]) -> TrackingUpdate:
    [update] = webhooks.parse(json.dumps(event).encode(), RECEIVED)
    return update


def order_event() -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(fixture("borzo", "callback_order_created"))
    event["event_type"] = "order_changed"
    return event


def delivered(order: dict[str, Any], **point: Any) -> dict[str, Any]:
    """The document's order with its destination finished and checked in."""
    order["status"] = "completed"
    destination = order["points"][1]
    destination.update(
        {
            "delivery": {"status": "finished"},
            "courier_visit_datetime": VISITED,
            "place_photo_url": PLACE,
            "sign_photo_url": SIGN,
            "checkin": {"recipient_full_name": "Ani Lestari", "recipient_position": "Satpam"},
            "tracking_url": TRACK,
        }
    )
    destination.update(point)
    return order


def delivery_event(status: str, client_order_id: object = None) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(fixture("borzo", "callback_delivery_created"))
    event["event_type"] = "delivery_changed"
    event["delivery"].update(status=status, client_order_id=client_order_id)
    return event


# --- the order's destination point ---------------------------------------------------------


def test_the_documents_order_callback_has_no_proof_of_the_destination() -> None:
    # Its checkin is on the pick-up point: nothing about the destination.
    update = parse(fixture("borzo", "callback_order_created"))
    assert update.proof_of_delivery is None
    assert (update.tracking_url, update.picked_up_at) == (None, None)


def test_a_delivered_destination_gives_its_proof() -> None:
    event = order_event()
    delivered(event["order"])
    update = parse(event)
    assert update.status == ShipmentStatus.DELIVERED
    assert update.proof_of_delivery == ProofOfDelivery(
        photo_urls=(PLACE, SIGN),
        recipient_name="Ani Lestari",
        recipient_role="Satpam",
        location=None,
        recorded_at=datetime.fromisoformat(VISITED),
    )
    assert update.tracking_url == TRACK


def test_the_checkin_of_the_documents_example_as_the_destinations() -> None:
    event = order_event()
    order = event["order"]
    order["points"][1]["checkin"] = order["points"][0]["checkin"]
    order["points"][1]["delivery"] = {"status": "finished"}
    update = parse(event)
    assert update.proof_of_delivery == ProofOfDelivery(recipient_name="Luvie Mevia Azzahra")


@pytest.mark.parametrize("raw", ["courier_arrived", "return_planned", "return_finished"])
def test_no_proof_of_delivery_of_a_destination_not_delivered(raw: str) -> None:
    # A photo or a checkin where the parcel was not left proves no delivery.
    event = order_event()
    delivered(event["order"], delivery={"status": raw})
    update = parse(event)
    assert update.status != ShipmentStatus.DELIVERED
    assert update.proof_of_delivery is None
    assert update.tracking_url == TRACK


def test_an_order_level_tracking_url_when_the_point_has_none() -> None:
    event = order_event()
    event["order"]["tracking_url"] = TRACK
    assert parse(event).tracking_url == TRACK


def test_the_same_photo_twice_is_kept_once() -> None:
    event = order_event()
    delivered(event["order"], sign_photo_url=PLACE)
    proof = parse(event).proof_of_delivery
    assert proof is not None and proof.photo_urls == (PLACE,)


@pytest.mark.parametrize(
    "hostile",
    [
        "javascript:alert(1)",
        "ftp://example.com/a.jpg",
        "file:///etc/passwd",
        "https://example.com/" + "a" * 5000,
        "https://exa mple.com/a.jpg",
        "https://example.com/\ud800.jpg",
        "https://example.com/a\x00.jpg",
        "https://example.com/a\n.jpg",
        "",
        12345,
        ["https://example.com/a.jpg"],
        {"url": "https://example.com/a.jpg"},
        True,
    ],
)
def test_hostile_urls_are_dropped(hostile: object) -> None:
    event = order_event()
    delivered(
        event["order"],
        place_photo_url=hostile,
        sign_photo_url=hostile,
        tracking_url=hostile,
        checkin=None,
    )
    update = parse(event)
    assert update.status == ShipmentStatus.DELIVERED
    assert (update.proof_of_delivery, update.tracking_url) == (None, None)


@pytest.mark.parametrize(
    "checkin",
    ["Ani", ["Ani"], 7, {"recipient_full_name": {"x": 1}, "recipient_position": [1]}, {}],
)
def test_a_checkin_of_the_wrong_shape_is_dropped(checkin: object) -> None:
    event = order_event()
    delivered(event["order"], checkin=checkin, courier_visit_datetime="yesterday")
    proof = parse(event).proof_of_delivery
    assert proof == ProofOfDelivery(photo_urls=(PLACE, SIGN))


def test_unwritable_characters_leave_the_names() -> None:
    event = order_event()
    checkin = {"recipient_full_name": "Ani\x00 \ud800Lestari", "recipient_position": "\ud800"}
    delivered(event["order"], checkin=checkin)
    proof = parse(event).proof_of_delivery
    assert proof is not None
    assert (proof.recipient_name, proof.recipient_role) == ("Ani Lestari", None)


def test_huge_names_are_cut() -> None:
    event = order_event()
    checkin = {"recipient_full_name": "A" * 100_000, "recipient_position": "B" * 100_000}
    delivered(event["order"], checkin=checkin)
    proof = parse(event).proof_of_delivery
    assert proof is not None and proof.recipient_name == "A" * 200
    assert proof.recipient_role == "B" * 100


def test_a_proof_on_another_drop_is_not_the_destinations() -> None:
    event = order_event()
    order = event["order"]
    stop = copy.deepcopy(order["points"][1])
    stop.update(point_id=202687, checkin={"recipient_full_name": "Budi"}, place_photo_url=PLACE)
    order["points"].insert(1, stop)
    assert parse(event).proof_of_delivery is None


# --- the pick-up time ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drop", "picked"),
    [
        ("courier_at_pickup", False),
        ("parcel_picked_up", True),
        ("active", True),
        ("finished", True),
    ],
)
def test_picked_up_at_is_the_pickups_visit_once_the_parcel_is_taken(
    drop: str, picked: bool
) -> None:
    event = order_event()
    order = event["order"]
    order["status"] = "active"
    order["points"][0]["courier_visit_datetime"] = "2024-12-04T00:55:00+07:00"
    order["points"][1]["delivery"] = {"status": drop}
    expected = datetime.fromisoformat("2024-12-04T00:55:00+07:00") if picked else None
    assert parse(event).picked_up_at == expected


# --- delivery callbacks placed on their point ------------------------------------------------


def test_the_documents_delivery_callback_is_not_taken_for_the_destination() -> None:
    # client_order_id null: not the point the gateway booked as the destination.
    update = parse(delivery_event("finished"))
    assert (update.status, update.delivered_at, update.tracking_url) == (None, None, None)


def test_the_destinations_finished_is_a_delivery() -> None:
    event = delivery_event("finished", "SO-1")
    event["delivery"]["tracking_url"] = TRACK
    update = parse(event)
    assert (update.status, update.carrier_status) == (ShipmentStatus.DELIVERED, "finished")
    assert update.delivered_at is None  # the order callback's courier_visit_datetime says
    assert update.tracking_url == TRACK
    assert update.log is not None and update.log.status == ShipmentStatus.DELIVERED


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("active", ShipmentStatus.OUT_FOR_DELIVERY),
        ("courier_arrived", ShipmentStatus.OUT_FOR_DELIVERY),
        ("return_finished", ShipmentStatus.RETURNED),
        ("reattempt_finished", ShipmentStatus.DELIVERED),
    ],
)
def test_every_status_of_the_destination_applies(raw: str, status: ShipmentStatus) -> None:
    assert parse(delivery_event(raw, "SO-1")).status == status


@pytest.mark.parametrize("marker", [None, "", "   ", 123, ["SO-1"], {"a": 1}, True])
def test_without_a_readable_client_order_id_a_drop_status_is_no_delivery(marker: object) -> None:
    update = parse(delivery_event("finished", marker))
    assert (update.status, update.log) == (None, None)


def test_a_stops_finished_does_not_deliver_the_shipment() -> None:
    picked_up = shipment(
        carrier=CarrierCode.BORZO,
        carrier_shipment_id="1250032",
        status=ShipmentStatus.PICKED_UP,
    )
    stop, _ = apply_update(picked_up, parse(delivery_event("finished")), RECEIVED)
    assert stop.status == ShipmentStatus.PICKED_UP
    done, event = apply_update(picked_up, parse(delivery_event("finished", "SO-1")), RECEIVED)
    assert done.status == ShipmentStatus.DELIVERED and event is not None


# --- refresh: the GET order read -------------------------------------------------------------


async def test_refresh_gives_the_proof_and_a_later_photo_is_another_event() -> None:
    fake = FakeBorzo()
    answer = copy.deepcopy(fixture("borzo", "orders_response"))
    order = delivered(answer["orders"][0], sign_photo_url=None)
    order["points"][0]["courier_visit_datetime"] = "2024-12-04T00:55:00+07:00"
    fake.on("GET /orders", answer)
    first = await carrier(fake).refresh(booked())
    assert first.proof_of_delivery is not None
    assert first.proof_of_delivery.photo_urls == (PLACE,)
    assert first.picked_up_at == datetime.fromisoformat("2024-12-04T00:55:00+07:00")
    assert first.tracking_url == TRACK
    order["points"][1]["sign_photo_url"] = SIGN
    second = await carrier(fake).refresh(booked())
    assert second.status == first.status and second.event_id != first.event_id

    start = booked(status=ShipmentStatus.PICKED_UP)
    merged, _ = apply_update(start, first, RECEIVED)
    merged, _ = apply_update(merged, second, RECEIVED)
    assert merged.status == ShipmentStatus.DELIVERED
    assert merged.proof_of_delivery == second.proof_of_delivery
    assert merged.tracking_url == TRACK
