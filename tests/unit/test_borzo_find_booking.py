"""Borzo's find_booking (the list of orders scanned for the reference as a point's
client_order_id) and creates whose answer is lost: against httpx.MockTransport answering
with borzo.txt's examples, and the simulator over loopback."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.borzo import adapter as borzo_adapter
from shipgraph.domain import ErrorCode, Money, ShipmentStatus
from shipgraph.sandbox.borzo import create_borzo_sandbox
from tests.support.fixtures import fixture
from tests.support.servers import serve
from tests.unit.test_borzo_adapter import TOKEN, FakeBorzo, carrier
from tests.unit.test_borzo_requests import doc_request

LIST = "GET /orders"


def doc_orders(client_order_ids: dict[int, str] | None = None, **changes: Any) -> dict[str, Any]:
    """The document's "List of orders" example; ``client_order_ids`` sets the
    destination (last) point's client_order_id of the given orders."""
    answer: dict[str, Any] = copy.deepcopy(fixture("borzo", "orders_response"))
    ids = client_order_ids or {}
    for order in answer["orders"]:
        if order["order_id"] in ids:
            order["points"][-1]["client_order_id"] = ids[order["order_id"]]
    answer.update(changes)
    return answer


def listing(fake: FakeBorzo, *pages: dict[str, Any]) -> None:
    """Answer GET /orders with ``pages`` in turn (the last one from then on)."""
    remaining = list(pages)

    def answer(request: httpx.Request) -> httpx.Response:
        page = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        return httpx.Response(200, json=page)

    fake.answers[LIST] = answer


def asked(fake: FakeBorzo) -> list[dict[str, str]]:
    return [dict(r.url.params) for r in fake.seen if r.url.path.endswith("/orders")]


async def test_finds_the_order_whose_point_carries_the_reference() -> None:
    fake = FakeBorzo()
    listing(fake, doc_orders({1250035: "SO-1"}))
    found = await carrier(fake).find_booking(doc_request())
    assert asked(fake) == [{"offset": "0", "count": "50"}]
    assert fake.seen[0].headers["X-DV-Auth-Token"] == TOKEN
    assert found is not None
    assert (found.carrier_shipment_id, found.tracking_number) == ("1250035", "50035")
    assert (found.status, found.carrier_status) == (ShipmentStatus.CREATED, "planned")
    assert found.price == Money(Decimal("15000.00"), "IDR")
    assert found.carrier_data == {
        "order_id": 1250035,
        "vehicle_type_id": 8,
        "destination_point_id": 202695,
        "points": [
            {"point_id": 202694, "role": "pickup", "package_ids": []},
            {"point_id": 202695, "role": "destination", "package_ids": []},
        ],
    }


async def test_none_when_every_order_was_seen_without_it() -> None:
    fake = FakeBorzo()
    listing(fake, doc_orders({1250035: "SO-2"}))
    assert await carrier(fake).find_booking(doc_request()) is None
    assert len(asked(fake)) == 1  # orders_count 2: both were on the first page


async def test_an_empty_list_is_none() -> None:
    fake = FakeBorzo()
    listing(fake, {"is_successful": True, "orders": [], "orders_count": 0})
    assert await carrier(fake).find_booking(doc_request()) is None


async def test_pages_on_until_orders_count() -> None:
    fake = FakeBorzo()
    second = doc_orders({1250035: "SO-1"}, orders_count=4)
    for order in second["orders"]:
        order["order_id"] -= 100
    listing(fake, doc_orders(orders_count=4), second)
    found = await carrier(fake).find_booking(doc_request())
    assert found is not None and found.carrier_shipment_id == "1249935"
    assert asked(fake) == [{"offset": "0", "count": "50"}, {"offset": "2", "count": "50"}]


async def test_a_list_that_does_not_page_cannot_rule_the_booking_out() -> None:
    fake = FakeBorzo()
    listing(fake, doc_orders(orders_count=300))
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).find_booking(doc_request())
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE
    assert len(asked(fake)) == 2


async def test_the_scan_stops_at_its_page_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(borzo_adapter, "MAX_LIST_PAGES", 3)
    fake = FakeBorzo()
    served = iter(range(10_000, 0, -1))

    def page(request: httpx.Request) -> httpx.Response:
        answer = doc_orders(orders_count=9_999)
        for order in answer["orders"]:
            order["order_id"] = next(served)
        return httpx.Response(200, json=answer)

    fake.answers[LIST] = page
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).find_booking(doc_request())
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE
    assert "6 newest orders" in caught.value.message


async def test_a_refused_listing_is_an_error_not_none() -> None:
    fake = FakeBorzo()
    fake.on(LIST, {"is_successful": False, "errors": ["service_unavailable"]}, 400)
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).find_booking(doc_request())
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, content=b'{"is_successful": true, "order": {"order_id": '),
        httpx.Response(200, json={"is_successful": True}),
        httpx.Response(200, json={"is_successful": True, "order": {"order_name": "50032"}}),
    ],
)
async def test_a_create_that_said_success_unreadably_is_uncertain(answer: httpx.Response) -> None:
    fake = FakeBorzo()
    fake.answers["POST /create-order"] = lambda _: answer
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).create(doc_request())
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE and caught.value.uncertain


async def test_a_create_whose_answer_is_lost_is_found_in_the_list() -> None:
    app = create_borzo_sandbox(auth_token=TOKEN)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as control:
        adapter = carrier(None, transport=None, base_url=url, timeout_s=0.5)
        request = doc_request(reference="SO-LOST-1")
        assert await adapter.find_booking(request) is None
        fault = {"lost_answer": True, "times": 1, "path_prefix": "/create-order"}
        assert (await control.post("/_control/faults", json=fault)).status_code == 200
        with pytest.raises(CarrierError) as caught:
            await adapter.create(request)
        assert caught.value.uncertain
        found = await adapter.find_booking(request)
        (order_id,) = app.state.borzo.orders
        assert found is not None and found.carrier_shipment_id == str(order_id)
        assert found.status == ShipmentStatus.CREATED
        assert await adapter.find_booking(doc_request(reference="SO-OTHER")) is None
        await adapter.aclose()


async def test_a_refused_client_order_id_points_at_the_reference() -> None:
    fake = FakeBorzo()
    refusal = {
        "is_successful": False,
        "errors": ["invalid_parameters"],
        "parameter_errors": {"points": [None, {"client_order_id": ["max_length"]}]},
    }
    fake.on("POST /create-order", refusal, 400)
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).create(doc_request())
    assert [e.field for e in caught.value.field_errors] == [("shipment", "reference")]
