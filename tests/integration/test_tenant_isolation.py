"""A tenant sees only its own shipments, however it spells another tenant's numbers.

Tenant acme books on every carrier. Tenant globex then asks for those shipments with
every spelling of every identity they have (reference, tracking number, carrier id,
gateway id): leading zeros, spaces, other digits, signs, case... ``track`` must answer
exactly what it answers for a number nobody booked, every other entry point must
find nothing, and acme still sees its own. Crafted carrier callbacks with those
spellings must never land on acme's shipment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from shipgraph.resolvers.validation import tracking_number_problem
from shipgraph.sandbox.mounts import (
    BORZO_CALLBACK_SECRET,
    ENTREGO_WEBHOOK_TOKEN,
    ENVIO_API_KEY,
    ENVIO_WEBHOOK_TOKEN,
)
from tests.integration.operations import CANCEL, CREATE, GET, LIST, UPDATE, shipment_input
from tests.support.clock import days_ahead, stamp
from tests.support.stack import Backend, Stack, running_stack
from tests.support.ws import TRANSPORT_WS, GraphQLSocket

OWNER, PROBER = "acme", "globex"
CARRIERS = ("ENVIO", "BORZO", "ENVOY", "ENTREGO")
IDENTITIES = ("reference", "trackingNumber", "carrierShipmentId", "id")

TRACK = """query T($carrier: CarrierCode!, $n: String!) {
  track(carrier: $carrier, trackingNumber: $n) {
    carrier trackingNumber status carrierStatus receivedBy
    logs { status message occurredAt }
  }
}"""

# A number of each carrier's form that nobody booked: what every probe must look like.
UNKNOWN = {
    "ENVIO": "S9999999999",
    "BORZO": "999999999",
    "ENVOY": "shp_0ujzPyRiIAffKhBux4PvQdDqMHY",
    "ENTREGO": "0031-9999999999",
}

_DIGITS = "0123456789"
FULLWIDTH = str.maketrans(_DIGITS, "".join(chr(0xFF10 + d) for d in range(10)))
ARABIC_INDIC = str.maketrans(_DIGITS, "".join(chr(0x0660 + d) for d in range(10)))
SUPERSCRIPT = str.maketrans(_DIGITS, "⁰¹²³⁴⁵⁶⁷⁸⁹")

SPELLINGS: dict[str, Callable[[str], str]] = {
    "as booked": lambda n: n,
    "0 + n": lambda n: "0" + n,
    "00 + n": lambda n: "00" + n,
    "space + n": lambda n: " " + n,
    "n + space": lambda n: n + " ",
    "tab + n + newline": lambda n: "\t" + n + "\n",
    "fullwidth digits": lambda n: n.translate(FULLWIDTH),
    "fullwidth 0 + n": lambda n: "\uff10" + n,
    "arabic-indic digits": lambda n: n.translate(ARABIC_INDIC),
    "superscript digits": lambda n: n.translate(SUPERSCRIPT),
    "+ n": lambda n: "+" + n,
    "- n": lambda n: "-" + n,
    "n.0": lambda n: n + ".0",
    "n e0": lambda n: n + "e0",
    "upper case": str.upper,
    "lower case": str.lower,
    "swapped case": str.swapcase,
    "zero-width space": lambda n: "\u200b" + n,
    "n + NUL": lambda n: n + "\x00",
    "n + /": lambda n: n + "/",
    "../ + n": lambda n: "../" + n,
    "n + ?x=1": lambda n: n + "?x=1",
}


@pytest.fixture
async def stack(backend: Backend) -> AsyncIterator[Stack]:
    async with running_stack(backend, carrier_timeout_s=5.0) as running:
        yield running


def _philippine(reference: str) -> dict[str, Any]:
    address = {"countryCode": "PH", "postalCode": "1103", "village": "Kamuning"}
    return shipment_input(
        reference,
        description="Shoes",
        origin={
            **address,
            "name": "Juan Cruz",
            "phone": "09171234567",
            "line1": "1 Rizal Ave",
            "city": "Quezon City",
            "province": "Metro Manila",
        },
        destination={
            **address,
            "name": "Maria Santos",
            "phone": "09181234567",
            "line1": "2 Osmena Blvd",
            "city": "Cebu City",
            "province": "Cebu",
            "village": "Lahug",
            "postalCode": "6000",
        },
        parcels=[{"weightKg": 1.5, "lengthCm": 30, "widthCm": 20, "heightCm": 10}],
        cashOnDelivery={"amount": "1500", "currency": "PHP"},
        carrierOptions={
            "ENTREGO": {"packageType": "POUCH", "packageSize": "SMALL", "serviceType": "FDY"}
        },
    )


def shipment_for(carrier: str, reference: str) -> dict[str, Any]:
    if carrier == "ENTREGO":
        return _philippine(reference)
    shipment = shipment_input(reference, description="Documents")
    if carrier == "ENVOY":
        del shipment["cashOnDelivery"]
    return shipment


async def book(stack: Stack, carrier: str, reference: str, tenant: str = OWNER) -> dict[str, Any]:
    variables = {"input": {"carrier": carrier, "shipment": shipment_for(carrier, reference)}}
    body = await stack.gql(CREATE, variables, tenant=tenant)
    payload = body["data"]["createShipment"]
    assert payload["userErrors"] == [], payload
    booked: dict[str, Any] = payload["shipment"]
    return booked


async def book_everywhere(stack: Stack) -> dict[str, dict[str, Any]]:
    return {carrier: await book(stack, carrier, f"SO-ACME-{carrier}") for carrier in CARRIERS}


def answer_of(body: dict[str, Any]) -> tuple[Any, tuple[tuple[str, str | None], ...]]:
    """What a caller learns: the data, and each error's message and code."""
    errors = tuple(
        (error["message"], (error.get("extensions") or {}).get("code"))
        for error in body.get("errors") or ()
    )
    return body.get("data"), errors


async def track(stack: Stack, carrier: str, number: str, tenant: str) -> Any:
    return answer_of(await stack.gql(TRACK, {"carrier": carrier, "n": number}, tenant=tenant))


def probes(shipment: dict[str, Any]) -> dict[str, str]:
    """Every spelling of every identity of the shipment, each string once."""
    found: dict[str, str] = {}
    for identity in IDENTITIES:
        value = shipment.get(identity)
        if not value:
            continue
        for name, spell in SPELLINGS.items():
            found.setdefault(spell(str(value)), f"{identity}: {name}")
    return found


async def test_track_never_shows_another_tenants_shipment(stack: Stack) -> None:
    booked = await book_everywhere(stack)
    tally: Counter[tuple[str, str]] = Counter()
    for carrier, shipment in booked.items():
        unknown = await track(stack, carrier, UNKNOWN[carrier], PROBER)
        if carrier == "ENTREGO":
            assert unknown[1] and unknown[1][0][1] == "UNSUPPORTED", unknown
        else:
            assert unknown == ({"track": None}, ()), unknown
        for number, label in probes(shipment).items():
            answer = await track(stack, carrier, number, PROBER)
            # A spelling no carrier's number can have is refused as such, whoever's it is.
            problem = tracking_number_problem(number.strip())
            expected = unknown if problem is None else ({"track": None}, ((problem, "VALIDATION"),))
            assert answer == expected, (carrier, label, repr(number), answer)
            tally[(carrier, "null" if not answer[1] else str(answer[1][0][1]))] += 1
    print(f"\ntrack probes as {PROBER}: {sum(tally.values())}, answers: {dict(tally)}")
    assert sum(tally.values()) >= 4 * 60

    # The owner still tracks its own, by the numbers each carrier reads by.
    envio, borzo, envoy = booked["ENVIO"], booked["BORZO"], booked["ENVOY"]
    own = [
        ("ENVIO", envio["trackingNumber"]),
        ("ENVIO", envio["reference"]),  # Envio reads by reference too: acme's own
        ("ENVIO", " " + envio["trackingNumber"] + " "),
        ("BORZO", borzo["carrierShipmentId"]),
        ("BORZO", borzo["trackingNumber"]),  # the order_name, read by its order_id
        ("ENVOY", envoy["carrierShipmentId"]),
    ]
    for carrier, number in own:
        data, errors = await track(stack, carrier, number, OWNER)
        assert errors == () and data["track"]["status"] == "CREATED", (carrier, number, data)
    for carrier, shipment in (("ENVIO", envio), ("BORZO", borzo)):
        data, _ = await track(stack, carrier, shipment["trackingNumber"], OWNER)
        assert data["track"]["trackingNumber"] == shipment["trackingNumber"], (carrier, data)


async def test_an_envio_reference_shows_only_its_owners_shipment(stack: Stack) -> None:
    """The issue's example: Envio's tracking reads a reference too."""
    mine = await book(stack, "ENVIO", "SO-SHARED-NAME")
    await stack.advance(mine["trackingNumber"])  # a log worth stealing
    data, errors = await track(stack, "ENVIO", "SO-SHARED-NAME", PROBER)
    assert (data, errors) == ({"track": None}, ())
    data, errors = await track(stack, "ENVIO", "SO-SHARED-NAME", OWNER)
    assert errors == () and data["track"]["trackingNumber"] == mine["trackingNumber"]
    assert data["track"]["logs"]


async def test_an_unbooked_envio_shipment_is_tracked_by_its_code_not_its_reference(
    stack: Stack,
) -> None:
    """A shipment on the shared account that no tenant has (made outside the gateway,
    or its booking not stored yet): its public code tracks it, a reference never."""
    body = json.loads(json.dumps(shipment_for("ENVIO", "SO-OUTSIDE")))
    made = await stack.http.post(
        f"{stack.envio}/distribution",
        json=_envio_create_body(body),
        headers={"Authorization": ENVIO_API_KEY},
    )
    assert made.status_code in (200, 201), made.text
    code = made.json()["data"]["code"]
    data, errors = await track(stack, "ENVIO", code, PROBER)
    assert errors == () and data["track"]["trackingNumber"] == code
    for number in ("SO-OUTSIDE", code.lower(), "0" + code):
        assert await track(stack, "ENVIO", number, PROBER) == ({"track": None}, ())


def _envio_create_body(shipment: dict[str, Any]) -> dict[str, Any]:
    party = {
        "name": "DC Jakarta",
        "contact_person": "Budi",
        "phone_number": "628767438745",
        "address": "Jl. Raya Perancis No. 17",
    }
    return {
        "ref_code": shipment["reference"],
        "cod_value": 0,
        "pickup_address": party,
        "recipient": {k: v for k, v in party.items() if k != "name"},
        "items": [
            {
                "item_code": "x1",
                "item_name": "Air Mineral",
                "quantity": 1,
                "weight": 10,
                "long": 10,
                "high": 20,
                "wide": 30,
                "unit_price": 12500,
            }
        ],
        "eta_at": shipment["deliverBy"],
        "etd_at": shipment["pickupAt"],
    }


async def test_too_long_a_tracking_number_is_a_validation_error(stack: Stack) -> None:
    for carrier in ("ENVIO", "BORZO", "ENVOY"):
        for number in ("9" * 5000, "S" * 900_000):
            data, errors = await track(stack, carrier, number, PROBER)
            assert data == {"track": None} or data is None
            assert [code for _, code in errors] == ["VALIDATION"], (carrier, errors)


LABELS = """mutation L($ids: [ID!]!) {
  labels(input: {ids: $ids}) { labels { shipment { id } } userErrors { code field } }
}"""
REFRESH = "mutation R($id: ID!) { refreshShipment(id: $id) { id status } }"
NODE = "query N($id: ID!) { node(id: $id) { id } }"
COURIER = "subscription C($id: ID!) { courierLocation(id: $id) { name } }"


async def test_no_other_entry_point_reaches_another_tenants_shipment(stack: Stack) -> None:
    booked = await book_everywhere(stack)
    await book(stack, "ENVIO", "SO-GLOBEX-OWN", tenant=PROBER)  # the prober has its own
    count = 0
    for carrier, shipment in booked.items():
        before = (await stack.gql(GET, {"id": shipment["id"]}))["data"]["shipment"]
        for number in probes(shipment):
            for query, variables, empty in (
                (GET, {"id": number}, {"shipment": None}),
                (NODE, {"id": number}, {"node": None}),
                (REFRESH, {"id": number}, {"refreshShipment": None}),
            ):
                assert answer_of(await stack.gql(query, variables, tenant=PROBER)) == (empty, ())
                count += 1
            for field in ("reference", "trackingNumber"):
                variables = {"filter": {"carrier": carrier, field: number}}
                listing = await stack.gql(LIST, variables, tenant=PROBER)
                assert listing["data"]["shipments"]["edges"] == [], (carrier, field, number)
                count += 1
        theirs = {"input": {"id": shipment["id"]}}
        patch = {"instructions": "leave it with the neighbour"}
        update = await stack.gql(
            UPDATE, {"input": {"id": shipment["id"], "patch": patch}}, tenant=PROBER
        )
        cancel = await stack.gql(CANCEL, theirs, tenant=PROBER)
        labels = await stack.gql(LABELS, {"ids": [shipment["id"]]}, tenant=PROBER)
        assert [e["code"] for e in update["data"]["updateShipment"]["userErrors"]] == ["NOT_FOUND"]
        assert [e["code"] for e in cancel["data"]["cancelShipment"]["userErrors"]] == ["NOT_FOUND"]
        assert labels["data"]["labels"] == {
            "labels": [],
            "userErrors": [{"code": "NOT_FOUND", "field": ["ids", "0"]}],
        }
        count += 3
        after = (await stack.gql(GET, {"id": shipment["id"]}))["data"]["shipment"]
        assert after == before  # the owner's shipment is untouched
    everything = await stack.gql(LIST, {"first": 100}, tenant=PROBER)
    assert [e["node"]["reference"] for e in everything["data"]["shipments"]["edges"]] == [
        "SO-GLOBEX-OWN"
    ]
    socket = await GraphQLSocket.connect(stack.gateway, TRANSPORT_WS, "Bearer key-globex")
    try:
        assert await socket.acknowledged()
        await socket.subscribe(COURIER, {"id": booked["BORZO"]["id"]})
        message = await socket.receive()
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    finally:
        await socket.close()
    print(f"\nother entry points probed as {PROBER}: {count + 2}, all empty or NOT_FOUND")


# --- carrier callbacks ---------------------------------------------------------------


async def post_borzo(stack: Stack, event: dict[str, Any]) -> int:
    raw = json.dumps(event).encode()
    signature = hmac.new(BORZO_CALLBACK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = await stack.http.post(
        f"{stack.gateway}/webhooks/borzo", content=raw, headers={"X-DV-Signature": signature}
    )
    return response.status_code


async def post_envio(stack: Stack, event: dict[str, Any]) -> int:
    response = await stack.http.post(
        f"{stack.gateway}/webhooks/envio", params={"token": ENVIO_WEBHOOK_TOKEN}, json=event
    )
    return response.status_code


async def post_entrego(stack: Stack, event: dict[str, Any]) -> int:
    response = await stack.http.post(
        f"{stack.gateway}/webhooks/entrego",
        json=event,
        headers={"Authorization": f"Bearer {ENTREGO_WEBHOOK_TOKEN}"},
    )
    return response.status_code


async def borzo_order(stack: Stack, order_id: str) -> dict[str, Any]:
    await stack.http.get(f"{stack.sandbox}/borzo/_control/callbacks", params={"wait": 1})
    listed = (await stack.http.get(f"{stack.sandbox}/borzo/_control/orders")).json()["orders"]
    order: dict[str, Any] = next(o for o in listed if str(o["order_id"]) == order_id)
    return order


def spellings_of(value: str) -> list[str]:
    return [s for s in dict.fromkeys(spell(value) for spell in SPELLINGS.values()) if s != value]


async def shipment_now(stack: Stack, shipment_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await stack.gql(GET, {"id": shipment_id}))["data"]["shipment"]
    return found


async def test_crafted_callback_identities_never_land_on_another_shipment(stack: Stack) -> None:
    booked = await book_everywhere(stack)
    borzo, envio, entrego = booked["BORZO"], booked["ENVIO"], booked["ENTREGO"]
    order = await borzo_order(stack, borzo["carrierShipmentId"])
    before = {c: await shipment_now(stack, booked[c]["id"]) for c in ("BORZO", "ENVIO", "ENTREGO")}
    at = stamp(days_ahead(0, 10))
    delivered = {**order, "status": "completed"}
    delivered["points"] = [
        *order["points"][:-1],
        {**order["points"][-1], "delivery": {"status": "finished"}},
    ]
    statuses: Counter[tuple[str, int]] = Counter()

    order_id = borzo["carrierShipmentId"]
    crafted_ids: list[object] = [
        *spellings_of(order_id),
        float(order_id),
        -int(order_id),
        int(order_id) + 10**18,
        [int(order_id)],
        {"id": order_id},
    ]
    for crafted in crafted_ids:
        event = {
            "event_type": "order_changed",
            "event_datetime": at,
            "order": {**delivered, "order_id": crafted},
        }
        status = await post_borzo(stack, event)
        assert status in (202, 400), (crafted, status)
        statuses[("BORZO order_id", status)] += 1
        delivery = {
            "event_type": "delivery_changed",
            "event_datetime": at,
            "delivery": {
                "order_id": crafted,
                "order_name": order["order_name"],
                "status": "active",
            },
        }
        status = await post_borzo(stack, delivery)
        assert status in (202, 400), (crafted, status)
        statuses[("BORZO delivery order_id", status)] += 1
    # Another order that shares the short order_name (Borzo's repeat every 100 000):
    # kept for that order, never merged into acme's.
    for other in (int(order_id) + 100_000, int(order_id) + 200_000):
        event = {
            "event_type": "order_changed",
            "event_datetime": at,
            "order": {**delivered, "order_id": other},
        }
        assert await post_borzo(stack, event) == 202
        statuses[("BORZO same order_name, other order_id", 202)] += 1

    code = envio["trackingNumber"]
    for crafted in [*spellings_of(code), envio["reference"], envio["carrierShipmentId"]]:
        event = {
            "code": "M1",
            "shipment": {"code": crafted, "ref_code": envio["reference"]},
            "status": "delivered",
            "received_by": "Mallory",
            "ata_at": at,
        }
        status = await post_envio(stack, event)
        assert status in (202, 400), (crafted, status)
        statuses[("ENVIO shipment.code", status)] += 1

    number = entrego["trackingNumber"]
    for crafted in [*spellings_of(number), entrego["carrierShipmentId"], entrego["reference"]]:
        event = {"status": "DELIVERED", "tracking_number": crafted, "timestamp": at}
        status = await post_entrego(stack, event)
        assert status in (202, 400), (crafted, status)
        statuses[("ENTREGO tracking_number", status)] += 1

    for carrier, was in before.items():
        assert await shipment_now(stack, booked[carrier]["id"]) == was, carrier
    print(f"\ncrafted callbacks: {sum(statuses.values())}, answers: {dict(statuses)}")

    # The exact identity does apply: the probes above could have.
    assert (
        await post_borzo(
            stack, {"event_type": "order_changed", "event_datetime": at, "order": delivered}
        )
        == 200
    )
    assert (
        await post_envio(
            stack, {"code": "M1", "shipment": {"code": code}, "status": "delivered", "ata_at": at}
        )
        == 200
    )
    assert (
        await post_entrego(
            stack, {"status": "DELIVERED", "tracking_number": number, "timestamp": at}
        )
        == 200
    )
    for carrier in before:
        assert (await shipment_now(stack, booked[carrier]["id"]))["status"] == "DELIVERED"


async def test_a_tenant_cannot_take_another_tenants_entrego_tracking_number(
    stack: Stack,
) -> None:
    """Entrego lets the client choose its tracking numbers: globex choosing acme's (in
    any spelling) must not make acme's updates globex's."""
    mine = await book(stack, "ENTREGO", "PH-ACME")
    number = mine["trackingNumber"]
    taken = Counter[str]()
    for n, chosen in enumerate([number, *spellings_of(number)]):
        shipment = _philippine(f"PH-GLOBEX-{n}")
        shipment["carrierOptions"]["ENTREGO"]["trackingNumber"] = chosen
        body = await stack.gql(
            CREATE, {"input": {"carrier": "ENTREGO", "shipment": shipment}}, tenant=PROBER
        )
        payload = body["data"]["createShipment"]
        if payload["shipment"] is None:
            taken["refused"] += 1
            assert payload["userErrors"], payload
            continue
        taken["booked"] += 1
        assert payload["shipment"]["trackingNumber"] != number
    assert taken["refused"] >= 1  # the exact number at least
    # No spelling broke Entrego for everyone (its breaker opens on 5xx).
    await book(stack, "ENTREGO", "PH-ACME-2")
    at = stamp(days_ahead(0, 10))
    event = {"status": "DELIVERED", "tracking_number": number, "timestamp": at}
    assert await post_entrego(stack, event) == 200
    assert (await shipment_now(stack, mine["id"]))["status"] == "DELIVERED"
    listing = await stack.gql(LIST, {"first": 100}, tenant=PROBER)
    assert all(e["node"]["status"] != "DELIVERED" for e in listing["data"]["shipments"]["edges"])
    print(f"\nglobex choosing acme's Entrego number: {dict(taken)}")
