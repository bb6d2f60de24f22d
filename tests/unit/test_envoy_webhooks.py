"""Envoy webhooks on the stated assumption (carriers/envoy/webhooks.py): the document's
Shipment (its "Get Individual Shipment" answer) inside ``{"event", "data"}``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shipgraph.carriers.base import WebhookRejected
from shipgraph.carriers.envoy import EnvoyCarrier, rates, webhooks
from shipgraph.domain import CarrierCode, ShipmentStatus
from tests.support.fixtures import fixture

TOKEN = "envoy-token"
KEY = rates.signing_key(TOKEN)
SECRET = "envoy-webhook-secret"
RECEIVED = datetime(2024, 6, 18, 10, 0, tzinfo=UTC)
SHP = "shp_0ujzPyRiIAffKhBux4PvQdDqMHY"
UPDATED = datetime(2019, 8, 24, 14, 15, 22, tzinfo=UTC)  # the document's updated_at


def doc_shipment(**changes: Any) -> dict[str, Any]:
    shipment: dict[str, Any] = fixture("envoy", "get_response")
    shipment.update(changes)
    return shipment


def event(shipment: Any = None, name: Any = "shipment.purchased") -> bytes:
    data = doc_shipment() if shipment is None else shipment
    return json.dumps({"event": name, "data": data}).encode()


def parse(body: bytes) -> Any:
    (update,) = webhooks.parse(KEY, body, RECEIVED)
    return update


def test_the_documents_shipment_as_an_event() -> None:
    update = parse(event())
    assert update.carrier == CarrierCode.ENVOY
    assert update.carrier_shipment_id == SHP
    assert (update.status, update.carrier_status) == (ShipmentStatus.CREATED, "purchased")
    assert update.tracking_number is None  # the document's Shipment names none
    assert update.log.occurred_at == UPDATED
    assert update.event_id == f"envoy:{SHP}:purchased:{UPDATED.isoformat()}"


def test_the_accepted_variants() -> None:
    for body in (
        {"type": "shipment.purchased", "data": doc_shipment()},
        {"event": "shipment.purchased", "shipment": doc_shipment()},
        doc_shipment(),
    ):
        update = parse(json.dumps(body).encode())
        assert (update.carrier_shipment_id, update.carrier_status) == (SHP, "purchased")


def test_the_same_status_table_as_a_poll() -> None:
    assert parse(event(doc_shipment(status="rated"))).status == ShipmentStatus.DRAFT
    unknown = parse(event(doc_shipment(status="in_transit")))
    assert (unknown.status, unknown.carrier_status) == (ShipmentStatus.UNKNOWN, "in_transit")


def test_a_retry_is_the_same_event_and_a_later_change_another() -> None:
    first = parse(event())
    assert parse(event(name="shipment.updated")).event_id == first.event_id
    later = doc_shipment(updated_at="2019-08-25T09:00:00Z")
    assert parse(event(later)).event_id != first.event_id


def test_a_carrier_tracking_number_in_the_event_is_read() -> None:
    update = parse(event(doc_shipment(tracking_number="1Z999AA10123456784")))
    assert update.tracking_number == "1Z999AA10123456784"


def test_a_timestamp_of_no_use_falls_back_to_receipt() -> None:
    update = parse(event(doc_shipment(updated_at="soon", created_at=12)))
    assert update.log.occurred_at == RECEIVED


HUGE = "x" * 900_000


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b"null",
        b'{"event": "shipment.purchased"}',
        b"[" * 5000,
        b'{"data": {"id": 1e999}}',
        event([]),
        event("shp_0ujzPyRiIAffKhBux4PvQdDqMHY"),
        event(doc_shipment(id=None)),
        event(doc_shipment(id=12345)),
        event(doc_shipment(id="")),
        event(doc_shipment(id=HUGE)),
        event(doc_shipment(id="shp_\n1")),
        event(doc_shipment(status=None)),
        event(doc_shipment(status=["purchased"])),
        event(doc_shipment(status=HUGE)),
        event(name=7),
        event(name=HUGE),
        b'{"event": "shipment.purchased", "shipment": null}',
    ],
)
def test_malformed_events_are_400(body: bytes) -> None:
    with pytest.raises(WebhookRejected) as caught:
        webhooks.parse(KEY, body, RECEIVED)
    assert caught.value.status == 400


def test_hostile_parts_beside_a_good_id_and_status_are_dropped() -> None:
    hostile = doc_shipment(
        rates="many",
        service=["x"],
        documents={"a": 1},
        errors=7,
        name={"n": HUGE},
        packages=[None, 3, {"tracking_number": ["x"]}],
        updated_at=HUGE,
    )
    update = parse(event(hostile))
    assert (update.carrier_shipment_id, update.carrier_status) == (SHP, "purchased")
    assert update.tracking_number is None
    assert update.log.occurred_at == datetime(2019, 8, 24, 14, 15, 22, tzinfo=UTC)


# --- signatures -----------------------------------------------------------------------

BODY = event()


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Envoy-Signature": webhooks.sign(SECRET, BODY)},
        {"x-envoy-signature": webhooks.sign(SECRET, BODY).upper()},
        {"x-envoy-signature": f"sha256={webhooks.sign(SECRET, BODY)}"},
    ],
)
def test_a_correct_signature_passes(headers: dict[str, str]) -> None:
    webhooks.verify(SECRET, headers, BODY)


@pytest.mark.parametrize(
    ("secret", "headers", "body"),
    [
        (SECRET, {"x-envoy-signature": webhooks.sign("other", BODY)}, BODY),
        (SECRET, {"x-envoy-signature": "zz" + webhooks.sign(SECRET, BODY)[2:]}, BODY),
        (SECRET, {"x-envoy-signature": "ünïcode"}, BODY),
        (SECRET, {}, BODY),
        (SECRET, {"x-envoy-signature": ""}, BODY),
        (SECRET, {"authorization": f"Bearer {SECRET}"}, BODY),
        (None, {"x-envoy-signature": webhooks.sign(SECRET, BODY)}, BODY),
        ("", {"x-envoy-signature": webhooks.sign("", BODY)}, BODY),
        (SECRET, {"x-envoy-signature": webhooks.sign(SECRET, BODY)}, BODY + b" "),
    ],
)
def test_a_bad_or_missing_signature_is_401(
    secret: str | None, headers: dict[str, str], body: bytes
) -> None:
    with pytest.raises(WebhookRejected) as caught:
        webhooks.verify(secret, headers, body)
    assert caught.value.status == 401


def test_the_adapter_verifies_and_parses() -> None:
    envoy = EnvoyCarrier(
        base_url="https://api.envoy.one",
        access_token=TOKEN,
        webhook_secret=SECRET,
        timeout_s=1,
        clock=lambda: RECEIVED,
    )
    envoy.verify_webhook({"X-Envoy-Signature": webhooks.sign(SECRET, BODY)}, {}, BODY)
    (update,) = envoy.parse_webhook(BODY)
    assert update.carrier_shipment_id == SHP
    unsigned = EnvoyCarrier(base_url="https://api.envoy.one", access_token=TOKEN, timeout_s=1)
    with pytest.raises(WebhookRejected) as caught:
        unsigned.verify_webhook({"X-Envoy-Signature": webhooks.sign(SECRET, BODY)}, {}, BODY)
    assert caught.value.status == 401
