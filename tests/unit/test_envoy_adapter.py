"""The Envoy adapter over HTTP, against httpx.MockTransport handlers answering with
the document's examples."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.envoy import INFO, EnvoyCarrier, EnvoyPending, rates
from shipgraph.domain import (
    Capability,
    CarrierCode,
    Document,
    DocumentFormat,
    DocumentKind,
    ErrorCode,
    GeoPoint,
    Money,
    Shipment,
    ShipmentStatus,
)
from tests.support.builders import shipment
from tests.support.fixtures import fixture
from tests.unit.test_envoy_mapping import DOC_DOCUMENT
from tests.unit.test_envoy_rates import DOC_RATE
from tests.unit.test_envoy_requests import DOC_BODY, doc_request, with_label

BASE = "https://api.envoy.one"
TOKEN = "envoy-token"
KEY = rates.signing_key(TOKEN)
NOW = datetime(2024, 6, 18, 10, 0, tzinfo=UTC)
SHP = "shp_0ujzPyRiIAffKhBux4PvQdDqMHY"
CREATE = "POST /shipments"
READ = f"GET /shipments/{SHP}"
PURCHASE = f"POST /shipments/{SHP}/purchase"
LIST = "GET /shipments"


def doc_shipment(**changes: Any) -> dict[str, Any]:
    """envoy.txt's Shipment example (the fields the adapter reads), status purchased."""
    value: dict[str, Any] = {
        "id": SHP,
        "name": "ORDER-273548",
        "packages": [{"name": "string", "geometry": {"length": 0, "width": 0, "height": 0}}],
        "documents": [copy.deepcopy(DOC_DOCUMENT)],
        "rates": [copy.deepcopy(DOC_RATE)],
        "service": {
            "rate": "rate_2iBgUKWHmQlBjYQyx9fAGMvcCEp",
            "carrier": {"id": "car_2iBgUOHPuWh0Hvjc81euqKXTW5N", "name": "UPS", "handle": "ups"},
            "carrier_service": {
                "id": "cs_2iBgUOHPuWh0Hvjc81euqKXTW5N",
                "name": "Express",
                "handle": "express",
            },
            "carrier_account": {
                "id": "ca_2iBgUOHPuWh0Hvjc81euqKXTW5N",
                "name": "Main Account",
                "handle": None,
            },
        },
        "status": "purchased",
        "created_at": "2019-08-24T14:15:22Z",
        "updated_at": "2019-08-24T14:15:22Z",
        "errors": [
            {
                "type": "rate_error",
                "code": "rates_unavailable",
                "source": "provider",
                "message": "rates are not available for the provided shipment",
            }
        ],
    }
    value.update(changes)
    return value


def envoy_rate(rate_id: str, minor: int, currency: str = "USD", name: str = "Express") -> Any:
    entry = copy.deepcopy(DOC_RATE)
    entry.update(id=rate_id, rate=minor, currency_code=currency)
    entry["carrier_service"]["name"] = name
    return entry


RATES = [
    envoy_rate("rate_a", 1650, name="Express"),
    envoy_rate("rate_b", 990, name="Ground"),
    envoy_rate("rate_c", 700, "GBP", name="Economy"),
]


def rated(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "status": "rated",
        "documents": [],
        "service": None,
        "errors": [],
        "rates": copy.deepcopy(RATES),
    }
    values.update(changes)
    return doc_shipment(**values)


class FakeEnvoy:
    """Answers "METHOD path" from queues (the last answer repeats)."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []
        self.answers: dict[str, list[httpx.Response]] = {}

    def on(self, route: str, *answers: httpx.Response) -> None:
        self.answers[route] = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        queue = self.answers.get(f"{request.method} {request.url.path}")
        if not queue:
            return httpx.Response(404, json={"message": "no such route"})
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def requests(self, route: str) -> list[httpx.Request]:
        return [r for r in self.seen if f"{r.method} {r.url.path}" == route]

    def bodies(self, route: str) -> list[Any]:
        return [json.loads(r.content) for r in self.requests(route)]


@pytest.fixture
def fake() -> FakeEnvoy:
    return FakeEnvoy()


def carrier(fake: FakeEnvoy, **kwargs: Any) -> EnvoyCarrier:
    values: dict[str, Any] = {
        "base_url": BASE,
        "access_token": TOKEN,
        "timeout_s": 2.0,
        "transport": httpx.MockTransport(fake),
        "clock": lambda: NOW,
        "poll_initial_s": 0.001,
        "poll_max_s": 0.004,
    }
    values.update(kwargs)
    return EnvoyCarrier(**values)


def booked(**changes: Any) -> Shipment:
    values: dict[str, Any] = {
        "carrier": CarrierCode.ENVOY,
        "carrier_shipment_id": SHP,
        "status": ShipmentStatus.CREATED,
    }
    values.update(changes)
    return shipment(**values)


def test_info() -> None:
    assert INFO.code == CarrierCode.ENVOY
    assert INFO.capabilities == {
        Capability.RATES,
        Capability.CREATE,
        Capability.TRACK,
        Capability.LABELS,
    }


async def test_unsupported_operations(fake: FakeEnvoy) -> None:
    with pytest.raises(CarrierError) as cancelled:
        await carrier(fake).cancel(booked(), None)
    assert cancelled.value.code == ErrorCode.UNSUPPORTED


# --- drafts and rates ---------------------------------------------------------------


async def test_draft_201_sends_the_documents_body_with_the_bearer_token(fake: FakeEnvoy) -> None:
    fake.on(CREATE, httpx.Response(201, json=rated()))
    draft = await carrier(fake).draft(doc_request())
    (sent,) = fake.requests(CREATE)
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["accept"] == "application/json"
    assert json.loads(sent.content) == with_label(DOC_BODY)
    assert draft.shipment_id == SHP
    assert (draft.status, draft.carrier_status) == (ShipmentStatus.DRAFT, "rated")
    assert [r.service for r in draft.rates] == ["UPS Express", "UPS Ground", "UPS Economy"]
    assert [r.total for r in draft.rates] == [
        Money(Decimal("16.50"), "USD"),
        Money(Decimal("9.90"), "USD"),
        Money(Decimal("7.00"), "GBP"),
    ]
    assert rates.decode_rate_id(KEY, draft.rates[1].id) == rates.RateRef(SHP, "rate_b")
    assert draft.errors == []


async def test_draft_with_png_labels(fake: FakeEnvoy) -> None:
    fake.on(CREATE, httpx.Response(201, json=rated()))
    await carrier(fake).draft(doc_request(), DocumentFormat.PNG)
    assert fake.bodies(CREATE)[0]["options"]["label"] == {"format": "png"}


async def test_rates_keep_errors_when_some_rates_exist(fake: FakeEnvoy) -> None:
    partial = rated(errors=doc_shipment()["errors"])
    fake.on(CREATE, httpx.Response(201, json=partial))
    envoy = carrier(fake)
    assert len(await envoy.rates(doc_request())) == 3
    draft = await envoy.draft(doc_request())
    assert [e.message for e in draft.errors] == [
        "Envoy: rates_unavailable (rates are not available for the provided shipment)"
    ]


async def test_rates_with_only_errors_raise(fake: FakeEnvoy) -> None:
    fake.on(CREATE, httpx.Response(201, json=rated(rates=[], errors=doc_shipment()["errors"])))
    with pytest.raises(CarrierError) as raised:
        await carrier(fake).rates(doc_request())
    assert raised.value.code == ErrorCode.VALIDATION
    assert "rates_unavailable" in raised.value.message


async def test_rates_none_and_no_errors_is_an_empty_list(fake: FakeEnvoy) -> None:
    fake.on(CREATE, httpx.Response(201, json=rated(rates=[])))
    assert await carrier(fake).rates(doc_request()) == []


async def test_202_is_polled_until_rated(fake: FakeEnvoy) -> None:
    accepted = {"id": SHP, "status": "created"}
    fake.on(CREATE, httpx.Response(202, json=accepted))
    fake.on(
        READ,
        httpx.Response(200, json=rated(status="created", rates=[])),
        httpx.Response(200, json=rated(status="created", rates=[])),
        httpx.Response(200, json=rated()),
    )
    draft = await carrier(fake).draft(doc_request())
    assert len(fake.requests(READ)) == 3
    assert fake.requests(READ)[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert draft.carrier_status == "rated"
    assert len(draft.rates) == 3


async def test_202_still_pending_at_the_deadline(fake: FakeEnvoy) -> None:
    fake.on(CREATE, httpx.Response(202, json={"id": SHP, "status": "created"}))
    fake.on(READ, httpx.Response(200, json=rated(status="created", rates=[])))
    envoy = carrier(fake, timeout_s=0.05)
    with pytest.raises(EnvoyPending) as raised:
        await envoy.draft(doc_request())
    assert raised.value.shipment_id == SHP
    assert raised.value.code == ErrorCode.CARRIER_UNAVAILABLE
    assert raised.value.retryable
    assert len(fake.requests(READ)) >= 2  # polled, with backoff, until the deadline


async def test_transient_failure_while_polling_is_pending(fake: FakeEnvoy) -> None:
    fake.on(CREATE, httpx.Response(202, json={"id": SHP}))
    fake.on(READ, httpx.Response(503, text="busy"))
    with pytest.raises(EnvoyPending) as raised:
        await carrier(fake).draft(doc_request())
    assert raised.value.shipment_id == SHP


async def test_refusal_before_sending(fake: FakeEnvoy) -> None:
    request = doc_request(cash_on_delivery=Money(Decimal("5"), "USD"))
    with pytest.raises(CarrierError) as raised:
        await carrier(fake).draft(request)
    assert raised.value.code == ErrorCode.UNSUPPORTED
    assert raised.value.field_errors[0].field == ("shipment", "cashOnDelivery")
    assert fake.seen == []


# --- bookings -------------------------------------------------------------------------


async def test_create_with_a_rate_id_purchases_only(fake: FakeEnvoy) -> None:
    fake.on(PURCHASE, httpx.Response(200, json=doc_shipment()))
    rate_id = rates.encode_rate_id(KEY, SHP, "rate_2iBgUKWHmQlBjYQyx9fAGMvcCEp")
    result = await carrier(fake).create(doc_request(), rate_id)
    assert fake.requests(CREATE) == []
    assert fake.bodies(PURCHASE) == [{"rate": "rate_2iBgUKWHmQlBjYQyx9fAGMvcCEp"}]
    assert result.carrier_shipment_id == SHP
    assert (result.status, result.carrier_status) == (ShipmentStatus.CREATED, "purchased")
    assert result.tracking_number is None  # the document's Shipment has none
    assert result.documents == (
        Document(DocumentKind.LABEL, DocumentFormat.PNG, url=DOC_DOCUMENT["file_url"]),
    )
    # The document's service: carrier, carrier_service and carrier_account kept. Its
    # rates list "string", not the purchased rate: no ship_date to keep.
    assert result.carrier_data == {
        "shipment_id": SHP,
        "rate_id": "rate_2iBgUKWHmQlBjYQyx9fAGMvcCEp",
        "service": "UPS Express",
        "carrier": "UPS",
        "carrier_service": "Express",
        "carrier_account": {"id": "ca_2iBgUOHPuWh0Hvjc81euqKXTW5N", "name": "Main Account"},
        "ship_date": None,
    }
    assert result.estimated_pickup_at is None
    assert result.service == "UPS Express"


async def test_the_purchased_rates_ship_date_and_account_are_kept(fake: FakeEnvoy) -> None:
    answer = doc_shipment(rates=copy.deepcopy(RATES), service=None)
    answer["rates"][1]["carrier_account"] = {"id": "ca_rate_b", "name": "Ground Account"}
    fake.on(PURCHASE, httpx.Response(200, json=answer))
    result = await carrier(fake).purchase(SHP, "rate_b")
    # The document's rate: "ship_date": "2024-06-18T14:15:22Z".
    shipped = datetime(2024, 6, 18, 14, 15, 22, tzinfo=UTC)
    assert result.estimated_pickup_at == shipped
    assert result.carrier_data["ship_date"] == shipped.isoformat()
    assert result.carrier_data["carrier_account"] == {"id": "ca_rate_b", "name": "Ground Account"}


async def test_where_envoy_placed_the_addresses_is_kept(fake: FakeEnvoy) -> None:
    # envoy.txt, Buy Shipment's answer: each address has "coordinates" {"latitude":
    # 51.5134297, "longitude": -0.103145, "confidence": 1}.
    fake.on(PURCHASE, httpx.Response(200, json=fixture("envoy", "purchase_response")))
    result = await carrier(fake).purchase(SHP, "rate_2iBgUKWHmQlBjYQyx9fAGMvcCEp")
    placed = GeoPoint(51.5134297, -0.103145)
    assert (result.origin_coordinates, result.destination_coordinates) == (placed, placed)
    unplaced = doc_shipment(addresses={"origin": {"coordinates": {"latitude": 91}}})
    fake.on(PURCHASE, httpx.Response(200, json=unplaced))
    result = await carrier(fake).purchase(SHP, "rate_2iBgUKWHmQlBjYQyx9fAGMvcCEp")
    assert (result.origin_coordinates, result.destination_coordinates) == (None, None)


async def test_the_carriers_own_tracking_number_after_purchase(fake: FakeEnvoy) -> None:
    # Not in envoy.txt's Shipment model: read as tracking_number or tracking_code, on
    # the shipment or its package, when Envoy sends one.
    for where in ("shipment", "package"):
        answer = doc_shipment()
        holder = answer if where == "shipment" else answer["packages"][0]
        holder["tracking_code"] = "1Z999AA10123456784"
        fake.on(PURCHASE, httpx.Response(200, json=answer))
        result = await carrier(fake).purchase(SHP, "rate_2iBgUKWHmQlBjYQyx9fAGMvcCEp")
        assert result.tracking_number == "1Z999AA10123456784"


async def test_track_asks_by_the_shipment_id_whatever_the_number(fake: FakeEnvoy) -> None:
    fake.on(READ, httpx.Response(200, json=doc_shipment(tracking_number="1Z999AA10123456784")))
    envoy = carrier(fake)
    shipment = booked(tracking_number="1Z999AA10123456784")
    assert envoy.tracking_key(shipment) == SHP
    tracking = await envoy.track(SHP)
    assert (tracking.carrier_shipment_id, tracking.tracking_number) == (
        SHP,
        "1Z999AA10123456784",
    )


async def test_purchase_price_is_the_purchased_rate(fake: FakeEnvoy) -> None:
    answer = doc_shipment(rates=copy.deepcopy(RATES))
    answer["service"]["rate"] = "rate_b"
    fake.on(PURCHASE, httpx.Response(201, json=answer))
    result = await carrier(fake).purchase(SHP, "rate_b")
    assert result.price == Money(Decimal("9.90"), "USD")
    assert result.estimated_delivery_at == datetime(2024, 6, 21, 14, 15, 22, tzinfo=UTC)


async def test_create_with_a_malformed_rate_id(fake: FakeEnvoy) -> None:
    with pytest.raises(CarrierError) as raised:
        await carrier(fake).create(doc_request(), "ENVOY:bogus.0000")
    assert raised.value.code == ErrorCode.VALIDATION
    assert raised.value.field_errors[0].field == ("rateId",)
    assert fake.seen == []


async def test_create_without_a_rate_buys_the_cheapest(fake: FakeEnvoy) -> None:
    fake.on(CREATE, httpx.Response(201, json=rated()))
    bought = doc_shipment(rates=copy.deepcopy(RATES), documents=[DOC_DOCUMENT])
    bought["service"] = None  # the price then comes from the quote
    fake.on(PURCHASE, httpx.Response(200, json=bought))
    result = await carrier(fake).create(doc_request())
    assert len(fake.requests(CREATE)) == 1
    # GBP 7.00 is not compared with USD: the cheapest in the first rate's currency.
    assert fake.bodies(PURCHASE) == [{"rate": "rate_b"}]
    assert result.price == Money(Decimal("9.90"), "USD")
    assert result.carrier_data["service"] == "UPS Ground"


async def test_create_without_a_rate_prefers_the_declared_currency(fake: FakeEnvoy) -> None:
    fake.on(CREATE, httpx.Response(201, json=rated()))
    fake.on(PURCHASE, httpx.Response(200, json=doc_shipment(rates=copy.deepcopy(RATES))))
    await carrier(fake).create(doc_request(declared_value=Money(Decimal("100"), "GBP")))
    assert fake.bodies(PURCHASE) == [{"rate": "rate_c"}]


async def test_create_without_rates_raises(fake: FakeEnvoy) -> None:
    fake.on(CREATE, httpx.Response(201, json=rated(rates=[])))
    with pytest.raises(CarrierError) as raised:
        await carrier(fake).create(doc_request())
    assert raised.value.code == ErrorCode.VALIDATION
    assert fake.requests(PURCHASE) == []


async def test_purchase_202_is_polled(fake: FakeEnvoy) -> None:
    fake.on(PURCHASE, httpx.Response(202, json={"id": SHP, "status": "rated"}))
    fake.on(READ, httpx.Response(200, json=rated()), httpx.Response(200, json=doc_shipment()))
    result = await carrier(fake).purchase(SHP, "rate_2iBgUKWHmQlBjYQyx9fAGMvcCEp")
    assert result.status == ShipmentStatus.CREATED
    assert len(fake.requests(READ)) == 2


async def test_purchase_refused_in_the_answer(fake: FakeEnvoy) -> None:
    fake.on(PURCHASE, httpx.Response(200, json=rated(errors=doc_shipment()["errors"])))
    with pytest.raises(CarrierError) as raised:
        await carrier(fake).purchase(SHP, "rate_a")
    assert raised.value.code == ErrorCode.VALIDATION


@pytest.mark.parametrize(
    ("errors", "code"), [(True, ErrorCode.VALIDATION), (False, ErrorCode.CARRIER_UNAVAILABLE)]
)
async def test_a_purchase_answered_failed_is_no_booking(
    fake: FakeEnvoy, errors: bool, code: ErrorCode
) -> None:
    found = doc_shipment()["errors"] if errors else []
    fake.on(PURCHASE, httpx.Response(200, json=rated(status="failed", rates=[], errors=found)))
    with pytest.raises(CarrierError) as raised:
        await carrier(fake).purchase(SHP, "rate_a")
    assert raised.value.code == code


async def test_a_pending_draft_read_while_creating_or_failed_is_a_draft(fake: FakeEnvoy) -> None:
    fake.on(
        READ,
        httpx.Response(200, json=rated(status="creating", rates=None, errors=None)),
        httpx.Response(200, json=rated(status="failed", rates=None)),
    )
    envoy = carrier(fake)
    pending = booked(status=ShipmentStatus.DRAFT, carrier_status="created")
    for raw in ("creating", "failed"):
        update = await envoy.refresh(pending)
        assert (update.status, update.carrier_status) == (ShipmentStatus.DRAFT, raw)


async def test_purchase_conflict_is_invalid_state(fake: FakeEnvoy) -> None:
    fake.on(PURCHASE, httpx.Response(409, json={"message": "already purchased"}))
    with pytest.raises(CarrierError) as raised:
        await carrier(fake).purchase(SHP, "rate_a")
    assert raised.value.code == ErrorCode.INVALID_STATE


# --- reads ----------------------------------------------------------------------------


async def test_refresh_and_track(fake: FakeEnvoy) -> None:
    fake.on(READ, httpx.Response(200, json=doc_shipment()))
    envoy = carrier(fake)
    update = await envoy.refresh(booked())
    assert update.carrier_shipment_id == SHP
    assert (update.status, update.carrier_status) == (ShipmentStatus.CREATED, "purchased")
    assert update.log is not None
    assert update.log.occurred_at == datetime(2019, 8, 24, 14, 15, 22, tzinfo=UTC)
    assert update.event_id == f"envoy:{SHP}:purchased:2019-08-24T14:15:22+00:00"
    tracking = await envoy.track(SHP)
    assert (tracking.status, tracking.carrier_status) == (ShipmentStatus.CREATED, "purchased")
    view = await envoy.shipment(SHP)
    assert view.documents[0].format == DocumentFormat.PNG


async def test_unknown_status_is_kept(fake: FakeEnvoy) -> None:
    fake.on(READ, httpx.Response(200, json=doc_shipment(status="in_transit", updated_at=None)))
    update = await carrier(fake).refresh(booked())
    assert (update.status, update.carrier_status) == (ShipmentStatus.UNKNOWN, "in_transit")
    assert update.log is not None
    assert update.log.occurred_at == datetime(2019, 8, 24, 14, 15, 22, tzinfo=UTC)


async def test_labels_in_the_purchased_format(fake: FakeEnvoy) -> None:
    fake.on(READ, httpx.Response(200, json=doc_shipment()))
    found = await carrier(fake).labels([booked(id="s1")], DocumentFormat.PNG)
    assert found == {
        "s1": [Document(DocumentKind.LABEL, DocumentFormat.PNG, url=DOC_DOCUMENT["file_url"])]
    }


async def test_labels_in_another_format_are_unsupported(fake: FakeEnvoy) -> None:
    fake.on(READ, httpx.Response(200, json=doc_shipment()))
    with pytest.raises(CarrierError) as raised:
        await carrier(fake).labels([booked(id="s1")], DocumentFormat.PDF)
    assert raised.value.code == ErrorCode.UNSUPPORTED
    assert raised.value.field_errors[0].field == ("format",)


async def test_labels_of_an_unpurchased_shipment(fake: FakeEnvoy) -> None:
    fake.on(READ, httpx.Response(200, json=rated()))
    with pytest.raises(CarrierError) as raised:
        await carrier(fake).labels([booked(id="s1")], DocumentFormat.PDF)
    assert raised.value.code == ErrorCode.INVALID_STATE


async def test_list_walks_cursors(fake: FakeEnvoy) -> None:
    second = doc_shipment(id="shp_2", status="rated")
    fake.on(
        LIST,
        httpx.Response(200, json={"data": [doc_shipment()], "next_cursor": "c2", "limit": 1}),
        httpx.Response(200, json={"data": [second], "next_cursor": "c3", "limit": 1}),
        httpx.Response(200, json={"data": [], "next_cursor": None, "limit": 1}),
    )
    envoy = carrier(fake)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page, cursor = await envoy.list_shipments(cursor, 1, batch_id="b1")
        pages += 1
        seen += [s.shipment_id for s in page]
        if cursor is None:
            break
    assert (seen, pages) == ([SHP, "shp_2"], 3)
    params = [dict(r.url.params) for r in fake.requests(LIST)]
    fields = "rates,selected_rate,documents,errors"
    assert params == [
        {"limit": "1", "include_fields": fields, "batch_id": "b1"},
        {"limit": "1", "include_fields": fields, "batch_id": "b1", "cursor": "c2"},
        {"limit": "1", "include_fields": fields, "batch_id": "b1", "cursor": "c3"},
    ]


async def test_list_entries_are_summaries(fake: FakeEnvoy) -> None:
    fake.on(LIST, httpx.Response(200, json={"data": [doc_shipment(), {"no": "id"}]}))
    page, cursor = await carrier(fake).list_shipments(None, 20)
    assert cursor is None
    (first,) = page
    assert first.name == "ORDER-273548"
    assert first.selected_rate_id == "rate_2iBgUKWHmQlBjYQyx9fAGMvcCEp"
    assert first.service == "UPS Express"
    assert first.status == ShipmentStatus.CREATED


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (httpx.Response(400, json={"message": "bad"}), ErrorCode.VALIDATION),
        (httpx.Response(422, json={"errors": [{"message": "x"}]}), ErrorCode.VALIDATION),
        (httpx.Response(401, json={"message": "no token"}), ErrorCode.CARRIER_AUTH),
        (httpx.Response(403), ErrorCode.CARRIER_AUTH),
        (httpx.Response(404, json={"message": "missing"}), ErrorCode.NOT_FOUND),
        (httpx.Response(409, json={"message": "dup"}), ErrorCode.CONFLICT),
        (httpx.Response(429, text="slow down"), ErrorCode.RATE_LIMITED),
        (httpx.Response(500, text="boom"), ErrorCode.CARRIER_UNAVAILABLE),
        (httpx.Response(503), ErrorCode.CARRIER_UNAVAILABLE),
        (httpx.Response(201, text="{not json"), ErrorCode.CARRIER_UNAVAILABLE),
        (httpx.Response(201, json=[1, 2]), ErrorCode.CARRIER_UNAVAILABLE),
        (httpx.Response(201, json={"status": "rated"}), ErrorCode.CARRIER_UNAVAILABLE),
    ],
)
async def test_errors_table(fake: FakeEnvoy, answer: httpx.Response, code: ErrorCode) -> None:
    fake.on(CREATE, answer)
    with pytest.raises(CarrierError) as raised:
        await carrier(fake).draft(doc_request())
    assert raised.value.code == code


async def test_validation_errors_at_input_paths(fake: FakeEnvoy) -> None:
    body = {
        "errors": [
            {"code": "invalid", "field": "addresses.destination.address.post_code"},
            {"code": "required", "field": "packages[0].geometry.mass"},
        ]
    }
    fake.on(CREATE, httpx.Response(422, json=body))
    with pytest.raises(CarrierError) as raised:
        await carrier(fake).draft(doc_request())
    assert [e.field for e in raised.value.user_errors()] == [
        ("shipment", "destination", "postalCode"),
        ("shipment", "parcels", "0", "weightKg"),
    ]


async def test_timeout_is_unavailable(fake: FakeEnvoy) -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    envoy = EnvoyCarrier(
        base_url=BASE, access_token=TOKEN, timeout_s=0.05, transport=httpx.MockTransport(hang)
    )
    with pytest.raises(CarrierError) as raised:
        await envoy.track(SHP)
    assert raised.value.code == ErrorCode.CARRIER_UNAVAILABLE


async def test_the_fixture_answers(fake: FakeEnvoy) -> None:
    """tests/fixtures/envoy/*: the document's create and list answers as written out."""
    fake.on(CREATE, httpx.Response(201, json=fixture("envoy", "create_response")))
    fake.on(LIST, httpx.Response(200, json=fixture("envoy", "list_response")))
    envoy = carrier(fake)
    draft = await envoy.draft(doc_request())
    assert (draft.shipment_id, draft.status) == (SHP, ShipmentStatus.CREATED)
    assert [r.total for r in draft.rates] == [Money(Decimal("16.50"), "USD")]
    page, cursor = await envoy.list_shipments(None, 20)
    assert [s.shipment_id for s in page] == [SHP]
    assert cursor == "WyIyMDIzLTAzLTIxVDAwOjM1OjU5LjczMDYyMVoiXQ=="
