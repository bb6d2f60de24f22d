"""The Borzo simulator over real HTTP, checked against /work/shared/carrier-docs/borzo.txt."""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount

from shipgraph.sandbox.borzo import BorzoSandboxState, create_borzo_sandbox
from tests.support.clock import WIB, days_ahead
from tests.support.fixtures import fixture
from tests.support.receiver import Receiver as _Receiver
from tests.support.receiver import listening
from tests.support.redis_server import free_port
from tests.support.servers import serve

pytestmark = pytest.mark.asyncio(loop_scope="module")

TOKEN = "borzo-test-token"
SECRET = "borzo-callback-secret"
FAST_RETRIES = (0.01, 0.02)
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$")
# The moment the document's orders are made (create-order example 1's created_datetime).
DOC_NOW = datetime.fromisoformat("2024-12-04T00:21:48+07:00")
TOMORROW = days_ahead(1, 10)
PICKUP_ADDRESS = fixture("borzo", "create_order_request")["points"][0]["address"]
DROP_ADDRESS = fixture("borzo", "create_order_request")["points"][1]["address"]


def doc(name: str) -> Any:
    return copy.deepcopy(fixture("borzo", name))


def point(address: str = DROP_ADDRESS, **fields: Any) -> dict[str, Any]:
    return {"address": address, "contact_person": {"phone": "6288800000001"}, **fields}


def order_body(*drops: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A valid create-order body: the document's pick-up point, then ``drops``."""
    points = [point(PICKUP_ADDRESS), *(drops or (point(),))]
    return {"matter": "Documents", "points": points, **fields}


def times_masked(value: Any) -> Any:
    """``value`` with every non-null ``*_datetime`` replaced (after checking its format)."""
    if isinstance(value, dict):
        masked = {}
        for key, item in value.items():
            if key.endswith("_datetime") and item is not None:
                assert TIMESTAMP.match(item), (key, item)
                item = "<time>"
            masked[key] = times_masked(item)
        return masked
    if isinstance(value, list):
        return [times_masked(item) for item in value]
    return value


def as_simulated(order: dict[str, Any], status: str = "new") -> dict[str, Any]:
    """The document's example order as the simulator answers it (the documented choices):
    created orders start ``new``, deliveries have IDs, promo codes apply only when sent,
    and ``is_thermobox_required`` (a documented order parameter) is always present."""
    order = copy.deepcopy(order)
    if order["status"] is not None:
        order["status"] = order["status_description"] = status
    order.update(
        applied_promo_code=None, promo_code_discount_amount="0.00", is_thermobox_required=False
    )
    return order


def error(*codes: str, parameter_errors: Any = None) -> dict[str, Any]:
    return {"is_successful": False, "errors": list(codes), "parameter_errors": parameter_errors}


def invalid(parameter_errors: Any) -> dict[str, Any]:
    return error("invalid_parameters", parameter_errors=parameter_errors)


@dataclass
class Receiver(_Receiver):
    """A merchant's callback endpoint: verifies X-DV-Signature like the document's PHP
    handler (403 when wrong)."""

    bad_signatures: int = 0

    def refuse(self, request: Request, raw: bytes) -> Response | None:
        expected = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        if hmac.compare_digest(request.headers.get("x-dv-signature", ""), expected):
            return None
        self.bad_signatures += 1
        return Response("Error: Signature is not valid", status_code=403)

    def clear(self) -> None:
        super().clear()
        self.bad_signatures = 0

    def events(self) -> list[tuple[str, str]]:
        """(event_type, the order's or the delivery's status) per received callback."""
        return [
            (body["event_type"], (body.get("order") or body.get("delivery") or {})["status"])
            for body in self.received
        ]


@dataclass
class Sandbox:
    url: str
    client: httpx.AsyncClient
    state: BorzoSandboxState

    async def call(self, method: str, api_method: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, f"/{api_method}", **kwargs)

    async def ok(self, method: str, api_method: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.call(method, api_method, **kwargs)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["is_successful"] is True
        return body

    async def fails(self, method: str, api_method: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.call(method, api_method, **kwargs)
        assert response.status_code == 400, response.text
        body: dict[str, Any] = response.json()
        return body

    async def create(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        order: dict[str, Any] = (await self.ok("POST", "create-order", json=body or order_body()))[
            "order"
        ]
        return order

    async def edit(self, body: dict[str, Any]) -> dict[str, Any]:
        order: dict[str, Any] = (await self.ok("POST", "edit-order", json=body))["order"]
        return order

    async def advance(self, order_id: int | str, **body: Any) -> httpx.Response:
        return await self.client.post(f"/_control/orders/{order_id}/advance", json=body or None)

    async def step(self, order_id: int | str, **body: Any) -> dict[str, Any]:
        response = await self.advance(order_id, **body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def steps(self, order_id: int, count: int) -> list[str]:
        return [(await self.step(order_id))["step"] for _ in range(count)]

    async def settle(self) -> None:
        await self.client.get("/_control/callbacks", params={"wait": "1"})


@asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[Sandbox]:
    async with serve(app) as url:
        headers = {"X-DV-Auth-Token": TOKEN}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=5) as client:
            yield Sandbox(url, client, app.state.borzo)


def sandbox_app(receiver: Receiver | None = None, **options: Any) -> Starlette:
    return create_borzo_sandbox(
        auth_token=TOKEN,
        callback_url=receiver.url if receiver else None,
        callback_secret=SECRET,
        callback_retry_delays=FAST_RETRIES,
        **options,
    )


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def receiver_server() -> AsyncIterator[Receiver]:
    async with listening(Receiver(), "/hooks/borzo") as receiver:
        yield receiver


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def sandbox_server(receiver_server: Receiver) -> AsyncIterator[Sandbox]:
    async with running(sandbox_app(receiver_server)) as box:
        yield box


@pytest_asyncio.fixture(loop_scope="module")
async def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.clear()
    return receiver_server


@pytest_asyncio.fixture(loop_scope="module")
async def sandbox(sandbox_server: Sandbox, receiver_server: Receiver) -> Sandbox:
    """The module's simulator, reset (IDs start again at the document's 1250032)."""
    assert (await sandbox_server.client.post("/_control/reset")).status_code == 200
    receiver_server.clear()
    return sandbox_server


# -- requests, auth and the error envelope ------------------------------------------------


async def test_the_base_url_answers_the_documents_first_example(sandbox: Sandbox) -> None:
    response = await sandbox.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == fixture("borzo", "ping_response")


async def test_the_auth_token_header_is_required_and_checked(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as bare:
        missing = await bare.post("/calculate-order", json={})
        empty = await bare.get("/orders", headers={"X-DV-Auth-Token": ""})
        wrong = await bare.get("/orders", headers={"X-DV-Auth-Token": "nope"})
        bearer = await bare.get("/orders", headers={"Authorization": f"Bearer {TOKEN}"})
    for response, code in [
        (missing, "required_auth_token"),
        (empty, "required_auth_token"),
        (wrong, "invalid_auth_token"),
        (bearer, "required_auth_token"),
    ]:
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert response.json() == error(code)


async def test_an_unknown_method_is_the_documents_error(sandbox: Sandbox) -> None:
    body = await sandbox.fails("GET", "unknown")
    assert body == fixture("borzo", "error_invalid_api_method")
    assert await sandbox.fails("POST", "create-order/x", json={}) == error("invalid_api_method")


async def test_get_methods_refuse_post_and_post_methods_refuse_get(sandbox: Sandbox) -> None:
    for api_method in ("orders", "courier", "labels", "client", "bank-cards"):
        refused = await sandbox.fails("POST", api_method, json={})
        assert refused == error("required_method_get"), api_method
    for api_method in ("calculate-order", "create-order", "edit-order", "cancel-order"):
        assert await sandbox.fails("GET", api_method) == error("required_method_post")
        assert await sandbox.fails("PUT", api_method, json={}) == error("required_method_post")


async def test_only_get_and_post_are_supported(sandbox: Sandbox) -> None:
    # Requests: "Only GET and POST request methods are supported."
    for api_method in ("orders", "courier", "labels", "client", "bank-cards"):
        response = await sandbox.call("HEAD", api_method)
        assert response.status_code == 400, api_method
        assert response.content == b""
        assert (await sandbox.fails("DELETE", api_method)) == error("required_method_get")


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b'{"matter": NaN}', b"\xff"])
async def test_a_post_body_that_is_not_a_json_object_is_invalid_post_json(
    sandbox: Sandbox, raw: bytes
) -> None:
    for api_method in ("calculate-order", "create-order", "edit-order", "cancel-order"):
        assert await sandbox.fails("POST", api_method, content=raw) == error("invalid_post_json")


# -- calculate-order ------------------------------------------------------------------------


async def test_calculate_with_the_documents_example(sandbox: Sandbox) -> None:
    body = await sandbox.ok("POST", "calculate-order", json=doc("calculate_order_request"))

    expected = doc("calculate_order_response")
    expected["order"] = as_simulated(expected["order"])
    assert times_masked(body) == times_masked(expected)
    order = body["order"]
    created = datetime.fromisoformat(order["created_datetime"])
    first, second = order["points"]
    # The document's windows: 30-60 min after creation for the first point, then hourly.
    assert datetime.fromisoformat(first["required_start_datetime"]) - created == timedelta(
        minutes=30
    )
    assert datetime.fromisoformat(second["required_finish_datetime"]) - created == timedelta(
        hours=2
    )
    assert second["estimated_arrival_datetime"] == second["required_start_datetime"]
    assert (await sandbox.client.get("/_control/orders")).json() == {"orders": []}


async def test_an_empty_calculation_answers_the_minimal_price(sandbox: Sandbox) -> None:
    requests: list[dict[str, Any]] = [{"content": b""}, {"json": {}}]
    for request in requests:
        body = await sandbox.ok("POST", "calculate-order", **request)
        order = body["order"]
        assert order["payment_amount"] == order["delivery_fee_amount"] == "7000.00"
        assert order["points"] == [] and order["vehicle_type_id"] == 8
        assert body["warnings"] == ["invalid_parameters"]
        assert body["parameter_warnings"] == {"matter": ["required"], "points": ["required"]}


async def test_a_valid_calculation_has_no_warnings(sandbox: Sandbox) -> None:
    body = await sandbox.ok("POST", "calculate-order", json=order_body())
    assert body["warnings"] == [] and body["parameter_warnings"] is None
    assert body["order"]["payment_amount"] == "15000.00"


def priced(**fields: Any) -> dict[str, Any]:
    """Two points 9.9 km apart (0.089 degrees of latitude): 10 started km."""
    points = [
        point(PICKUP_ADDRESS, latitude="-6.2000000", longitude="106.8000000"),
        point(latitude=-6.289, longitude=106.8),
    ]
    for key in ("taking_amount", "is_cod_cash_voucher_required", "buyout_amount"):
        if key in fields:
            points[1][key] = fields.pop(key)
    return order_body(*points[1:], **fields) | {"points": points}


@pytest.mark.parametrize(
    ("fields", "fees"),
    [
        ({}, {"payment_amount": "12000.00", "delivery_fee_amount": "12000.00"}),
        ({"vehicle_type_id": 7}, {"payment_amount": "50000.00", "delivery_fee_amount": "50000.00"}),
        ({"vehicle_type_id": 3}, {"delivery_fee_amount": "150000.00"}),
        ({"total_weight_kg": 12}, {"weight_fee_amount": "7000.00", "payment_amount": "19000.00"}),
        ({"loaders_count": 2}, {"loading_fee_amount": "50000.00", "payment_amount": "62000.00"}),
        (
            {"insurance_amount": "1000000.00"},
            {"insurance_amount": "1000000.00", "insurance_fee_amount": "5000.00"},
        ),
        (
            {"taking_amount": "100000.00", "is_cod_cash_voucher_required": True},
            {"cod_fee_amount": "3600.00", "backpayment_amount": "100000.00"},
        ),
        (
            {"taking_amount": 400000, "is_cod_cash_voucher_required": True},
            {"cod_fee_amount": "10000.00", "money_transfer_fee_amount": "0.00"},
        ),
        (
            {"taking_amount": "50000.00", "buyout_amount": "20000.00"},
            {"money_transfer_fee_amount": "300.00", "backpayment_amount": "30000.00"},
        ),
        (
            {"promo_code": "FIRST_ORDER"},
            {"promo_code_discount_amount": "3000.00", "payment_amount": "9000.00"},
        ),
        # Back to the pick-up point: 20 km, and the return fee is half the delivery fee.
        (
            {"is_return_required": True},
            {"delivery_fee_amount": "17000.00", "return_fee_amount": "8500.00"},
        ),
    ],
)
async def test_prices_depend_on_the_order(
    sandbox: Sandbox, fields: dict[str, Any], fees: dict[str, str]
) -> None:
    body = await sandbox.ok("POST", "calculate-order", json=priced(**fields))
    order = body["order"]
    assert {key: order[key] for key in fees} == fees
    assert body["warnings"] == []
    money = [key for key in order if key.endswith("_amount")]
    assert all(
        isinstance(order[key], str) and re.fullmatch(r"\d+\.\d{2}", order[key]) for key in money
    )


async def test_an_incomplete_calculation_still_answers_a_price_with_warnings(
    sandbox: Sandbox,
) -> None:
    request = {
        "vehicle_type_id": 8,
        "total_weight_kg": 30,
        "loaders_count": "two",
        "points": [{}, {"latitude": "-6.3", "contact_person": {"phone": "x"}}],
    }
    body = await sandbox.ok("POST", "calculate-order", json=request)

    assert body["warnings"] == ["invalid_parameters"]
    assert body["parameter_warnings"] == {
        "matter": ["required"],
        "total_weight_kg": ["max_value"],
        "loaders_count": ["invalid_integer"],
        "points": [
            {"address": ["required"], "contact_person": {"phone": ["required"]}},
            {
                "address": ["required"],
                "contact_person": {"phone": ["invalid_phone"]},
                "longitude": ["required"],
            },
        ],
    }
    # Neither point can be located: one leg of the fixed 5 km, plus 25 kg over the included 5.
    order = body["order"]
    assert order["delivery_fee_amount"] == "9500.00" and order["weight_fee_amount"] == "25000.00"
    assert order["points"][0]["latitude"] is None


# -- create-order ---------------------------------------------------------------------------


async def test_create_with_the_documents_example(sandbox: Sandbox, receiver: Receiver) -> None:
    body = await sandbox.ok("POST", "create-order", json=doc("create_order_request"))

    expected = doc("create_order_response")
    expected["order"] = as_simulated(expected["order"])
    expected["order"]["points"][1]["delivery_id"] = 11712
    assert times_masked(body) == times_masked(expected)
    order = body["order"]
    assert (order["order_id"], order["order_name"]) == (1250032, "50032")
    assert [p["point_id"] for p in order["points"]] == [202685, 202686]

    await sandbox.settle()
    assert receiver.events() == [("order_created", "new"), ("delivery_created", "planned")]
    assert receiver.received[0]["order"] == order
    assert receiver.bad_signatures == 0


async def test_create_paid_by_the_documents_bank_card(sandbox: Sandbox) -> None:
    body = await sandbox.ok("POST", "create-order", json=doc("create_order_bank_card_request"))
    expected = doc("create_order_bank_card_response")
    expected["order"] = as_simulated(expected["order"])
    expected["order"]["points"][1]["delivery_id"] = 11712
    assert times_masked(body) == times_masked(expected)

    for fields, errors in [
        ({"bank_card_id": 81}, {"bank_card_id": ["invalid_bank_card"]}),
        ({"bank_card_id": None}, {"bank_card_id": ["required"]}),
        ({"payment_method": "balance"}, {"payment_method": ["not_allowed"]}),
        ({"payment_method": "card"}, {"payment_method": ["invalid_enum_value"]}),
    ]:
        request = doc("create_order_bank_card_request") | fields
        assert await sandbox.fails("POST", "create-order", json=request) == invalid(errors)


async def test_create_from_a_draft_delivery(sandbox: Sandbox) -> None:
    body = await sandbox.ok("POST", "create-order", json=doc("create_order_from_draft_request"))
    expected = doc("create_order_from_draft_response")
    expected["order"] = as_simulated(expected["order"])
    assert times_masked(body) == times_masked(expected)

    again = await sandbox.fails("POST", "create-order", json=doc("create_order_from_draft_request"))
    assert again == invalid({"points": [None, {"delivery_id": ["invalid_delivery_id"]}]})
    first = doc("create_order_request")
    first["points"][0]["delivery_id"] = 500
    assert await sandbox.fails("POST", "create-order", json=first) == invalid(
        {"points": [{"delivery_id": ["not_allowed"]}, None]}
    )
    # Deliveries created later skip the IDs drafts took.
    other = await sandbox.create(order_body(point(), point()))
    assert [p["delivery_id"] for p in other["points"]] == [None, 11713, 11714]


async def test_the_documents_use_cases_buyout_cash_remittance_and_cod(sandbox: Sandbox) -> None:
    buyout = await sandbox.create(doc("create_order_buyout_request"))
    remittance = await sandbox.create(doc("create_order_cash_remittance_request"))
    cod = await sandbox.create(doc("create_order_cod_request"))

    assert buyout["points"][0]["buyout_amount"] == "100.00"
    assert buyout["points"][1]["taking_amount"] == "100.00"
    assert buyout["backpayment_amount"] == "0.00"
    assert remittance["backpayment_details"] == "Sample bank details 111111111111"
    assert remittance["backpayment_amount"] == "100.00"
    assert remittance["money_transfer_fee_amount"] == "1.00"
    assert cod["points"][1]["is_cod_cash_voucher_required"] is True
    assert cod["cod_fee_amount"] == "3600.00" and cod["payment_amount"] == "18600.00"


async def test_the_documents_parameter_error_example(sandbox: Sandbox) -> None:
    body = await sandbox.fails("POST", "create-order", json=doc("error_invalid_parameters_request"))
    assert body == fixture("borzo", "error_invalid_parameters")
    assert (await sandbox.client.get("/_control/orders")).json() == {"orders": []}


def with_drop(**fields: Any) -> dict[str, Any]:
    return order_body(point(**fields))


@pytest.mark.parametrize(
    ("request_body", "errors"),
    [
        (order_body() | {"points": [point()]}, {"points": ["min_size"]}),
        (order_body() | {"points": [point()] * 100}, {"points": ["max_size"]}),
        (order_body() | {"points": "two"}, {"points": ["invalid_list"]}),
        (order_body() | {"points": [point(), "x"]}, {"points": [None, ["invalid_object"]]}),
        (order_body(colour="red"), {"colour": ["unknown"]}),
        (order_body(matter=None), {"matter": ["required"]}),
        (order_body(matter=" "), {"matter": ["required"]}),
        (order_body(matter="x" * 5001), {"matter": ["max_length"]}),
        (order_body(matter=5), {"matter": ["invalid_string"]}),
        (order_body(type="express"), {"type": ["invalid_enum_value"]}),
        (order_body(vehicle_type_id=5), {"vehicle_type_id": ["invalid_vehicle_type"]}),
        (order_body(total_weight_kg=21), {"total_weight_kg": ["max_value"]}),
        (order_body(total_weight_kg=-1), {"total_weight_kg": ["min_value"]}),
        (order_body(total_weight_kg=1.5), {"total_weight_kg": ["invalid_integer"]}),
        (order_body(loaders_count=12), {"loaders_count": ["max_value"]}),
        (order_body(insurance_amount="lots"), {"insurance_amount": ["invalid_float"]}),
        (order_body(is_motobox_required="yes"), {"is_motobox_required": ["invalid_boolean"]}),
        (order_body(promo_code="FREE"), {"promo_code": ["invalid_value"]}),
        (order_body(point_id=1), {"point_id": ["unknown"]}),
        (
            with_drop(contact_person="Budi"),
            {"points": [None, {"contact_person": ["invalid_object"]}]},
        ),
        (
            with_drop(contact_person={"phone": "12ab"}),
            {"points": [None, {"contact_person": {"phone": ["invalid_phone"]}}]},
        ),
        (with_drop(address="x" * 351), {"points": [None, {"address": ["max_length"]}]}),
        (
            with_drop(required_start_datetime=f"{TOMORROW:%Y-%m-%d %H:%M}"),
            {"points": [None, {"required_start_datetime": ["invalid_date_format"]}]},
        ),
        (
            with_drop(required_start_datetime=f"{TOMORROW:%Y-%m-%dT%H:%M:%S}Z"),
            {"points": [None, {"required_start_datetime": ["invalid_date_format"]}]},
        ),
        (
            with_drop(required_finish_datetime=f"{TOMORROW.year + 1}-02-30T10:00:00+07:00"),
            {"points": [None, {"required_finish_datetime": ["invalid_date"]}]},
        ),
        (
            with_drop(
                required_start_datetime=(TOMORROW + timedelta(hours=1)).isoformat(),
                required_finish_datetime=TOMORROW.isoformat(),
            ),
            {"points": [None, {"required_start_datetime": ["start_after_end"]}]},
        ),
        (
            with_drop(latitude="52.52", longitude="13.40"),
            {
                "points": [
                    None,
                    {
                        "latitude": ["coordinates_out_of_bounds"],
                        "longitude": ["coordinates_out_of_bounds"],
                    },
                ]
            },
        ),
        (with_drop(latitude="north"), {"points": [None, {"latitude": ["invalid_float"]}]}),
        (with_drop(taking_amount=-5), {"points": [None, {"taking_amount": ["min_value"]}]}),
        (
            order_body(point(is_order_payment_here=True), point(is_order_payment_here=True)),
            {"points": [None, None, {"is_order_payment_here": ["order_payment_only_one_point"]}]},
        ),
        (
            order_body(point(taking_amount=100))
            | {
                "points": [
                    point(PICKUP_ADDRESS, buyout_amount=100),
                    point(taking_amount=100, is_cod_cash_voucher_required=True),
                ]
            },
            {
                "points": [
                    None,
                    {"is_cod_cash_voucher_required": ["cod_is_not_allowed_with_buyout"]},
                ]
            },
        ),
        (
            order_body() | {"points": [point(PICKUP_ADDRESS, buyout_amount="500.00"), point()]},
            {"points": [{"buyout_amount": ["max_value"]}, None]},
        ),
        (
            with_drop(packages=[{"ware_code": "A1", "items_count": "3"}]),
            {"points": [None, {"packages": [{"items_count": ["invalid_float"]}]}]},
        ),
        (
            with_drop(packages=[{"order_package_id": 1}]),
            {"points": [None, {"packages": [{"order_package_id": ["unknown"]}]}]},
        ),
    ],
)
async def test_create_parameter_errors_mirror_the_request(
    sandbox: Sandbox, request_body: dict[str, Any], errors: dict[str, Any]
) -> None:
    assert await sandbox.fails("POST", "create-order", json=request_body) == invalid(errors)
    # calculate-order answers the same problems as warnings, with a price.
    calculated = await sandbox.ok("POST", "calculate-order", json=request_body)
    assert calculated["parameter_warnings"] == errors
    assert calculated["order"]["payment_amount"]


async def test_a_multi_point_order_numbers_points_packages_and_deliveries(
    sandbox: Sandbox,
) -> None:
    packages = [
        {
            "ware_code": "140012",
            "description": "Payung",
            "items_count": 1,
            "item_payment_amount": "30000.00",
        }
    ]
    order = await sandbox.create(
        order_body(
            point(packages=packages, client_order_id="SO-1", note="Pagar hijau"),
            point("Jl. Kemang Raya No. 8, Jakarta Selatan", packages=packages * 2),
        )
    )

    points = order["points"]
    assert [p["point_id"] for p in points] == [202685, 202686, 202687]
    assert [p["delivery_id"] for p in points] == [None, 11712, 11713]
    assert [p["delivery"] for p in points] == [None, {"status": "planned"}, {"status": "planned"}]
    assert [[k["order_package_id"] for k in p["packages"]] for p in points] == [
        [],
        [3632252],
        [3632253, 3632254],
    ]
    assert points[1]["packages"][0] == {
        "order_package_id": 3632252,
        "ware_code": "140012",
        "description": "Payung",
        "items_count": 1,
        "item_payment_amount": "30000.00",
    }
    assert (points[1]["client_order_id"], points[1]["note"]) == ("SO-1", "Pagar hijau")
    assert re.fullmatch(r"-6\.\d{7}", points[2]["latitude"])


async def test_a_promo_code_applies_to_one_order(sandbox: Sandbox) -> None:
    order = await sandbox.create(order_body(promo_code="FIRST_ORDER"))
    assert order["applied_promo_code"] == "FIRST_ORDER"
    assert (
        order["promo_code_discount_amount"] == "3000.00" and order["payment_amount"] == "12000.00"
    )
    again = await sandbox.fails("POST", "create-order", json=order_body(promo_code="FIRST_ORDER"))
    assert again == invalid({"promo_code": ["promo_code_already_used"]})


async def test_the_route_optimizer_and_the_return_point(sandbox: Sandbox) -> None:
    far = point("Far", latitude="-6.5", longitude="106.9")
    near = point("Near", latitude="-6.31", longitude="106.70")
    plain = await sandbox.ok("POST", "calculate-order", json=order_body(far, near))
    optimised = await sandbox.create(order_body(far, near, is_route_optimizer_enabled=True))
    assert [p["address"] for p in plain["order"]["points"][1:]] == ["Far", "Near"]
    assert [p["address"] for p in optimised["points"][1:]] == ["Near", "Far"]
    assert optimised["delivery_fee_amount"] < plain["order"]["delivery_fee_amount"]

    returning = await sandbox.create(order_body(is_return_required=True))
    back = returning["points"][-1]
    assert len(returning["points"]) == 3 and back["is_return_point"] is True
    assert back["address"] == PICKUP_ADDRESS and back["delivery"] is None
    assert returning["is_return_required"] is True and returning["return_fee_amount"] != "0.00"


# -- edit-order -----------------------------------------------------------------------------


def view(order: dict[str, Any]) -> list[tuple[int, str, list[int], str, bool]]:
    return [
        (
            p["point_id"],
            p["address"][:9],
            [k["order_package_id"] for k in p["packages"]],
            p["taking_amount"],
            p["is_cod_cash_voucher_required"],
        )
        for p in order["points"]
    ]


async def test_edit_follows_the_documents_examples(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.state.clock = lambda: DOC_NOW  # the examples' times are then still ahead
    created = await sandbox.create(doc("create_order_request"))

    # Example 1: change the matter, remove the backpayment details.
    edited = await sandbox.edit(doc("edit_order_matter_request"))
    expected = as_simulated(doc("edit_order_matter_response")["order"])
    expected["points"][1]["delivery_id"] = 11712
    assert times_masked(edited) == times_masked(expected)

    # Example 2: new times on the second point and a third point (no ID: added).
    edited = await sandbox.edit(doc("edit_order_add_point_request"))
    expected_points = doc("edit_order_add_point_response")["order"]["points"]
    assert view(edited) == view({"points": expected_points})
    second, third = edited["points"][1:]
    assert second["required_start_datetime"] == "2024-12-04T01:51:48+07:00"
    assert second["required_finish_datetime"] == "2024-12-04T02:21:48+07:00"
    created_at = datetime.fromisoformat(created["created_datetime"])
    assert datetime.fromisoformat(third["required_start_datetime"]) - created_at == timedelta(
        hours=2, minutes=30
    )
    assert third["delivery_id"] == 11713 and third["delivery"] == {"status": "planned"}

    # Packages for example 4 to work on (IDs 3632252... as in the document).
    payung = {
        "ware_code": "140012",
        "description": "Payung",
        "items_count": 1,
        "item_payment_amount": 30000.00,
    }
    topi = {
        "ware_code": "100112",
        "description": "Topi",
        "items_count": 1,
        "item_payment_amount": "42000.00",
    }
    edited = await sandbox.edit(
        {
            "order_id": 1250032,
            "points": [
                {"point_id": 202685, "packages": [payung]},
                {"point_id": 202686, "packages": [topi]},
                {"point_id": 202687, "packages": [{"ware_code": "1"}]},
            ],
        }
    )
    assert [[k["order_package_id"] for k in p["packages"]] for p in edited["points"]] == [
        [3632252],
        [3632253],
        [3632254],
    ]

    # Example 4: keep the first point's package, change the second's, remove the third's.
    edited = await sandbox.edit(doc("edit_order_packages_request"))
    assert view(edited) == [
        (202685, "JL. Jawa,", [3632252], "0.00", False),
        (202686, "Jl. Raya ", [3632253], "0.00", False),
        (202687, "JL. Jawa,", [], "0.00", False),
    ]
    assert edited["points"][0]["packages"] == [
        {**payung, "order_package_id": 3632252, "item_payment_amount": "30000.00"}
    ]
    assert edited["points"][1]["packages"][0]["items_count"] == 3

    # Example 5: COD on the second point, none on the third (packages not sent are removed).
    edited = await sandbox.edit(doc("edit_order_cod_request"))
    expected = doc("edit_order_cod_response")["order"]
    assert view(edited) == view(expected)
    assert edited["cod_fee_amount"] == expected["cod_fee_amount"] == "3600.00"

    # Example 3: points not sent are deleted.
    edited = await sandbox.edit(doc("edit_order_remove_point_request"))
    expected_points = doc("edit_order_remove_point_response")["order"]["points"]
    assert [p["point_id"] for p in edited["points"]] == [p["point_id"] for p in expected_points]

    await sandbox.settle()
    events = receiver.events()
    assert events[:3] == [
        ("order_created", "new"),
        ("delivery_created", "planned"),
        ("order_changed", "new"),
    ]
    assert ("delivery_created", "planned") in events[3:]
    deleted = [
        body["delivery"]
        for body in receiver.received
        if body.get("delivery", {}).get("status") == "deleted"
    ]
    assert [(d["delivery_id"], d["point_id"]) for d in deleted] == [(11713, 202687)]
    assert receiver.bad_signatures == 0


def window(start: datetime, minutes: int = 30) -> dict[str, str]:
    finish = start + timedelta(minutes=minutes)
    return {
        "required_start_datetime": start.isoformat(),
        "required_finish_datetime": finish.isoformat(),
    }


async def test_windows_are_checked_against_the_simulators_clock(sandbox: Sandbox) -> None:
    now = datetime(2030, 6, 3, 8, 0, tzinfo=WIB)
    sandbox.state.clock = lambda: now
    pickup = point(PICKUP_ADDRESS, **window(now + timedelta(hours=1)))
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        (
            order_body(point(**window(now - timedelta(hours=1)))),
            {"points": [None, {k: ["cannot_be_past"] for k in window(now)}]},
        ),
        (
            order_body(point(**window(datetime(2001, 1, 1, tzinfo=WIB)))),
            {"points": [None, {k: ["min_date"] for k in window(now)}]},
        ),
        (
            order_body(point(**window(now + timedelta(days=400)))),
            {"points": [None, {k: ["max_date"] for k in window(now)}]},
        ),
        (
            order_body(point(**window(datetime(9999, 12, 31, 23, 0, tzinfo=WIB), minutes=1))),
            {"points": [None, {k: ["max_date"] for k in window(now)}]},
        ),
        (
            {
                "matter": "Documents",
                "points": [pickup, point(**window(now + timedelta(minutes=30)))],
            },
            {"points": [None, {"required_start_datetime": ["earlier_than_previous_point"]}]},
        ),
    ]
    for request_body, errors in cases:
        assert await sandbox.fails("POST", "create-order", json=request_body) == invalid(errors)
        quoted = await sandbox.ok("POST", "calculate-order", json=request_body)
        assert quoted["parameter_warnings"] == errors  # a quote warns where a booking fails

    later = window(now + timedelta(hours=2))
    order = await sandbox.create({"matter": "Documents", "points": [pickup, point(**later)]})
    pickup_id, drop_id = (p["point_id"] for p in order["points"])
    moved_past_drop = {
        "order_id": order["order_id"],
        "points": [
            {"point_id": pickup_id, **window(now + timedelta(hours=3))},
            {"point_id": drop_id},
        ],
    }
    assert await sandbox.fails("POST", "edit-order", json=moved_past_drop) == invalid(
        {"points": [None, {"required_start_datetime": ["earlier_than_previous_point"]}]}
    )
    into_the_past = {
        "order_id": order["order_id"],
        "points": [
            {"point_id": pickup_id},
            {"point_id": drop_id, **window(now - timedelta(hours=1))},
        ],
    }
    assert await sandbox.fails("POST", "edit-order", json=into_the_past) == invalid(
        {"points": [None, {k: ["cannot_be_past"] for k in window(now)}]}
    )
    # Once its time has come, a window sent before is no longer judged: only what is sent.
    sandbox.state.clock = lambda: now + timedelta(hours=1, minutes=10)
    edited = await sandbox.edit(
        {
            "order_id": order["order_id"],
            "points": [
                {"point_id": pickup_id},
                {"point_id": drop_id, **window(now + timedelta(hours=4))},
            ],
        }
    )
    assert edited["points"][1]["required_start_datetime"] == (now + timedelta(hours=4)).isoformat()


async def test_edit_id_rules_and_null_semantics(sandbox: Sandbox) -> None:
    await sandbox.create(order_body(point(packages=[{"ware_code": "A"}]), vehicle_type_id=7))
    keep = [{"point_id": 202685}, {"point_id": 202686, "packages": [{"order_package_id": 3632252}]}]

    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({}, {"order_id": ["required"]}),
        ({"order_id": "1250032"}, {"order_id": ["invalid_integer"]}),
        ({"order_id": 99}, {"order_id": ["invalid_order"]}),
        ({"order_id": 1250032, "matter": None}, {"matter": ["not_nullable"]}),
        ({"order_id": 1250032, "points": None}, {"points": ["not_nullable"]}),
        ({"order_id": 1250032, "points": [keep[0]]}, {"points": ["min_size"]}),
        (
            {"order_id": 1250032, "points": [keep[0], {"point_id": 5}]},
            {"points": [None, {"point_id": ["invalid_point"]}]},
        ),
        (
            {"order_id": 1250032, "points": [keep[1], keep[0]]},
            {"points": [{"point_id": ["not_editable"]}, None]},
        ),
        (
            {"order_id": 1250032, "points": [keep[0], {"point_id": 202686, "address": None}]},
            {"points": [None, {"address": ["not_nullable"]}]},
        ),
        (
            {"order_id": 1250032, "points": [*keep, {"note": "new point, no address"}]},
            {
                "points": [
                    None,
                    None,
                    {"address": ["required"], "contact_person": {"phone": ["required"]}},
                ]
            },
        ),
        (
            {
                "order_id": 1250032,
                "points": [
                    keep[0],
                    {"point_id": 202686, "packages": [{"order_package_id": 3632299}]},
                ],
            },
            {"points": [None, {"packages": [{"order_package_id": ["invalid_order_package"]}]}]},
        ),
    ]
    for request_body, errors in cases:
        assert await sandbox.fails("POST", "edit-order", json=request_body) == invalid(errors)

    # null restores a parameter's default; parameters not sent keep their value.
    edited = await sandbox.edit({"order_id": 1250032, "vehicle_type_id": None})
    assert edited["vehicle_type_id"] == 8 and edited["matter"] == "Documents"
    assert edited["points"][1]["packages"][0]["order_package_id"] == 3632252
    edited = await sandbox.edit(
        {
            "order_id": 1250032,
            "points": [keep[0], {"point_id": 202686, "note": "Rumah biru", "packages": None}],
        }
    )
    assert edited["points"][1]["note"] == "Rumah biru" and edited["points"][1]["packages"] == []
    edited = await sandbox.edit(
        {"order_id": 1250032, "points": [keep[0], {"point_id": 202686, "note": None}]}
    )
    assert edited["points"][1]["note"] is None


async def test_edit_only_in_the_documented_statuses(sandbox: Sandbox) -> None:
    order = await sandbox.create()
    order_id = order["order_id"]
    for _ in range(2):  # available, courier_assigned: still editable
        await sandbox.step(order_id)
        assert (await sandbox.edit({"order_id": order_id, "matter": "Buku"}))["matter"] == "Buku"
    await sandbox.step(order_id, step="delayed")
    assert (await sandbox.edit({"order_id": order_id, "matter": "Kue"}))["status"] == "delayed"
    await sandbox.step(order_id, step="canceled")
    refused = await sandbox.fails("POST", "edit-order", json={"order_id": order_id, "matter": 1})
    assert refused == error("order_cannot_be_edited")


async def test_a_point_the_courier_visited_cannot_be_deleted(sandbox: Sandbox) -> None:
    order = await sandbox.create(order_body(point(), point()))
    for _ in range(7):  # ... parcel picked up, first delivery active, courier arrived
        await sandbox.step(order["order_id"])
    refused = await sandbox.fails(
        "POST",
        "edit-order",
        json={
            "order_id": order["order_id"],
            "points": [{"point_id": 202685}, {"point_id": 202687}],
        },
    )
    assert refused == invalid({"points": ["not_editable"]})
    added = await sandbox.edit(
        {
            "order_id": order["order_id"],
            "points": [{"point_id": p} for p in (202685, 202686, 202687)] + [point()],
        }
    )
    # A point added once the parcel is picked up joins the others where the courier is.
    assert added["points"][-1]["delivery"] == {"status": "parcel_picked_up"}


# -- cancel-order ---------------------------------------------------------------------------


async def test_cancel_with_the_documents_example(sandbox: Sandbox, receiver: Receiver) -> None:
    await sandbox.create(doc("create_order_request"))
    body = await sandbox.ok("POST", "cancel-order", json=doc("cancel_order_request"))

    expected = doc("cancel_order_response")
    expected["order"] = as_simulated(expected["order"], status="canceled")
    expected["order"]["status_description"] = "Pelanggan tidak merespons"
    expected["order"]["points"][1]["delivery_id"] = 11712
    expected["order"]["points"][1]["delivery"] = {"status": "canceled"}
    expected["order"]["finish_datetime"] = body["order"]["finish_datetime"]
    assert times_masked(body) == times_masked(expected)
    await sandbox.settle()
    assert receiver.events()[2:] == [
        ("order_changed", "canceled"),
        ("delivery_changed", "canceled"),
    ]

    again = await sandbox.fails("POST", "cancel-order", json={"order_id": 1250032})
    assert again == error("order_cannot_be_canceled")
    assert await sandbox.fails("POST", "cancel-order", json={}) == invalid(
        {"order_id": ["required"]}
    )
    unknown = await sandbox.fails("POST", "cancel-order", json={"order_id": 7, "why": "x"})
    assert unknown == invalid({"why": ["unknown"], "order_id": ["invalid_order"]})


async def test_cancel_is_refused_once_the_courier_visited_an_address(sandbox: Sandbox) -> None:
    early = await sandbox.create()
    late = await sandbox.create()
    assert await sandbox.steps(early["order_id"], 3) == [
        "available",
        "courier_assigned",
        "courier_departed",
    ]
    await sandbox.steps(late["order_id"], 4)  # ... courier_at_pickup

    canceled = await sandbox.ok("POST", "cancel-order", json={"order_id": early["order_id"]})
    refused = await sandbox.fails("POST", "cancel-order", json={"order_id": late["order_id"]})

    assert canceled["order"]["status"] == "canceled"
    assert canceled["order"]["points"][1]["delivery"] == {"status": "canceled"}
    assert refused == error("order_cannot_be_canceled")


# -- orders, courier, client, bank cards, labels -----------------------------------------------


async def test_orders_are_listed_newest_first_with_filters_and_pagination(
    sandbox: Sandbox,
) -> None:
    ids = [(await sandbox.create())["order_id"] for _ in range(4)]
    await sandbox.step(ids[1])
    await sandbox.step(ids[3])

    everything = await sandbox.ok("GET", "orders")
    available = await sandbox.ok("GET", "orders", params={"status": "available"})
    one = await sandbox.ok("GET", "orders", params={"order_id": ids[0]})
    some = await sandbox.ok("GET", f"orders?order_id[]={ids[0]}&order_id[]={ids[2]}")
    page = await sandbox.ok("GET", "orders", params={"offset": 1, "count": 2})

    def listed(body: dict[str, Any]) -> list[int]:
        return [order["order_id"] for order in body["orders"]]

    assert listed(everything) == ids[::-1] and everything["orders_count"] == 4
    assert listed(available) == [ids[3], ids[1]] and available["orders_count"] == 2
    assert listed(one) == [ids[0]]
    assert listed(some) == [ids[2], ids[0]]
    assert listed(page) == [ids[2], ids[1]] and page["orders_count"] == 4

    for query, errors in [
        ("status=lost", {"status": ["invalid_order_status"]}),
        ("order_id[]=1&order_id[]=x", {"order_id": [None, ["invalid_integer"]]}),
        ("count=51", {"count": ["max_value"]}),
        ("count=0", {"count": ["min_value"]}),
        ("offset=-1", {"offset": ["invalid_integer"]}),
        ("page=2", {"page": ["unknown"]}),
    ]:
        assert await sandbox.fails("GET", f"orders?{query}") == invalid(errors), query


async def test_the_documents_list_of_orders_example_shape(sandbox: Sandbox) -> None:
    await sandbox.create(doc("create_order_request"))
    await sandbox.step(1250032)
    body = await sandbox.ok("GET", "orders", params={"status": "available"})
    expected = doc("orders_response")
    first = as_simulated(expected["orders"][0], status="available")
    first["points"][1]["delivery_id"] = 11712
    # The example lists an order edited to "Flowers" and leaves out the documented "type".
    first.update(matter="Documents", type="standard")
    assert times_masked(body["orders"][0]) == times_masked(first)
    assert set(body) == set(expected)


async def test_courier_info_and_location(sandbox: Sandbox) -> None:
    order_id = (await sandbox.create(doc("create_order_request")))["order_id"]

    async def courier() -> Any:
        return (await sandbox.ok("GET", "courier", params={"order_id": order_id}))["courier"]

    assert await courier() is None
    await sandbox.steps(order_id, 2)  # available, courier_assigned
    expected = fixture("borzo", "courier_response")["courier"]
    assert await courier() == expected | {"latitude": None, "longitude": None}

    await sandbox.step(order_id)  # courier_departed: on the way, near the pick-up point
    start = await courier()
    moved = await sandbox.client.post(f"/_control/orders/{order_id}/courier", json={})
    assert moved.status_code == 200
    halfway = await courier()
    # From its start, about 1.5 km off, half the way to the pick-up point.
    assert float(start["latitude"]) > float(halfway["latitude"]) > -6.3037234
    assert halfway["latitude"] == moved.json()["order"]["courier"]["latitude"]

    await sandbox.steps(order_id, 3)  # at pick-up, picked up, active (to the drop-off)
    at_pickup = await courier()
    assert (at_pickup["latitude"], at_pickup["longitude"]) == ("-6.3037234", "106.6886525")
    await sandbox.client.post(f"/_control/orders/{order_id}/courier", json={"fraction": 1})
    assert await courier() == expected  # the document's example: at the drop-off point
    pinned = {"latitude": "-6.2", "longitude": "106.75"}
    await sandbox.client.post(f"/_control/orders/{order_id}/courier", json=pinned)
    assert (await courier())["latitude"] == "-6.2000000"

    await sandbox.steps(order_id, 3)  # arrived, finished, completed
    assert await courier() == expected | {"latitude": None, "longitude": None}
    not_moving = await sandbox.client.post(f"/_control/orders/{order_id}/courier", json={})
    assert not_moving.status_code == 409

    assert await sandbox.fails("GET", "courier") == invalid({"order_id": ["required"]})
    assert await sandbox.fails("GET", "courier", params={"order_id": 1}) == invalid(
        {"order_id": ["invalid_order"]}
    )


async def test_client_and_bank_cards_answer_the_documents_examples(sandbox: Sandbox) -> None:
    assert await sandbox.ok("GET", "client") == fixture("borzo", "client_response")
    assert await sandbox.ok("GET", "bank-cards") == fixture("borzo", "bank_cards_response")


def check_pdf(content: bytes) -> None:
    """A well-formed PDF: header, trailer, and an xref whose offsets point at the objects."""
    assert content.startswith(b"%PDF-1.4\n") and content.endswith(b"%%EOF\n")
    xref_at = int(content.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    table = content[xref_at:].split(b"trailer")[0].split(b"\n")
    assert table[0] == b"xref"
    offsets = [int(line[:10]) for line in table[3:] if line]
    for number, offset in enumerate(offsets, start=1):
        assert content[offset:].startswith(b"%d 0 obj" % number)
    assert b"/Type /Page " in content and b"(BORZO) Tj" in content


async def test_labels_in_zpl_and_pdf(sandbox: Sandbox) -> None:
    one = await sandbox.create(
        order_body(point(contact_person={"name": "Siti (Ibu)", "phone": "6281234567890"}))
    )
    two = await sandbox.create(order_body(point(), point()))
    query = f"order_id[]={one['order_id']}&order_id[]={two['order_id']}"

    zpl = (await sandbox.ok("GET", f"labels?type=zpl&{query}"))["labels"]
    pdf = (await sandbox.ok("GET", f"labels?type=pdf&{query}"))["labels"]

    heads = [(x["order_id"], x["point_id"], x["delivery_id"]) for x in zpl]
    assert heads == [(1250032, 202686, 11712), (1250033, 202688, 11713), (1250033, 202689, 11714)]
    assert [(x["order_id"], x["point_id"], x["delivery_id"]) for x in pdf] == heads
    assert set(zpl[0]) == set(fixture("borzo", "labels_zpl_response")["labels"][0])
    assert set(pdf[0]) == set(fixture("borzo", "labels_pdf_response")["labels"][0])
    for label in zpl:
        assert label["type"] == "zpl"
        assert label["content"].startswith("^XA\n") and label["content"].endswith("^XZ")
    assert "Siti (Ibu) 6281234567890" in zpl[0]["content"]
    for label in pdf:
        assert label["type"] == "pdf"
        check_pdf(base64.b64decode(label["content_base64"]))
    assert b"Siti \\(Ibu\\)" in base64.b64decode(pdf[0]["content_base64"])

    for query_string, errors in [
        (f"order_id[]={one['order_id']}", {"type": ["required"]}),
        (f"type=png&order_id={one['order_id']}", {"type": ["invalid_enum_value"]}),
        ("type=pdf", {"order_id": ["required"]}),
        (
            f"type=pdf&order_id[]={one['order_id']}&order_id[]=9",
            {"order_id": [None, ["invalid_order"]]},
        ),
    ]:
        assert await sandbox.fails("GET", f"labels?{query_string}") == invalid(errors)


# -- lifecycle and callbacks -------------------------------------------------------------------

HAPPY_PATH = [
    "available",
    "courier_assigned",
    "courier_departed",
    "courier_at_pickup",
    "parcel_picked_up",
    "active",
    "courier_arrived",
    "finished",
    "completed",
]


async def test_the_happy_path_sends_signed_callbacks(sandbox: Sandbox, receiver: Receiver) -> None:
    order = await sandbox.create(doc("create_order_request"))
    steps = await sandbox.steps(order["order_id"], len(HAPPY_PATH))
    await sandbox.settle()

    assert steps == HAPPY_PATH
    assert receiver.bad_signatures == 0
    assert receiver.events() == [
        ("order_created", "new"),
        ("delivery_created", "planned"),
        ("order_changed", "available"),
        ("order_changed", "active"),
        ("delivery_changed", "courier_assigned"),
        ("order_changed", "active"),
        ("delivery_changed", "courier_departed"),
        ("order_changed", "active"),
        ("delivery_changed", "courier_at_pickup"),
        ("order_changed", "active"),
        ("delivery_changed", "parcel_picked_up"),
        ("order_changed", "active"),
        ("delivery_changed", "active"),
        ("order_changed", "active"),
        ("delivery_changed", "courier_arrived"),
        ("order_changed", "active"),
        ("delivery_changed", "finished"),
        ("order_changed", "completed"),
    ]
    order_event, delivery_event = receiver.received[0], receiver.received[1]
    assert set(order_event) == set(fixture("borzo", "callback_order_created"))
    doc_delivery = fixture("borzo", "callback_delivery_created")["delivery"]
    assert set(delivery_event["delivery"]) == set(doc_delivery) | {
        "courier",
        "is_thermobox_required",
    }
    assert delivery_event["delivery"]["delivery_id"] == 11712
    assert delivery_event["delivery"]["point_id"] == 202686
    assert delivery_event["delivery"]["order_payment_amount"] == "15000.00"
    times_masked(receiver.received)  # every timestamp in the document's format

    final = receiver.received[-1]["order"]
    drop = final["points"][1]
    assert final["finish_datetime"] and drop["courier_visit_datetime"]
    assert drop["checkin"] == {"recipient_full_name": "Penerima", "recipient_position": None}
    assert final["points"][0]["arrival_finish_datetime"]
    finished = receiver.received[-2]["delivery"]
    assert finished["courier"]["courier_id"] == 72384
    assert (await sandbox.advance(order["order_id"])).status_code == 409


async def test_a_finished_point_shows_its_checkin_photos_and_tracking_page(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    order = await sandbox.create(doc("create_order_request"))
    order_id, drop_id = order["order_id"], order["points"][1]["point_id"]
    await sandbox.steps(order_id, HAPPY_PATH.index("courier_arrived") + 1)
    before = (await sandbox.ok("GET", "orders", params={"order_id": order_id}))["orders"][0]
    assert before["points"][1]["place_photo_url"] is None
    assert before["points"][1]["tracking_url"] is None
    photo_path = f"/photos/{order_id}/{drop_id}/place.png"
    assert (await sandbox.client.get(photo_path)).status_code == 404  # not taken yet

    await sandbox.step(order_id, step="finished")
    await sandbox.settle()
    answer = await sandbox.ok("GET", "orders", params={"order_id": order_id})
    pickup, drop = answer["orders"][0]["points"]
    base = f"{sandbox.url}/photos/{order_id}/{drop_id}"
    assert drop["place_photo_url"] == f"{base}/place.png"
    assert drop["sign_photo_url"] == f"{base}/sign.png"
    assert drop["tracking_url"] == f"{sandbox.url}/track/{order_id}/{drop_id}"
    assert drop["checkin"] == {"recipient_full_name": "Penerima", "recipient_position": None}
    assert pickup["place_photo_url"] is None and pickup["checkin"] is None
    delivery = receiver.received[-1]["delivery"]
    assert (delivery["status"], delivery["tracking_url"]) == ("finished", drop["tracking_url"])

    plain = httpx.AsyncClient(timeout=5)  # a link handed to a recipient carries no token
    async with plain:
        for url in (drop["place_photo_url"], drop["sign_photo_url"]):
            photo = await plain.get(url)
            assert photo.status_code == 200 and photo.content.startswith(b"\x89PNG")
        page = await plain.get(drop["tracking_url"])
        assert page.status_code == 200 and "finished" in page.text
        assert (await plain.get(f"{base}/selfie.png")).status_code == 404
        assert (await plain.get(f"{sandbox.url}/track/{order_id}/1")).status_code == 404


async def test_the_advance_answer_carries_the_order_and_its_callbacks(sandbox: Sandbox) -> None:
    order = await sandbox.create()
    answer = await sandbox.step(order["order_id"], step="available")
    assert answer["step"] == "available" and answer["order"]["status"] == "available"
    (attempt,) = answer["callbacks"]
    assert attempt["event"] == "order_changed" and attempt["status_code"] == 200
    assert attempt["body"]["order"]["status"] == "available"

    orders = (await sandbox.client.get("/_control/orders")).json()["orders"]
    assert [(o["order_id"], o["next_step"]) for o in orders] == [(1250032, "courier_assigned")]
    steps = (await sandbox.client.get("/_control/steps")).json()["steps"]
    assert set(HAPPY_PATH) <= set(steps) and "reattempt_finished" in steps


async def test_delayed_then_resumed_and_reactivated(sandbox: Sandbox, receiver: Receiver) -> None:
    order_id = (await sandbox.create())["order_id"]
    await sandbox.steps(order_id, 2)

    delayed = await sandbox.step(order_id, step="delayed")
    assert delayed["order"]["status"] == "delayed"
    assert delayed["order"]["status_description"] == "Ditunda oleh dispatcher"
    assert delayed["order"]["points"][1]["delivery"] == {"status": "delayed"}
    resumed = await sandbox.step(order_id)
    assert resumed["step"] == "resume" and resumed["order"]["status"] == "active"
    assert resumed["order"]["points"][1]["delivery"] == {"status": "courier_assigned"}

    reactivated = await sandbox.step(order_id, step="reactivated")
    assert reactivated["order"]["status"] == "reactivated"
    assert reactivated["order"]["courier"] is None
    assert reactivated["order"]["points"][1]["delivery"] == {"status": "planned"}
    assert (await sandbox.step(order_id))["step"] == "courier_assigned"


async def test_canceled_by_the_dispatcher(sandbox: Sandbox, receiver: Receiver) -> None:
    order_id = (await sandbox.create(order_body(point(), point())))["order_id"]
    answer = await sandbox.step(order_id, step="canceled", status_description="Alamat salah")
    order = answer["order"]
    assert (order["status"], order["status_description"]) == ("canceled", "Alamat salah")
    assert [p["delivery"] for p in order["points"][1:]] == [{"status": "canceled"}] * 2
    assert [
        (a["event"], a["body"].get("delivery", {}).get("status")) for a in answer["callbacks"]
    ] == [
        ("order_changed", None),
        ("delivery_changed", "canceled"),
        ("delivery_changed", "canceled"),
    ]


async def test_return_and_reattempt_deliveries(sandbox: Sandbox, receiver: Receiver) -> None:
    order_id = (await sandbox.create(order_body(point(), point("Jl. Kemang Raya No. 8"))))[
        "order_id"
    ]
    await sandbox.steps(order_id, 7)  # ... the first delivery's courier arrived

    returned = [
        (await sandbox.step(order_id, step="return_planned"))["step"],
        *await sandbox.steps(order_id, 4),
    ]
    assert returned == [
        "return_planned",
        "return_courier_assigned",
        "return_courier_departed",
        "return_courier_picked_up",
        "return_finished",
    ]
    await sandbox.step(order_id)  # the second delivery: active
    reattempt = [
        (await sandbox.step(order_id, step="reattempt_planned"))["step"],
        *await sandbox.steps(order_id, 4),
    ]
    assert reattempt == [
        "reattempt_planned",
        "reattempt_courier_assigned",
        "reattempt_courier_departed",
        "reattempt_courier_picked_up",
        "reattempt_finished",
    ]
    done = await sandbox.step(order_id)
    assert done["step"] == "completed"
    deliveries = [p["delivery"]["status"] for p in done["order"]["points"][1:]]
    assert deliveries == ["return_finished", "reattempt_finished"]

    await sandbox.settle()
    statuses = [status for event, status in receiver.events() if event == "delivery_changed"]
    assert statuses[-11:] == [*returned, "active", *reattempt]


async def test_a_step_targets_a_delivery_by_point_id(sandbox: Sandbox) -> None:
    order_id = (await sandbox.create(order_body(point(), point())))["order_id"]
    await sandbox.steps(order_id, 5)
    answer = await sandbox.step(order_id, step="active", point_id=202687)
    assert [p["delivery"]["status"] for p in answer["order"]["points"][1:]] == [
        "parcel_picked_up",
        "active",
    ]
    assert (await sandbox.advance(order_id, step="active", point_id=202685)).status_code == 404


async def test_the_control_api_refuses_what_the_status_forbids(sandbox: Sandbox) -> None:
    order_id = (await sandbox.create())["order_id"]
    wrong = await sandbox.advance(order_id, step="finished")
    assert wrong.status_code == 409
    assert wrong.json() == {"message": "step finished is not allowed: the order is new"}
    bogus = await sandbox.advance(order_id, step="teleport")
    assert bogus.status_code == 422 and bogus.json()["message"].startswith("step: must be")
    assert (await sandbox.advance(999)).status_code == 404
    assert (await sandbox.advance(order_id, point_id="x")).status_code == 422
    no_courier = await sandbox.client.post(f"/_control/orders/{order_id}/courier", json={})
    assert no_courier.status_code == 409


async def test_the_control_api_finds_an_order_by_the_gateways_tracking_number(
    sandbox: Sandbox,
) -> None:
    """The gateway hands out the order_name as trackingNumber: the control API takes it,
    and the order_id (carrierShipmentId) as before."""
    order = await sandbox.create()
    name, order_id = order["order_name"], order["order_id"]
    assert name != str(order_id)
    shown = await sandbox.client.get(f"/_control/orders/{name}")
    assert shown.status_code == 200 and shown.json()["order"]["order_id"] == order_id
    by_id = await sandbox.client.get(f"/_control/orders/{order_id}")
    assert by_id.json() == shown.json()
    stepped = await sandbox.step(name)
    assert stepped["order"]["order_id"] == order_id
    assert (await sandbox.step(order_id))["order"]["order_id"] == order_id
    replayed = await sandbox.client.post(f"/_control/orders/{name}/replay")
    assert replayed.status_code == 200, replayed.text


async def test_a_short_order_name_two_orders_share_is_a_409(sandbox: Sandbox) -> None:
    first = await sandbox.create()
    sandbox.state.ids.order = first["order_id"] + 100_000
    second = await sandbox.create()
    assert first["order_name"] == second["order_name"]
    ambiguous = await sandbox.advance(first["order_name"])
    assert ambiguous.status_code == 409
    assert "use the carrier's id" in ambiguous.json()["message"]
    assert (await sandbox.step(second["order_id"]))["order"]["order_id"] == second["order_id"]


@pytest.mark.parametrize("key", ["\u00b2", "0" * 5000, "-1", "1e3", "%20", "01250032"])
async def test_a_control_key_naming_no_order_is_a_404(sandbox: Sandbox, key: str) -> None:
    await sandbox.create()
    response = await sandbox.client.get(f"/_control/orders/{key}")
    assert response.status_code == 404
    assert len(response.json()["message"]) < 120


async def test_a_callback_is_retried_after_a_receiver_error(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    order_id = (await sandbox.create())["order_id"]
    await sandbox.settle()
    receiver.fail_next = 2

    answer = await sandbox.step(order_id)

    attempts = [(a["attempt"], a["status_code"]) for a in answer["callbacks"]]
    assert attempts == [(1, 500), (2, 500), (3, 200)]
    log = (await sandbox.client.get("/_control/callbacks")).json()["callbacks"]
    assert [a["status_code"] for a in log] == [200, 200, 500, 500, 200]
    assert receiver.events()[-1] == ("order_changed", "available")


async def test_callbacks_stay_in_order_behind_a_retry(sandbox: Sandbox, receiver: Receiver) -> None:
    receiver.fail_next = 1
    order_id = (await sandbox.create())["order_id"]
    await sandbox.ok("POST", "cancel-order", json={"order_id": order_id})
    await sandbox.settle()
    assert receiver.events() == [
        ("order_created", "new"),
        ("delivery_created", "planned"),
        ("order_changed", "canceled"),
        ("delivery_changed", "canceled"),
    ]


async def test_replay_sends_the_last_callback_again(sandbox: Sandbox, receiver: Receiver) -> None:
    order_id = (await sandbox.create())["order_id"]
    await sandbox.step(order_id)

    replay = await sandbox.client.post(f"/_control/orders/{order_id}/replay")

    assert replay.status_code == 200
    assert [a["status_code"] for a in replay.json()["callbacks"]] == [200]
    assert receiver.received[-1] == receiver.received[-2]
    assert receiver.bad_signatures == 0
    assert (await sandbox.client.post("/_control/orders/1/replay")).status_code == 404


async def test_unreachable_receiver_gives_up_after_the_retries() -> None:
    dead = Receiver(url=f"http://127.0.0.1:{free_port()}/hook")
    async with running(sandbox_app(dead)) as box:
        order_id = (await box.create())["order_id"]
        answer = await box.step(order_id)
    assert [a["attempt"] for a in answer["callbacks"]] == [1, 2, 3]
    assert all(a["status_code"] is None and a["error"] for a in answer["callbacks"])


async def test_without_a_callback_url_nothing_is_sent() -> None:
    async with running(sandbox_app(None)) as box:
        order_id = (await box.create())["order_id"]
        answer = await box.step(order_id)
        replay = await box.client.post(f"/_control/orders/{order_id}/replay")
    assert answer["callbacks"] == [] and replay.status_code == 409


async def until_status(client: httpx.AsyncClient, order_id: int, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while True:
        response = await client.get("/orders", params={"order_id": order_id})
        order: dict[str, Any] = response.json()["orders"][0]
        if order["status"] == status:
            return order
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


async def test_auto_advance_walks_the_happy_path(receiver: Receiver) -> None:
    app = sandbox_app(receiver, auto_advance_s=0.02)
    async with running(app) as box:
        order_id = (await box.create())["order_id"]
        await until_status(box.client, order_id, "completed")
        await box.settle()
    statuses = [status for event, status in receiver.events() if event == "delivery_changed"]
    assert statuses == [
        "courier_assigned",
        "courier_departed",
        "courier_at_pickup",
        "parcel_picked_up",
        "active",
        "courier_arrived",
        "finished",
    ]


async def test_auto_advance_moves_the_courier_between_steps(receiver: Receiver) -> None:
    app = sandbox_app(receiver, auto_advance_s=0.2)
    async with running(app) as box:
        order_id = (await box.create())["order_id"]
        await until_status(box.client, order_id, "active")
        seen: set[str] = set()
        deadline = time.monotonic() + 4
        while len(seen) < 3 and time.monotonic() < deadline:
            courier = (await box.ok("GET", "courier", params={"order_id": order_id}))["courier"]
            if courier["latitude"] is not None:
                seen.add(courier["latitude"])
            await asyncio.sleep(0.05)
    assert len(seen) >= 3


# -- limits ------------------------------------------------------------------------------------


async def test_the_per_minute_limit() -> None:
    async with running(sandbox_app(requests_per_minute=3, requests_per_day=100)) as box:
        for _ in range(3):
            await box.ok("GET", "client")
        assert await box.fails("GET", "client") == error("requests_limit_exceeded")
        assert await box.fails("POST", "create-order", json={}) == error("requests_limit_exceeded")
        # The control API and requests with a wrong token do not count.
        for _ in range(5):
            assert (await box.client.get("/_control/orders")).status_code == 200
        wrong = await box.client.get("/client", headers={"X-DV-Auth-Token": "nope"})
        assert wrong.json() == error("invalid_auth_token")

        started = time.monotonic()
        box.state.limiter.clock = lambda: started + 61
        await box.ok("GET", "client")


async def test_the_per_day_limit() -> None:
    async with running(sandbox_app(requests_per_minute=100, requests_per_day=4)) as box:
        for _ in range(4):
            await box.ok("GET", "client")
        started = time.monotonic()
        box.state.limiter.clock = lambda: started + 3600
        assert await box.fails("GET", "orders") == error("requests_limit_exceeded")
        box.state.limiter.clock = lambda: started + 24 * 3600 + 1
        await box.ok("GET", "orders")
        await box.client.post("/_control/reset")


async def test_reset_clears_the_limits(sandbox: Sandbox) -> None:
    state = sandbox.state
    state.limiter.per_minute = 2
    try:
        await sandbox.ok("GET", "client")
        await sandbox.ok("GET", "client")
        assert await sandbox.fails("GET", "client") == error("requests_limit_exceeded")
        await sandbox.client.post("/_control/reset")
        await sandbox.ok("GET", "client")
    finally:
        state.limiter.per_minute = 100


# -- faults ------------------------------------------------------------------------------------


async def set_fault(box: Sandbox, **fault: Any) -> None:
    response = await box.client.post("/_control/faults", json=fault)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("status", "code"),
    [(500, "unexpected_error"), (503, "service_unavailable"), (429, "requests_limit_exceeded")],
)
async def test_a_fault_status_answers_the_borzo_envelope(
    sandbox: Sandbox, status: int, code: str
) -> None:
    await set_fault(sandbox, status=status)
    response = await sandbox.client.post("/create-order", json=order_body())
    assert (response.status_code, response.json()) == (status, error(code))
    assert (await sandbox.client.get("/_control/orders")).json() == {"orders": []}


async def test_fault_latency_hang_malformed_and_times(sandbox: Sandbox) -> None:
    await set_fault(sandbox, latency_ms=200, times=1)
    started = time.monotonic()
    await sandbox.ok("GET", "client")
    assert time.monotonic() - started >= 0.2

    await set_fault(sandbox, hang=True, times=1)
    with pytest.raises(httpx.ReadTimeout):
        await sandbox.client.get("/client", timeout=0.3)

    await set_fault(sandbox, malformed=True, times=1)
    malformed = await sandbox.client.get("/client")
    with pytest.raises(ValueError):
        malformed.json()
    await sandbox.ok("GET", "client")


async def test_a_lost_create_answer_still_books_and_lists_its_client_order_id(
    sandbox: Sandbox,
) -> None:
    await set_fault(sandbox, lost_answer=True, times=1, path_prefix="/create-order")
    body = order_body(point(client_order_id="SO-LOST"))
    with pytest.raises(httpx.ReadTimeout):
        await sandbox.client.post("/create-order", json=body, timeout=0.3)
    listed = await sandbox.ok("GET", "orders", params={"offset": 0, "count": 50})
    (order,) = listed["orders"]
    assert listed["orders_count"] == 1
    assert [p["client_order_id"] for p in order["points"]] == [None, "SO-LOST"]
    # An edit that does not name it keeps it.
    points = [{"point_id": p["point_id"]} for p in order["points"]]
    edited = await sandbox.edit(
        {"order_id": order["order_id"], "matter": "Books", "points": points}
    )
    assert edited["points"][1]["client_order_id"] == "SO-LOST"


async def test_a_fault_status_can_carry_retry_after(sandbox: Sandbox) -> None:
    await set_fault(sandbox, status=429, retry_after_s=60, times=1)
    limited = await sandbox.client.get("/client")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "60")
    assert limited.json() == error("requests_limit_exceeded")


async def test_fault_path_prefix_and_the_control_api_is_never_faulted(sandbox: Sandbox) -> None:
    await set_fault(sandbox, status=502, path_prefix="/create-order")
    faulted = await sandbox.client.post("/create-order", json=order_body())
    assert faulted.status_code == 502 and faulted.json() == error("service_unavailable")
    await sandbox.ok("GET", "orders")
    await set_fault(sandbox, status=500)
    assert (await sandbox.client.get("/_control/orders")).status_code == 200
    await sandbox.client.delete("/_control/faults")
    await sandbox.create()


async def test_reset_clears_everything(sandbox: Sandbox) -> None:
    await sandbox.create(order_body(promo_code="FIRST_ORDER"))
    await set_fault(sandbox, status=500, path_prefix="/labels")

    assert (await sandbox.client.post("/_control/reset")).status_code == 200

    assert (await sandbox.client.get("/_control/orders")).json() == {"orders": []}
    assert (await sandbox.client.get("/_control/callbacks")).json() == {"callbacks": []}
    assert (await sandbox.client.get("/_control/faults")).json() == {"fault": None}
    again = await sandbox.create(order_body(promo_code="FIRST_ORDER"))
    assert again["order_id"] == 1250032


# -- mounting ----------------------------------------------------------------------------------


async def test_mounted_under_a_prefix(receiver: Receiver) -> None:
    borzo = sandbox_app(receiver, auto_advance_s=0.02)
    state: BorzoSandboxState = borzo.state.borzo

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with state.running():  # a Mount does not run the mounted app's lifespan
            yield

    parent = Starlette(routes=[Mount("/sandbox/borzo", borzo)], lifespan=lifespan)
    async with serve(parent) as url:
        base = f"{url}/sandbox/borzo"
        headers = {"X-DV-Auth-Token": TOKEN}
        async with httpx.AsyncClient(base_url=base, headers=headers) as client:
            assert (await client.get("/")).json() == {"is_successful": True}
            await client.post("/_control/faults", json={"status": 503, "path_prefix": "/orders"})
            created = await client.post("/create-order", json=order_body())
            order_id = created.json()["order"]["order_id"]
            assert (await client.get("/orders")).status_code == 503
            await client.delete("/_control/faults")
            await until_status(client, order_id, "completed")
            await client.get("/_control/callbacks", params={"wait": "1"})
    assert receiver.events()[-1] == ("order_changed", "completed")
    assert receiver.bad_signatures == 0


async def test_a_multi_drop_order_keeps_each_points_details(sandbox: Sandbox) -> None:
    building = {
        "building_number": "B",
        "entrance_number": "2",
        "intercom_code": "12#",
        "floor_number": "3",
        "apartment_number": "3A",
    }
    package = {"ware_code": "SKU-1", "description": "Shoes", "items_count": 2}
    body = order_body(
        point(taking_amount="25000.50", packages=[package], note="Ring twice", **building),
        point(taking_amount="100.00", is_cod_cash_voucher_required=True, floor_number="7"),
        is_contact_person_notification_enabled=True,
        is_return_required=True,
        payment_method="bank_card",
        bank_card_id=80,
    )
    order = await sandbox.create(body)
    assert order["is_contact_person_notification_enabled"] is True
    assert order["is_return_required"] is True
    assert (order["payment_method"], order["bank_card_id"]) == ("bank_card", 80)
    first, second = order["points"][1], order["points"][2]
    assert {key: first[key] for key in building} == building
    assert (first["taking_amount"], first["note"]) == ("25000.50", "Ring twice")
    [stored] = first["packages"]
    assert {key: stored[key] for key in package} == package
    assert stored["item_payment_amount"] == "0.00"
    assert (second["taking_amount"], second["floor_number"]) == ("100.00", "7")
    assert second["is_cod_cash_voucher_required"] is True
    assert order["points"][-1]["is_return_point"] is True
    listed = await sandbox.ok("GET", "orders", params={"order_id": order["order_id"]})
    assert times_masked(listed["orders"][0]["points"][:3]) == times_masked(order["points"][:3])


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"is_return_required": "yes"}, {"is_return_required": ["invalid_boolean"]}),
        (
            {"is_contact_person_notification_enabled": 1},
            {"is_contact_person_notification_enabled": ["invalid_boolean"]},
        ),
        ({"backpayment_details": 111}, {"backpayment_details": ["invalid_string"]}),
        ({"backpayment_details": "x" * 1001}, {"backpayment_details": ["max_length"]}),
        ({"bank_card_id": 0, "payment_method": "bank_card"}, {"bank_card_id": ["min_value"]}),
        (
            {"bank_card_id": "80", "payment_method": "bank_card"},
            {"bank_card_id": ["invalid_integer"]},
        ),
    ],
)
async def test_hostile_order_details(
    sandbox: Sandbox, fields: dict[str, Any], errors: dict[str, Any]
) -> None:
    assert await sandbox.fails("POST", "create-order", json=order_body(**fields)) == invalid(errors)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"floor_number": 3}, {"floor_number": ["invalid_string"]}),
        ({"apartment_number": "x" * 1001}, {"apartment_number": ["max_length"]}),
        ({"intercom_code": ["1"]}, {"intercom_code": ["invalid_string"]}),
        ({"buyout_amount": "lots"}, {"buyout_amount": ["invalid_float"]}),
        ({"taking_amount": True}, {"taking_amount": ["invalid_float"]}),
        ({"packages": [{"items_count": "2"}]}, {"packages": [{"items_count": ["invalid_float"]}]}),
        (
            {"packages": [{"ware_code": "x" * 256}]},
            {"packages": [{"ware_code": ["max_length"]}]},
        ),
        (
            {"packages": [{"nomenclature_code": 5}]},
            {"packages": [{"nomenclature_code": ["invalid_string"]}]},
        ),
    ],
)
async def test_hostile_point_details(
    sandbox: Sandbox, fields: dict[str, Any], errors: dict[str, Any]
) -> None:
    body = order_body(point(), point(**fields))
    answer = await sandbox.fails("POST", "create-order", json=body)
    assert answer == invalid({"points": [None, None, errors]})


async def test_an_edit_may_name_every_point_of_a_return_order(sandbox: Sandbox) -> None:
    # Order editing: "any points with IDs not mentioned in the request will be deleted",
    # so an edit names every point, the return point (is_return_point) too.
    order = await sandbox.create(order_body(is_return_required=True))
    ids = [p["point_id"] for p in order["points"]]
    assert [p["is_return_point"] for p in order["points"]] == [False, False, True]
    edited = await sandbox.edit(
        {
            "order_id": order["order_id"],
            "matter": "Flowers",
            "points": [{"point_id": i} for i in ids],
        }
    )
    assert edited["matter"] == "Flowers"
    assert [p["point_id"] for p in edited["points"]] == ids
    assert [p["is_return_point"] for p in edited["points"]] == [False, False, True]


async def test_an_edit_leaving_out_the_return_point_keeps_the_return(sandbox: Sandbox) -> None:
    order = await sandbox.create(order_body(is_return_required=True))
    ids = [p["point_id"] for p in order["points"]]
    edited = await sandbox.edit(
        {"order_id": order["order_id"], "points": [{"point_id": i} for i in ids[:2]]}
    )
    assert [p["is_return_point"] for p in edited["points"]] == [False, False, True]
