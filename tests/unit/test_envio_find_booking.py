"""Envio's find_booking (tracking by ref_code) and creates whose answer is lost: against
httpx.MockTransport answering with envio.md's examples, and the simulator over loopback."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.envio import EnvioCarrier
from shipgraph.domain import ErrorCode, ShipmentStatus
from shipgraph.sandbox.envio import create_envio_sandbox
from tests.support.builders import doc_request
from tests.support.fixtures import fixture
from tests.support.servers import serve

BASE = "https://api.envio.co.id/sandbox"
API_KEY = "API_KEY"
DOC_REF = "ID_SO20230726000386"  # the tracking example's ref_code

Handler = Callable[[httpx.Request], httpx.Response]


def carrier(handler: Handler | None = None, base_url: str = BASE, **kw: Any) -> EnvioCarrier:
    transport = httpx.MockTransport(handler) if handler is not None else None
    return EnvioCarrier(
        base_url=base_url,
        api_key=API_KEY,
        webhook_token=None,
        timeout_s=kw.pop("timeout_s", 2.0),
        transport=transport,
        **kw,
    )


class Recorder:
    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


async def test_finds_the_booking_by_ref_code_from_the_documents_tracking_answer() -> None:
    envio = Recorder(httpx.Response(200, json=fixture("envio", "tracking_response")))
    found = await carrier(envio).find_booking(doc_request(reference=DOC_REF))
    (asked,) = envio.seen
    assert (asked.method, asked.url.path) == ("GET", "/sandbox/tracking/distribution")
    assert asked.url.params["code"] == DOC_REF
    assert asked.headers["Authorization"] == API_KEY
    assert found is not None
    assert found.carrier_shipment_id == "53ab0a61-508d-4094-aa61-b4dbce0bd2d2"
    assert found.tracking_number == "S4563844412"
    assert (found.status, found.carrier_status) == (ShipmentStatus.DELIVERED, "delivered")
    assert found.estimated_pickup_at == datetime(2023, 6, 8, 23, 0, tzinfo=UTC)
    assert found.estimated_delivery_at == datetime(2023, 6, 9, 23, 0, tzinfo=UTC)
    assert found.carrier_data == {"ref_code": DOC_REF}


async def test_no_shipment_with_that_reference_is_none() -> None:
    envio = Recorder(httpx.Response(404, json={"message": "shipment not found"}))
    assert await carrier(envio).find_booking(doc_request(reference="SO-NEVER")) is None


async def test_a_code_that_is_another_shipments_envio_code_cannot_tell() -> None:
    answer = copy.deepcopy(fixture("envio", "tracking_response"))
    envio = Recorder(httpx.Response(200, json=answer))
    with pytest.raises(CarrierError) as caught:
        await carrier(envio).find_booking(doc_request(reference="S4563844412"))
    assert caught.value.code == ErrorCode.CONFLICT


async def test_the_lookup_is_retried_as_a_read_and_then_fails_honestly() -> None:
    envio = Recorder(httpx.Response(503, json={"message": "service unavailable"}))
    with pytest.raises(CarrierError) as caught:
        await carrier(envio).find_booking(doc_request())
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE
    assert len(envio.seen) == 3


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, content=b'{"message": "success", "data": {"id": '),
        httpx.Response(200, json={"message": "success"}),
        httpx.Response(200, json={"message": "success", "data": {"ref_code": "x"}}),
    ],
)
async def test_a_create_that_said_success_unreadably_is_uncertain(answer: httpx.Response) -> None:
    with pytest.raises(CarrierError) as caught:
        await carrier(Recorder(answer)).create(doc_request())
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE and caught.value.uncertain


async def test_a_create_whose_answer_is_lost_is_found_by_its_reference() -> None:
    app = create_envio_sandbox(api_key=API_KEY)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as control:
        adapter = carrier(base_url=url, timeout_s=0.5)
        request = doc_request(reference="SO-LOST-1")
        assert await adapter.find_booking(request) is None
        fault = {"lost_answer": True, "times": 1, "path_prefix": "/distribution"}
        assert (await control.post("/_control/faults", json=fault)).status_code == 200
        with pytest.raises(CarrierError) as caught:
            await adapter.create(request)
        assert caught.value.uncertain
        found = await adapter.find_booking(request)
        (made,) = app.state.envio.shipments
        assert found is not None
        assert (found.carrier_shipment_id, found.tracking_number) == (made.id, made.code)
        assert (found.status, found.carrier_status) == (ShipmentStatus.CREATED, "new")
        assert found.carrier_data == {"ref_code": "SO-LOST-1"}
        await adapter.aclose()
