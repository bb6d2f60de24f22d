"""The Entrego adapter over HTTP, against httpx.MockTransport handlers that answer with
the document's examples."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.entrego import INFO, EntregoCarrier, adapter
from shipgraph.domain import (
    Capability,
    CarrierCode,
    CleanedAddress,
    Document,
    DocumentFormat,
    DocumentKind,
    ErrorCode,
    Location,
    LocationLevel,
    Money,
    Parcel,
    PortCode,
    Shipment,
    ShipmentPatch,
    ShipmentStatus,
)
from tests.support.builders import shipment
from tests.support.carriers import never_answers
from tests.support.fixtures import fixture
from tests.unit.test_entrego_requests import doc_request, marketplace_request

API = "https://api-sandbox.entrego.org"
CORE = "https://api-core-staging.entrego.org"
NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
Answer = httpx.Response | Callable[[httpx.Request], Awaitable[httpx.Response]]


class FakeTokens:
    """The TokenCache interface: get(fetch) and invalidate(token)."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.expires: datetime | None = None
        self.fetches = 0
        self.invalidated: list[str] = []

    async def get(self, fetch: Callable[[], Awaitable[tuple[str, datetime]]]) -> str:
        if self.token is None:
            self.token, self.expires = await fetch()
            self.fetches += 1
        return self.token

    async def invalidate(self, token: str) -> None:
        self.invalidated.append(token)
        if self.token == token:
            self.token = None


class FakeEntrego:
    """Answers "METHOD host/path" from queues (the last answer repeats)."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []
        self.answers: dict[str, list[Answer]] = {}
        self.issued = 0

    def on(self, route: str, *answers: Answer) -> None:
        self.answers[route] = list(answers)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        route = f"{request.method} {request.url.host}{request.url.path}"
        if route == "POST api-sandbox.entrego.org/v1/authenticate" and route not in self.answers:
            self.issued += 1
            return httpx.Response(200, json={"jwt": f"jwt-{self.issued}"})
        queue = self.answers.get(route)
        if not queue:
            return httpx.Response(404, json={"message": f"no route {route}"})
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer if isinstance(answer, httpx.Response) else await answer(request)

    def requests(self, route: str) -> list[httpx.Request]:
        return [r for r in self.seen if f"{r.method} {r.url.host}{r.url.path}" == route]

    def bodies(self, route: str) -> list[Any]:
        return [json.loads(r.content) for r in self.requests(route)]


ORDER = "POST api-sandbox.entrego.org/v1/sales-order"
MARKETPLACE = "POST api-sandbox.entrego.org/v1/sales-order/marketplace"
PATCH = "PATCH api-sandbox.entrego.org/v1/sales-order"
CANCEL = "POST api-sandbox.entrego.org/v1/sales-order/marketplace/cancel"
AUTH = "POST api-sandbox.entrego.org/v1/authenticate"
GENERATE = "POST api-core-staging.entrego.org/v1/awb-tool/client-waybill-generation"
OUTPUT = "GET api-core-staging.entrego.org/v1/awb-tool/client-generate-output/getByDocumentId"


def created(name: str = "sales_order_response") -> httpx.Response:
    answer = fixture("entrego", name)
    location = f"/v1/sales-order/{answer['orderNumber']}"
    return httpx.Response(201, json=answer, headers={"Location": location})


@pytest.fixture
def fake() -> FakeEntrego:
    return FakeEntrego()


@pytest.fixture
def tokens() -> FakeTokens:
    return FakeTokens()


def carrier(fake: FakeEntrego, tokens: FakeTokens, **kwargs: Any) -> EntregoCarrier:
    values: dict[str, Any] = {
        "base_url": API,
        "core_url": CORE,
        "access_key": "admin-access",
        "secret_key": "admin-secret",
        "webhook_token": "hook",
        "timeout_s": 2.0,
        "tokens": tokens,
        "transport": httpx.MockTransport(fake),
        "clock": lambda: NOW,
    }
    values.update(kwargs)
    return EntregoCarrier(**values)


def booked(**changes: Any) -> Shipment:
    values: dict[str, Any] = {
        "carrier": CarrierCode.ENTREGO,
        "carrier_shipment_id": "21c123fb-472a-4602-adef-f37104ae8bb2",
        "tracking_number": "0031-123456789010",
        "parcels": (Parcel(weight_kg=1.5, width_cm=1.5, height_cm=4.5, length_cm=2.5),),
        "instructions": "Please beware of the dogs",
    }
    values.update(changes)
    return shipment(**values)


async def fails(call: Awaitable[Any]) -> CarrierError:
    with pytest.raises(CarrierError) as caught:
        await call
    assert caught.value.carrier == CarrierCode.ENTREGO
    return caught.value


def test_info() -> None:
    assert INFO.code == CarrierCode.ENTREGO and INFO.countries == ("PH",)
    assert Capability.TRACK in INFO.capabilities  # refresh by the order's Location
    assert Capability.LOCATIONS in INFO.capabilities
    assert Capability.CASH_ON_DELIVERY in INFO.capabilities


# --- auth ----------------------------------------------------------------------------


async def test_token_comes_from_the_token_cache_and_rides_on_every_call(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    fake.on(ORDER, created())
    entrego = carrier(fake, tokens)
    await entrego.create(doc_request())
    await entrego.create(doc_request())
    assert tokens.fetches == 1
    assert fake.bodies(AUTH) == [{"accessKey": "admin-access", "secretKey": "admin-secret"}]
    assert "authorization" not in fake.requests(AUTH)[0].headers
    assert [r.headers["authorization"] for r in fake.requests(ORDER)] == ["Bearer jwt-1"] * 2
    assert tokens.expires == NOW + timedelta(hours=24)


async def test_expiry_is_read_from_a_live_jwt(fake: FakeEntrego, tokens: FakeTokens) -> None:
    jwt = fixture("entrego", "authenticate_response")["jwt"]
    fake.on(AUTH, httpx.Response(200, json={"jwt": jwt}))
    fake.on(ORDER, created())
    # The document's token, read the day before its exp (1545468811).
    await carrier(fake, tokens, clock=lambda: datetime(2018, 12, 21, tzinfo=UTC)).create(
        doc_request()
    )
    assert tokens.expires == datetime.fromtimestamp(1545468811, UTC)


async def test_the_token_may_come_in_the_authorization_header_only(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    # entrego.txt, Authentication: "Authorization:Bearer eyJ..." beside the body's jwt.
    jwt = fixture("entrego", "authenticate_response")["jwt"]
    fake.on(AUTH, httpx.Response(200, headers={"Authorization": f"Bearer {jwt}"}))
    fake.on(ORDER, created())
    await carrier(fake, tokens).create(doc_request())
    assert fake.requests(ORDER)[0].headers["authorization"] == f"Bearer {jwt}"
    fake.on(AUTH, httpx.Response(200, json={"jwt": ""}))
    tokens.token = None
    error = await fails(carrier(fake, tokens).create(doc_request()))
    assert error.code == ErrorCode.CARRIER_UNAVAILABLE


async def test_403_drops_the_token_and_retries_once(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(ORDER, httpx.Response(403, json={}), created())
    booking = await carrier(fake, tokens).create(doc_request())
    assert booking.tracking_number == "0031-123456789010"
    assert tokens.invalidated == ["jwt-1"]
    auths = [r.headers["authorization"] for r in fake.requests(ORDER)]
    assert auths == ["Bearer jwt-1", "Bearer jwt-2"]


async def test_403_after_the_retry_is_carrier_auth(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(ORDER, httpx.Response(403, json={}))
    error = await fails(carrier(fake, tokens).create(doc_request()))
    assert error.code == ErrorCode.CARRIER_AUTH
    assert len(fake.requests(ORDER)) == 2


async def test_refused_keys_are_carrier_auth(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(AUTH, httpx.Response(401, json={"message": "Bad credentials"}))
    error = await fails(carrier(fake, tokens).create(doc_request()))
    assert error.code == ErrorCode.CARRIER_AUTH
    assert fake.requests(ORDER) == []


# --- create --------------------------------------------------------------------------


async def test_create_standard(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(ORDER, created())
    booking = await carrier(fake, tokens).create(doc_request())
    assert fake.bodies(ORDER) == [fixture("entrego", "sales_order_request")]
    assert booking.carrier_shipment_id == "21c123fb-472a-4602-adef-f37104ae8bb2"
    assert booking.tracking_number == "0031-123456789010"
    assert (booking.status, booking.carrier_status) == (ShipmentStatus.CREATED, "NEW")
    data = booking.carrier_data
    assert data["shipperReference"] == "fc75d430-a6b4-40b8-ab60-dbf17b21ec0a"
    assert data["location"] == "/v1/sales-order/21c123fb-472a-4602-adef-f37104ae8bb2"
    assert data["marketplace"] is False
    assert data["sent"] == {
        "weightActual": 1.5,
        "weightVolumetric": 2.3,
        "length": 2.5,
        "width": 1.5,
        "height": 4.5,
        "deliveryInstructions": "Please beware of the dogs",
    }


async def test_create_marketplace(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(MARKETPLACE, created("marketplace_order_response"))
    booking = await carrier(fake, tokens).create(marketplace_request())
    # The example's pickup date books a pickup, as its answer's pickupType reads.
    expected = {**fixture("entrego", "marketplace_order_request"), "pickupType": "PICKUP"}
    assert fake.bodies(MARKETPLACE) == [expected]
    assert fake.requests(ORDER) == []
    assert booking.carrier_shipment_id == "de180dd7-5d1c-42c2-9e01-5c2534cad2b2"
    assert booking.carrier_data["marketplace"] is True
    assert booking.carrier_data["sent"]["scheduledPickupDate"] == "2018-06-14"


CLUSTER = "GET api-core-staging.entrego.org/v2/locations/barangay-cluster"
# The document's example ports: the recipient's portCode BTN, the pickup's ZMB. The
# lookup's answer is not shown: the shape is the one places.py assumes.
DOC_PORTS = {"Recipient City": "BTN", "Pickup City": "ZMB"}


def without_ports(request: Any, **more: Any) -> Any:
    options = dict(request.carrier_options["ENTREGO"])
    del options["portCode"], options["pickupPortCode"]
    return replace(request, carrier_options={"ENTREGO": {**options, **more}})


async def cluster_answer(request: httpx.Request) -> httpx.Response:
    params = request.url.params
    port = DOC_PORTS.get(params["cityName"])
    if port is None or params.get("barangayName") not in (None, "Test Barangay"):
        return httpx.Response(404, json={"message": "Barangay cluster not found"})
    barangay = params.get("barangayName")
    cluster = f"{port}-011" if barangay else None
    answer = {"cityName": params["cityName"], "portCode": port, "barangayCluster": cluster}
    return httpx.Response(200, json=answer)


async def test_port_codes_come_from_the_barangay_cluster_lookup(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    fake.on(CLUSTER, cluster_answer)
    fake.on(ORDER, created())
    booking = await carrier(fake, tokens).create(without_ports(doc_request()))
    assert fake.bodies(ORDER) == [fixture("entrego", "sales_order_request")]
    asked = sorted((dict(r.url.params) for r in fake.requests(CLUSTER)), key=str)
    assert asked == [
        {"provinceName": "Metro Manila", "cityName": city, "barangayName": "Test Barangay"}
        for city in ("Pickup City", "Recipient City")
    ]
    assert booking.carrier_data["clusters"] == {
        "recipient": {"portCode": "BTN", "barangayCluster": "BTN-011"},
        "pickup": {"portCode": "ZMB", "barangayCluster": "ZMB-011"},
    }


async def test_an_unknown_barangay_falls_back_to_its_city(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    fake.on(CLUSTER, cluster_answer)
    fake.on(ORDER, created())
    request = without_ports(doc_request())
    request = replace(request, destination=replace(request.destination, village="Elsewhere"))
    booking = await carrier(fake, tokens).create(request)
    assert fake.bodies(ORDER)[0]["portCode"] == "BTN"
    assert booking.carrier_data["clusters"]["recipient"] == {
        "portCode": "BTN",
        "barangayCluster": None,
    }


async def test_given_port_codes_are_not_looked_up(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(CLUSTER, cluster_answer)
    fake.on(ORDER, created())
    request = without_ports(doc_request(), portCode="SOU")
    await carrier(fake, tokens).create(request)
    assert (fake.bodies(ORDER)[0]["portCode"], fake.bodies(ORDER)[0]["pickupPortCode"]) == (
        "SOU",
        "ZMB",
    )
    assert [r.url.params["cityName"] for r in fake.requests(CLUSTER)] == ["Pickup City"]


async def test_rtm_without_a_found_pickup_port_books_nothing(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    fake.on(CLUSTER, httpx.Response(404, json={"message": "Barangay cluster not found"}))
    request = without_ports(doc_request(), serviceType="RTM")
    error = await fails(carrier(fake, tokens).create(request))
    assert error.code == ErrorCode.VALIDATION
    assert [e.field for e in error.field_errors] == [
        ("shipment", "carrierOptions", "ENTREGO", "pickupPortCode")
    ]
    assert fake.requests(ORDER) == []


async def test_order_number_from_the_location_header(fake: FakeEntrego, tokens: FakeTokens) -> None:
    answer = fixture("entrego", "sales_order_response")
    del answer["orderNumber"]
    fake.on(ORDER, httpx.Response(201, json=answer, headers={"Location": "/v1/sales-order/abc"}))
    booking = await carrier(fake, tokens).create(doc_request())
    assert booking.carrier_shipment_id == "abc"


async def test_invalid_input_calls_nothing(fake: FakeEntrego, tokens: FakeTokens) -> None:
    request = doc_request(carrier_options={"ENTREGO": {"packageType": "POUCH"}})
    error = await fails(carrier(fake, tokens).create(request))
    assert error.code == ErrorCode.VALIDATION
    assert {e.field for e in error.field_errors} == {
        ("shipment", "carrierOptions", "ENTREGO", "packageSize"),
        ("shipment", "carrierOptions", "ENTREGO", "serviceType"),
    }
    assert fake.seen == []


async def test_cod_in_another_currency_is_refused(fake: FakeEntrego, tokens: FakeTokens) -> None:
    request = doc_request(cash_on_delivery=Money(Decimal("5"), "USD"))
    error = await fails(carrier(fake, tokens).create(request))
    assert [e.field for e in error.field_errors] == [("shipment", "cashOnDelivery", "currency")]


async def test_a_400_names_our_input_fields(fake: FakeEntrego, tokens: FakeTokens) -> None:
    refusal = {
        "status": "BAD_REQUEST",
        "message": "Validation failed",
        "fieldErrors": [
            {"field": "recipient.zipcode", "message": "must not be blank"},
            {"field": "pickup.barangay", "message": "unknown barangay"},
            {"field": "packageSize", "message": "invalid"},
            {"field": "weightActual", "message": "too heavy"},
            {"field": "somethingElse", "message": "odd"},
        ],
    }
    fake.on(ORDER, httpx.Response(400, json=refusal))
    error = await fails(carrier(fake, tokens).create(doc_request()))
    assert error.code == ErrorCode.VALIDATION
    assert [e.field for e in error.field_errors] == [
        ("shipment", "destination", "postalCode"),
        ("shipment", "origin", "village"),
        ("shipment", "carrierOptions", "ENTREGO", "packageSize"),
        ("shipment", "parcels", "0", "weightKg"),
        None,
    ]
    assert "Validation failed" in error.message


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, json={"message": "An error occurred"}),
        httpx.Response(503, text="down"),
        httpx.Response(201, text="{not json"),
        httpx.Response(201, json={"fsmState": "NEW"}),
    ],
)
async def test_5xx_and_malformed_answers_are_unavailable(
    fake: FakeEntrego, tokens: FakeTokens, answer: httpx.Response
) -> None:
    fake.on(ORDER, answer)
    error = await fails(carrier(fake, tokens).create(doc_request()))
    assert error.code == ErrorCode.CARRIER_UNAVAILABLE
    assert error.retryable


async def test_a_hang_is_unavailable(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(ORDER, never_answers)
    error = await fails(carrier(fake, tokens, timeout_s=0.1).create(doc_request()))
    assert error.code == ErrorCode.CARRIER_UNAVAILABLE


# --- update --------------------------------------------------------------------------


async def test_patch_204_is_success(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(PATCH, httpx.Response(204))
    patch = ShipmentPatch(parcels=(Parcel(weight_kg=0.5, width_cm=1.5),))
    await carrier(fake, tokens).update(booked(), patch)
    assert fake.bodies(PATCH) == [
        {
            "trackingNumber": "0031-123456789010",
            "patchPayload": {"weightActual": {"oldValue": 1.5, "newValue": 0.5, "realPatch": True}},
        }
    ]


async def test_patch_202_is_a_conflict_per_field(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(PATCH, httpx.Response(202, json={"height": {"oldValue": 4.5, "newValue": 6.0}}))
    patch = ShipmentPatch(
        parcels=(Parcel(height_cm=6.0),), instructions="Call first", pickup_at=NOW
    )
    error = await fails(carrier(fake, tokens).update(booked(), patch))
    assert error.code == ErrorCode.CONFLICT
    assert [(e.code, e.field) for e in error.field_errors] == [
        (ErrorCode.CONFLICT, ("patch", "parcels"))
    ]


async def test_patch_202_listing_names(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(PATCH, httpx.Response(202, json=["deliveryInstructions", "scheduledPickupDate"]))
    patch = ShipmentPatch(instructions="Call first", pickup_at=NOW)
    error = await fails(carrier(fake, tokens).update(booked(), patch))
    assert [e.field for e in error.field_errors] == [
        ("patch", "instructions"),
        ("patch", "pickupAt"),
    ]


async def test_unsupported_patch_fields(fake: FakeEntrego, tokens: FakeTokens) -> None:
    patch = ShipmentPatch(cash_on_delivery=Money(Decimal("1"), "PHP"), description="x")
    error = await fails(carrier(fake, tokens).update(booked(), patch))
    assert error.code == ErrorCode.UNSUPPORTED
    assert [e.field for e in error.field_errors] == [
        ("patch", "description"),
        ("patch", "cashOnDelivery"),
    ]
    assert fake.seen == []


async def test_a_patch_that_changes_nothing_calls_nothing(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    await carrier(fake, tokens).update(
        booked(), ShipmentPatch(instructions="Please beware of the dogs")
    )
    assert fake.seen == []


# --- cancel --------------------------------------------------------------------------


async def test_cancel_before_pickup(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(CANCEL, httpx.Response(200, json=fixture("entrego", "cancel_response")))
    update = await carrier(fake, tokens).cancel(booked(), "user cancelled")
    assert fake.bodies(CANCEL) == [fixture("entrego", "cancel_curl_request")]
    assert update.status == ShipmentStatus.CANCELLED
    assert update.carrier_status == "CANCELLED"
    assert update.tracking_number == "0031-123456789010"
    assert update.log is not None and update.log.occurred_at == NOW


async def test_cancel_after_pickup_is_invalid_state(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(CANCEL, httpx.Response(500, json=fixture("entrego", "cancel_failed_response")))
    error = await fails(carrier(fake, tokens).cancel(booked(), None))
    assert error.code == ErrorCode.INVALID_STATE
    assert "PICKED_UP" in error.message
    assert fake.bodies(CANCEL) == [{"trackingNumber": "0031-123456789010"}]


async def test_cancel_other_500_is_unavailable(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(CANCEL, httpx.Response(500, json={"message": "An error occurred", "details": "db"}))
    error = await fails(carrier(fake, tokens).cancel(booked(), None))
    assert error.code == ErrorCode.CARRIER_UNAVAILABLE


# --- places --------------------------------------------------------------------------


async def test_locations(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(
        "GET api-core-staging.entrego.org/v1/locations/provinces",
        httpx.Response(200, json=[{"id": 43044, "name": "Metro Manila", "isoCode": "PH-00"}]),
    )
    fake.on(
        "GET api-core-staging.entrego.org/v1/locations/provinces/43044/municipalities",
        httpx.Response(
            200, json={"data": [{"municipalityId": 44738, "municipalityName": "Taguig"}]}
        ),
    )
    fake.on(
        "GET api-core-staging.entrego.org/v1/locations/municipalities/44738/barangays",
        httpx.Response(200, json=[{"barangayId": "9", "barangayName": "Fort Bonifacio"}, {"x": 1}]),
    )
    entrego = carrier(fake, tokens)
    assert await entrego.locations(LocationLevel.PROVINCE, None) == [
        Location("43044", CarrierCode.ENTREGO, LocationLevel.PROVINCE, "Metro Manila", "PH-00")
    ]
    assert await entrego.locations(LocationLevel.MUNICIPALITY, "43044") == [
        Location("44738", CarrierCode.ENTREGO, LocationLevel.MUNICIPALITY, "Taguig", None, "43044")
    ]
    barangays = await entrego.locations(LocationLevel.BARANGAY, "44738")
    assert [(b.id, b.name, b.parent_id) for b in barangays] == [("9", "Fort Bonifacio", "44738")]
    assert all(r.headers["authorization"] == "Bearer jwt-1" for r in fake.seen[1:])
    error = await fails(entrego.locations(LocationLevel.BARANGAY, None))
    assert error.field_errors[0].field == ("parentId",)


async def test_port_codes(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(
        "GET api-core-staging.entrego.org/v1/locations/port-codes",
        httpx.Response(200, json=[{"portCode": "SOU", "name": "South", "island": "Luzon"}]),
    )
    fake.on(
        "GET api-core-staging.entrego.org/v1/locations/port-codes/islands/Visayas",
        httpx.Response(200, json={"data": [{"code": "CEB", "islandName": "Visayas"}]}),
    )
    entrego = carrier(fake, tokens)
    assert await entrego.port_codes(None) == [PortCode("SOU", "South", "Luzon")]
    assert await entrego.port_codes("Visayas") == [PortCode("CEB", None, "Visayas")]


async def test_port_code_for(fake: FakeEntrego, tokens: FakeTokens) -> None:
    route = "GET api-core-staging.entrego.org/v2/locations/barangay-cluster"
    fake.on(route, httpx.Response(200, json={"portCode": "QZN", "clusterName": "QC 1"}))
    entrego = carrier(fake, tokens)
    found = await entrego.port_code_for("metro manila", "quezon city", "kamuning")
    assert found == PortCode("QZN", "QC 1")
    assert dict(fake.requests(route)[0].url.params) == {
        "provinceName": "metro manila",
        "cityName": "quezon city",
        "barangayName": "kamuning",
    }
    fake.on(route, httpx.Response(404, json={"message": "not found"}))
    assert await entrego.port_code_for("metro manila", "nowhere", None) is None


async def test_port_code_for_gives_the_barangay_cluster(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    route = "GET api-core-staging.entrego.org/v2/locations/barangay-cluster"
    answer = {"cityName": "Quezon City", "portCode": "NOR", "barangayCluster": "NOR-551"}
    fake.on(route, httpx.Response(200, json=answer))
    found = await carrier(fake, tokens).port_code_for("metro manila", "quezon city", "kamuning")
    assert found == PortCode("NOR", barangay_cluster="NOR-551")
    # A cluster is not a port code: without a portCode the answer names none.
    fake.on(route, httpx.Response(200, json={**answer, "portCode": None}))
    assert await carrier(fake, tokens).port_code_for("metro manila", "quezon city", "x") is None


async def test_port_code_by_its_code(fake: FakeEntrego, tokens: FakeTokens) -> None:
    # entrego.txt, Location API: sample https://api-core-staging.entrego.org/v1/locations/port-codes/SOU
    route = "GET api-core-staging.entrego.org/v1/locations/port-codes/SOU"
    answer = {"portCode": "SOU", "portName": "South Metro Manila Hub", "island": "LUZON"}
    fake.on(route, httpx.Response(200, json=answer))
    entrego = carrier(fake, tokens)
    assert await entrego.port_code("SOU") == PortCode("SOU", "South Metro Manila Hub", "LUZON")
    assert await entrego.port_code("XXX") is None  # the fake answers 404 for other codes


async def test_province_by_iso_code_or_name(fake: FakeEntrego, tokens: FakeTokens) -> None:
    negros = {"id": 43100, "name": "Negros Occidental", "isoCode": "PH-NEC"}
    fake.on(
        "GET api-core-staging.entrego.org/v1/locations/provinces/iso/PH-NEC",
        httpx.Response(200, json=negros),
    )
    # entrego.txt's sample: /v1/locations/provinces/negros occidental
    by_name = "GET api-core-staging.entrego.org/v1/locations/provinces/negros occidental"
    fake.on(by_name, httpx.Response(200, json=[negros]))
    entrego = carrier(fake, tokens)
    province = Location("43100", CarrierCode.ENTREGO, LocationLevel.PROVINCE, "Negros Occidental")
    expected = replace(province, iso_code="PH-NEC")
    assert await entrego.province("PH-NEC", None) == expected
    assert await entrego.province(None, "negros occidental") == expected
    assert fake.requests(by_name)[0].url.raw_path.endswith(b"/negros%20occidental")
    assert await entrego.province("PH-XXX", None) is None
    error = await fails(entrego.province(None, None))
    assert error.code == ErrorCode.VALIDATION


async def test_clean_address(fake: FakeEntrego, tokens: FakeTokens) -> None:
    route = "POST api-core-staging.entrego.org/v1/cleanup/address"
    fake.on(route, httpx.Response(200, json=fixture("entrego", "cleanup_address_response")))
    address = "123 Street, Bonifacio Global City, Taguig, Metro Manila"
    cleaned = await carrier(fake, tokens).clean_address(address)
    assert cleaned == CleanedAddress("43044", "Metro Manila", "44738", "Taguig")
    assert fake.bodies(route) == [fixture("entrego", "cleanup_address_request")]


# --- waybills ------------------------------------------------------------------------


@pytest.fixture
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapter, "POLL_FIRST_S", 0.01)
    monkeypatch.setattr(adapter, "POLL_MAX_S", 0.02)


def generated() -> httpx.Response:
    return httpx.Response(200, json=fixture("entrego", "waybill_generate_response"))


def status(name: str) -> httpx.Response:
    return httpx.Response(200, json=fixture("entrego", name))


@pytest.mark.usefixtures("quick_polls")
async def test_waybill_pending_then_success(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(GENERATE, generated())
    success = fixture("entrego", "waybill_status_success")
    fake.on(OUTPUT, status("waybill_status_pending"), status("waybill_status_pending"),
            httpx.Response(200, json=success))  # fmt: skip
    shipments = [booked(id="s1"), booked(id="s2", tracking_number="0031-2")]
    entrego = carrier(fake, tokens, waybill_client_name="Entrego Client")
    labels = await entrego.labels(shipments, DocumentFormat.PDF)
    document = Document(DocumentKind.WAYBILL, DocumentFormat.PDF, url=success["pdfUrl"])
    assert labels == {"s1": [document], "s2": [document]}
    [body] = fake.bodies(GENERATE)
    assert body == {
        "clientName": "Entrego Client",
        "requestedBy": "shipgraph",
        "contactNumberMasked": "true",
        "trackingNumbers": ["0031-123456789010", "0031-2"],
    }
    polls = fake.requests(OUTPUT)
    assert len(polls) == 3
    assert polls[0].url.params["documentId"] == "e1140ab7-24fd-4ee6-8c95-63b11914c73d"


@pytest.mark.usefixtures("quick_polls")
async def test_waybill_failed(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(GENERATE, generated())
    fake.on(OUTPUT, status("waybill_status_failed"))
    error = await fails(carrier(fake, tokens).labels([booked()], DocumentFormat.PDF))
    assert error.code == ErrorCode.VALIDATION
    assert "e1140ab7" in error.message


@pytest.mark.usefixtures("quick_polls")
async def test_waybill_still_pending_at_the_deadline(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(GENERATE, generated())
    fake.on(OUTPUT, status("waybill_status_pending"))
    entrego = carrier(fake, tokens, timeout_s=0.2)
    error = await fails(entrego.labels([booked()], DocumentFormat.PDF))
    assert error.code == ErrorCode.CARRIER_UNAVAILABLE
    assert len(fake.requests(OUTPUT)) > 1


@pytest.mark.usefixtures("quick_polls")
async def test_waybills_go_in_chunks_of_500(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(GENERATE, generated())
    fake.on(OUTPUT, status("waybill_status_success"))
    shipments = [booked(id=f"s{i}", tracking_number=f"0031-{i}") for i in range(501)]
    labels = await carrier(fake, tokens).labels(shipments, DocumentFormat.PDF)
    assert len(labels) == 501
    sizes = sorted(len(body["trackingNumbers"]) for body in fake.bodies(GENERATE))
    assert sizes == [1, 500]


@pytest.mark.usefixtures("quick_polls")
async def test_waybill_masking_is_each_shipments_choice(
    fake: FakeEntrego, tokens: FakeTokens
) -> None:
    fake.on(GENERATE, generated())
    fake.on(OUTPUT, status("waybill_status_success"))
    shipments = [
        booked(id="s1", tracking_number="0123-1"),
        booked(id="s2", tracking_number="0123-2", carrier_data={"contactNumberMasked": False}),
        booked(id="s3", tracking_number="0123-3", carrier_data={"contactNumberMasked": True}),
    ]
    entrego = carrier(fake, tokens, waybill_client_name="Entrego Client",
                      waybill_requested_by="Juan dela Cruz")  # fmt: skip
    await entrego.labels(shipments, DocumentFormat.PDF)
    by_size = {len(body["trackingNumbers"]): body for body in fake.bodies(GENERATE)}
    masked, shown = by_size[2], by_size[1]
    # Step 2's example, its two numbers ours: masked with "true"; unmasked, the key dropped.
    example = fixture("entrego", "waybill_generate_request")
    assert masked == {**example, "trackingNumbers": ["0123-1", "0123-3"]}
    assert shown == {
        "clientName": "Entrego Client",
        "requestedBy": "Juan dela Cruz",
        "trackingNumbers": ["0123-2"],
    }


async def test_a_booking_keeps_its_waybill_masking(fake: FakeEntrego, tokens: FakeTokens) -> None:
    fake.on(ORDER, created())
    request = doc_request()
    options = {**request.carrier_options["ENTREGO"], "contactNumberMasked": False}
    unmasked = replace(request, carrier_options={"ENTREGO": options})
    booking = await carrier(fake, tokens).create(unmasked)
    assert booking.carrier_data["contactNumberMasked"] is False
    assert "contactNumberMasked" not in fake.bodies(ORDER)[0]
    assert (await carrier(fake, tokens).create(request)).carrier_data["contactNumberMasked"]


async def test_waybills_are_pdf_only(fake: FakeEntrego, tokens: FakeTokens) -> None:
    error = await fails(carrier(fake, tokens).labels([booked()], DocumentFormat.ZPL))
    assert error.code == ErrorCode.UNSUPPORTED
    assert error.field_errors[0].field == ("format",)
    assert fake.seen == []


async def test_webhooks_through_the_adapter(fake: FakeEntrego, tokens: FakeTokens) -> None:
    entrego = carrier(fake, tokens)
    entrego.verify_webhook({"authorization": "Bearer hook"}, {}, b"{}")
    body = json.dumps(fixture("entrego", "webhook")).encode()
    [update] = entrego.parse_webhook(body)
    assert update.status == ShipmentStatus.AT_HUB
