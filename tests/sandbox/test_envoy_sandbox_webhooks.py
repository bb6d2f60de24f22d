"""The Envoy simulator's webhooks (the gateway's stated assumption, which the simulator
serves: carriers/envoy/webhooks.py) and its quotes in a Philippine merchant's pesos."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shipgraph.carriers.envoy import rates, webhooks
from shipgraph.domain import ShipmentStatus
from shipgraph.sandbox.envoy import create_envoy_sandbox
from tests.support.fixtures import fixture
from tests.support.servers import serve

TOKEN = "envoy-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SECRET = "envoy-test-webhook-secret"
KEY = rates.signing_key(TOKEN)


@dataclass
class Receiver:
    """Where the simulator's webhooks land: every (headers, body) kept."""

    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answer: int = 200

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            return JSONResponse({}, status_code=self.answer)

        return Starlette(routes=[Route("/webhooks/envoy", hook, methods=["POST"])])


@dataclass
class Boxes:
    client: httpx.AsyncClient
    receiver: Receiver

    async def create(self, body: dict[str, Any] | None = None) -> Any:
        response = await self.client.post("/shipments", json=body or create_body(), headers=AUTH)
        assert response.status_code in (201, 202), response.text
        return response.json()

    async def webhooks(self) -> list[dict[str, Any]]:
        answer = await self.client.get("/_control/webhooks", params={"wait": "1"})
        found: list[dict[str, Any]] = answer.json()["webhooks"]
        return found


def create_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(fixture("envoy", "create_request"))
    body.update(changes)
    return body


@asynccontextmanager
async def simulator(*, with_url: bool = True) -> AsyncIterator[Boxes]:
    receiver = Receiver()
    async with serve(receiver.app()) as hooks:
        app = create_envoy_sandbox(
            access_token=TOKEN,
            async_delay_s=0.05,
            webhook_url=f"{hooks}/webhooks/envoy" if with_url else None,
            webhook_secret=SECRET,
            webhook_retry_delays=(0.05,),
        )
        async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=5) as client:
            yield Boxes(client, receiver)


def checked(headers: dict[str, str], body: bytes) -> Any:
    """As the gateway takes it: signature verified, body parsed."""
    webhooks.verify(SECRET, headers, body)
    (update,) = webhooks.parse(KEY, body, datetime.now(UTC))
    return update


async def test_rated_then_purchased_each_sends_a_signed_webhook() -> None:
    async with simulator() as box:
        shipment = await box.create()
        rate = shipment["rates"][0]["id"]
        bought = await box.client.post(
            f"/shipments/{shipment['id']}/purchase", json={"rate": rate}, headers=AUTH
        )
        assert bought.status_code == 200
        attempts = await box.webhooks()
        assert [a["event"] for a in attempts] == ["shipment.rated", "shipment.purchased"]
        assert all(a["ok"] for a in attempts)
        updates = [checked(headers, body) for headers, body in box.receiver.received]
        assert [(u.carrier_shipment_id, u.status) for u in updates] == [
            (shipment["id"], ShipmentStatus.DRAFT),
            (shipment["id"], ShipmentStatus.CREATED),
        ]
        data = attempts[1]["body"]["data"]
        assert data["service"]["rate"] == rate
        # The label's URL is the simulator's own, as GET /shipments/{id} shows it.
        shown = (await box.client.get(f"/shipments/{shipment['id']}", headers=AUTH)).json()
        assert data["documents"] == shown["documents"]


async def test_an_async_create_sends_its_webhook_once_rated() -> None:
    async with simulator() as box:
        await box.client.post("/_control/async-create", json={"count": 1, "delay_s": 0})
        shipment = await box.create()
        assert shipment["status"] == "creating"
        assert await box.webhooks() == []
        await box.client.post(f"/_control/shipments/{shipment['id']}/complete")
        (attempt,) = await box.webhooks()
        assert attempt["event"] == "shipment.rated"


async def test_a_refused_delivery_is_retried_and_reset_forgets() -> None:
    async with simulator() as box:
        box.receiver.answer = 503
        await box.create()
        attempts = await box.webhooks()
        assert [a["status_code"] for a in attempts] == [503, 503]
        await box.client.post("/_control/reset")
        assert await box.webhooks() == []


async def test_no_url_no_webhooks() -> None:
    async with simulator(with_url=False) as box:
        await box.create()
        assert await box.webhooks() == []
        assert box.receiver.received == []


@pytest.mark.parametrize("currency", ["PHP", "IDR"])
async def test_ups_quotes_a_merchant_in_its_own_currency(currency: str) -> None:
    async with simulator(with_url=False) as box:
        shipment = await box.create(create_body(options={"shipping": {"currency_code": currency}}))
        ups = {r["currency_code"] for r in shipment["rates"] if r["carrier"]["handle"] == "ups"}
        assert ups == {currency}
