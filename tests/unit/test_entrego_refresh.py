"""Entrego refresh: the order read back at the 201's Location, its fsmState mapped with
the webhook's table; track by number stays UNSUPPORTED (the document has no lookup)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shipgraph.carriers.entrego.mapping import ORDER_STATE, WEBHOOK_STATUS
from shipgraph.domain import CarrierCode, ErrorCode, Shipment, ShipmentStatus
from shipgraph.sandbox.entrego import lifecycle, model
from tests.support.builders import shipment
from tests.support.fixtures import fixture
from tests.unit.test_entrego_adapter import NOW, FakeEntrego, FakeTokens, carrier, fails

ORDER_NUMBER = "21c123fb-472a-4602-adef-f37104ae8bb2"
LOCATION = f"/v1/sales-order/{ORDER_NUMBER}"
SHOW = f"GET api-sandbox.entrego.org{LOCATION}"


def _simulator_statuses() -> list[str]:
    """Every fsmState the simulator can hold and every status its webhooks can carry,
    read from its own constants and lifecycle graph."""
    constants = {v for k, v in vars(model).items() if isinstance(v, str) and k == v}
    found = constants | set(lifecycle.TRANSITIONS) | set(lifecycle.STATUSES)
    return sorted(found)


@pytest.mark.parametrize("status", _simulator_statuses())
def test_every_status_the_simulator_can_answer_is_mapped(status: str) -> None:
    assert ORDER_STATE[status] != ShipmentStatus.UNKNOWN
    if status in lifecycle.STATUSES:  # a step's target: sent by webhook too
        assert WEBHOOK_STATUS[status] == ORDER_STATE[status]


def test_the_enumeration_reads_the_whole_lifecycle() -> None:
    statuses = _simulator_statuses()
    assert model.NEW in statuses and model.DELIVERED in statuses
    assert set(lifecycle.STATUSES) | {model.NEW} <= set(statuses)
    assert len(statuses) == len(lifecycle.STATUSES) + 1  # NEW is never a step's target


@pytest.fixture
def fake() -> FakeEntrego:
    return FakeEntrego()


@pytest.fixture
def tokens() -> FakeTokens:
    return FakeTokens()


def booked(**changes: Any) -> Shipment:
    values: dict[str, Any] = {
        "carrier": CarrierCode.ENTREGO,
        "carrier_shipment_id": ORDER_NUMBER,
        "tracking_number": "0031-123456789010",
        "carrier_status": "NEW",
        "carrier_data": {"orderNumber": ORDER_NUMBER, "location": LOCATION},
    }
    values.update(changes)
    return shipment(**values)


def order(name: str = "sales_order_response", **changes: Any) -> httpx.Response:
    answer = fixture("entrego", name)
    answer.update(changes)
    return httpx.Response(200, json=answer)


async def test_the_document_answer_unchanged_is_no_news(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    fake.on(SHOW, order())
    update = await carrier(fake, tokens).refresh(booked())
    assert (update.status, update.carrier_status) == (ShipmentStatus.CREATED, "NEW")
    assert update.log is None
    [request] = fake.requests(SHOW)
    assert request.headers["authorization"] == "Bearer jwt-1"


async def test_a_status_the_webhook_missed_is_read_from_the_order(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    missed = fixture("entrego", "webhook")["status"]  # the document's example webhook
    fake.on(SHOW, order(fsmState=missed))
    update = await carrier(fake, tokens).refresh(booked())
    assert update.carrier == CarrierCode.ENTREGO
    assert (update.carrier_shipment_id, update.tracking_number) == (
        ORDER_NUMBER,
        "0031-123456789010",
    )
    assert (update.status, update.carrier_status) == (ShipmentStatus.AT_HUB, "RECEIVED_AT_HUB")
    assert update.log is not None and update.log.occurred_at == NOW
    assert update.log.status == ShipmentStatus.AT_HUB


async def test_the_marketplace_answer_reads_the_same(fake: FakeEntrego, tokens: FakeTokens) -> None:
    number = "de180dd7-5d1c-42c2-9e01-5c2534cad2b2"
    location = f"/v1/sales-order/{number}"
    fake.on(f"GET api-sandbox.entrego.org{location}", order("marketplace_order_response"))
    shipped = booked(carrier_shipment_id=number, carrier_data={"location": location})
    update = await carrier(fake, tokens).refresh(shipped)
    assert update.status == ShipmentStatus.CREATED


async def test_a_location_under_a_path_prefix_is_resolved_against_the_host(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    route = f"GET api-sandbox.entrego.org/entrego{LOCATION}"
    fake.on(route, order(fsmState="DELIVERED"))
    fake.on(
        "POST api-sandbox.entrego.org/entrego/v1/authenticate",
        httpx.Response(200, json={"jwt": "j"}),
    )
    entrego = carrier(fake, tokens, base_url="https://api-sandbox.entrego.org/entrego")
    update = await entrego.refresh(booked(carrier_data={"location": f"/entrego{LOCATION}"}))
    assert update.status == ShipmentStatus.DELIVERED
    assert len(fake.requests(route)) == 1


async def test_a_location_on_another_host_gets_no_token(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    fake.on(SHOW, order(fsmState="PICKED_UP"))
    elsewhere = f"https://collector.example.com{LOCATION}"
    update = await carrier(fake, tokens).refresh(booked(carrier_data={"location": elsewhere}))
    assert update.status == ShipmentStatus.PICKED_UP
    assert {r.url.host for r in fake.seen} == {"api-sandbox.entrego.org"}


async def test_without_a_location_the_documents_path_is_used(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    fake.on(SHOW, order(fsmState="IN_TRANSIT"))
    update = await carrier(fake, tokens).refresh(booked(carrier_data={}))
    assert update.status == ShipmentStatus.IN_TRANSIT


async def test_an_answer_about_another_order_is_not_merged(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    fake.on(SHOW, order(orderNumber="someone-else", fsmState="DELIVERED"))
    error = await fails(carrier(fake, tokens).refresh(booked()))
    assert error.code == ErrorCode.CARRIER_UNAVAILABLE
    fake.on(SHOW, order(trackingNumber="0031-000000000001", fsmState="DELIVERED"))
    error = await fails(carrier(fake, tokens).refresh(booked()))
    assert error.code == ErrorCode.CARRIER_UNAVAILABLE


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (httpx.Response(404, json={"message": "SalesOrder not found"}), ErrorCode.NOT_FOUND),
        (httpx.Response(500, json={"message": "An error occurred"}), ErrorCode.CARRIER_UNAVAILABLE),
        (httpx.Response(200, content=b"{"), ErrorCode.CARRIER_UNAVAILABLE),
        (
            httpx.Response(200, json={"trackingNumber": "0031-123456789010"}),
            ErrorCode.CARRIER_UNAVAILABLE,
        ),
    ],
)
async def test_failed_reads(
    fake: FakeEntrego, tokens: FakeTokens, answer: httpx.Response, code: ErrorCode
) -> None:
    fake.on(SHOW, answer)
    error = await fails(carrier(fake, tokens).refresh(booked()))
    assert error.code == code


async def test_an_unlisted_fsm_state_is_kept_raw_as_unknown(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    fake.on(SHOW, order(fsmState="TELEPORTED"))
    update = await carrier(fake, tokens).refresh(booked())
    assert (update.status, update.carrier_status) == (ShipmentStatus.UNKNOWN, "TELEPORTED")


async def test_track_by_number_is_unsupported_and_calls_nothing(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    error = await fails(carrier(fake, tokens).track("0031-123456789010"))
    assert error.code == ErrorCode.UNSUPPORTED
    assert "refreshShipment" in error.message
    assert fake.seen == []
