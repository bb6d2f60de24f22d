"""Envoy end to end: GraphQL -> gateway -> simulator over HTTP, memory and Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from shipgraph.carriers.envoy import EnvoyCarrier, webhooks
from shipgraph.sandbox.mounts import ENVOY_ACCESS_TOKEN, ENVOY_WEBHOOK_SECRET
from tests.integration.operations import CREATE, GET, LIST, shipment_input
from tests.support.stack import Backend, Stack, running_stack

RATES = """
query Q($input: RatesInput!) {
  rates(input: $input) {
    rates { id carrier service total { amount currency } deliveryDays estimatedDeliveryAt }
    errors { carrier code message }
  }
}
"""

LABELS = """
mutation L($ids: [ID!]!, $format: DocumentFormat) {
  labels(input: {ids: $ids, format: $format}) {
    labels { shipment { id } documents { kind format url content } }
    userErrors { field code message carrier }
  }
}
"""

EXPONENT = {"JPY": 0, "KRW": 0, "BHD": 3}


@pytest.fixture
async def stack(backend: Backend) -> AsyncIterator[Stack]:
    async with running_stack(backend, carrier_timeout_s=3.0) as running:
        yield running


def envoy_shipment(reference: str = "SO-E1", **options: Any) -> dict[str, Any]:
    shipment = shipment_input(reference, description="Documents")
    del shipment["cashOnDelivery"]
    if options:
        shipment["carrierOptions"] = {"ENVOY": options}
    return shipment


async def control(stack: Stack, method: str, path: str, **kwargs: Any) -> Any:
    response = await stack.http.request(method, f"{stack.sandbox}/envoy/_control{path}", **kwargs)
    assert response.status_code < 300, response.text
    return response.json()


async def envoy_shipments(stack: Stack) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await control(stack, "GET", "/shipments"))["shipments"]
    return found


async def quote(stack: Stack, shipment: dict[str, Any], *carriers: str) -> dict[str, Any]:
    variables = {"input": {"shipment": shipment, "carriers": list(carriers or ["ENVOY"])}}
    body = await stack.gql(RATES, variables)
    assert "errors" not in body, body
    answer: dict[str, Any] = body["data"]["rates"]
    return answer


async def book(stack: Stack, **how: Any) -> dict[str, Any]:
    body = await stack.gql(CREATE, {"input": how})
    payload = body["data"]["createShipment"]
    assert payload["userErrors"] == [], payload
    booked: dict[str, Any] = payload["shipment"]
    return booked


async def test_a_quote_mixing_borzo_and_envoy_is_sorted_per_currency(stack: Stack) -> None:
    answer = await quote(stack, envoy_shipment(), "BORZO", "ENVOY")
    rates = answer["rates"]
    assert {rate["carrier"] for rate in rates} == {"BORZO", "ENVOY"}
    keys = [(rate["total"]["currency"], Decimal(rate["total"]["amount"])) for rate in rates]
    assert keys == sorted(keys)
    assert len({currency for currency, _ in keys}) >= 2
    assert all(rate["deliveryDays"] for rate in rates if rate["carrier"] == "ENVOY")


async def test_amounts_are_exact_to_the_minor_unit(stack: Stack) -> None:
    rates = (await quote(stack, envoy_shipment()))["rates"]
    [raw] = await envoy_shipments(stack)
    raw_by_service = {
        f"{rate['carrier']['name']} {rate['carrier_service']['name']}": rate
        for rate in raw["rates"]
    }
    for rate in rates:
        source = raw_by_service[rate["service"]]
        currency = source["currency_code"]
        exponent = EXPONENT.get(currency, 2)
        expected = Decimal(source["rate"]).scaleb(-exponent)
        assert rate["total"]["currency"] == currency
        assert Decimal(rate["total"]["amount"]) == expected
        assert len(rate["total"]["amount"].partition(".")[2]) == exponent


async def test_a_quote_is_kept_as_a_draft_and_its_rate_books_it(stack: Stack) -> None:
    rates = (await quote(stack, envoy_shipment()))["rates"]
    drafts = (await stack.gql(LIST))["data"]["shipments"]["edges"]
    [draft] = [edge["node"] for edge in drafts]
    assert draft["status"] == "DRAFT"
    booked = await book(stack, rateId=rates[-1]["id"], shipment=envoy_shipment())
    assert booked["id"] == draft["id"]
    assert booked["status"] == "CREATED" and booked["carrierStatus"] == "purchased"
    # The quote saved version 1; the booking and the simulator's webhooks (rated,
    # purchased: their order against the booking's write varies) each add one.
    assert 2 <= booked["version"] <= 4
    counters = await control(stack, "GET", "/counters")
    assert counters["creates"] == 1 and counters["purchases"] == 1
    listing = (await stack.gql(LIST))["data"]["shipments"]["edges"]
    assert [edge["node"]["id"] for edge in listing] == [draft["id"]]


async def test_a_rate_books_only_the_shipment_it_was_quoted_for(stack: Stack) -> None:
    rates = (await quote(stack, envoy_shipment()))["rates"]
    moved = envoy_shipment()
    moved["destination"]["line1"] = "Jl. Lain No. 2"
    body = await stack.gql(CREATE, {"input": {"rateId": rates[0]["id"], "shipment": moved}})
    payload = body["data"]["createShipment"]
    [error] = payload["userErrors"]
    assert error["field"] == ["rateId"] and error["code"] == "VALIDATION"
    assert "destination" in error["message"] and payload["shipment"] is None
    assert (await control(stack, "GET", "/counters"))["purchases"] == 0
    [draft] = [edge["node"] for edge in (await stack.gql(LIST))["data"]["shipments"]["edges"]]
    assert draft["status"] == "DRAFT"
    booked = await book(stack, rateId=rates[0]["id"], shipment=envoy_shipment())
    assert booked["id"] == draft["id"] and booked["status"] == "CREATED"


async def test_another_tenants_rate_is_refused(stack: Stack) -> None:
    rates = (await quote(stack, envoy_shipment()))["rates"]
    body = await stack.gql(
        CREATE,
        {"input": {"rateId": rates[0]["id"], "shipment": envoy_shipment()}},
        tenant="globex",
    )
    [error] = body["data"]["createShipment"]["userErrors"]
    assert error["field"] == ["rateId"] and error["code"] == "VALIDATION"
    assert (await control(stack, "GET", "/counters"))["purchases"] == 0


async def test_booking_without_a_rate_buys_the_cheapest(stack: Stack) -> None:
    booked = await book(stack, carrier="ENVOY", shipment=envoy_shipment())
    assert booked["status"] == "CREATED"
    [raw] = await envoy_shipments(stack)
    chosen = raw["service"]["rate"] if isinstance(raw.get("service"), dict) else None
    assert chosen is not None
    first_currency = raw["rates"][0]["currency_code"]
    cheapest = min(
        (rate for rate in raw["rates"] if rate["currency_code"] == first_currency),
        key=lambda rate: rate["rate"],
    )
    assert chosen == cheapest["id"]
    service = "query S($id: ID!) { shipment(id: $id) { service } }"
    shown = (await stack.gql(service, {"id": booked["id"]}))["data"]["shipment"]["service"]
    carrier, name = raw["service"]["carrier"]["name"], raw["service"]["carrier_service"]["name"]
    assert shown == f"{carrier} {name}"


async def test_a_202_creation_completes_through_polling(stack: Stack) -> None:
    await control(stack, "POST", "/async-create", json={"count": 1, "delay_s": 0.6})
    booked = await book(stack, carrier="ENVOY", shipment=envoy_shipment())
    assert booked["status"] == "CREATED"
    counters = await control(stack, "GET", "/counters")
    assert counters["creates_accepted"] == 1 and counters["purchases"] == 1


async def test_a_202_past_the_deadline_is_kept_as_a_draft(stack: Stack) -> None:
    await control(stack, "POST", "/async-create", json={"count": 1, "delay_s": 30})
    body = await stack.gql(CREATE, {"input": {"carrier": "ENVOY", "shipment": envoy_shipment()}})
    payload = body["data"]["createShipment"]
    [error] = payload["userErrors"]
    assert error["code"] == "CARRIER_UNAVAILABLE" and error["carrier"] == "ENVOY"
    draft = payload["shipment"]
    assert draft["status"] == "DRAFT"
    [raw] = await envoy_shipments(stack)
    assert draft["carrierShipmentId"] == raw["id"]
    await control(stack, "POST", f"/shipments/{raw['id']}/complete")
    refresh = "mutation R($id: ID!) { refreshShipment(id: $id) { status carrierStatus } }"
    refreshed = (await stack.gql(refresh, {"id": draft["id"]}))["data"]["refreshShipment"]
    assert refreshed == {"status": "DRAFT", "carrierStatus": "rated"}
    assert (await control(stack, "GET", "/counters"))["purchases"] == 0


async def test_a_pending_draft_read_while_creating_or_after_failing_stays_a_draft(
    stack: Stack,
) -> None:
    await control(stack, "POST", "/async-create", json={"count": 1, "delay_s": 30})
    body = await stack.gql(CREATE, {"input": {"carrier": "ENVOY", "shipment": envoy_shipment()}})
    draft = body["data"]["createShipment"]["shipment"]
    assert draft["status"] == "DRAFT"
    refresh = "mutation R($id: ID!) { refreshShipment(id: $id) { status carrierStatus } }"
    refreshed = (await stack.gql(refresh, {"id": draft["id"]}))["data"]["refreshShipment"]
    assert refreshed == {"status": "DRAFT", "carrierStatus": "creating"}
    carriers = (await control(stack, "GET", "/carriers"))["carriers"]
    for carrier in carriers:
        await control(stack, "POST", f"/carriers/{carrier['handle']}", json={"quoting": False})
    await control(stack, "POST", f"/shipments/{draft['carrierShipmentId']}/complete")
    refreshed = (await stack.gql(refresh, {"id": draft["id"]}))["data"]["refreshShipment"]
    assert refreshed == {"status": "DRAFT", "carrierStatus": "failed"}


@pytest.mark.parametrize("format", ["PDF", "PNG", "ZPL"])
async def test_labels_in_the_requested_format(stack: Stack, format: str) -> None:
    booked = await book(
        stack, carrier="ENVOY", shipment=envoy_shipment(label={"format": format.lower()})
    )
    body = await stack.gql(LABELS, {"ids": [booked["id"]], "format": format})
    payload = body["data"]["labels"]
    assert payload["userErrors"] == []
    [label] = payload["labels"]
    [document] = label["documents"]
    assert document["kind"] == "LABEL" and document["format"] == format
    content = (await stack.http.get(document["url"])).content
    magic = {"PDF": b"%PDF", "PNG": b"\x89PNG", "ZPL": b"^XA"}[format]
    assert content.startswith(magic)
    other = "ZPL" if format != "ZPL" else "PDF"
    refused = await stack.gql(LABELS, {"ids": [booked["id"]], "format": other})
    [error] = refused["data"]["labels"]["userErrors"]
    assert error["code"] == "UNSUPPORTED" and error["field"] == ["format"]


async def test_tracking_a_booking_reads_envoy(stack: Stack) -> None:
    booked = await book(stack, carrier="ENVOY", shipment=envoy_shipment())
    shipment = (await stack.gql(GET, {"id": booked["id"]}))["data"]["shipment"]
    assert shipment["status"] == "CREATED"
    query = "query T($n: String!) { track(carrier: ENVOY, trackingNumber: $n) { status } }"
    tracked = await stack.gql(query, {"n": booked["carrierShipmentId"]})
    assert tracked["data"]["track"]["status"] == "CREATED"


async def test_update_and_cancel_are_unsupported(stack: Stack) -> None:
    booked = await book(stack, carrier="ENVOY", shipment=envoy_shipment())
    update = """mutation U($id: ID!) { updateShipment(input: {id: $id, patch: {instructions: "x"}})
      { userErrors { code carrier } } }"""
    cancel = "mutation C($id: ID!) { cancelShipment(input: {id: $id}) { userErrors { code } } }"
    updated = await stack.gql(update, {"id": booked["id"]})
    assert updated["data"]["updateShipment"]["userErrors"][0]["code"] == "UNSUPPORTED"
    cancelled = await stack.gql(cancel, {"id": booked["id"]})
    assert cancelled["data"]["cancelShipment"]["userErrors"][0]["code"] == "UNSUPPORTED"


async def test_listings_walk_across_cursors(stack: Stack) -> None:
    await asyncio.gather(
        *(book(stack, carrier="ENVOY", shipment=envoy_shipment(f"SO-L{n}")) for n in range(7))
    )
    seen: list[str] = []
    after = None
    while True:
        page = (await stack.gql(LIST, {"first": 3, "after": after}))["data"]["shipments"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 7
    carrier = EnvoyCarrier(
        base_url=f"{stack.sandbox}/envoy", access_token=ENVOY_ACCESS_TOKEN, timeout_s=3
    )
    try:
        ids: list[str] = []
        cursor = None
        while True:
            items, cursor = await carrier.list_shipments(cursor, 2)
            ids += [item.shipment_id for item in items]
            if cursor is None:
                break
    finally:
        await carrier.aclose()
    assert sorted(ids) == sorted(s["id"] for s in await envoy_shipments(stack))


async def test_envoy_errors_come_back_beside_the_rates(stack: Stack) -> None:
    carriers = await control(stack, "GET", "/carriers")
    handles = [c["handle"] for c in carriers["carriers"]] if "carriers" in carriers else []
    handle = handles[0] if handles else "dhl_express"
    await control(stack, "POST", f"/carriers/{handle}", json={"quoting": False})
    answer = await quote(stack, envoy_shipment())
    assert answer["rates"]
    assert any(
        error["carrier"] == "ENVOY" and error["code"] == "VALIDATION" for error in answer["errors"]
    ), answer["errors"]


# --- webhooks (carriers/envoy/webhooks.py's stated assumption) --------------------------


async def hook(stack: Stack, body: bytes, secret: str = ENVOY_WEBHOOK_SECRET) -> Any:
    headers = {"X-Envoy-Signature": webhooks.sign(secret, body)}
    return await stack.http.post(f"{stack.gateway}/webhooks/envoy", content=body, headers=headers)


async def sent(stack: Stack) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await control(stack, "GET", "/webhooks?wait=1"))["webhooks"]
    return found


async def test_a_booking_hears_the_simulators_webhooks(stack: Stack) -> None:
    booked = await book(stack, carrier="ENVOY", shipment=envoy_shipment())
    attempts = await sent(stack)
    assert [a["event"] for a in attempts] == ["shipment.rated", "shipment.purchased"]
    assert all(a["status_code"] in (200, 202) for a in attempts), attempts
    shown = (await stack.gql(GET, {"id": booked["id"]}))["data"]["shipment"]
    assert (shown["status"], shown["carrierStatus"]) == ("CREATED", "purchased")
    assert "purchased" in [log["carrierStatus"] for log in shown["trackingLogs"]]


async def test_a_slow_creation_is_heard_of_without_polling(stack: Stack) -> None:
    await control(stack, "POST", "/async-create", json={"count": 1, "delay_s": 30})
    body = await stack.gql(CREATE, {"input": {"carrier": "ENVOY", "shipment": envoy_shipment()}})
    draft = body["data"]["createShipment"]["shipment"]
    assert (draft["status"], draft["carrierStatus"]) == ("DRAFT", "created")
    await control(stack, "POST", f"/shipments/{draft['carrierShipmentId']}/complete")
    [attempt] = await sent(stack)
    assert (attempt["event"], attempt["status_code"]) == ("shipment.rated", 200)
    shown = (await stack.gql(GET, {"id": draft["id"]}))["data"]["shipment"]
    assert (shown["status"], shown["carrierStatus"]) == ("DRAFT", "rated")
    again = await hook(stack, json.dumps(attempt["body"]).encode())
    assert (again.status_code, again.json()["applied"]) == (200, 0)  # applied once


async def test_hostile_webhooks_are_refused_and_change_nothing(stack: Stack) -> None:
    booked = await book(stack, carrier="ENVOY", shipment=envoy_shipment())
    [*_, purchased] = await sent(stack)
    good = purchased["body"]
    before = (await stack.gql(GET, {"id": booked["id"]}))["data"]["shipment"]
    forged = json.dumps({**good, "data": {**good["data"], "status": "cancelled"}}).encode()
    assert (await hook(stack, forged, secret="guessed")).status_code == 401
    unsigned = await stack.http.post(f"{stack.gateway}/webhooks/envoy", content=forged)
    assert unsigned.status_code == 401
    for body in (
        b"{not json",
        b"[]",
        json.dumps({"event": "shipment.purchased", "data": "shp"}).encode(),
        json.dumps({**good, "data": {**good["data"], "id": 12}}).encode(),
        json.dumps({**good, "data": {**good["data"], "status": ["purchased"]}}).encode(),
        b"[" * 10_000,
    ):
        answer = await hook(stack, body)
        assert answer.status_code == 400, (body[:60], answer.text)
        assert answer.json()["error"]
    huge = json.dumps({**good, "padding": "x" * 2_000_000}).encode()
    assert (await hook(stack, huge)).status_code == 413
    unknown = {**good, "data": {**good["data"], "id": "shp_notbookedhere"}}
    assert (await hook(stack, json.dumps(unknown).encode())).status_code == 202
    after = (await stack.gql(GET, {"id": booked["id"]}))["data"]["shipment"]
    assert after == before


ITEMS = """
query Items($id: ID!) {
  shipment(id: $id) { parcels { items { sku name quantity hsTariffCode } } }
}
"""


def customs_shipment(reference: str) -> dict[str, Any]:
    shipment = envoy_shipment(reference)
    [item] = shipment["parcels"][0]["items"]
    item.update(quantity=2, weightKg=0.3, hsTariffCode="2201.10.0000")
    shipment["customs"] = {
        "contentsType": "MERCHANDISE",
        "contentsDescription": "mineral water",
        "incoterm": "DDP",
        "declarantName": "Budi Santoso",
        "certify": True,
        "restriction": "NONE",
        "identifiers": [
            {
                "entityType": "EXPORT",
                "type": "LICENSE",
                "value": "EXP-77",
                "issuingCountryCode": "id",
            }
        ],
        "taxIdentifiers": [
            {"type": "VAT", "value": "01.234.567.8-901.000", "entityType": "SENDER"}
        ],
    }
    return shipment


async def test_a_booking_with_customs_declares_it_to_envoy(stack: Stack) -> None:
    booked = await book(stack, carrier="ENVOY", shipment=customs_shipment("SO-C1"))
    assert booked["status"] == "CREATED"
    [raw] = await envoy_shipments(stack)
    assert raw["customs"] == {
        "contents_type": "merchandise",
        "contents_description": "mineral water",
        "incoterm": "ddp",
        "restriction_type": "none",
        "declarant": {"name": "Budi Santoso", "certify": True},
        "identifiers": [
            {
                "entity_type": "export",
                "identifier_type": "license",
                "value": "EXP-77",
                "issuing_country_code": "ID",
            }
        ],
        "items": [
            {
                "description": "Air Mineral 300 ML",
                "quantity": 2,
                "value": 1250000,  # IDR 12 500 in sen
                "currency_code": "IDR",
                "mass": 600,
                "product_identifier": "2192x127y",
                # Customs Item Model: "spaces and periods are ignored, and may be removed".
                "hs_tariff_code": "2201100000",
            }
        ],
    }
    assert raw["tax_identifiers"] == [
        {"taxable_entity_type": "sender", "identifier_type": "vat", "value": "01.234.567.8-901.000"}
    ]
    read = (await stack.gql(ITEMS, {"id": booked["id"]}))["data"]["shipment"]
    assert read["parcels"][0]["items"][0]["hsTariffCode"] == "2201.10.0000"


async def test_a_declaration_envoy_cannot_take_is_refused_before_envoy_is_called(
    stack: Stack,
) -> None:
    shipment = customs_shipment("SO-C2")
    shipment["parcels"][0]["items"][0]["quantity"] = 1.5
    shipment["customs"]["identifiers"][0]["value"] = " "
    shipment["customs"]["restriction"] = "QUARANTINE"
    body = await stack.gql(CREATE, {"input": {"carrier": "ENVOY", "shipment": shipment}})
    payload = body["data"]["createShipment"]
    assert payload["shipment"] is None
    fields = {tuple(error["field"]) for error in payload["userErrors"]}
    customs = ("shipment", "customs")
    assert fields == {(*customs, "identifiers", "0", "value"), (*customs, "restrictionDescription")}
    shipment["customs"]["identifiers"][0]["value"] = "EXP-77"
    shipment["customs"]["restriction"] = "NONE"
    shipment["carrierOptions"] = {"ENVOY": {"customs": {"incoterm": "dap"}}}
    payload = (await stack.gql(CREATE, {"input": {"carrier": "ENVOY", "shipment": shipment}}))[
        "data"
    ]["createShipment"]
    fields = {(tuple(e["field"]), e["code"]) for e in payload["userErrors"]}
    assert fields == {
        (("shipment", "parcels", "0", "items", "0", "quantity"), "VALIDATION"),
        (("shipment", "carrierOptions", "ENVOY", "customs"), "VALIDATION"),
    }
    assert (await control(stack, "GET", "/counters"))["creates"] == 0


async def test_a_rate_books_only_the_declaration_it_was_quoted_with(stack: Stack) -> None:
    rates = (await quote(stack, envoy_shipment("SO-C3")))["rates"]
    declared = customs_shipment("SO-C3")
    declared["parcels"][0]["items"][0].update(quantity=1, weightKg=None, hsTariffCode=None)
    body = await stack.gql(CREATE, {"input": {"rateId": rates[0]["id"], "shipment": declared}})
    [error] = body["data"]["createShipment"]["userErrors"]
    assert error["field"] == ["rateId"] and "customs" in error["message"]
    assert (await control(stack, "GET", "/counters"))["purchases"] == 0
    rates = (await quote(stack, declared))["rates"]
    booked = await book(stack, rateId=rates[0]["id"], shipment=declared)
    assert booked["status"] == "CREATED"
    [raw] = [s for s in await envoy_shipments(stack) if s["status"] == "purchased"]
    assert raw["customs"]["incoterm"] == "ddp" and raw["customs"]["items"][0]["quantity"] == 1


async def test_domestic_carriers_quote_a_shipment_with_customs_as_without(stack: Stack) -> None:
    answer = await quote(stack, customs_shipment("SO-C4"), "BORZO", "ENVOY")
    assert answer["errors"] == []
    assert {rate["carrier"] for rate in answer["rates"]} == {"BORZO", "ENVOY"}
