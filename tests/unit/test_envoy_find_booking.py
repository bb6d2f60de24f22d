"""Envoy's find_booking (GET /shipments read through its cursors for the shipment named
after the reference) and creates whose answer is lost: against httpx.MockTransport
answering with envoy.txt's examples, and the simulator over loopback."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.envoy import EnvoyCarrier
from shipgraph.carriers.envoy import adapter as envoy_adapter
from shipgraph.domain import Document, DocumentFormat, DocumentKind, ErrorCode, ShipmentStatus
from shipgraph.sandbox.envoy import create_envoy_sandbox
from tests.support.fixtures import fixture
from tests.support.servers import serve
from tests.unit.test_envoy_adapter import (
    LIST,
    SHP,
    TOKEN,
    FakeEnvoy,
    carrier,
    doc_shipment,
    rated,
)
from tests.unit.test_envoy_requests import doc_request

DOC_NAME = "ORDER-273548"  # the document's shipment name


def page(*shipments: dict[str, Any], next_cursor: str | None = None) -> httpx.Response:
    return httpx.Response(200, json={"data": list(shipments), "next_cursor": next_cursor})


async def test_finds_the_bought_shipment_of_the_documents_list_by_name() -> None:
    fake = FakeEnvoy()
    listed = fixture("envoy", "list_response")
    fake.on(LIST, httpx.Response(200, json={**listed, "next_cursor": None}))
    found = await carrier(fake).find_booking(doc_request(reference=DOC_NAME))
    (asked,) = fake.requests(LIST)
    assert dict(asked.url.params) == {
        "limit": "100",
        "include_fields": "rates,selected_rate,documents,errors",
    }
    assert asked.headers["Authorization"] == f"Bearer {TOKEN}"
    assert found is not None
    assert (found.carrier_shipment_id, found.status) == (SHP, ShipmentStatus.CREATED)
    assert found.carrier_status == "purchased"
    assert found.carrier_data == {
        "shipment_id": SHP,
        "rate_id": "rate_2iBgUKWHmQlBjYQyx9fAGMvcCEp",
        "service": "UPS Express",
        "carrier": "UPS",
        "carrier_service": "Express",
        "carrier_account": {"id": "ca_2iBgUOHPuWh0Hvjc81euqKXTW5N", "name": "Main Account"},
        "ship_date": None,
    }
    (label,) = found.documents
    assert (label.kind, label.format) == (DocumentKind.LABEL, DocumentFormat.PNG)


async def test_the_bought_rate_gives_the_price() -> None:
    fake = FakeEnvoy()
    bought = rated(status="purchased", service={"rate": "rate_b"})
    fake.on(LIST, page(bought))
    found = await carrier(fake).find_booking(doc_request(reference=DOC_NAME))
    assert found is not None and found.price is not None
    assert (found.price.amount, found.price.currency) == (Decimal("9.90"), "USD")


async def test_reads_every_page_and_skips_drafts_of_the_same_name() -> None:
    fake = FakeEnvoy()
    draft = rated(id="shp_draft")
    other = doc_shipment(id="shp_other", name="ORDER-1")
    fake.on(
        LIST,
        page(draft, other, next_cursor="c2"),
        page(doc_shipment(id="shp_bought"), next_cursor=None),
    )
    found = await carrier(fake).find_booking(doc_request(reference=DOC_NAME))
    assert found is not None and found.carrier_shipment_id == "shp_bought"
    cursors = [r.url.params.get("cursor") for r in fake.requests(LIST)]
    assert cursors == [None, "c2"]


async def test_none_when_only_drafts_carry_the_name() -> None:
    fake = FakeEnvoy()
    failed = rated(id="shp_failed", status="failed", rates=[])
    fake.on(LIST, page(rated(), failed, doc_shipment(id="shp_x", name="ORDER-1")))
    assert await carrier(fake).find_booking(doc_request(reference=DOC_NAME)) is None


async def test_a_shipment_of_that_name_in_an_unknown_state_cannot_be_ruled_out() -> None:
    fake = FakeEnvoy()
    fake.on(LIST, page(rated(status="purchasing")))
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).find_booking(doc_request(reference=DOC_NAME))
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE
    assert "purchasing" in caught.value.message


async def test_the_scan_stops_at_its_page_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envoy_adapter, "MAX_LIST_PAGES", 2)
    fake = FakeEnvoy()
    fake.on(LIST, page(rated(), next_cursor="c2"), page(rated(), next_cursor="c3"))
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).find_booking(doc_request(reference=DOC_NAME))
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE
    assert len(fake.requests(LIST)) == 2


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(201, content=b'{"id": "shp_'),
        httpx.Response(201, json={"status": "rated"}),
    ],
)
async def test_a_create_that_said_success_unreadably_is_uncertain(answer: httpx.Response) -> None:
    fake = FakeEnvoy()
    fake.on("POST /shipments", answer)
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).create(doc_request())
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE and caught.value.uncertain


async def test_a_lost_purchase_answer_is_found_by_name() -> None:
    app = create_envoy_sandbox(access_token=TOKEN)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as control:
        envoy = EnvoyCarrier(base_url=url, access_token=TOKEN, timeout_s=0.5)
        request = doc_request(reference="ORDER-LOST-1")
        quote = await envoy.quote(request)
        assert await envoy.find_booking(request) is None  # a quote's draft is no booking
        fault = {"lost_answer": True, "times": 1, "path_prefix": "/shipments/"}
        assert (await control.post("/_control/faults", json=fault)).status_code == 200
        with pytest.raises(CarrierError) as caught:
            await envoy.create(request, quote.rates[0].id)
        assert caught.value.uncertain
        found = await envoy.find_booking(request)
        assert quote.draft is not None and found is not None
        assert found.carrier_shipment_id == quote.draft.carrier_shipment_id
        assert (found.status, found.carrier_status) == (ShipmentStatus.CREATED, "purchased")
        assert found.price == quote.rates[0].total
        (label,) = found.documents
        assert isinstance(label, Document) and label.kind == DocumentKind.LABEL
        assert await envoy.find_booking(doc_request(reference="ORDER-OTHER")) is None
        await envoy.aclose()
