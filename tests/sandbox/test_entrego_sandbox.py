"""The Entrego simulator over real HTTP, checked against /work/shared/carrier-docs/entrego.txt."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.routing import Mount

from shipgraph.sandbox.entrego import EntregoSandboxState, create_entrego_sandbox
from tests.support.fixtures import fixture
from tests.support.receiver import Receiver as _Receiver
from tests.support.receiver import listening
from tests.support.servers import serve

pytestmark = pytest.mark.asyncio(loop_scope="module")

# The document's own credentials.
ACCESS_KEY = SECRET_KEY = "admin"
HOOK_TOKEN = "entrego-hook-token"
FAST_RETRIES = (0.01, 0.02)
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PROBLEM_LINK = "https://www.entrego.org/api-error/problem-with-message"


def doc(name: str) -> Any:
    return copy.deepcopy(fixture("entrego", name))


def order_body(**fields: Any) -> dict[str, Any]:
    """The document's standard order with a fresh shipperReference / trackingNumber."""
    body: dict[str, Any] = doc("sales_order_request")
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


class Receiver(_Receiver):
    def statuses(self) -> list[str]:
        return [body["status"] for body in self.received]


@dataclass
class Sandbox:
    url: str
    client: httpx.AsyncClient
    state: EntregoSandboxState
    token: str = ""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def login(self) -> str:
        response = await self.client.post("/v1/authenticate", json=doc("authenticate_request"))
        assert response.status_code == 200, response.text
        self.token = response.json()["jwt"]
        return self.token

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=self.auth, **kwargs)

    async def create(
        self, body: dict[str, Any] | None = None, path: str = "/v1/sales-order"
    ) -> Any:
        response = await self.call("POST", path, json=body or order_body())
        assert response.status_code == 201, response.text
        return response.json()

    async def step(self, tracking: str, **body: Any) -> dict[str, Any]:
        response = await self.client.post(f"/_control/orders/{tracking}/advance", json=body or None)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def counters(self) -> dict[str, Any]:
        body: dict[str, Any] = (await self.client.get("/_control/counters")).json()
        return body


def sandbox_app(receiver: Receiver | None = None, **options: Any) -> Starlette:
    options.setdefault("waybill_pending_s", 0.15)
    return create_entrego_sandbox(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        webhook_url=receiver.url if receiver else None,
        webhook_token=HOOK_TOKEN,
        webhook_retry_delays=FAST_RETRIES,
        **options,
    )


@asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[Sandbox]:
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=5) as client:
        yield Sandbox(url, client, app.state.entrego)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def receiver_server() -> AsyncIterator[Receiver]:
    async with listening(Receiver(fail_status=503), "/entrego-webhook") as receiver:
        yield receiver


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def sandbox_server(receiver_server: Receiver) -> AsyncIterator[Sandbox]:
    async with running(sandbox_app(receiver_server)) as box:
        await box.login()
        yield box


@pytest_asyncio.fixture(loop_scope="module")
async def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.clear()
    return receiver_server


@pytest_asyncio.fixture(loop_scope="module")
async def sandbox(sandbox_server: Sandbox, receiver_server: Receiver) -> Sandbox:
    assert (await sandbox_server.client.post("/_control/reset")).status_code == 200
    receiver_server.clear()
    return sandbox_server


def problem(status: str, details: str) -> dict[str, Any]:
    message = {
        "BAD_REQUEST": "Bad request",
        "FORBIDDEN": "Access denied",
        "NOT_FOUND": "Not found",
        "INTERNAL_SERVER_ERROR": "An error occurred",
    }[status]
    return {"link": PROBLEM_LINK, "status": status, "message": message, "details": details}


def field_errors(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == "BAD_REQUEST" and body["link"] == PROBLEM_LINK
    return {e["field"]: e["message"] for e in body["fieldErrors"]}


# -- authentication ----------------------------------------------------------------------------


def claims(token: str) -> dict[str, Any]:
    header, payload, signature = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"typ": "JWT", "alg": "HS512"}
    assert signature
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return decoded


async def test_authenticate_answers_a_jwt_in_body_and_header(sandbox: Sandbox) -> None:
    response = await sandbox.client.post("/v1/authenticate", json=doc("authenticate_request"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert set(response.json()) == set(doc("authenticate_response"))
    token = response.json()["jwt"]
    assert response.headers["authorization"] == f"Bearer {token}"
    payload = claims(token)
    assert payload["iss"] == "Entrego Logistics PH" and payload["sub"] == ACCESS_KEY
    assert payload["exp"] - payload["iat"] == 86400 and payload["roles"] == ["ROLE_ADMIN"]
    counters = await sandbox.counters()
    assert counters["authentications"] == 1
    assert counters["authenticationsByPath"] == {"/v1/authenticate": 1}


async def test_the_deprecated_endpoint_answers_an_id_token(sandbox: Sandbox) -> None:
    response = await sandbox.client.post(
        "/api/authenticate", json=doc("authenticate_legacy_request")
    )
    assert response.status_code == 200
    assert set(response.json()) == set(doc("authenticate_legacy_response"))
    token = response.json()["id_token"]
    listed = await sandbox.client.post(
        "/v1/sales-order", json=order_body(), headers={"Authorization": f"Bearer {token}"}
    )
    assert listed.status_code == 201
    assert (await sandbox.counters())["authenticationsByPath"] == {"/api/authenticate": 1}


async def test_bad_credentials_are_403_and_missing_ones_400(sandbox: Sandbox) -> None:
    wrong = await sandbox.client.post(
        "/v1/authenticate", json={"accessKey": "admin", "secretKey": "nope"}
    )
    assert (wrong.status_code, wrong.json()) == (403, problem("FORBIDDEN", "Bad credentials"))
    missing = await sandbox.client.post("/v1/authenticate", json={"accessKey": "admin"})
    assert missing.status_code == 400
    assert (await sandbox.counters())["authentications"] == 0


PROTECTED = [
    ("POST", "/v1/sales-order"),
    ("PATCH", "/v1/sales-order"),
    ("POST", "/v1/sales-order/marketplace"),
    ("POST", "/v1/sales-order/marketplace/cancel"),
    ("GET", "/v1/sales-order/21c123fb-472a-4602-adef-f37104ae8bb2"),
    ("POST", "/v1/awb-tool/client-waybill-generation"),
    ("GET", "/v1/awb-tool/client-generate-output/getByDocumentId?documentId=x"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_every_protected_route_needs_a_valid_token(
    sandbox: Sandbox, method: str, path: str
) -> None:
    forged = sandbox.token[:-4] + "AAAA"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Bearer {forged}"}):
        response = await sandbox.client.request(method, path, json={}, headers=headers)
        assert response.status_code == 403, (headers, response.text)
        assert response.json() == problem("FORBIDDEN", "Access Denied")


async def test_tokens_expire(receiver: Receiver) -> None:
    async with running(sandbox_app(token_validity_s=0.2)) as box:
        await box.login()
        assert claims(box.token)["exp"] - claims(box.token)["iat"] in (0, 1)
        assert (await box.call("POST", "/v1/sales-order", json=order_body())).status_code == 201
        await asyncio.sleep(0.25)
        expired = await box.call("POST", "/v1/sales-order", json=order_body())
        assert expired.status_code == 403
        assert expired.json() == problem("FORBIDDEN", "JWT token has expired")
        await box.login()
        assert (await box.call("PATCH", "/v1/sales-order", json={})).status_code == 400


async def test_the_control_api_sets_validity_and_expires_issued_tokens(sandbox: Sandbox) -> None:
    old = sandbox.token
    answer = await sandbox.client.post(
        "/_control/tokens", json={"validitySeconds": 60, "expireIssued": True}
    )
    assert answer.json()["validitySeconds"] == 60 and answer.json()["expired"] >= 1
    assert (await sandbox.call("POST", "/v1/sales-order", json=order_body())).status_code == 403
    await sandbox.login()
    assert sandbox.token != old
    payload = claims(sandbox.token)
    assert payload["exp"] - payload["iat"] == 60
    await sandbox.client.post("/_control/tokens", json={"validitySeconds": 86400})


# -- sales orders ------------------------------------------------------------------------------


async def test_create_the_documents_order(sandbox: Sandbox) -> None:
    response = await sandbox.call("POST", "/v1/sales-order", json=doc("sales_order_request"))
    assert response.status_code == 201
    body = response.json()
    assert UUID.match(body["orderNumber"])
    assert response.headers["location"] == f"/v1/sales-order/{body['orderNumber']}"
    assert response.headers["x-lms-alert"] == (
        "A new SalesOrder was created with identifier 0031-123456789010"
    )
    assert response.headers["x-lms-params"] == "0031-123456789010"
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    expected = doc("sales_order_response")
    # The document's answer shows packageValue 0 for a request of 900; the simulator echoes.
    expected.update(orderNumber=body["orderNumber"], packageValue=900)
    assert body == expected
    shown = await sandbox.call("GET", response.headers["location"])
    assert shown.json() == body


async def test_create_the_documents_marketplace_order(sandbox: Sandbox) -> None:
    response = await sandbox.call(
        "POST", "/v1/sales-order/marketplace", json=doc("marketplace_order_request")
    )
    assert response.status_code == 201, response.text
    body = response.json()
    expected = doc("marketplace_order_response")
    expected["orderNumber"] = body["orderNumber"]
    assert body == expected
    assert response.headers["location"] == f"/v1/sales-order/{body['orderNumber']}"


async def test_a_marketplace_order_without_a_seller_needs_pickup_and_its_port(
    sandbox: Sandbox,
) -> None:
    body = doc("marketplace_order_request")
    del body["sellerReference"], body["pickupPortCode"]
    errors = field_errors(await sandbox.call("POST", "/v1/sales-order/marketplace", json=body))
    assert errors == {"pickupPortCode": "is required without a sellerReference"}
    unknown = doc("marketplace_order_request") | {"sellerReference": "NOPE"}
    errors = field_errors(await sandbox.call("POST", "/v1/sales-order/marketplace", json=unknown))
    assert errors == {"sellerReference": "seller NOPE is not onboarded"}
    body["pickupPortCode"] = "ZMB"
    created = await sandbox.create(body, "/v1/sales-order/marketplace")
    assert created["pickup"]["phone"] == "+639123456789" and created["pickupType"] == "DROP"
    assert created["sellerReference"] is None and created["serviceType"] == "MP"


async def test_a_marketplace_order_is_mp_or_rtm(sandbox: Sandbox) -> None:
    path = "/v1/sales-order/marketplace"
    rtm = doc("marketplace_order_request") | {"serviceType": "RTM"}
    del rtm["trackingNumber"]
    created = await sandbox.create(rtm | {"shipperReference": "RTM-1"}, path)
    assert created["serviceType"] == "RTM"
    standard_only = doc("marketplace_order_request") | {"serviceType": "FDY"}
    errors = field_errors(await sandbox.call("POST", path, json=standard_only))
    assert errors == {"serviceType": "must be one of MP, RTM"}
    no_port = doc("marketplace_order_request") | {"serviceType": "RTM", "pickupPortCode": None}
    errors = field_errors(await sandbox.call("POST", path, json=no_port))
    assert errors == {"pickupPortCode": "is required when serviceType is RTM"}


async def test_sellers_are_onboarded_through_the_control_api(sandbox: Sandbox) -> None:
    seller = {
        "sellerReference": "S-2",
        "pickupPortCode": "CEB",
        "pickup": doc("sales_order_request")["pickup"] | {"province": "Cebu"},
    }
    assert (await sandbox.client.post("/_control/sellers", json=seller)).status_code == 200
    body = doc("marketplace_order_request") | {"sellerReference": "S-2"}
    created = await sandbox.create(body, "/v1/sales-order/marketplace")
    assert created["pickupPortCode"] == "CEB" and created["pickup"]["province"] == "Cebu"
    assert created["pickupType"] == "PICKUP"


async def test_defaults_tracking_numbers_and_phones(sandbox: Sandbox) -> None:
    minimal = {
        k: v
        for k, v in doc("sales_order_request").items()
        if k in ("shipperReference", "packageType", "packageSize", "recipient", "pickup")
    }
    minimal["serviceType"] = "RTN"
    minimal["recipient"]["phone"] = "0917 123 4567"
    minimal["pickup"]["phone"] = "639171234567"
    created = await sandbox.create(minimal)
    assert re.fullmatch(r"0031-\d{12}", created["trackingNumber"])
    assert created["paymentMethod"] == "NO_PAYMENT" and created["collectAmount"] == 0
    assert created["deliveryType"] == "STANDARD" and created["pickupType"] == "DROP"
    assert created["packageValue"] == 0 and created["packageValueCurrency"] == "PHP"
    assert created["recipient"]["phone"] == "+639171234567"
    assert created["pickup"]["phone"] == "+639171234567"
    assert created["weightActual"] is None and created["fsmState"] == "NEW"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"shipperReference": None}, {"shipperReference": "must not be empty"}),
        (
            {"packageType": "CRATE"},
            {"packageType": "must be one of POUCH, ECOPOUCH, BOX, OWN_PACKAGING"},
        ),
        (
            {"packageType": "BOX", "packageSize": "EXTRA_LARGE"},
            {"packageSize": "must be one of SMALL, MEDIUM, LARGE for BOX"},
        ),
        ({"packageType": "OWN_PACKAGING"}, {"packageSize": "must be null for OWN_PACKAGING"}),
        (
            {"packageType": "OWN_PACKAGING", "packageSize": None, "width": None},
            {"width": "is required for OWN_PACKAGING"},
        ),
        ({"serviceType": "MP"}, {"serviceType": "must be one of FDY, RTN, RTM"}),
        (
            {"serviceType": "RTM", "pickupPortCode": None},
            {"pickupPortCode": "is required when serviceType is RTM"},
        ),
        (
            {"paymentMethod": "CARD"},
            {"paymentMethod": "must be one of NO_PAYMENT, CASH_ON_DELIVERY"},
        ),
        (
            {"collectAmount": None},
            {"collectAmount": "is required (above 0) when paymentMethod is CASH_ON_DELIVERY"},
        ),
        (
            {"paymentMethod": "NO_PAYMENT"},
            {"collectAmount": "must be 0 when paymentMethod is NO_PAYMENT"},
        ),
        ({"deliveryType": "SAME_DAY"}, {"deliveryType": "must be one of STANDARD, EXPRESS"}),
        ({"pickupType": "COURIER"}, {"pickupType": "must be one of DROP, PICKUP"}),
        ({"weightActual": "heavy"}, {"weightActual": "must be a number, 0 or more"}),
        (
            {"scheduledDeliveryDate": "15/09/2018"},
            {"scheduledDeliveryDate": "must be a date (yyyy-MM-dd)"},
        ),
        ({"pickup": None}, {"pickup": "must not be null"}),
    ],
)
async def test_invalid_orders_are_400(
    sandbox: Sandbox, fields: dict[str, Any], errors: dict[str, str]
) -> None:
    body = doc("sales_order_request") | fields
    body = {k: v for k, v in body.items() if v is not None or k in ("packageSize",)}
    assert field_errors(await sandbox.call("POST", "/v1/sales-order", json=body)) == errors
    assert (await sandbox.client.get("/_control/orders")).json() == {"orders": []}


async def test_party_fields_and_provinces_are_checked(sandbox: Sandbox) -> None:
    body = doc("sales_order_request")
    body["recipient"]["province"] = "Atlantis"
    del body["recipient"]["zipcode"]
    body["recipient"]["isBranchDelivery"] = "yes"
    errors = field_errors(await sandbox.call("POST", "/v1/sales-order", json=body))
    assert errors == {
        "recipient.zipcode": "must not be empty",
        "recipient.province": "is not a supported province (see Appendix D)",
        "recipient.isBranchDelivery": "must be a boolean (1 or 0)",
    }
    body = doc("sales_order_request")
    body["recipient"]["province"] = "metro manila"
    assert (await sandbox.call("POST", "/v1/sales-order", json=body)).status_code == 201


@pytest.mark.parametrize("raw", [b"{not json", b"[1]", b"\xff"])
async def test_a_body_that_is_not_a_json_object_is_400(sandbox: Sandbox, raw: bytes) -> None:
    response = await sandbox.call("POST", "/v1/sales-order", content=raw)
    assert response.status_code == 400 and response.json()["status"] == "BAD_REQUEST"


async def test_duplicate_references_and_tracking_numbers_are_refused(sandbox: Sandbox) -> None:
    await sandbox.create(doc("sales_order_request"))
    again = await sandbox.call("POST", "/v1/sales-order", json=doc("sales_order_request"))
    assert field_errors(again) == {
        "shipperReference": "fc75d430-a6b4-40b8-ab60-dbf17b21ec0a already exists",
        "trackingNumber": "0031-123456789010 already exists",
    }


# -- PATCH -------------------------------------------------------------------------------------


async def test_patch_the_documents_example_is_204(sandbox: Sandbox) -> None:
    await sandbox.create(doc("sales_order_request"))
    response = await sandbox.call("PATCH", "/v1/sales-order", json=doc("patch_request"))
    assert response.status_code == 204 and response.content == b""
    assert response.headers["x-lms-alert"] == (
        "A new SalesOrder was updated with identifier 0031-123456789010"
    )
    order = (await sandbox.client.get("/_control/orders/0031-123456789010")).json()["order"]
    assert (order["weightVolumetric"], order["weightActual"]) == (0.2, 0.5)


async def test_a_conditional_patch_applies_only_matching_fields(sandbox: Sandbox) -> None:
    await sandbox.create(order_body(trackingNumber="0031-0987654321", shipperReference="r2"))
    # The document's example: width unconditionally, height only if it is 6.5 (it is 4.5).
    response = await sandbox.call("PATCH", "/v1/sales-order", json=doc("patch_conditional_request"))
    assert response.status_code == 202
    assert response.json() == {
        "trackingNumber": "0031-0987654321",
        "patchPayload": {
            "height": {"oldValue": 6.5, "newValue": 4.5, "realPatch": True, "currentValue": 4.5}
        },
    }
    order = (await sandbox.client.get("/_control/orders/0031-0987654321")).json()["order"]
    assert (order["width"], order["height"]) == (3.5, 4.5)
    matching = {
        "trackingNumber": "0031-0987654321",
        "patchPayload": {
            "height": {"oldValue": 4.5, "newValue": 6.5, "realPatch": True},
            "deliveryInstructions": {"newValue": "Ring twice"},
            "scheduledPickupDate": {"oldValue": None, "newValue": "2018-06-15", "realPatch": True},
        },
    }
    assert (await sandbox.call("PATCH", "/v1/sales-order", json=matching)).status_code == 204
    shown = await sandbox.call("GET", f"/v1/sales-order/{order['orderNumber']}")
    assert shown.json()["height"] == 6.5 and shown.json()["scheduledPickupDate"] == "2018-06-15"
    assert shown.json()["deliveryInstructions"] == "Ring twice"


async def test_invalid_patches_are_400_and_unknown_orders_404(sandbox: Sandbox) -> None:
    await sandbox.create(doc("sales_order_request"))
    bad = {
        "trackingNumber": "0031-123456789010",
        "patchPayload": {
            "collectAmount": {"newValue": 1},
            "width": {"newValue": "wide"},
            "height": {"newValue": 2, "realPatch": True},
            "length": {"oldValue": 1},
        },
    }
    assert field_errors(await sandbox.call("PATCH", "/v1/sales-order", json=bad)) == {
        "patchPayload.collectAmount": "is not updatable (Appendix B: weightActual, "
        "weightVolumetric, deliveryInstructions, length, width, height, scheduledPickupDate)",
        "patchPayload.width.newValue": "must be a number, 0 or more",
        "patchPayload.height.oldValue": "is required when realPatch is true",
        "patchPayload.length.newValue": "is required",
    }
    empty = {"trackingNumber": "0031-123456789010", "patchPayload": {}}
    assert field_errors(await sandbox.call("PATCH", "/v1/sales-order", json=empty)) == {
        "patchPayload": "must be a non-empty object"
    }
    missing = await sandbox.call("PATCH", "/v1/sales-order", json=doc("patch_conditional_request"))
    assert missing.status_code == 404
    assert missing.json() == problem(
        "NOT_FOUND", "SalesOrder with tracking number 0031-0987654321 not found"
    )


# -- cancellation ------------------------------------------------------------------------------


async def test_cancel_before_pickup(sandbox: Sandbox, receiver: Receiver) -> None:
    created = await sandbox.create(doc("sales_order_request") | {"pickupType": "PICKUP"})
    await sandbox.step(created["trackingNumber"])  # PICKUP_PENDING
    response = await sandbox.call(
        "POST", "/v1/sales-order/marketplace/cancel", json=doc("cancel_curl_request")
    )
    assert response.status_code == 200
    expected = doc("cancel_response")
    expected["trackingNumber"] = "0031-123456789010"
    expected["stateMetaData"] = {
        "recipientName": "Recipient Name",
        "currentCity": "Pickup City",
        "city": "Recipient City",
    }
    assert response.json() == expected
    await sandbox.client.get("/_control/webhooks", params={"wait": "1"})
    assert receiver.statuses() == ["PICKUP_PENDING", "CANCELLED"]
    order = (await sandbox.client.get("/_control/orders/0031-123456789010")).json()["order"]
    assert order["cancellationReason"] == "user cancelled" and order["fsmState"] == "CANCELLED"


async def test_cancel_after_pickup_is_the_documents_500(sandbox: Sandbox) -> None:
    created = await sandbox.create(doc("sales_order_request") | {"pickupType": "PICKUP"})
    await sandbox.step(created["trackingNumber"])
    await sandbox.step(created["trackingNumber"])  # PICKED_UP
    response = await sandbox.call(
        "POST", "/v1/sales-order/marketplace/cancel", json=doc("cancel_curl_request")
    )
    assert (response.status_code, response.json()) == (500, doc("cancel_failed_response"))
    unknown = await sandbox.call(
        "POST", "/v1/sales-order/marketplace/cancel", json=doc("cancel_request")
    )
    assert unknown.status_code == 404
    assert (
        await sandbox.call("POST", "/v1/sales-order/marketplace/cancel", json={})
    ).status_code == 400


# -- lifecycle and webhooks --------------------------------------------------------------------


async def test_a_dropped_order_first_reaches_the_hub_as_in_the_documents_webhook(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    await sandbox.create(order_body(trackingNumber="0031-0987654321"))
    answer = await sandbox.step("0031-0987654321")
    assert answer["status"] == "RECEIVED_AT_HUB"
    (attempt,) = answer["webhooks"]
    assert attempt["ok"] and attempt["event"] == "RECEIVED_AT_HUB"
    (body,) = receiver.received
    assert TIMESTAMP.match(body["timestamp"])
    assert body | {"timestamp": "2018-09-21T01:05:10.000Z"} == doc("webhook")
    assert receiver.auth == [f"Bearer {HOOK_TOKEN}"]


async def test_the_happy_path_of_a_pickup_order(sandbox: Sandbox, receiver: Receiver) -> None:
    created = await sandbox.create(order_body(pickupType="PICKUP"))
    tracking = created["trackingNumber"]
    steps = [(await sandbox.step(tracking))["status"] for _ in range(9)]
    assert steps == [
        "PICKUP_PENDING",
        "PICKED_UP",
        "RECEIVED_AT_HUB",
        "BAGGED",
        "HANDOVER_TO_TRANSPORT",
        "IN_TRANSIT",
        "RECEIVED_AT_HUB",
        "DELIVERY_PENDING",
        "DELIVERED",
    ]
    assert receiver.statuses() == steps
    assert receiver.received[-1]["comments"] == {
        "receiveCounter": 1,
        "transitCounter": 1,
        "deliveryAttemptCounter": 1,
        "pickupAttemptCounter": 1,
    }
    done = await sandbox.client.post(f"/_control/orders/{tracking}/advance")
    assert done.status_code == 409
    assert done.json() == {"message": "order has no next step in state DELIVERED"}


async def test_failures_carry_appendix_a_codes_and_returns_reach_the_sender(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    created = await sandbox.create(order_body(pickupType="PICKUP"))
    tracking = created["trackingNumber"]
    await sandbox.step(tracking)
    failed = await sandbox.step(tracking, status="PICKUP_FAILED")
    assert failed["order"]["counters"]["pickupFailedCounter"] == 1
    assert receiver.received[-1]["comments"] == {
        "pickupAttemptCounter": 1,
        "pickupFailedCounter": 1,
        "pickupFailedReasonCode": "4A",
    }
    for _ in range(3):  # PICKUP_PENDING, PICKED_UP, RECEIVED_AT_HUB
        await sandbox.step(tracking)
    await sandbox.step(tracking, status="DELIVERY_PENDING")
    await sandbox.step(tracking, status="DELIVERY_FAILED", reasonCode="1B")
    assert receiver.received[-1]["comments"]["deliveryFailedReasonCode"] == "1B"
    assert receiver.received[-1]["comments"]["deliveryFailedCounter"] == 1
    await sandbox.step(tracking, status="READY_FOR_RTC")
    rest = [(await sandbox.step(tracking))["status"] for _ in range(4)]
    assert rest == [
        "IN_TRANSIT_RTC",
        "RECEIVED_AT_HUB_RTC",
        "DELIVERY_PENDING_RTC",
        "RETURNED_TO_SENDER",
    ]
    refused = await sandbox.client.post(
        f"/_control/orders/{tracking}/advance", json={"status": "DELIVERED"}
    )
    assert refused.status_code == 409
    assert refused.json() == {"message": "Transition from RETURNED_TO_SENDER to DELIVERED failed"}
    bad = await sandbox.client.post(
        f"/_control/orders/{tracking}/advance", json={"status": "LOST", "reasonCode": "9Z"}
    )
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("path", "final"),
    [
        (["NOT_RECEIVED"], "NOT_RECEIVED"),
        (["REJECTED", "REJECTED_AND_RETURNED"], "REJECTED_AND_RETURNED"),
        (["RECEIVED_AT_HUB", "LOST"], "LOST"),
        (["RECEIVED_AT_HUB", "HANDOVER_TO_3PL", "DELIVERED"], "DELIVERED"),
    ],
)
async def test_the_other_branches(
    sandbox: Sandbox, receiver: Receiver, path: list[str], final: str
) -> None:
    tracking = (await sandbox.create())["trackingNumber"]
    for status in path:
        await sandbox.step(tracking, status=status)
    assert receiver.statuses() == path
    order = (await sandbox.client.get(f"/_control/orders/{tracking}")).json()["order"]
    assert order["fsmState"] == final


async def test_webhooks_are_retried_on_non_2xx_and_can_be_replayed(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    tracking = (await sandbox.create())["trackingNumber"]
    receiver.fail_next = 2
    answer = await sandbox.step(tracking)
    assert [(a["attempt"], a["status_code"]) for a in answer["webhooks"]] == [
        (1, 503),
        (2, 503),
        (3, 200),
    ]
    assert receiver.statuses() == ["RECEIVED_AT_HUB"]
    replayed = await sandbox.client.post(f"/_control/orders/{tracking}/replay")
    assert replayed.json()["webhooks"][0]["ok"]
    assert receiver.received[0] == receiver.received[1]
    logged = (await sandbox.client.get("/_control/webhooks", params={"wait": "1"})).json()
    assert len(logged["webhooks"]) == 4


# -- Location API, clean-up ------------------------------------------------------------


async def test_provinces_municipalities_and_barangays(sandbox: Sandbox) -> None:
    provinces = (await sandbox.client.get("/v1/locations/provinces")).json()
    assert len(provinces) == 82
    assert {"id": 43044, "name": "Metro Manila", "isoCode": "PH-00", "island": "LUZON"} in provinces
    assert any(p["isoCode"] == "PH-CEB" and p["name"] == "Cebu" for p in provinces)
    cities = (await sandbox.client.get("/v1/locations/provinces/43044/municipalities")).json()
    assert {"id": 44738, "name": "Taguig", "provinceId": 43044, "portCode": "SOU"} in cities
    places = (await sandbox.client.get("/v1/locations/municipalities/44738/barangays")).json()
    assert {"id": 4473801, "name": "Fort Bonifacio", "municipalityId": 44738} in places
    abra = next(p for p in provinces if p["name"] == "Abra")
    generated = await sandbox.client.get(f"/v1/locations/provinces/{abra['id']}/municipalities")
    again = await sandbox.client.get(f"/v1/locations/provinces/{abra['id']}/municipalities")
    assert len(generated.json()) == 3 and generated.json() == again.json()
    for path in (
        "/v1/locations/provinces/1/municipalities",
        "/v1/locations/municipalities/1/barangays",
    ):
        assert (await sandbox.client.get(path)).status_code == 404


async def test_ports_and_province_lookups(sandbox: Sandbox) -> None:
    get = sandbox.client.get
    ports = (await get("/v1/locations/port-codes")).json()
    assert {"BTN", "ZMB", "SOU", "CEB"} <= {p["portCode"] for p in ports}
    sou = {"portCode": "SOU", "portName": "South Metro Manila Hub", "island": "LUZON"}
    assert (await get("/v1/locations/port-codes/SOU")).json() == sou
    assert (await get("/v1/locations/port-cides/sou")).json() == sou
    assert (await get("/v1/locations/port-codes/XXX")).status_code == 404
    visayas = (await get("/v1/locations/port-codes/islands/visayas")).json()
    assert visayas and all(p["island"] == "VISAYAS" for p in visayas)
    assert (await get("/v1/locations/port-codes/islands/atlantis")).json() == []
    cebu = (await get("/v1/locations/provinces/iso/ph-ceb")).json()
    assert cebu["name"] == "Cebu" and cebu["isoCode"] == "PH-CEB"
    negros = (await get("/v1/locations/provinces/negros occidental")).json()
    assert negros["isoCode"] == "PH-NEC"
    assert (await get("/v1/locations/provinces/iso/PH-XXX")).status_code == 404
    assert (await get("/v1/locations/provinces/Atlantis")).status_code == 404


async def test_a_province_name_sent_percent_encoded_is_found(sandbox: Sandbox) -> None:
    # The document's sample name has a space: /v1/locations/provinces/negros occidental
    answer = await sandbox.client.get("/v1/locations/provinces/Negros%20%20Occidental")
    assert answer.json()["isoCode"] == "PH-NEC"
    metro = await sandbox.client.get("/v1/locations/provinces/iso/PH-00")
    assert metro.json()["name"] == "Metro Manila"


async def test_barangay_clusters(sandbox: Sandbox) -> None:
    path = "/v2/locations/barangay-cluster"
    city = await sandbox.client.get(
        path, params={"provinceName": "metro manila", "cityName": "quezon city"}
    )
    assert city.json() == {
        "provinceName": "Metro Manila",
        "cityName": "Quezon City",
        "barangayName": None,
        "portCode": "NOR",
        "barangayCluster": None,
    }
    place = await sandbox.client.get(
        path,
        params={
            "provinceName": "metro manila",
            "cityName": "quezon city",
            "barangayName": "kamuning",
        },
    )
    assert place.json()["barangayName"] == "Kamuning"
    assert place.json()["barangayCluster"].startswith("NOR-")
    missing = await sandbox.client.get(path, params={"provinceName": "metro manila"})
    assert field_errors(missing) == {"cityName": "must not be empty"}
    unknown = await sandbox.client.get(path, params={"provinceName": "Cebu", "cityName": "Taguig"})
    assert unknown.status_code == 404


async def test_address_cleanup_answers_the_documents_example(sandbox: Sandbox) -> None:
    response = await sandbox.client.post("/v1/cleanup/address", json=doc("cleanup_address_request"))
    assert response.json() == doc("cleanup_address_response")
    partial = await sandbox.client.post("/v1/cleanup/address", json={"address": "Lucena, Quezon"})
    assert partial.json()["provinceName"] == "Quezon" and partial.json()["cityId"] is None
    nothing = await sandbox.client.post("/v1/cleanup/address", json={"address": "nowhere"})
    assert set(nothing.json().values()) == {None}
    assert field_errors(await sandbox.client.post("/v1/cleanup/address", json={})) == {
        "address": "must not be empty"
    }


async def test_location_calls_are_counted_per_path(sandbox: Sandbox) -> None:
    for _ in range(3):
        await sandbox.client.get("/v1/locations/provinces")
    await sandbox.client.get("/v1/locations/provinces/43044/municipalities")
    await sandbox.client.post("/v1/cleanup/address", json=doc("cleanup_address_request"))
    assert (await sandbox.counters())["locationCalls"] == {
        "/v1/locations/provinces": 3,
        "/v1/locations/provinces/43044/municipalities": 1,
        "/v1/cleanup/address": 1,
    }


# -- waybills ----------------------------------------------------------------------------------


async def waybill_status(sandbox: Sandbox, document_id: str) -> dict[str, Any]:
    response = await sandbox.call(
        "GET",
        "/v1/awb-tool/client-generate-output/getByDocumentId",
        params={"documentId": document_id},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_three_waybill_steps(sandbox: Sandbox) -> None:
    numbers = [
        (await sandbox.create(order_body(shipperReference=f"w{i}", trackingNumber=None)))[
            "trackingNumber"
        ]
        for i in range(2)
    ]
    request = doc("waybill_generate_request") | {"trackingNumbers": numbers}
    response = await sandbox.call("POST", "/v1/awb-tool/client-waybill-generation", json=request)
    assert response.status_code == 200
    assert set(response.json()) == set(doc("waybill_generate_response"))
    document_id = response.json()["documentID"]
    assert UUID.match(document_id)
    assert await waybill_status(sandbox, document_id) == doc("waybill_status_pending")
    await asyncio.sleep(0.2)
    done = await waybill_status(sandbox, document_id)
    assert set(done) == set(doc("waybill_status_success")) and done["pdfStatus"] == "success"
    assert done["pdfUrl"] == f"{sandbox.url}/v1/awb-tool/files/{document_id}.pdf"
    async with httpx.AsyncClient() as bare:
        pdf = await bare.get(done["pdfUrl"])
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-1.4") and pdf.content.rstrip().endswith(b"%%EOF")
    assert b"/Count 2" in pdf.content and numbers[0].encode() in pdf.content
    # contactNumberMasked "true": +639123456789 is shown as +********6789.
    assert b"+********6789" in pdf.content and b"+639123456789" not in pdf.content


async def test_waybills_for_unknown_tracking_numbers_fail(sandbox: Sandbox) -> None:
    request = doc("waybill_generate_request")
    response = await sandbox.call("POST", "/v1/awb-tool/client-waybill-generation", json=request)
    document_id = response.json()["documentID"]
    await asyncio.sleep(0.2)
    assert await waybill_status(sandbox, document_id) == doc("waybill_status_failed")
    async with httpx.AsyncClient() as bare:
        pdf = await bare.get(f"{sandbox.url}/v1/awb-tool/files/{document_id}.pdf")
    assert pdf.status_code == 404
    unknown = await sandbox.call(
        "GET", "/v1/awb-tool/client-generate-output/getByDocumentId?documentId=nope"
    )
    assert unknown.status_code == 404


async def test_waybill_requests_are_checked(sandbox: Sandbox) -> None:
    path = "/v1/awb-tool/client-waybill-generation"
    too_many = doc("waybill_generate_request") | {"trackingNumbers": ["0031-1"] * 501}
    assert field_errors(await sandbox.call("POST", path, json=too_many)) == {
        "trackingNumbers": "at most 500 tracking numbers per request"
    }
    bad = {"contactNumberMasked": "maybe", "trackingNumbers": []}
    assert field_errors(await sandbox.call("POST", path, json=bad)) == {
        "clientName": "must not be empty",
        "requestedBy": "must not be empty",
        "contactNumberMasked": "must be a boolean",
        "trackingNumbers": "must be a non-empty list of strings",
    }
    at_most = doc("waybill_generate_request") | {"trackingNumbers": ["0031-1"] * 500}
    assert (await sandbox.call("POST", path, json=at_most)).status_code == 200


# -- faults, reset, mounting -------------------------------------------------------------------


async def test_faults_answer_the_problem_envelope(sandbox: Sandbox) -> None:
    await sandbox.client.post(
        "/_control/faults", json={"status": 500, "path_prefix": "/v1/sales-order"}
    )
    faulted = await sandbox.call("POST", "/v1/sales-order", json=order_body())
    assert faulted.status_code == 500
    assert faulted.json() == problem("INTERNAL_SERVER_ERROR", "Internal Server Error")
    assert (await sandbox.client.get("/v1/locations/provinces")).status_code == 200
    await sandbox.client.post("/_control/faults", json={"status": 503})
    assert (await sandbox.client.get("/_control/orders")).json() == {"orders": []}
    assert (await sandbox.client.get("/v1/locations/provinces")).status_code == 503
    await sandbox.client.post("/_control/faults", json={"malformed": True, "times": 1})
    with pytest.raises(ValueError):
        (await sandbox.client.get("/v1/locations/provinces")).json()
    assert (await sandbox.client.get("/v1/locations/provinces")).status_code == 200


async def test_a_lost_answer_still_creates_and_the_reference_stays_taken(
    sandbox: Sandbox,
) -> None:
    body = doc("sales_order_request")
    await sandbox.client.post("/_control/faults", json={"lost_answer": True, "times": 1})
    with pytest.raises(httpx.ReadTimeout):
        await sandbox.call("POST", "/v1/sales-order", json=body, timeout=0.3)
    (order,) = (await sandbox.client.get("/_control/orders")).json()["orders"]
    assert order["shipperReference"] == body["shipperReference"]
    again = await sandbox.call("POST", "/v1/sales-order", json=body)
    assert "shipperReference" in field_errors(again)


async def test_a_fault_status_can_carry_retry_after(sandbox: Sandbox) -> None:
    fault = {"status": 503, "retry_after_s": 1, "times": 1}
    await sandbox.client.post("/_control/faults", json=fault)
    refused = await sandbox.client.get("/v1/locations/provinces")
    assert (refused.status_code, refused.headers["retry-after"]) == (503, "1")
    assert refused.json()["status"] == "SERVICE_UNAVAILABLE"


async def test_reset_clears_everything(sandbox: Sandbox) -> None:
    await sandbox.create()
    await sandbox.client.get("/v1/locations/provinces")
    await sandbox.client.post("/_control/faults", json={"status": 500, "path_prefix": "/x"})
    assert (await sandbox.client.post("/_control/reset")).status_code == 200
    assert (await sandbox.client.get("/_control/orders")).json() == {"orders": []}
    assert (await sandbox.client.get("/_control/webhooks")).json() == {"webhooks": []}
    assert (await sandbox.client.get("/_control/faults")).json() == {"fault": None}
    counters = await sandbox.counters()
    assert counters == {"authentications": 0, "authenticationsByPath": {}, "locationCalls": {}}
    assert (await sandbox.call("POST", "/v1/sales-order", json=order_body())).status_code == 201


async def test_mounted_under_a_prefix_with_auto_advance(receiver: Receiver) -> None:
    app = sandbox_app(receiver, auto_advance_s=0.02, waybill_pending_s=0)
    state: EntregoSandboxState = app.state.entrego

    @asynccontextmanager
    async def lifespan(parent: Starlette) -> AsyncIterator[None]:
        async with state.running():  # a Mount does not run the mounted app's lifespan
            yield

    parent = Starlette(routes=[Mount("/sandbox/entrego", app)], lifespan=lifespan)
    async with serve(parent) as url:
        base = f"{url}/sandbox/entrego"
        async with httpx.AsyncClient(base_url=base) as client:
            box = Sandbox(base, client, state)
            await box.login()
            await client.post(
                "/_control/faults", json={"status": 503, "path_prefix": "/v1/locations"}
            )
            assert (await client.get("/v1/locations/provinces")).status_code == 503
            await client.delete("/_control/faults")
            # Faulted calls never reach the Location API, so they are not counted.
            assert (await client.get("/v1/locations/provinces")).status_code == 200
            response = await box.call("POST", "/v1/sales-order", json=order_body())
            created = response.json()
            assert response.headers["location"] == (
                f"/sandbox/entrego/v1/sales-order/{created['orderNumber']}"
            )
            request = doc("waybill_generate_request") | {
                "trackingNumbers": [created["trackingNumber"]]
            }
            generated = await box.call(
                "POST", "/v1/awb-tool/client-waybill-generation", json=request
            )
            done = await waybill_status(box, generated.json()["documentID"])
            assert done["pdfUrl"].startswith(f"{base}/v1/awb-tool/files/")
            assert (await client.get(done["pdfUrl"])).content.startswith(b"%PDF")
            for _ in range(200):
                if receiver.statuses()[-1:] == ["DELIVERED"]:
                    break
                await asyncio.sleep(0.02)
            assert (await box.counters())["locationCalls"] == {"/v1/locations/provinces": 1}
    assert receiver.statuses() == [
        "RECEIVED_AT_HUB",
        "BAGGED",
        "HANDOVER_TO_TRANSPORT",
        "IN_TRANSIT",
        "RECEIVED_AT_HUB",
        "DELIVERY_PENDING",
        "DELIVERED",
    ]


async def test_auto_advance_can_be_switched_on(sandbox: Sandbox, receiver: Receiver) -> None:
    tracking = (await sandbox.create())["trackingNumber"]
    answer = await sandbox.client.post("/_control/auto-advance", json={"seconds": 0.02})
    assert answer.json() == {"seconds": 0.02}
    for _ in range(200):
        if receiver.statuses()[-1:] == ["DELIVERED"]:
            break
        await asyncio.sleep(0.02)
    await sandbox.client.post("/_control/auto-advance", json={"seconds": None})
    order = (await sandbox.client.get(f"/_control/orders/{tracking}")).json()["order"]
    assert order["fsmState"] == "DELIVERED"


async def test_the_control_api_finds_an_order_by_either_number(sandbox: Sandbox) -> None:
    """The gateway hands out trackingNumber; orderNumber is its carrierShipmentId."""
    created = await sandbox.create()
    tracking, number = created["trackingNumber"], created["orderNumber"]
    by_tracking = (await sandbox.client.get(f"/_control/orders/{tracking}")).json()["order"]
    by_number = (await sandbox.client.get(f"/_control/orders/{number}")).json()["order"]
    assert by_tracking == by_number
    stepped = await sandbox.step(number)
    assert (
        stepped["order"]
        == (await sandbox.client.get(f"/_control/orders/{tracking}")).json()["order"]
    )
    replayed = await sandbox.client.post(f"/_control/orders/{number}/replay")
    assert replayed.status_code == 200, replayed.text
    for unknown in ("0031-000000000000", "x" * 5000):
        missing = await sandbox.client.post(f"/_control/orders/{unknown}/advance")
        assert missing.status_code == 404 and len(missing.json()["message"]) < 120


async def test_a_step_without_its_webhook_shows_at_the_location(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    response = await sandbox.call("POST", "/v1/sales-order", json=order_body())
    location, created = response.headers["location"], response.json()
    quiet = await sandbox.step(created["trackingNumber"], webhook=False)
    assert quiet["status"] == "RECEIVED_AT_HUB" and quiet["webhooks"] == []
    await sandbox.state.webhooks.wait_idle()
    assert receiver.received == []
    shown = await sandbox.call("GET", location)
    assert shown.status_code == 200
    # The create answer's shape, fsmState moved on (the document shows no GET answer).
    assert shown.json() == {**created, "fsmState": "RECEIVED_AT_HUB"}
    replayed = await sandbox.client.post(f"/_control/orders/{created['trackingNumber']}/replay")
    assert replayed.status_code == 200
    assert receiver.statuses() == ["RECEIVED_AT_HUB"]
    bad = await sandbox.client.post(
        f"/_control/orders/{created['trackingNumber']}/advance", json={"webhook": "no"}
    )
    assert bad.status_code == 422
