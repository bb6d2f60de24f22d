"""The Borzo adapter over HTTP, against httpx.MockTransport handlers that answer with
the document's examples."""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shipgraph.carriers.base import CarrierError, WebhookRejected
from shipgraph.carriers.borzo import INFO, BorzoCarrier
from shipgraph.domain import (
    Capability,
    Courier,
    Document,
    DocumentFormat,
    DocumentKind,
    ErrorCode,
    GeoPoint,
    Money,
    Parcel,
    ParcelItem,
    Shipment,
    ShipmentPatch,
    ShipmentStatus,
)
from tests.support.builders import shipment
from tests.support.carriers import never_answers
from tests.support.fixtures import fixture, fixture_bytes
from tests.unit.test_borzo_errors import EXPECTED_CODES
from tests.unit.test_borzo_requests import doc_request

BASE = "https://robotapitest-id.borzodelivery.com/api/business/1.6"
TOKEN = "SECRET_AUTH_TOKEN"
NOW = datetime(2024, 12, 3, 17, 21, 48, tzinfo=UTC)

Handler = Callable[[httpx.Request], httpx.Response]


class FakeBorzo:
    """Answers by method path; records what was asked."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []
        self.answers: dict[str, Handler] = {}

    def on(self, path: str, answer: Any, status: int = 200) -> None:
        self.answers[path] = lambda _: httpx.Response(status, json=answer)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path.removeprefix("/api/business/1.6")
        handler = self.answers.get(f"{request.method} {path}")
        if handler is None:
            return httpx.Response(
                400, json={"is_successful": False, "errors": ["invalid_api_method"]}
            )
        return handler(request)

    def bodies(self, path: str) -> list[Any]:
        return [
            json.loads(r.content)
            for r in self.seen
            if f"{r.method} {r.url.path.removeprefix('/api/business/1.6')}" == path
        ]


class CountingLimiter:
    def __init__(self) -> None:
        self.calls = 0

    async def acquire(self) -> None:
        self.calls += 1


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fake() -> FakeBorzo:
    return FakeBorzo()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def carrier(
    handler: Any, clock: Callable[[], datetime] = lambda: NOW, **kwargs: Any
) -> BorzoCarrier:
    values: dict[str, Any] = {
        "base_url": BASE,
        "auth_token": TOKEN,
        "callback_secret": "CALLBACK_SECRET_KEY",
        "timeout_s": 2.0,
        "transport": httpx.MockTransport(handler),
        "clock": clock,
    }
    values.update(kwargs)
    return BorzoCarrier(**values)


def booked(**changes: Any) -> Shipment:
    values: dict[str, Any] = {
        "carrier": INFO.code,
        "carrier_shipment_id": "1250032",
        "tracking_number": "50032",
        "carrier_data": {
            "order_id": 1250032,
            "vehicle_type_id": 8,
            "destination_point_id": 202686,
            "points": [],
        },
    }
    values.update(changes)
    return shipment(**values)


def calculated(vehicle: int, total: str = "15000.00") -> dict[str, Any]:
    answer: dict[str, Any] = copy.deepcopy(fixture("borzo", "calculate_order_response"))
    answer["order"]["vehicle_type_id"] = vehicle
    answer["order"]["payment_amount"] = total
    return answer


def test_info() -> None:
    assert INFO.code.value == "BORZO" and INFO.name == "Borzo" and INFO.countries == ("ID",)
    assert INFO.capabilities == {
        Capability.RATES,
        Capability.CREATE,
        Capability.UPDATE,
        Capability.CANCEL,
        Capability.TRACK,
        Capability.WEBHOOKS,
        Capability.LABELS,
        Capability.COURIER_LOCATION,
        Capability.CASH_ON_DELIVERY,
        Capability.MULTI_STOP,
    }


# --- rates ------------------------------------------------------------------------------


def quoting(fake: FakeBorzo, totals: dict[int, Any]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        vehicle = json.loads(request.content)["vehicle_type_id"]
        total = totals[vehicle]
        if isinstance(total, httpx.Response):
            return total
        return httpx.Response(200, json=calculated(vehicle, total))

    fake.answers["POST /calculate-order"] = answer


async def test_rates_quote_motorbike_and_car_by_default(fake: FakeBorzo) -> None:
    quoting(fake, {8: "15000.00", 7: "32000.00"})
    limiter = CountingLimiter()
    adapter = carrier(fake, limiter=limiter)
    found = await adapter.rates(doc_request(phones=False))
    assert [(r.service, r.total.amount) for r in found] == [
        ("motorbike", Decimal("15000.00")),
        ("car", Decimal("32000.00")),
    ]
    assert limiter.calls == 2
    assert all(r.headers["X-DV-Auth-Token"] == TOKEN for r in fake.seen)
    expected = fixture("borzo", "calculate_order_request")
    assert fake.bodies("POST /calculate-order") == [
        {**expected, "vehicle_type_id": 8},
        {**expected, "vehicle_type_id": 7},
    ]
    assert all(r.id.startswith("BORZO:") for r in found)
    assert found[0].expires_at == NOW + timedelta(minutes=30)


async def test_rates_for_the_asked_vehicle_only(fake: FakeBorzo) -> None:
    quoting(fake, {1: "90000.00"})
    request = doc_request(carrier_options={"BORZO": {"vehicle_type_id": 1}})
    found = await carrier(fake).rates(request)
    assert [r.service for r in found] == ["car_suv_pickup"]


async def test_one_vehicle_failing_leaves_the_other(fake: FakeBorzo) -> None:
    refused = httpx.Response(400, json={"is_successful": False, "errors": ["route_not_found"]})
    quoting(fake, {8: refused, 7: "32000.00"})
    found = await carrier(fake).rates(doc_request())
    assert [r.service for r in found] == ["car"]


async def test_every_vehicle_failing_is_the_error(fake: FakeBorzo) -> None:
    refused = httpx.Response(400, json={"is_successful": False, "errors": ["route_not_found"]})
    quoting(fake, {8: refused, 7: refused})
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).rates(doc_request())
    assert caught.value.code == ErrorCode.VALIDATION


async def test_a_quote_without_price_is_unavailable(fake: FakeBorzo) -> None:
    quoting(fake, {8: None, 7: None})
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).rates(doc_request())
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE


async def test_bad_options_are_refused_before_any_call(fake: FakeBorzo) -> None:
    request = doc_request(carrier_options={"BORZO": {"vehicle": 8}})
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).rates(request)
    assert caught.value.code == ErrorCode.VALIDATION
    assert caught.value.field_errors[0].field == ("shipment", "carrierOptions", "BORZO", "vehicle")
    assert fake.seen == []


# --- create -------------------------------------------------------------------------------


async def test_create_sends_the_documents_body_and_reads_its_answer(fake: FakeBorzo) -> None:
    fake.on("POST /create-order", fixture("borzo", "create_order_response"))
    limiter = CountingLimiter()
    result = await carrier(fake, limiter=limiter).create(doc_request())
    expected = fixture("borzo", "create_order_request")
    # The document's body, plus the reference on the destination (for find_booking).
    expected["points"][1]["client_order_id"] = "SO-1"
    assert fake.bodies("POST /create-order") == [expected]
    assert limiter.calls == 1
    assert result.carrier_shipment_id == "1250032"
    assert result.tracking_number == "50032"
    assert (result.status, result.carrier_status) == (ShipmentStatus.CREATED, "planned")
    assert result.price == Money(Decimal("15000.00"), "IDR")
    assert result.documents == ()
    assert result.estimated_pickup_at == datetime.fromisoformat("2024-12-04T00:51:48+07:00")
    assert result.carrier_data == {
        "order_id": 1250032,
        "vehicle_type_id": 8,
        "destination_point_id": 202686,
        "points": [
            {"point_id": 202685, "role": "pickup", "package_ids": []},
            {"point_id": 202686, "role": "destination", "package_ids": []},
        ],
    }


async def test_create_books_the_quoted_vehicle(fake: FakeBorzo, clock: Clock) -> None:
    quoting(fake, {8: "15000.00", 7: "32000.00"})
    fake.on("POST /create-order", fixture("borzo", "create_order_response"))
    adapter = carrier(fake, clock)
    car = (await adapter.rates(doc_request(phones=False)))[1]
    clock.now = NOW + timedelta(minutes=10)
    await adapter.create(doc_request(), car.id)
    assert fake.bodies("POST /create-order")[0]["vehicle_type_id"] == 7


@pytest.mark.parametrize(
    ("rate_id", "changes", "later", "match"),
    [
        ("BORZO:nonsense", {}, 0, "malformed"),
        (None, {"description": "Flowers"}, 0, "different shipment"),
        (None, {}, 31, "expired"),
    ],
)
async def test_create_refuses_a_rate_id_that_does_not_fit(
    fake: FakeBorzo,
    clock: Clock,
    rate_id: str | None,
    changes: dict[str, Any],
    later: int,
    match: str,
) -> None:
    quoting(fake, {8: "15000.00", 7: "32000.00"})
    adapter = carrier(fake, clock)
    quoted = (await adapter.rates(doc_request()))[0]
    clock.now = NOW + timedelta(minutes=later)
    with pytest.raises(CarrierError) as caught:
        await adapter.create(doc_request(**changes), rate_id or quoted.id)
    assert caught.value.code == ErrorCode.VALIDATION
    [problem] = caught.value.field_errors
    assert problem.field == ("rateId",)
    assert match in problem.message
    assert fake.bodies("POST /create-order") == []


async def test_create_without_description_is_refused_before_calling(fake: FakeBorzo) -> None:
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).create(doc_request(description=None))
    assert [e.field for e in caught.value.field_errors] == [("shipment", "description")]
    assert fake.seen == []


async def test_create_refusal_locates_the_fields(fake: FakeBorzo) -> None:
    fake.on("POST /create-order", fixture("borzo", "error_invalid_parameters"), 400)
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).create(doc_request())
    assert caught.value.code == ErrorCode.VALIDATION
    assert [e.field for e in caught.value.field_errors] == [
        ("shipment", "description"),
        ("shipment", "destination", "line1"),
        ("shipment", "destination", "phone"),
    ]


async def test_create_with_multi_stop_and_cod(fake: FakeBorzo) -> None:
    fake.on("POST /create-order", fixture("borzo", "edit_order_add_point_response"))
    request = doc_request(
        cash_on_delivery=Money(Decimal("42000"), "IDR"),
        carrier_options={"BORZO": {"points": [{"line1": "Jl. Stop", "phone": "0811 1111 111"}]}},
    )
    result = await carrier(fake).create(request)
    [body] = fake.bodies("POST /create-order")
    assert [p["address"] for p in body["points"]][1] == "Jl. Stop"
    assert body["points"][1]["contact_person"] == {"phone": "628111111111"}
    assert body["points"][2]["taking_amount"] == "42000.00"
    assert body["points"][2]["is_cod_cash_voucher_required"] is True
    assert result.carrier_data["destination_point_id"] == 202687


# --- update -------------------------------------------------------------------------------


async def test_update_reads_the_order_then_sends_every_point(fake: FakeBorzo) -> None:
    orders = copy.deepcopy(fixture("borzo", "orders_response"))
    orders["orders"] = orders["orders"][:1]
    packages = fixture("borzo", "edit_order_packages_response")["order"]["points"][:2]
    orders["orders"][0]["points"] = packages
    fake.on("GET /orders", orders)
    fake.on("POST /edit-order", fixture("borzo", "edit_order_matter_response"))
    limiter = CountingLimiter()
    await carrier(fake, limiter=limiter).update(booked(), ShipmentPatch(description="Flowers"))
    assert fake.seen[0].url.params["order_id"] == "1250032"
    assert fake.bodies("POST /edit-order") == [
        {
            "order_id": 1250032,
            "matter": "Flowers",
            "points": [
                {"point_id": 202685, "packages": [{"order_package_id": 3632252}]},
                {"point_id": 202686, "packages": [{"order_package_id": 3632253}]},
            ],
        }
    ]
    assert limiter.calls == 2


async def test_update_parcels_cod_and_times(fake: FakeBorzo) -> None:
    fake.on("GET /orders", fixture("borzo", "orders_response"))
    fake.on("POST /edit-order", fixture("borzo", "edit_order_matter_response"))
    patch = ShipmentPatch(
        cash_on_delivery=Money(Decimal("42000"), "IDR"),
        parcels=(Parcel(items=(ParcelItem("Topi", 3, sku="100112"),)),),
        deliver_by=datetime.fromisoformat("2024-12-04T02:21:48+07:00"),
        instructions="Call first",
    )
    await carrier(fake).update(booked(), patch)
    [body] = fake.bodies("POST /edit-order")
    assert body["points"][0] == {"point_id": 202685}
    assert body["points"][1] == {
        "point_id": 202686,
        "required_start_datetime": "2024-12-04T01:51:48+07:00",
        "required_finish_datetime": "2024-12-04T02:21:48+07:00",
        "note": "Call first",
        "is_cod_cash_voucher_required": True,
        "taking_amount": "42000.00",
        "packages": [{"ware_code": "100112", "description": "Topi", "items_count": 3}],
    }


async def test_update_refused_by_state_is_invalid_state(fake: FakeBorzo) -> None:
    fake.on("GET /orders", fixture("borzo", "orders_response"))
    refused = {"is_successful": False, "errors": ["order_cannot_be_edited"]}
    fake.on("POST /edit-order", refused, 400)
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).update(booked(), ShipmentPatch(description="x"))
    assert caught.value.code == ErrorCode.INVALID_STATE


async def test_update_field_errors_point_into_the_patch(fake: FakeBorzo) -> None:
    fake.on("GET /orders", fixture("borzo", "orders_response"))
    refused = {
        "is_successful": False,
        "errors": ["invalid_parameters"],
        "parameter_errors": {"points": [None, {"taking_amount": ["max_value"]}]},
    }
    fake.on("POST /edit-order", refused, 400)
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).update(
            booked(), ShipmentPatch(cash_on_delivery=Money(Decimal(9), "IDR"))
        )
    assert [e.field for e in caught.value.field_errors] == [("patch", "cashOnDelivery", "amount")]


async def test_update_of_an_unknown_order_is_not_found(fake: FakeBorzo) -> None:
    fake.on("GET /orders", {"is_successful": True, "orders": [], "orders_count": 0})
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).update(booked(), ShipmentPatch(description="x"))
    assert caught.value.code == ErrorCode.NOT_FOUND
    assert fake.bodies("POST /edit-order") == []


async def test_update_in_another_currency_is_refused_before_calling(fake: FakeBorzo) -> None:
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).update(
            booked(), ShipmentPatch(cash_on_delivery=Money(Decimal(9), "USD"))
        )
    assert [e.field for e in caught.value.field_errors] == [("patch", "cashOnDelivery", "currency")]
    assert fake.seen == []


async def test_an_empty_patch_calls_nothing(fake: FakeBorzo) -> None:
    await carrier(fake).update(booked(), ShipmentPatch())
    assert fake.seen == []


# --- cancel -------------------------------------------------------------------------------


async def test_cancel(fake: FakeBorzo) -> None:
    fake.on("POST /cancel-order", fixture("borzo", "cancel_order_response"))
    update = await carrier(fake).cancel(booked(), "customer changed mind")
    assert fake.bodies("POST /cancel-order") == [fixture("borzo", "cancel_order_request")]
    assert update.carrier_shipment_id == "1250032"
    assert (update.status, update.carrier_status) == (ShipmentStatus.CANCELLED, "canceled")
    assert update.log is not None and update.log.occurred_at == NOW
    assert update.log.message == "Cancelled: customer changed mind"


async def test_cancel_refused_by_state_is_invalid_state(fake: FakeBorzo) -> None:
    fake.on(
        "POST /cancel-order", {"is_successful": False, "errors": ["order_cannot_be_canceled"]}, 400
    )
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).cancel(booked(), None)
    assert caught.value.code == ErrorCode.INVALID_STATE
    assert not caught.value.retryable


# --- tracking -----------------------------------------------------------------------------


async def test_track_by_order_id(fake: FakeBorzo) -> None:
    answer = copy.deepcopy(fixture("borzo", "orders_response"))
    answer["orders"].reverse()  # the right order, wherever it is in the list
    fake.on("GET /orders", answer)
    tracking = await carrier(fake).track("1250032")
    assert fake.seen[0].url.params["order_id"] == "1250032"
    assert tracking.tracking_number == "50032"
    assert (tracking.status, tracking.carrier_status) == (ShipmentStatus.CREATED, "planned")
    assert [log.occurred_at for log in tracking.logs] == [
        datetime.fromisoformat("2024-12-04T00:21:48+07:00")
    ]


async def test_the_tracking_number_handed_out_is_tracked_by_its_order_id(fake: FakeBorzo) -> None:
    """The number a booking hands out is the order_name ("short order ID"); Borzo's list
    of orders reads by order_id, which the booked shipment keeps."""
    fake.on("POST /create-order", fixture("borzo", "create_order_response"))
    fake.on("GET /orders", fixture("borzo", "orders_response"))
    borzo = carrier(fake)
    made = await borzo.create(doc_request())
    handed_out = booked(
        carrier_shipment_id=made.carrier_shipment_id, tracking_number=made.tracking_number
    )
    tracking = await borzo.track(borzo.tracking_key(handed_out))
    assert fake.seen[-1].url.params["order_id"] == "1250032"
    assert tracking.tracking_number == made.tracking_number == "50032"
    assert tracking.carrier_shipment_id == made.carrier_shipment_id


@pytest.mark.parametrize("number", ["ORD-50032", "", "12a"])
async def test_track_by_anything_but_an_order_id_is_not_found(fake: FakeBorzo, number: str) -> None:
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).track(number)
    assert caught.value.code == ErrorCode.NOT_FOUND
    assert fake.seen == []


async def test_track_of_an_order_borzo_does_not_have_is_not_found(fake: FakeBorzo) -> None:
    fake.on("GET /orders", {"is_successful": True, "orders": [], "orders_count": 0})
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).track("999")
    assert caught.value.code == ErrorCode.NOT_FOUND


async def test_refresh(fake: FakeBorzo) -> None:
    answer = copy.deepcopy(fixture("borzo", "orders_response"))
    order = answer["orders"][0]
    order["status"] = "active"
    order["points"][1]["delivery"] = {"status": "parcel_picked_up"}
    order["points"][0]["courier_visit_datetime"] = "2024-12-04T00:55:00+07:00"
    order["courier"] = fixture("borzo", "courier_response")["courier"]
    fake.on("GET /orders", answer)
    update = await carrier(fake).refresh(booked())
    assert update.carrier_shipment_id == "1250032"
    assert (update.status, update.carrier_status) == (ShipmentStatus.PICKED_UP, "parcel_picked_up")
    assert update.log is not None
    assert update.log.occurred_at == datetime.fromisoformat("2024-12-04T00:55:00+07:00")
    assert update.courier is not None and update.courier.phone == "6288800000001"
    again = await carrier(fake).refresh(booked())
    assert again.event_id == update.event_id  # nothing changed: applied once


# --- courier and labels ---------------------------------------------------------------------


async def test_courier(fake: FakeBorzo) -> None:
    fake.on("GET /courier", fixture("borzo", "courier_response"))
    found = await carrier(fake).courier(booked())
    assert fake.seen[0].url.params["order_id"] == "1250032"
    assert found == Courier(
        name="Name Surname",
        phone="6288800000001",
        vehicle="motorbike",
        location=GeoPoint(-6.2914558, 106.8322649),
        located_at=NOW,
    )


async def test_no_courier_yet(fake: FakeBorzo) -> None:
    fake.on("GET /courier", {"is_successful": True, "courier": None})
    assert await carrier(fake).courier(booked()) is None


async def test_pdf_labels_for_several_shipments(fake: FakeBorzo) -> None:
    fake.on("GET /labels", fixture("borzo", "labels_pdf_response"))
    shipments = [
        booked(id="shp_a"),
        booked(id="shp_b", carrier_shipment_id="1250033"),
        booked(id="shp_c", carrier_shipment_id="1250099"),
    ]
    found = await carrier(fake).labels(shipments, DocumentFormat.PDF)
    assert fake.seen[0].url.params.multi_items() == [
        ("type", "pdf"),
        ("order_id[]", "1250032"),
        ("order_id[]", "1250033"),
        ("order_id[]", "1250099"),
    ]
    pdf = fixture("borzo", "labels_pdf_response")["labels"][0]["content_base64"]
    assert [len(found[s]) for s in ("shp_a", "shp_b", "shp_c")] == [3, 2, 0]
    assert found["shp_a"][0] == Document(DocumentKind.LABEL, DocumentFormat.PDF, content=pdf)


async def test_zpl_labels_come_base64_encoded(fake: FakeBorzo) -> None:
    fake.on("GET /labels", fixture("borzo", "labels_zpl_response"))
    found = await carrier(fake).labels([booked()], DocumentFormat.ZPL)
    assert fake.seen[0].url.params["type"] == "zpl"
    zpl = fixture("borzo", "labels_zpl_response")["labels"][0]["content"]
    [first, *_] = found["shp_1"]
    assert first.format == DocumentFormat.ZPL
    assert first.content is not None
    assert base64.b64decode(first.content).decode() == zpl


@pytest.mark.parametrize("format", [DocumentFormat.PNG, DocumentFormat.HTML])
async def test_other_label_formats_are_unsupported(fake: FakeBorzo, format: DocumentFormat) -> None:
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).labels([booked()], format)
    assert caught.value.code == ErrorCode.UNSUPPORTED
    assert [e.field for e in caught.value.field_errors] == [("format",)]
    assert fake.seen == []


# --- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize(("borzo", "ours"), EXPECTED_CODES.items())
async def test_every_error_code_over_http(fake: FakeBorzo, borzo: str, ours: ErrorCode) -> None:
    fake.on("POST /cancel-order", {"is_successful": False, "errors": [borzo]}, 400)
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).cancel(booked(), None)
    assert caught.value.code == ours
    assert caught.value.retryable == (
        ours in (ErrorCode.CARRIER_UNAVAILABLE, ErrorCode.RATE_LIMITED)
    )


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (httpx.Response(500, json={"is_successful": False}), ErrorCode.CARRIER_UNAVAILABLE),
        (httpx.Response(503, text="<html>down</html>"), ErrorCode.CARRIER_UNAVAILABLE),
        (httpx.Response(200, text="{not json"), ErrorCode.CARRIER_UNAVAILABLE),
        (httpx.Response(200, json=["a"]), ErrorCode.CARRIER_UNAVAILABLE),
        (httpx.Response(200, json={"is_successful": False}), ErrorCode.CARRIER_UNAVAILABLE),
        (httpx.Response(400, text="Bad Request"), ErrorCode.CARRIER_UNAVAILABLE),
        (httpx.Response(429, text="slow down"), ErrorCode.RATE_LIMITED),
        (httpx.Response(401, text="no"), ErrorCode.CARRIER_AUTH),
    ],
)
async def test_broken_answers(fake: FakeBorzo, response: httpx.Response, code: ErrorCode) -> None:
    fake.answers["GET /orders"] = lambda _: response
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).track("1250032")
    assert caught.value.code == code


async def test_a_hang_is_unavailable_within_the_deadline() -> None:
    adapter = carrier(never_answers, timeout_s=0.05)
    started = asyncio.get_running_loop().time()
    with pytest.raises(CarrierError) as caught:
        await adapter.create(doc_request())
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE
    assert caught.value.retryable
    assert asyncio.get_running_loop().time() - started < 1


async def test_a_connection_failure_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(CarrierError) as caught:
        await carrier(refuse).courier(booked())
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE


async def test_a_limiter_refusal_calls_nothing(fake: FakeBorzo) -> None:
    class Exhausted:
        async def acquire(self) -> None:
            raise CarrierError(INFO.code, ErrorCode.RATE_LIMITED, "budget spent")

    with pytest.raises(CarrierError) as caught:
        await carrier(fake, limiter=Exhausted()).track("1250032")
    assert caught.value.code == ErrorCode.RATE_LIMITED
    assert fake.seen == []


# --- callbacks through the adapter ------------------------------------------------------------


def test_callbacks_through_the_adapter(fake: FakeBorzo) -> None:
    adapter = carrier(fake)
    body = fixture_bytes("borzo", "callback_order_created")
    signature = hmac.new(b"CALLBACK_SECRET_KEY", body, hashlib.sha256).hexdigest()
    adapter.verify_webhook({"x-dv-signature": signature}, {}, body)
    with pytest.raises(WebhookRejected):
        adapter.verify_webhook({}, {}, body)
    with pytest.raises(WebhookRejected) as caught:
        carrier(fake, callback_secret=None).verify_webhook({"x-dv-signature": signature}, {}, body)
    assert caught.value.status == 401
    [update] = adapter.parse_webhook(body)
    assert update.carrier_shipment_id == "1250032"
