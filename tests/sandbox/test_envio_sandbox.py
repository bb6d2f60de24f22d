"""The Envio simulator over real HTTP, checked against /work/shared/carrier-docs/envio.md."""

from __future__ import annotations

import asyncio
import copy
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.routing import Mount

from shipgraph.sandbox.envio import EnvioSandboxState, create_envio_sandbox
from tests.support.receiver import Receiver as _Receiver
from tests.support.receiver import listening
from tests.support.redis_server import free_port
from tests.support.servers import serve

pytestmark = pytest.mark.asyncio(loop_scope="module")

API_KEY = "envio-test-key"
FAST_RETRIES = (0.01, 0.02)
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

# The document's "Example Body Request" for POST /distribution, as valid JSON.
DOC_CREATE: dict[str, Any] = {
    "ref_code": "ID_SO20230726000340",
    "cod_value": 23000,
    "pickup_address": {
        "name": "PERGUDANGAN KOSAMBI PERMAI",
        "contact_person": "PERGUDANGAN KOSAMBI PERMAI",
        "phone_number": "628767438745",
        "address": "JL. RAYA PERANCIS NO.17, BELIMBING, KEC. KOSAMBI, KABUPATEN TANGERANG, "
        "BANTEN 15212",
        "province": "Banten",
        "regency": "kabupaten tangerang",
        "district": "kosambi",
        "village": "belimbing",
        "latitude": 38.8951,
        "longitude": -77.0364,
    },
    "recipient": {
        "contact_person": "SAPTA APRIYANA",
        "phone_number": "6285156701828",
        "address": "JL.PENGADEGAN UTARA NO.1, KEL.CIKOKO, KEC.PANCORAN,KOTA JAKARTA SELATAN, "
        "DKI JAKARTA",
        "province": "DKI Jakarta",
        "regency": "Jakarta Selatan",
        "district": "Pancoran",
        "village": "cikoko",
        "latitude": 38.8951,
        "longitude": -77.0364,
    },
    "items": [
        {
            "item_code": "2192x127y",
            "item_name": "Air Mineral 300 ML",
            "quantity": 1,
            "weight": 10,
            "long": 10,
            "high": 20,
            "wide": 30,
            "unit_price": 12500,
        }
    ],
    "eta_at": "2023-07-27T15:40:20+07:00",
    "etd_at": "2023-07-27T15:40:20+07:00",
}
TRACKING_FIELDS = [
    "id",
    "code",
    "ref_code",
    "eta_at",
    "ata_at",
    "etd_at",
    "atd_at",
    "received_by",
    "status",
    "cod_value",
    "cod_status",
    "logs",
]


def body_with(ref_code: str | None = None, **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(DOC_CREATE)
    body["ref_code"] = ref_code or f"SO-{uuid.uuid4().hex[:10]}"
    body.update(changes)
    return body


class Receiver(_Receiver):
    def statuses(self) -> list[str]:
        return [
            body.get("status", "driver" if "driver_name" in body else "item")
            for body in self.received
        ]


@dataclass
class Sandbox:
    url: str
    client: httpx.AsyncClient
    state: EnvioSandboxState

    async def create(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post("/distribution", json=body or body_with())
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    async def track(self, code: str) -> dict[str, Any]:
        response = await self.client.get("/tracking/distribution", params={"code": code})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    async def advance(self, code: str, **body: Any) -> httpx.Response:
        return await self.client.post(f"/_control/shipments/{code}/advance", json=body or None)

    async def step(self, code: str, **body: Any) -> dict[str, Any]:
        response = await self.advance(code, **body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@asynccontextmanager
async def running(app: Starlette, state: EnvioSandboxState) -> AsyncIterator[Sandbox]:
    async with serve(app) as url:
        headers = {"Authorization": API_KEY}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=5) as client:
            yield Sandbox(url, client, state)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def receiver_server() -> AsyncIterator[Receiver]:
    async with listening(Receiver(), "/hooks/envio", "token=merchant-secret") as receiver:
        yield receiver


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def sandbox_server(receiver_server: Receiver) -> AsyncIterator[Sandbox]:
    app = create_envio_sandbox(
        api_key=API_KEY, webhook_url=receiver_server.url, webhook_retry_delays=FAST_RETRIES
    )
    async with running(app, app.state.envio) as box:
        yield box


@pytest_asyncio.fixture(loop_scope="module")
async def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.clear()
    return receiver_server


@pytest_asyncio.fixture(loop_scope="module")
async def sandbox(sandbox_server: Sandbox, receiver_server: Receiver) -> Sandbox:
    """The module's simulator, reset (servers are shared: starting one costs ~0.2 s)."""
    assert (await sandbox_server.client.post("/_control/reset")).status_code == 200
    receiver_server.clear()
    return sandbox_server


def status_event(shipment: dict[str, Any], manifest_code: str, status: str) -> dict[str, Any]:
    return {
        "code": manifest_code,
        "shipment": {"code": shipment["code"], "ref_code": shipment["ref_code"]},
        "status": status,
    }


async def manifest_code(box: Sandbox, code: str) -> str:
    answer = (await box.client.get("/_control/shipments")).json()
    (found,) = [s for s in answer["shipments"] if s["code"] == code]
    value: str = found["manifest_code"]
    assert re.fullmatch(r"M\d{10}", value)
    return value


# -- authentication --------------------------------------------------------------------


async def test_api_key_in_header_or_token_query_parameter(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as bare:
        by_header = await bare.post(
            "/distribution", json=body_with(), headers={"Authorization": API_KEY}
        )
        by_token = await bare.post(f"/distribution?token={API_KEY}", json=body_with())
        missing = await bare.post("/distribution", json=body_with())
        wrong = await bare.get(
            "/tracking/distribution", params={"code": "x"}, headers={"Authorization": "nope"}
        )
        bearer = await bare.get(
            "/tracking/distribution",
            params={"code": "x"},
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
    assert (by_header.status_code, by_token.status_code) == (200, 200)
    for response in (missing, wrong, bearer):
        assert response.status_code == 401
        assert response.json() == {"message": "unauthorized"}


# -- creating --------------------------------------------------------------------------


async def test_create_with_the_documents_example_answers_the_documents_shape(
    sandbox: Sandbox,
) -> None:
    response = await sandbox.client.post("/distribution", json=DOC_CREATE)

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["message", "data"] and body["message"] == "success"
    data = body["data"]
    assert list(data) == ["id", "code", "ref_code", "eprint_receipt"]
    assert uuid.UUID(data["id"]).version == 4
    assert re.fullmatch(r"S\d{10}", data["code"])
    assert data["ref_code"] == "ID_SO20230726000340"
    assert data["eprint_receipt"] == f"{sandbox.url}/print/resi/{data['id']}"
    receipt = await sandbox.client.get(data["eprint_receipt"], headers={"Authorization": ""})
    assert receipt.status_code == 200 and "text/html" in receipt.headers["content-type"]
    assert data["code"] in receipt.text and "SAPTA APRIYANA" in receipt.text


REQUIRED_PATHS = [
    "ref_code",
    "pickup_address",
    "pickup_address.name",
    "pickup_address.contact_person",
    "pickup_address.phone_number",
    "pickup_address.address",
    "recipient",
    "recipient.contact_person",
    "recipient.phone_number",
    "recipient.address",
    "items.0.item_name",
    "items.0.quantity",
    "eta_at",
    "etd_at",
]


def without(body: dict[str, Any], path: str) -> dict[str, Any]:
    body = copy.deepcopy(body)
    *parents, leaf = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    del node[leaf]
    return body


async def test_every_required_field_missing_is_a_422_at_its_path(sandbox: Sandbox) -> None:
    for path in REQUIRED_PATHS:
        response = await sandbox.client.post("/distribution", json=without(body_with(), path))
        assert response.status_code == 422, path
        assert response.json() == {"message": "validation error", "errors": {path: ["is required"]}}

    blank = body_with(recipient={**DOC_CREATE["recipient"], "phone_number": "  "})
    response = await sandbox.client.post("/distribution", json=blank)
    assert response.json()["errors"] == {"recipient.phone_number": ["is required"]}


async def test_optional_fields_may_be_left_out(sandbox: Sandbox) -> None:
    body = body_with()
    del body["cod_value"], body["items"], body["recipient"]["latitude"]
    data = await sandbox.create(body)
    tracking = await sandbox.track(data["code"])
    assert tracking["cod_value"] == 0 and tracking["cod_status"] == ""


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"cod_value": -1}, {"cod_value": ["must be greater than or equal to 0"]}),
        ({"cod_value": "23000"}, {"cod_value": ["must be a number"]}),
        ({"cod_value": True}, {"cod_value": ["must be a number"]}),
        ({"ref_code": 12}, {"ref_code": ["must be a string"]}),
        ({"pickup_address": "Kosambi"}, {"pickup_address": ["must be an object"]}),
        ({"items": {"item_name": "x"}}, {"items": ["must be an array"]}),
        ({"items": ["x"]}, {"items.0": ["must be an object"]}),
        (
            {"items": [{"item_name": "a", "quantity": 1}, {"item_name": "b", "quantity": "2"}]},
            {"items.1.quantity": ["must be a number"]},
        ),
        (
            {"recipient": {**DOC_CREATE["recipient"], "latitude": "-6.2"}},
            {"recipient.latitude": ["must be a number"]},
        ),
    ],
)
async def test_wrong_types_are_422(
    sandbox: Sandbox, changes: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    response = await sandbox.client.post("/distribution", json=body_with(**changes))
    assert response.status_code == 422
    assert response.json() == {"message": "validation error", "errors": errors}


async def test_dates_must_be_iso_8601_date_times_with_an_offset(sandbox: Sandbox) -> None:
    cases = {
        "27-07-2023 15:40": "must be an ISO 8601 date time",
        "2023-07-27": "must be an ISO 8601 date time",
        "2023-07-27T25:40:20+07:00": "must be an ISO 8601 date time",
        "2023-07-27T15:40:20": "must include a time zone offset",
        "9999-12-31T23:59:59-07:00": "is out of range",
        "9999-12-31T23:59:59+07:00": "is out of range",
        "0001-01-01T00:00:00+07:00": "is out of range",
    }
    for value, message in cases.items():
        response = await sandbox.client.post("/distribution", json=body_with(eta_at=value))
        assert response.status_code == 422
        assert response.json()["errors"] == {"eta_at": [message]}, value
    ok = await sandbox.client.post("/distribution", json=body_with(etd_at="2023-07-27T08:40:20Z"))
    assert ok.status_code == 200


async def test_a_ref_code_can_be_used_once(sandbox: Sandbox) -> None:
    await sandbox.create(body_with("ID_SO1"))
    response = await sandbox.client.post("/distribution", json=body_with("ID_SO1"))
    assert response.status_code == 422
    assert response.json() == {
        "message": "validation error",
        "errors": {"ref_code": ["has already been taken"]},
    }


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"text"', b'{"cod_value": NaN}'])
async def test_a_body_that_is_not_a_json_object_is_400(sandbox: Sandbox, raw: bytes) -> None:
    for method in ("POST", "PUT", "DELETE"):
        response = await sandbox.client.request(method, "/distribution", content=raw)
        assert response.status_code == 400
        assert response.json() == {"message": "invalid json"}


# -- updating --------------------------------------------------------------------------


async def test_update_cod_value_by_ref_code(sandbox: Sandbox) -> None:
    created = await sandbox.create()
    response = await sandbox.client.put(
        "/distribution", json={"ref_code": created["ref_code"], "cod_value": 50000.5}
    )
    assert response.status_code == 200
    assert response.json() == {"message": "success", "data": created}
    assert (await sandbox.track(created["code"]))["cod_value"] == 50000.5

    unknown = await sandbox.client.put("/distribution", json={"ref_code": "nope", "cod_value": 1})
    assert (unknown.status_code, unknown.json()) == (404, {"message": "shipment not found"})
    negative = await sandbox.client.put(
        "/distribution", json={"ref_code": created["ref_code"], "cod_value": -5}
    )
    assert negative.status_code == 422 and list(negative.json()["errors"]) == ["cod_value"]
    missing = await sandbox.client.put("/distribution", json={"cod_value": 5})
    assert missing.json()["errors"] == {"ref_code": ["is required"]}


async def test_cod_value_is_locked_once_delivered(sandbox: Sandbox) -> None:
    created = await sandbox.create()
    for _ in range(6):
        await sandbox.step(created["code"])
    response = await sandbox.client.put(
        "/distribution", json={"ref_code": created["ref_code"], "cod_value": 1}
    )
    assert response.status_code == 409
    assert response.json() == {"message": "cod value can not be updated in status delivered"}


# -- tracking --------------------------------------------------------------------------


async def test_tracking_by_ref_code_or_code_answers_the_documents_fields(
    sandbox: Sandbox,
) -> None:
    created = await sandbox.create(body_with("ID_SO20230726000386"))

    by_ref = await sandbox.client.get(
        "/tracking/distribution", params={"code": "ID_SO20230726000386"}
    )
    by_code = await sandbox.client.get("/tracking/distribution", params={"code": created["code"]})

    assert by_ref.status_code == by_code.status_code == 200
    assert by_ref.json() == by_code.json()
    body = by_ref.json()
    assert list(body) == ["message", "data"] and body["message"] == "success"
    data = body["data"]
    assert list(data) == TRACKING_FIELDS
    assert data["id"] == created["id"] and data["code"] == created["code"]
    assert data["eta_at"] == data["etd_at"] == "2023-07-27T08:40:20Z"
    assert data["ata_at"] is None and data["atd_at"] is None
    assert (data["status"], data["received_by"], data["cod_status"]) == ("new", "", "")
    assert data["cod_value"] == 23000
    (log,) = data["logs"]
    assert list(log) == ["message", "recorded_at", "latitude", "longitude"]
    assert log["message"] == "PERGUDANGAN KOSAMBI PERMAI membuat order pengiriman"
    assert ISO_Z.match(log["recorded_at"]) and (log["latitude"], log["longitude"]) == (0, 0)


async def test_tracking_errors(sandbox: Sandbox) -> None:
    unknown = await sandbox.client.get("/tracking/distribution", params={"code": "S0000000000"})
    assert (unknown.status_code, unknown.json()) == (404, {"message": "shipment not found"})
    missing = await sandbox.client.get("/tracking/distribution")
    assert missing.status_code == 422
    assert missing.json()["errors"] == {"code": ["is required"]}


# -- cancelling ------------------------------------------------------------------------


async def test_cancel_before_pickup(sandbox: Sandbox, receiver: Receiver) -> None:
    fresh = await sandbox.create()
    manifested = await sandbox.create()
    await sandbox.step(manifested["code"], step="manifest")
    mcode = await manifest_code(sandbox, fresh["code"])

    for shipment in (fresh, manifested):
        response = await sandbox.client.request(
            "DELETE",
            "/distribution",
            json={"code": shipment["code"], "ref_code": shipment["ref_code"]},
        )
        assert response.status_code == 200
        assert response.json() == {"message": "success"}
        tracking = await sandbox.track(shipment["ref_code"])
        assert tracking["status"] == "cancelled"
        assert tracking["logs"][0]["message"] == "Pengiriman dibatalkan"

    await sandbox.client.get("/_control/webhooks", params={"wait": "true"})
    cancelled = [body for body in receiver.received if body.get("status") == "cancelled"]
    assert len(cancelled) == 2
    assert set(cancelled[0]) == {"code", "shipment", "status", "received_by", "ata_at"}
    assert cancelled[0]["code"] == mcode
    assert cancelled[0]["shipment"] == {"code": fresh["code"], "ref_code": fresh["ref_code"]}
    assert cancelled[0]["received_by"] == "" and ISO_Z.match(cancelled[0]["ata_at"])


async def test_cancel_after_pickup_is_409(sandbox: Sandbox) -> None:
    created = await sandbox.create()
    for _ in range(3):  # manifest, assign_driver, pickup
        await sandbox.step(created["code"])
    response = await sandbox.client.request(
        "DELETE", "/distribution", json={"code": created["code"], "ref_code": created["ref_code"]}
    )
    assert response.status_code == 409
    assert response.json() == {"message": "shipment can not be cancelled in status on_transit"}


async def test_cancel_needs_a_matching_code_and_ref_code(sandbox: Sandbox) -> None:
    one, other = await sandbox.create(), await sandbox.create()
    mismatch = await sandbox.client.request(
        "DELETE", "/distribution", json={"code": one["code"], "ref_code": other["ref_code"]}
    )
    assert (mismatch.status_code, mismatch.json()) == (404, {"message": "shipment not found"})
    partial = await sandbox.client.request("DELETE", "/distribution", json={"code": one["code"]})
    assert partial.status_code == 422
    assert partial.json()["errors"] == {"ref_code": ["is required"]}
    twice = {"code": one["code"], "ref_code": one["ref_code"]}
    assert (await sandbox.client.request("DELETE", "/distribution", json=twice)).status_code == 200
    again = await sandbox.client.request("DELETE", "/distribution", json=twice)
    assert again.json() == {"message": "shipment can not be cancelled in status cancelled"}


# -- lifecycle and webhooks ------------------------------------------------------------


async def test_happy_path_sends_the_documented_webhooks_in_order(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    created = await sandbox.create(body_with("ID_SO20230726000386"))
    mcode = await manifest_code(sandbox, created["code"])
    steps = [(await sandbox.step(created["ref_code"]))["step"] for _ in range(6)]

    assert steps == ["manifest", "assign_driver", "pickup", "hub", "out_for_delivery", "deliver"]
    tracking = await sandbox.track(created["code"])
    ref = {"code": created["code"], "ref_code": created["ref_code"]}
    assert receiver.received == [
        status_event(created, mcode, "manifested"),
        {
            "code": mcode,
            "shipment": ref,
            "driver_name": "Usep",
            "driver_phone": "6281897381723",
            "vehicle_number": "B 8219 K",
        },
        {**status_event(created, mcode, "picked_up"), "ata_at": tracking["atd_at"]},
        {
            **status_event(created, mcode, "delivered"),
            "received_by": "SAPTA APRIYANA",
            "cod_value": 23000,
            "cod_status": "collected",
            "ata_at": tracking["ata_at"],
            "images": [f"{sandbox.url}/print/pod/{created['id']}.png"],
        },
    ]
    assert set(receiver.queries) == {"token=merchant-secret"}

    assert tracking["status"] == "delivered" and tracking["received_by"] == "SAPTA APRIYANA"
    assert tracking["cod_status"] == "collected"
    assert ISO_Z.match(tracking["ata_at"]) and ISO_Z.match(tracking["atd_at"])
    messages = [log["message"] for log in tracking["logs"]]
    assert messages[0] == "Pengiriman telah selesai, diterima oleh (SAPTA APRIYANA)"
    assert messages[-1].endswith("membuat order pengiriman") and len(messages) == 7
    assert messages[-2] == "Paket telah dijadwalkan untuk dipickup"
    image = await sandbox.client.get(receiver.received[-1]["images"][0])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"

    done = await sandbox.advance(created["code"])
    assert done.status_code == 409


async def test_advance_answers_the_tracking_view_and_its_webhook_deliveries(
    sandbox: Sandbox,
) -> None:
    created = await sandbox.create()
    answer = await sandbox.step(created["code"], step="manifest")
    assert answer["step"] == "manifest"
    assert answer["shipment"]["status"] == "on_pickup"
    assert answer["shipment"]["logs"][0]["message"] == "Paket telah dijadwalkan untuk dipickup"
    (attempt,) = answer["webhooks"]
    assert attempt["event"] == "manifested" and attempt["status_code"] == 200
    assert attempt["attempt"] == 1 and attempt["body"]["status"] == "manifested"

    silent = await sandbox.step(created["code"], step="assign_driver")
    assert len(silent["webhooks"]) == 1
    await sandbox.step(created["code"], step="pickup")
    hub = await sandbox.step(created["code"], step="hub")
    assert hub["shipment"]["status"] == "Console" and hub["webhooks"] == []


async def test_cod_status_is_empty_without_cod(sandbox: Sandbox, receiver: Receiver) -> None:
    created = await sandbox.create(body_with(cod_value=0))
    for _ in range(6):
        await sandbox.step(created["code"])
    assert receiver.received[-1]["cod_status"] == "" and receiver.received[-1]["cod_value"] == 0


async def test_pickup_failed_keeps_the_shipment_on_pickup(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    created = await sandbox.create()
    mcode = await manifest_code(sandbox, created["code"])
    await sandbox.step(created["code"], step="manifest")

    answer = await sandbox.step(created["code"], step="pickup_failed")

    assert answer["shipment"]["status"] == "on_pickup"
    assert answer["shipment"]["logs"][0]["message"] == "Pickup gagal: Barang belum ready di pickup"
    assert receiver.received[-1] == {
        **status_event(created, mcode, "picked_up_failed"),
        "message": "Barang belum ready di pickup",
    }


async def test_delivery_failed_then_resend_then_delivered(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    created = await sandbox.create()
    mcode = await manifest_code(sandbox, created["code"])
    for _ in range(5):
        await sandbox.step(created["code"])

    failed = await sandbox.step(created["code"], step="delivery_failed", message="Rumah kosong")
    assert failed["shipment"]["status"] == "disputed"
    failed_at = receiver.received[-1]["ata_at"]
    assert receiver.received[-1] == {
        **status_event(created, mcode, "delivery_failed"),
        "ata_at": failed_at,
        "message": "Rumah kosong",
    }

    resent = await sandbox.step(created["code"], step="resend")
    assert resent["shipment"]["status"] == "on_transit"  # "will back to envio hubs"
    assert receiver.received[-1] == {
        **status_event(created, mcode, "resend"),
        "ata_at": failed_at,
        "eta_at": resent["shipment"]["eta_at"],
        "message": "Rumah kosong",
    }
    assert resent["shipment"]["eta_at"] > failed_at

    steps = [await sandbox.step(created["code"]) for _ in range(3)]
    assert [step["step"] for step in steps] == ["hub", "out_for_delivery", "deliver"]
    assert steps[-1]["shipment"]["status"] == "delivered"


async def test_return_after_a_failed_delivery(sandbox: Sandbox, receiver: Receiver) -> None:
    created = await sandbox.create()
    mcode = await manifest_code(sandbox, created["code"])
    for _ in range(5):
        await sandbox.step(created["code"])
    await sandbox.step(created["code"], step="delivery_failed")

    returned = await sandbox.step(created["code"], step="return")

    tracking = returned["shipment"]
    assert tracking["status"] == "returned"
    assert receiver.received[-1] == {
        **status_event(created, mcode, "returned"),
        "received_by": "PERGUDANGAN KOSAMBI PERMAI",
        "ata_at": tracking["ata_at"],
    }
    assert (await sandbox.track(created["code"]))["status"] == "returned"
    assert (await sandbox.advance(created["code"])).status_code == 409


async def test_item_update_sends_the_per_item_webhook(sandbox: Sandbox, receiver: Receiver) -> None:
    created = await sandbox.create()
    answer = await sandbox.step(created["code"], step="item", item_code="2192x127y", quantity=2)

    assert answer["shipment"]["status"] == "new"
    assert receiver.received == [
        {
            "code": created["code"],
            "ref_code": created["ref_code"],
            "item": {
                "item_code": "2192x127y",
                "item_name": "Air Mineral 300 ML",
                "quantity": 2,
                "weight": 10,
                "long": 10,
                "high": 20,
                "wide": 30,
            },
        }
    ]
    no_quantity = await sandbox.advance(created["code"], step="item")
    assert no_quantity.status_code == 422
    unknown = await sandbox.advance(created["code"], step="item", item_code="x", quantity=1)
    assert unknown.status_code == 404


async def test_control_refuses_steps_the_status_forbids(sandbox: Sandbox) -> None:
    created = await sandbox.create()
    wrong = await sandbox.advance(created["code"], step="deliver")
    assert wrong.status_code == 409
    assert wrong.json() == {"message": "step deliver is not allowed in status new"}
    bogus = await sandbox.advance(created["code"], step="teleport")
    assert bogus.status_code == 422 and list(bogus.json()["errors"]) == ["step"]
    missing = await sandbox.advance("S0000000000")
    assert missing.status_code == 404


async def test_webhook_is_retried_after_a_receiver_error(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    created = await sandbox.create()
    receiver.fail_next = 2

    answer = await sandbox.step(created["code"])

    attempts = [(a["attempt"], a["status_code"]) for a in answer["webhooks"]]
    assert attempts == [(1, 500), (2, 500), (3, 200)]
    assert receiver.calls == 3 and receiver.statuses() == ["manifested"]
    log = (await sandbox.client.get("/_control/webhooks")).json()["webhooks"]
    assert [a["status_code"] for a in log] == [500, 500, 200]
    assert {a["event"] for a in log} == {"manifested"}


async def test_webhooks_stay_in_order_behind_a_retry(sandbox: Sandbox, receiver: Receiver) -> None:
    created = await sandbox.create()
    receiver.fail_next = 1
    await sandbox.step(created["code"])
    await sandbox.client.request(
        "DELETE", "/distribution", json={"code": created["code"], "ref_code": created["ref_code"]}
    )
    await sandbox.client.get("/_control/webhooks", params={"wait": "1"})
    assert receiver.statuses() == ["manifested", "cancelled"]


async def test_unreachable_receiver_gives_up_after_the_retries() -> None:
    dead_url = f"http://127.0.0.1:{free_port()}/hook"
    app = create_envio_sandbox(
        api_key=API_KEY, webhook_url=dead_url, webhook_retry_delays=FAST_RETRIES
    )
    async with running(app, app.state.envio) as box:
        created = await box.create()
        answer = await box.step(created["code"])
    assert [a["attempt"] for a in answer["webhooks"]] == [1, 2, 3]
    assert all(a["status_code"] is None and a["error"] for a in answer["webhooks"])


async def test_replay_sends_the_last_webhook_again(sandbox: Sandbox, receiver: Receiver) -> None:
    created = await sandbox.create()
    nothing = await sandbox.client.post(f"/_control/shipments/{created['code']}/replay")
    assert nothing.status_code == 409
    await sandbox.step(created["code"])

    replay = await sandbox.client.post(f"/_control/shipments/{created['ref_code']}/replay")

    assert replay.status_code == 200
    assert [a["status_code"] for a in replay.json()["webhooks"]] == [200]
    assert len(receiver.received) == 2 and receiver.received[0] == receiver.received[1]


async def test_reset_clears_everything(sandbox: Sandbox) -> None:
    created = await sandbox.create()
    await sandbox.step(created["code"])
    await sandbox.client.post("/_control/faults", json={"status": 500, "path_prefix": "/print"})

    assert (await sandbox.client.post("/_control/reset")).status_code == 200

    assert (await sandbox.client.get("/_control/shipments")).json() == {"shipments": []}
    assert (await sandbox.client.get("/_control/webhooks")).json() == {"webhooks": []}
    assert (await sandbox.client.get("/_control/faults")).json() == {"fault": None}
    again = await sandbox.client.post("/distribution", json=body_with(created["ref_code"]))
    assert again.status_code == 200


async def until_delivered(client: httpx.AsyncClient, code: str) -> None:
    deadline = time.monotonic() + 5
    while True:
        response = await client.get("/tracking/distribution", params={"code": code})
        if response.json()["data"]["status"] == "delivered":
            return
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)


async def test_auto_advance_walks_the_happy_path(receiver: Receiver) -> None:
    app = create_envio_sandbox(
        api_key=API_KEY,
        webhook_url=receiver.url,
        auto_advance_s=0.02,
        webhook_retry_delays=FAST_RETRIES,
    )
    async with running(app, app.state.envio) as box:
        created = await box.create()
        await until_delivered(box.client, created["code"])
        await box.client.get("/_control/webhooks", params={"wait": "1"})
    assert receiver.statuses() == ["manifested", "driver", "picked_up", "delivered"]


# -- faults ----------------------------------------------------------------------------


async def set_fault(box: Sandbox, **fault: Any) -> None:
    response = await box.client.post("/_control/faults", json=fault)
    assert response.status_code == 200, response.text


async def test_fault_latency(sandbox: Sandbox) -> None:
    await set_fault(sandbox, latency_ms=250)
    started = time.monotonic()
    response = await sandbox.client.get("/tracking/distribution", params={"code": "x"})
    assert time.monotonic() - started >= 0.25
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"message": "internal server error"}),
        (503, {"message": "service unavailable"}),
        (401, {"message": "unauthorized"}),
    ],
)
async def test_fault_status_answers_the_error_envelope(
    sandbox: Sandbox, status: int, body: dict[str, Any]
) -> None:
    await set_fault(sandbox, status=status)
    response = await sandbox.client.post("/distribution", json=body_with())
    assert (response.status_code, response.json()) == (status, body)
    assert (await sandbox.client.get("/_control/shipments")).json() == {"shipments": []}


async def test_fault_hang_until_the_client_gives_up(sandbox: Sandbox) -> None:
    await set_fault(sandbox, hang=True, times=1)
    with pytest.raises(httpx.ReadTimeout):
        await sandbox.client.post("/distribution", json=body_with(), timeout=0.3)
    assert (await sandbox.client.post("/distribution", json=body_with())).status_code == 200


async def test_fault_lost_answer_books_and_the_booking_is_tracked_by_ref_code(
    sandbox: Sandbox,
) -> None:
    await set_fault(sandbox, lost_answer=True, times=1)
    with pytest.raises(httpx.ReadTimeout):
        await sandbox.client.post("/distribution", json=body_with("SO-LOST"), timeout=0.3)
    tracked = await sandbox.track("SO-LOST")
    assert (tracked["ref_code"], tracked["status"]) == ("SO-LOST", "new")
    again = await sandbox.client.post("/distribution", json=body_with("SO-LOST"))
    assert again.status_code == 422
    assert again.json()["errors"] == {"ref_code": ["has already been taken"]}


async def test_fault_status_with_retry_after(sandbox: Sandbox) -> None:
    await set_fault(sandbox, status=429, retry_after_s=2, times=1)
    response = await sandbox.client.get("/tracking/distribution", params={"code": "x"})
    assert (response.status_code, response.headers["retry-after"]) == (429, "2")


async def test_fault_malformed_body(sandbox: Sandbox) -> None:
    await set_fault(sandbox, malformed=True)
    response = await sandbox.client.get("/tracking/distribution", params={"code": "x"})
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


async def test_fault_times_then_back_to_normal(sandbox: Sandbox) -> None:
    await set_fault(sandbox, status=500, times=2)
    codes = [
        (await sandbox.client.get("/tracking/distribution", params={"code": "x"})).status_code
        for _ in range(3)
    ]
    assert codes == [500, 500, 404]
    assert (await sandbox.client.get("/_control/faults")).json() == {"fault": None}


async def test_fault_path_prefix_and_control_is_never_faulted(sandbox: Sandbox) -> None:
    await set_fault(sandbox, status=502, path_prefix="/tracking")
    created = await sandbox.create()
    tracking = await sandbox.client.get("/tracking/distribution", params={"code": created["code"]})
    assert tracking.status_code == 502

    await set_fault(sandbox, status=500)
    assert (await sandbox.client.get("/_control/shipments")).status_code == 200
    assert (await sandbox.client.delete("/_control/faults")).json() == {"fault": None}
    assert (await sandbox.track(created["code"]))["status"] == "new"


async def test_fault_body_is_validated(sandbox: Sandbox) -> None:
    response = await sandbox.client.post("/_control/faults", json={"status": 42, "hang": "yes"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"status", "hang"}


# -- mounting --------------------------------------------------------------------------


async def test_links_carry_the_prefix_the_app_is_mounted_under(receiver: Receiver) -> None:
    envio = create_envio_sandbox(
        api_key=API_KEY,
        webhook_url=receiver.url,
        auto_advance_s=0.02,
        webhook_retry_delays=FAST_RETRIES,
    )
    state: EnvioSandboxState = envio.state.envio

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with state.running():  # a Mount does not run the mounted app's lifespan
            yield

    parent = Starlette(routes=[Mount("/sandbox/envio", envio)], lifespan=lifespan)
    async with serve(parent) as url:
        base = f"{url}/sandbox/envio"
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": API_KEY}) as client:
            created = (await client.post("/distribution", json=body_with())).json()["data"]
            assert created["eprint_receipt"] == f"{base}/print/resi/{created['id']}"
            assert (await client.get(created["eprint_receipt"])).status_code == 200
            await client.post("/_control/faults", json={"status": 500, "path_prefix": "/track"})
            faulted = await client.get("/tracking/distribution", params={"code": created["code"]})
            assert faulted.status_code == 500
            await client.delete("/_control/faults")
            await until_delivered(client, created["code"])
            await client.get("/_control/webhooks", params={"wait": "1"})
    images = receiver.received[-1]["images"]
    assert images == [f"{base}/print/pod/{created['id']}.png"]


async def test_public_base_url_overrides_the_request() -> None:
    app = create_envio_sandbox(api_key=API_KEY, public_base_url="https://sandbox.example/envio/")
    async with running(app, app.state.envio) as box:
        created = await box.create()
    assert created["eprint_receipt"] == f"https://sandbox.example/envio/print/resi/{created['id']}"


async def test_the_control_api_finds_a_shipment_by_code_ref_code_or_id(
    sandbox: Sandbox,
) -> None:
    """The gateway hands out the code as trackingNumber and the id as carrierShipmentId."""
    created = await sandbox.create()
    views = [
        (await sandbox.client.get(f"/_control/shipments/{created[key]}")).json()["shipment"]
        for key in ("code", "ref_code", "id")
    ]
    assert views[0]["code"] == created["code"] and views.count(views[0]) == 3
    stepped = await sandbox.step(created["id"])
    assert stepped["shipment"]["code"] == created["code"]
    missing = await sandbox.client.get(f"/_control/shipments/{'9' * 5000}")
    assert missing.status_code == 404 and len(missing.json()["message"]) < 120
