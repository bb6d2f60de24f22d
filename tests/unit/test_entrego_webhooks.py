"""Entrego webhooks: the bearer token, and the document's payload as a TrackingUpdate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shipgraph.carriers.base import WebhookRejected
from shipgraph.carriers.entrego import webhooks
from shipgraph.domain import CarrierCode, ShipmentStatus
from tests.support.fixtures import fixture, fixture_bytes

NOW = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
TOKEN = "entrego-hook-token"


def encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()


def test_the_document_example() -> None:
    [update] = webhooks.parse(fixture_bytes("entrego", "webhook"), NOW)
    assert update.carrier == CarrierCode.ENTREGO
    assert update.tracking_number == "0031-0987654321"
    assert update.status == ShipmentStatus.AT_HUB
    assert update.carrier_status == "RECEIVED_AT_HUB"
    assert update.log is not None
    assert update.log.occurred_at == datetime(2018, 9, 21, 1, 5, 10, tzinfo=UTC)
    assert update.log.message == "receiveCounter=1"
    assert update.log.reason_code is None
    assert update.event_id.startswith("entrego:")


def test_failed_delivery_carries_the_reason_code_and_text() -> None:
    event = {
        "status": "DELIVERY_FAILED",
        "tracking_number": "0031-1",
        "timestamp": "2018-09-22T08:00:00.000Z",
        "comments": {
            "deliveryAttemptCounter": 2,
            "deliveryFailedCounter": 1,
            "deliveryFailedReasonCode": "1e",
        },
    }
    [update] = webhooks.parse(encode(event), NOW)
    assert update.status == ShipmentStatus.DELIVERY_FAILED
    assert update.log is not None
    assert update.log.reason_code == "1E"
    assert update.log.reason == "Customer was not available during delivery"
    assert update.log.message == "deliveryAttemptCounter=2, deliveryFailedCounter=1"


def test_failed_pickup_reason() -> None:
    event = {
        "status": "PICKUP_FAILED",
        "tracking_number": "0031-1",
        "timestamp": "2018-09-22T08:00:00.000Z",
        "comments": {"pickupAttemptCounter": 1, "pickupFailedReasonCode": "4A"},
    }
    [update] = webhooks.parse(encode(event), NOW)
    assert update.status == ShipmentStatus.PICKUP_FAILED
    assert update.log is not None
    assert (update.log.reason_code, update.log.reason) == ("4A", "Merchant - Not Ready")


def test_delivered_sets_delivered_at_and_unknown_status_is_kept_raw() -> None:
    event = fixture("entrego", "webhook") | {"status": "DELIVERED"}
    [update] = webhooks.parse(encode(event), NOW)
    assert update.delivered_at == datetime(2018, 9, 21, 1, 5, 10, tzinfo=UTC)
    event["status"] = "SOMETHING_NEW"
    [update] = webhooks.parse(encode(event), NOW)
    assert (update.status, update.carrier_status) == (ShipmentStatus.UNKNOWN, "SOMETHING_NEW")


def test_same_event_same_id_and_a_new_counter_a_new_id() -> None:
    event = fixture("entrego", "webhook")
    first = webhooks.parse(encode(event), NOW)[0].event_id
    reordered = json.dumps(dict(reversed(list(event.items())))).encode()
    assert webhooks.parse(reordered, NOW)[0].event_id == first
    event["comments"]["receiveCounter"] = 2
    assert webhooks.parse(encode(event), NOW)[0].event_id != first


def test_missing_timestamp_falls_back_to_the_receipt_time() -> None:
    event = fixture("entrego", "webhook")
    del event["timestamp"]
    [update] = webhooks.parse(encode(event), NOW)
    assert update.log is not None and update.log.occurred_at == NOW


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"status": "DELIVERED"}',
        b'{"tracking_number": "0031-1"}',
        b'{"status": "DELIVERED", "tracking_number": "0031-1", "comments": [1]}',
    ],
)
def test_malformed_bodies_are_400(body: bytes) -> None:
    with pytest.raises(WebhookRejected) as caught:
        webhooks.parse(body, NOW)
    assert caught.value.status == 400


def test_good_token_passes() -> None:
    webhooks.verify(TOKEN, {"authorization": f"Bearer {TOKEN}"})
    webhooks.verify(TOKEN, {"Authorization": f"bearer {TOKEN}"})


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer wrong"},
        {"authorization": TOKEN},
        {"authorization": f"Basic {TOKEN}"},
        {"authorization": "Bearer "},
    ],
)
def test_bad_or_missing_token_is_401(headers: dict[str, str]) -> None:
    with pytest.raises(WebhookRejected) as caught:
        webhooks.verify(TOKEN, headers)
    assert caught.value.status == 401


def test_no_configured_token_rejects_everything() -> None:
    with pytest.raises(WebhookRejected) as caught:
        webhooks.verify(None, {"authorization": "Bearer anything"})
    assert caught.value.status == 401
