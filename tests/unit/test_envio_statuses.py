"""Every status the Envio simulator can send, and every one in the document's examples,
maps to a known status: an UNKNOWN shipment is polled forever.

The simulator's values are not copied here: its own step table is walked from a new
shipment through every step each status allows, so a step that starts sending a new
value fails these tests until the adapter maps it.
"""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shipgraph.domain import ShipmentStatus, TrackingUpdate
from shipgraph.sandbox.envio.lifecycle import ACTIVE, STEPS, StepInput, apply_step
from shipgraph.sandbox.envio.model import FINAL, Shipment, Webhook
from tests.store.shipments import shipment
from tests.support.builders import doc_request
from tests.support.carriers import envio_answering as carrier
from tests.support.fixtures import FIXTURES, fixture

NOW = datetime(2023, 6, 8, 16, 24, tzinfo=UTC)
SIMULATED_ID = "53ab0a61-508d-4094-aa61-b4dbce0bd2d2"


def new_shipment() -> Shipment:
    return Shipment(
        id=SIMULATED_ID,
        code="S4563844412",
        manifest_code="M0000000001",
        ref_code="ID_SO20230726000386",
        base_url="http://envio.test",
        cod_value=23000,
        pickup_address={"contact_person": "Satrio"},
        recipient={"contact_person": "Robert", "latitude": -6.2999841, "longitude": 107.1501828},
        items=[{"item_code": "2192x127y", "item_name": "Air Mineral 300 ML", "quantity": 1}],
        eta_at=NOW,
        etd_at=NOW,
    )


def walked(path: tuple[str, ...]) -> tuple[Shipment, Webhook | None]:
    """A new shipment taken along ``path``, and the webhook of its last step."""
    simulated, webhook = new_shipment(), None
    for minute, name in enumerate(path, start=1):
        at = NOW + timedelta(minutes=minute)
        webhook = apply_step(simulated, name, StepInput(quantity=2), at)
    return simulated, webhook


Sent = dict[str, dict[str, Any]]


def everything_sent() -> tuple[Sent, Sent, Sent]:
    """Each tracking answer by its status, and each webhook and the tracking answer right
    after it by its event, reached by every step the simulator's table allows from every
    state it can reach."""
    answers: Sent = {}
    webhooks: Sent = {}
    answers_after: Sent = {}
    seen: set[tuple[str, bool]] = set()
    paths: deque[tuple[str, ...]] = deque([()])
    while paths:
        path = paths.popleft()
        simulated, webhook = walked(path)
        answers.setdefault(simulated.status, simulated.tracking())
        if webhook is not None:
            webhooks.setdefault(webhook.event, webhook.body)
            answers_after.setdefault(webhook.event, simulated.tracking())
        state = (simulated.status, simulated.driver is not None)
        if state in seen:
            continue
        seen.add(state)
        paths.extend((*path, name) for name, step in STEPS.items() if state[0] in step.allowed_from)
    return answers, webhooks, answers_after


ANSWERS, WEBHOOKS, ANSWERS_AFTER = everything_sent()
DOCUMENT_WEBHOOKS = sorted(path.stem for path in (FIXTURES / "envio").glob("webhook_*.json"))


def known(status: ShipmentStatus | None) -> bool:
    return status is not None and status != ShipmentStatus.UNKNOWN


def test_the_walk_reaches_every_status_the_simulator_names() -> None:
    assert set(ANSWERS) == ACTIVE | FINAL


@pytest.mark.parametrize("value", sorted(ANSWERS))
async def test_every_tracking_status_the_simulator_answers_is_known(value: str) -> None:
    data = ANSWERS[value]
    envio = carrier(data)
    tracking = await envio.track(data["code"])
    ours = shipment("a", carrier_shipment_id=data["id"], tracking_number=data["code"])
    refreshed = await envio.refresh(ours)
    booked = await envio.find_booking(doc_request(reference=data["ref_code"]))
    assert known(tracking.status) and tracking.carrier_status == value
    assert known(refreshed.status) and refreshed.carrier_status == value
    assert booked is not None and known(booked.status)


def statuses_of(updates: list[TrackingUpdate]) -> list[ShipmentStatus | None]:
    return [s for u in updates for s in (u.status, u.log.status if u.log else None)]


@pytest.mark.parametrize("event", sorted(WEBHOOKS))
def test_every_webhook_the_simulator_sends_maps_to_a_known_status(event: str) -> None:
    body = WEBHOOKS[event]
    updates = carrier({}).parse_webhook(json.dumps(body).encode())
    assert updates
    if "item" in body:  # "Update PerItem/SKU" carries no status, only the item
        assert statuses_of(updates) == [None, None] and updates[0].item is not None
    else:
        assert all(known(status) for status in statuses_of(updates))


@pytest.mark.parametrize("name", DOCUMENT_WEBHOOKS)
def test_every_example_event_of_the_document_maps_to_a_known_status(name: str) -> None:
    body = fixture("envio", name)
    updates = carrier({}).parse_webhook(json.dumps(body).encode())
    if "item" in body:
        assert statuses_of(updates) == [None, None] and updates[0].item is not None
    else:
        assert all(known(status) for status in statuses_of(updates))


async def test_the_documents_tracking_example_maps_to_a_known_status() -> None:
    data = fixture("envio", "tracking_response")["data"]
    tracking = await carrier(data).track(data["code"])
    assert tracking.status == ShipmentStatus.DELIVERED
    assert tracking.logs[0].status == ShipmentStatus.DELIVERED


@pytest.mark.parametrize(
    ("value", "status"),
    [("cancelled", ShipmentStatus.CANCELLED), ("returned", ShipmentStatus.RETURNED)],
)
async def test_a_cancelled_or_returned_shipment_says_so_when_tracked(
    value: str, status: ShipmentStatus
) -> None:
    data = ANSWERS[value]
    ours = shipment("a", carrier_shipment_id=data["id"], tracking_number=data["code"])
    refreshed = await carrier(data).refresh(ours)
    assert refreshed.status == status and refreshed.carrier_status == value


# Callbacks for a moment within the state a tracking read then shows: picked up (then
# on_transit, "on the way to envio hubs") and a failed pick-up (still on_pickup).
MOMENTS = {"picked_up", "picked_up_failed"}
STATUS_EVENTS = sorted(event for event, body in WEBHOOKS.items() if "status" in body)


@pytest.mark.parametrize("event", [e for e in STATUS_EVENTS if e not in MOMENTS])
async def test_a_status_callback_and_the_next_tracking_read_agree(event: str) -> None:
    [update] = carrier({}).parse_webhook(json.dumps(WEBHOOKS[event]).encode())
    after = ANSWERS_AFTER[event]
    tracking = await carrier(after).track(after["code"])
    assert update.status == tracking.status


def test_resend_is_in_transit_back_to_the_hubs_in_both_tables() -> None:
    [update] = carrier({}).parse_webhook(json.dumps(WEBHOOKS["resend"]).encode())
    assert update.status == ShipmentStatus.IN_TRANSIT
    assert ANSWERS_AFTER["resend"]["status"] == "on_transit"


def test_the_moments_left_out_are_callbacks_the_simulator_sends() -> None:
    assert set(STATUS_EVENTS) > MOMENTS
