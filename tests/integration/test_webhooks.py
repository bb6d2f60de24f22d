"""POST /webhooks/envio: authenticity, malformed bodies, replays, order, orphans."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from shipgraph.sandbox.mounts import ENVIO_WEBHOOK_TOKEN
from tests.integration.conftest import create
from tests.integration.operations import GET
from tests.support.fixtures import fixture
from tests.support.stack import Stack

EVENTS = [
    "webhook_manifested",
    "webhook_assign_driver",
    "webhook_picked_up",
    "webhook_picked_up_failed",
    "webhook_delivery_failed",
    "webhook_resend",
    "webhook_delivered",
    "webhook_cancelled",
    "webhook_returned",
    "webhook_item",
]


def event_for(name: str, code: str, **changes: Any) -> dict[str, Any]:
    """The document's example event, addressed to our shipment's code."""
    body: dict[str, Any] = fixture("envio", name)
    if "shipment" in body:
        body["shipment"]["code"] = code
    else:
        body["code"] = code
    body.update(changes)
    return body


async def post(
    stack: Stack, body: Any, token: str | None = ENVIO_WEBHOOK_TOKEN, raw: bytes | None = None
) -> httpx.Response:
    params = {"token": token} if token is not None else {}
    content = raw if raw is not None else json.dumps(body).encode()
    return await stack.http.post(
        f"{stack.gateway}/webhooks/envio",
        params=params,
        content=content,
        headers={"content-type": "application/json"},
    )


async def current(stack: Stack, shipment_id: str) -> dict[str, Any]:
    shipment: dict[str, Any] = (await stack.gql(GET, {"id": shipment_id}))["data"]["shipment"]
    return shipment


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("webhook_manifested", "PICKUP_SCHEDULED"),
        ("webhook_assign_driver", "PICKUP_SCHEDULED"),
        ("webhook_picked_up", "PICKED_UP"),
        ("webhook_picked_up_failed", "PICKUP_FAILED"),
        ("webhook_delivery_failed", "DELIVERY_FAILED"),
        ("webhook_resend", "IN_TRANSIT"),
        ("webhook_delivered", "DELIVERED"),
        ("webhook_cancelled", "CANCELLED"),
        ("webhook_returned", "RETURNED"),
        ("webhook_item", "CREATED"),
    ],
)
async def test_every_document_event_applies(stack: Stack, name: str, status: str) -> None:
    shipment = await create(stack)
    response = await post(stack, event_for(name, shipment["trackingNumber"]))
    assert response.status_code == 200, response.text
    after = await current(stack, shipment["id"])
    assert after["status"] == status
    assert after["version"] == 2
    if name == "webhook_assign_driver":
        assert after["courier"] == {"name": "Usep", "phone": "6281897381723", "vehicle": "B 8219 K"}
    if name == "webhook_item":
        assert after["parcels"][0]["items"][0]["quantity"] == 2
    if name == "webhook_delivered":
        assert after["receivedBy"] == "Robert"
        assert after["deliveredAt"] == "2023-06-09T23:00:00+00:00"


@pytest.mark.parametrize("token", [None, "wrong", ""])
async def test_bad_token_is_401_and_stores_nothing(stack: Stack, token: str | None) -> None:
    shipment = await create(stack)
    response = await post(stack, event_for("webhook_delivered", shipment["trackingNumber"]), token)
    assert response.status_code == 401
    assert (await current(stack, shipment["id"]))["version"] == 1


async def test_bearer_header_is_accepted(stack: Stack) -> None:
    shipment = await create(stack)
    response = await stack.http.post(
        f"{stack.gateway}/webhooks/envio",
        json=event_for("webhook_manifested", shipment["trackingNumber"]),
        headers={"Authorization": f"Bearer {ENVIO_WEBHOOK_TOKEN}"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "raw", [b"{oops", b"[]", b'{"shipment": {"code": 5}, "status": "x"}', b"{}", b"\xff"]
)
async def test_malformed_body_is_400_and_stores_nothing(stack: Stack, raw: bytes) -> None:
    shipment = await create(stack)
    response = await post(stack, None, raw=raw)
    assert response.status_code == 400
    assert (await current(stack, shipment["id"]))["version"] == 1


async def test_a_replay_is_200_and_applied_once(stack: Stack) -> None:
    shipment = await create(stack)
    event = event_for("webhook_picked_up", shipment["trackingNumber"])
    for _ in range(3):
        assert (await post(stack, event)).status_code == 200
    after = await current(stack, shipment["id"])
    assert after["version"] == 2
    assert [log["status"] for log in after["trackingLogs"]] == ["PICKED_UP"]


async def test_a_late_event_never_moves_the_status_back(stack: Stack) -> None:
    shipment = await create(stack)
    code = shipment["trackingNumber"]
    assert (await post(stack, event_for("webhook_delivered", code))).status_code == 200
    for late in ("webhook_picked_up", "webhook_manifested", "webhook_delivery_failed"):
        body = event_for(late, code, ata_at="2023-06-08T10:00:00Z")
        assert (await post(stack, body)).status_code == 200
    after = await current(stack, shipment["id"])
    assert after["status"] == "DELIVERED"
    assert {log["carrierStatus"] for log in after["trackingLogs"]} == {
        "delivered",
        "picked_up",
        "manifested",
        "delivery_failed",
    }
    assert after["trackingLogs"][0]["carrierStatus"] == "delivered"


async def test_unknown_shipment_is_202_and_kept(stack: Stack) -> None:
    response = await post(stack, event_for("webhook_picked_up", "S9999999999"))
    assert response.status_code == 202


async def test_the_simulators_webhooks_reach_the_store(stack: Stack) -> None:
    shipment = await create(stack)
    code = shipment["trackingNumber"]
    for step in ("manifest", "assign_driver", "pickup", "hub", "out_for_delivery", "deliver"):
        answer = await stack.advance(code, step)
        for attempt in answer["webhooks"]:
            assert attempt["ok"] and attempt["status_code"] == 200, attempt
    after = await current(stack, shipment["id"])
    assert after["status"] == "DELIVERED"
    assert after["courier"]["name"]
    assert after["receivedBy"]
