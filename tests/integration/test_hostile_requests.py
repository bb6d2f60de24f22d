"""Hostile GraphQL requests through the real HTTP stack: each gets a 400 or a coded
GraphQL error at once, never a 500, an INTERNAL_SERVER_ERROR or a stalled loop.

Nothing here measures time: a probe that stalled the loop before (a fragment bomb)
is shown to be answered, and /healthz to answer meanwhile."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import websockets

from shipgraph.domain import CarrierCode
from tests.integration.operations import CANCEL, CREATE, LIST, shipment_input
from tests.support.clock import now
from tests.support.stack import KEYS, Stack, running_stack
from tests.support.ws import LEGACY_WS, TRANSPORT_WS, GraphQLSocket

AUTH = {"Authorization": f"Bearer {KEYS['acme']}"}
JSON_HEADERS = {**AUTH, "Content-Type": "application/json"}
GRAPHQL_RESPONSE = {**JSON_HEADERS, "Accept": "application/graphql-response+json"}
CARRIERS = [code.value for code in CarrierCode]
TRACK = (
    "query T($c: CarrierCode!, $n: String!) { track(carrier: $c, trackingNumber: $n) { status } }"
)
RATES = "query R($input: RatesInput!) { rates(input: $input) { rates { id } } }"

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


async def post(stack: Stack, body: Any, headers: dict[str, str] = JSON_HEADERS) -> httpx.Response:
    content = body if isinstance(body, bytes | str) else json.dumps(body)
    return await stack.http.post(f"{stack.gateway}/graphql", content=content, headers=headers)


def codes(response: httpx.Response) -> list[str]:
    """The code of every error; none may be a server failure."""
    assert response.status_code < 500, response.text
    errors = response.json().get("errors") or []
    assert errors, response.text
    found = [error["extensions"]["code"] for error in errors]
    assert "INTERNAL_SERVER_ERROR" not in found, response.text
    return found


def user_errors(response: httpx.Response, field: str) -> dict[tuple[str, ...], str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return {tuple(e["field"]): e["code"] for e in body["data"][field]["userErrors"]}


def nested(levels: int, leaf: str = "1") -> str:
    return "[" * levels + leaf + "]" * levels


def booking(carrier: str, reference: str = "SO-hostile", **changes: Any) -> dict[str, Any]:
    changes.setdefault("description", "Air mineral")
    return {"input": {"carrier": carrier, "shipment": shipment_input(reference, **changes)}}


# --- validation cost ----------------------------------------------------------------


def doubling(fragments: int) -> str:
    parts = ["fragment F0 on Query { __typename }"]
    parts += [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, fragments + 1)
    ]
    return f"query Q {{ ...F{fragments} }}\n" + "\n".join(parts)


@pytest.mark.parametrize("fragments", [21, 40])
async def test_a_fragment_bomb_is_refused_and_the_loop_keeps_answering(
    gateway: Stack, fragments: int
) -> None:
    bomb = asyncio.create_task(post(gateway, {"query": doubling(fragments)}))
    health = await gateway.http.get(f"{gateway.gateway}/healthz")
    assert health.status_code == 200
    response = await bomb
    assert codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    message = response.json()["errors"][0]["message"]
    assert f"selects {2**fragments} fields once its fragments are expanded" in message


async def test_the_field_limit_is_a_setting() -> None:
    query = "query Q { " + " ".join(f"a{i}: __typename" for i in range(6)) + " }"
    async with running_stack(max_fields=5, max_aliases=100) as narrow:
        body = (await post(narrow, {"query": query})).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Allowed: 5" in body["errors"][0]["message"]


async def test_an_unknown_fragment_is_a_validation_error(gateway: Stack) -> None:
    # Strawberry's depth limiter raised KeyError on it: an INTERNAL_SERVER_ERROR
    response = await post(gateway, {"query": "{ ...Nope }"})
    assert codes(response) == ["GRAPHQL_VALIDATION_FAILED"]


# --- huge numbers and money -----------------------------------------------------------


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("amount", ["1E+500000", "9" * 5000, "1E-500000"])
async def test_an_absurd_decimal_is_bad_user_input(
    gateway: Stack, carrier: str, amount: str
) -> None:
    variables = booking(carrier, cashOnDelivery={"amount": amount, "currency": "IDR"})
    response = await post(gateway, {"query": CREATE, "variables": variables})
    assert codes(response) == ["BAD_USER_INPUT"]
    assert "Decimal must" in response.json()["errors"][0]["message"]


async def test_an_absurd_decimal_literal_is_refused(gateway: Stack) -> None:
    for amount in ['"1E+500000"', "9" * 5000, "1e999"]:
        query = (
            'mutation { updateShipment(input: {id: "x", patch: {cashOnDelivery: '
            f'{{amount: {amount}, currency: "IDR"}}}}}}) {{ userErrors {{ code }} }} }}'
        )
        assert codes(await post(gateway, {"query": query})) == ["GRAPHQL_VALIDATION_FAILED"]


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_money_out_of_range_is_a_validation_error_at_its_field(
    gateway: Stack, carrier: str
) -> None:
    variables = booking(
        carrier,
        cashOnDelivery={"amount": "1E+20", "currency": "IDR"},
        declaredValue={"amount": "10.00001", "currency": "IDR"},
    )
    item = variables["input"]["shipment"]["parcels"][0]["items"][0]
    item["unitPrice"] = {"amount": "-1", "currency": "IDR"}
    response = await post(gateway, {"query": CREATE, "variables": variables})
    found = user_errors(response, "createShipment")
    assert found == {
        ("shipment", "cashOnDelivery", "amount"): "VALIDATION",
        ("shipment", "declaredValue", "amount"): "VALIDATION",
        ("shipment", "parcels", "0", "items", "0", "unitPrice", "amount"): "VALIDATION",
    }


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_absurd_measures_are_validation_errors(gateway: Stack, carrier: str) -> None:
    # 1e308 kg overflowed Envoy's unit conversion: an INTERNAL_SERVER_ERROR
    variables = booking(carrier)
    parcel = variables["input"]["shipment"]["parcels"][0]
    parcel.update(weightKg=1e308, lengthCm=1e308)
    parcel["items"][0]["quantity"] = 1e308
    response = await post(gateway, {"query": CREATE, "variables": variables})
    assert user_errors(response, "createShipment") == {
        ("shipment", "parcels", "0", "weightKg"): "VALIDATION",
        ("shipment", "parcels", "0", "lengthCm"): "VALIDATION",
        ("shipment", "parcels", "0", "items", "0", "quantity"): "VALIDATION",
    }


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize(
    "phone",
    ["9" * 10_000, "😀", "0812\u00003456", "0812", "0812 3456 7890 ext. 9", "٠٨١٢٣٤٥٦٧٨٩٠"],
    ids=["long", "emoji", "nul", "short", "extension", "arabic-indic"],
)
async def test_a_phone_no_one_can_dial_is_a_validation_error_at_its_field(
    gateway: Stack, carrier: str, phone: str
) -> None:
    destination = {**shipment_input()["destination"], "phone": phone}
    variables = booking(carrier, destination=destination)
    response = await post(gateway, {"query": CREATE, "variables": variables})
    assert user_errors(response, "createShipment") == {
        ("shipment", "destination", "phone"): "VALIDATION"
    }
    shipment = variables["input"]["shipment"]
    response = await post(gateway, {"query": RATES, "variables": {"input": {"shipment": shipment}}})
    assert codes(response) == ["VALIDATION"]


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_codes_that_name_no_country_or_currency_are_validation_errors(
    gateway: Stack, carrier: str
) -> None:
    destination = {**shipment_input()["destination"], "countryCode": "XX"}
    cod = {"amount": "1", "currency": "QQQ"}
    variables = booking(carrier, destination=destination, cashOnDelivery=cod)
    response = await post(gateway, {"query": CREATE, "variables": variables})
    assert user_errors(response, "createShipment") == {
        ("shipment", "destination", "countryCode"): "VALIDATION",
        ("shipment", "cashOnDelivery", "currency"): "VALIDATION",
    }


async def test_rates_refuse_absurd_money_before_asking_anyone(gateway: Stack) -> None:
    shipment = shipment_input("SO-rates", cashOnDelivery={"amount": "1E+20", "currency": "IDR"})
    response = await post(gateway, {"query": RATES, "variables": {"input": {"shipment": shipment}}})
    assert codes(response) == ["VALIDATION"]


# --- request bodies -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ __typename }", "variables": {"a": ' + nested(5000).encode() + b"}}",
        nested(5000, "{}").encode(),
        b'{"query": "{ __typename \xff\xfe }"}',
        b'{"query": "query($f: Int) { __typename }", "variables": {"f": ' + b"9" * 5000 + b"}}",
        b'{"query": "{ track(carrier: ENVIO, trackingNumber: \\"\\ud800\\") { status } }"}',
        b'{"query": "{ __typename }", "operationName": "\\udfff"}',
        b'{"query": "query($n: String!) { track(carrier: ENVIO, trackingNumber: $n) { status } }", '
        b'"variables": {"n": "a\\ud800"}}',
    ],
    ids=[
        "deep-variables",
        "deep-body",
        "bad-utf8",
        "long-integer",
        "surrogate-query",
        "surrogate-operation-name",
        "surrogate-variable",
    ],
)
async def test_a_hostile_body_is_a_400(gateway: Stack, body: bytes) -> None:
    response = await post(gateway, body)
    assert response.status_code == 400, response.text
    assert codes(response) == ["BAD_REQUEST"]


async def test_a_surrogate_pair_is_text(gateway: Stack) -> None:
    query = "query($n: String) { shipments(filter: {reference: $n}) { edges { cursor } } }"
    body = json.dumps({"query": query, "variables": {"n": "\ud83d\ude9a"}}, ensure_ascii=True)
    assert "\\ud83d\\ude9a" in body
    response = await post(gateway, body)
    assert response.json() == {"data": {"shipments": {"edges": []}}}


async def test_a_deep_carrier_options_variable_is_a_400(gateway: Stack) -> None:
    variables = json.dumps(booking("ENVIO"))[:-2] + ', "carrierOptions": {"ENVIO": '
    body = '{"query": ' + json.dumps(CREATE) + ', "variables": ' + variables
    body += '{"a":' * 900 + "1" + "}" * 900 + "}}}}"
    response = await post(gateway, body)
    assert response.status_code == 400, response.text


async def test_carrier_options_too_deep_or_too_large_for_graphql_are_validation_errors(
    gateway: Stack,
) -> None:
    deep: Any = 1
    for _ in range(20):
        deep = {"a": deep}
    wide = {f"k{i}": "x" * 100 for i in range(300)}
    for options in ({"ENVIO": deep}, {"ENVIO": wide}):
        response = await post(
            gateway, {"query": CREATE, "variables": booking("ENVIO", carrierOptions=options)}
        )
        assert user_errors(response, "createShipment") == {
            ("shipment", "carrierOptions"): "VALIDATION"
        }
    literal = "{a:" * 60 + "1" + "}" * 60
    query = (
        'mutation { createShipment(input: {carrier: ENVIO, shipment: {reference: "x", '
        'origin: {line1: "a", countryCode: "ID"}, destination: {line1: "b", countryCode: "ID"}, '
        f"parcels: [{{weightKg: 1}}], carrierOptions: {literal}}}}}) "
        "{ userErrors { field } } }"
    )
    response = await post(gateway, {"query": query})
    fields = [e["field"] for e in response.json()["data"]["createShipment"]["userErrors"]]
    assert ["shipment", "carrierOptions"] in fields


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize(
    "number", ["A" * 900_000, "9" * 5000, "AB\x00CD"], ids=["900KB", "5000-digits", "nul"]
)
async def test_a_hostile_tracking_number_is_a_validation_error(
    gateway: Stack, carrier: str, number: str
) -> None:
    response = await post(gateway, {"query": TRACK, "variables": {"c": carrier, "n": number}})
    assert codes(response) == ["VALIDATION"]
    assert "trackingNumber must" in response.json()["errors"][0]["message"]


async def test_free_text_is_bounded_at_its_field(gateway: Stack) -> None:
    variables = booking("ENVIO", reference="r" * 900, instructions="x" * 100_000)
    shipment = variables["input"]["shipment"]
    shipment["origin"]["name"] = "n" * 100_000
    shipment["destination"]["line1"] = "Jl.\x00"
    variables["input"]["idempotencyKey"] = "k" * 100_000
    response = await post(gateway, {"query": CREATE, "variables": variables})
    assert user_errors(response, "createShipment") == {
        ("shipment", "reference"): "VALIDATION",
        ("shipment", "instructions"): "VALIDATION",
        ("shipment", "origin", "name"): "VALIDATION",
        ("shipment", "destination", "line1"): "VALIDATION",
        ("idempotencyKey",): "VALIDATION",
    }


# month 13 of next year: never a date, whatever year the suite runs in
@pytest.mark.parametrize("value", ["x" * 100_000, f"{now().year + 1}-13-01T00:00:00Z", 5])
async def test_a_bad_date_time_is_bad_user_input_and_not_echoed_at_length(
    gateway: Stack, value: Any
) -> None:
    variables = booking("ENVIO", pickupAt=value)
    response = await post(gateway, {"query": CREATE, "variables": variables})
    assert codes(response) == ["BAD_USER_INPUT"]
    assert len(response.content) < 1000


async def test_a_long_cancel_reason_is_refused_before_the_carrier_hears_it(gateway: Stack) -> None:
    created = await post(gateway, {"query": CREATE, "variables": booking("ENVIO")})
    shipment_id = created.json()["data"]["createShipment"]["shipment"]["id"]
    for reason in ("x" * 100_000, "a\x00b"):
        variables = {"input": {"id": shipment_id, "reason": reason}}
        response = await post(gateway, {"query": CANCEL, "variables": variables})
        assert user_errors(response, "cancelShipment") == {("reason",): "VALIDATION"}


@pytest.mark.parametrize(
    "query",
    [
        "query($s: String!) { cleanAddress(address: $s) { provinceName } }",
        "query($s: ID) { locations(parentId: $s) { id } }",
        "query($s: String) { portCodes(island: $s) { code } }",
        'query($s: String) { portCodeFor(province: "Metro Manila", city: "Makati", '
        "barangay: $s) { code } }",
    ],
    ids=["cleanAddress", "locations", "portCodes", "portCodeFor"],
)
async def test_places_texts_are_bounded(gateway: Stack, query: str) -> None:
    # each went into Entrego's URL: httpx refused it and the answer was a 500
    response = await post(gateway, {"query": query, "variables": {"s": "x" * 100_000}})
    assert codes(response) == ["VALIDATION"]


async def test_too_many_label_ids_is_one_validation_error(gateway: Stack) -> None:
    query = "mutation($i: LabelsInput!) { labels(input: $i) { userErrors { field code } } }"
    ids = [f"shp_{i:024x}" for i in range(5000)]
    response = await post(gateway, {"query": query, "variables": {"i": {"ids": ids}}})
    assert user_errors(response, "labels") == {("ids",): "VALIDATION"}


# --- the request itself -----------------------------------------------------------------


@pytest.mark.parametrize("headers", [JSON_HEADERS, GRAPHQL_RESPONSE])
async def test_two_operations_without_a_name_is_a_request_error(
    gateway: Stack, headers: dict[str, str]
) -> None:
    query = "query A { __typename } mutation B { __typename }"
    response = await post(gateway, {"query": query}, headers)
    assert response.status_code == 400, response.text
    assert codes(response) == ["BAD_REQUEST"]
    assert "Must provide operation name" in response.json()["errors"][0]["message"]
    named = await post(
        gateway, {"query": query.replace("mutation B { __typename }", ""), "operationName": "A"}
    )
    assert named.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("name", ["A" * 100_000, 1, ["A"]], ids=["long", "number", "list"])
async def test_an_operation_name_that_is_no_name_is_a_400(gateway: Stack, name: Any) -> None:
    response = await post(gateway, {"query": "query A { __typename }", "operationName": name})
    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]
    assert len(response.content) < 1000, "the name is not sent back"


@pytest.mark.parametrize(
    "query",
    [
        "{ __typename " + " " * 900_000 + "}",
        "#" + "x" * 900_000 + "\n{ __typename }",
        "{ " + "__typename " * 85_000 + "}",
    ],
    ids=["whitespace", "comment", "tokens"],
)
async def test_a_huge_query_is_a_400(gateway: Stack, query: str) -> None:
    response = await post(gateway, {"query": query})
    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


async def test_a_huge_persisted_query_is_refused_and_not_stored(gateway: Stack) -> None:
    query = "{ __typename " + " " * 60_000 + "}"
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    response = await post(gateway, {"query": query, "extensions": extensions})
    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]
    again = await post(gateway, {"extensions": extensions})
    assert codes(again) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_a_huge_get_query_is_a_400(gateway: Stack) -> None:
    query = "{ __typename " + " " * 60_000 + "}"
    response = await gateway.http.get(
        f"{gateway.gateway}/graphql", params={"query": query}, headers=AUTH
    )
    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


@pytest.mark.parametrize(
    "raw",
    [nested(5000).encode(), b"[" + b"9" * 5000 + b',"x"]', b'[1e999,"x"]', b"\xff\xfe"],
    ids=["deep", "long-number", "infinite", "not-utf8"],
)
async def test_a_hostile_cursor_is_bad_user_input(gateway: Stack, raw: bytes) -> None:
    cursor = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    response = await post(gateway, {"query": LIST, "variables": {"first": 5, "after": cursor}})
    assert codes(response) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"c": "NOPE", "n": "1"}, "BAD_USER_INPUT"),
        ({"c": "ENVIO", "n": 12}, "BAD_USER_INPUT"),
        ({"c": ["ENVIO"], "n": "1"}, "BAD_USER_INPUT"),
    ],
    ids=["unknown-enum", "number-for-string", "list-for-enum"],
)
async def test_wrong_variables_are_bad_user_input(
    gateway: Stack, variables: dict[str, Any], code: str
) -> None:
    response = await post(gateway, {"query": TRACK, "variables": variables})
    assert codes(response) == [code]


@pytest.mark.parametrize(
    "persisted",
    [1, {"version": 1, "sha256Hash": "a" * 100_000}, {"version": True, "sha256Hash": "a" * 64}],
    ids=["number", "long-hash", "boolean-version"],
)
async def test_hostile_persisted_query_extensions_are_coded(gateway: Stack, persisted: Any) -> None:
    response = await post(gateway, {"extensions": {"persistedQuery": persisted}})
    assert set(codes(response)) <= {"BAD_REQUEST", "PERSISTED_QUERY_NOT_FOUND"}


# --- the WebSocket ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        '{"id": "1", "type": "subscribe", "payload": {"query": "subscription { shipmentUpdated '
        '{ previousStatus } }", "variables": {"a": ' + nested(5000) + "}}}",
        '{"id": "1", "type": "subscribe", "payload": {"query": "subscription($i: ID) { '
        'shipmentUpdated(id: $i) { previousStatus } }", "variables": {"i": "\\ud800"}}}',
    ],
    ids=["deep", "surrogate"],
)
async def test_a_hostile_websocket_message_closes_the_socket_with_4400(
    gateway: Stack, message: str
) -> None:
    socket = await GraphQLSocket.connect(gateway.gateway, authorization=AUTH["Authorization"])
    try:
        assert await socket.acknowledged()
        await socket.connection.send(message)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.receive()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    finally:
        await socket.close()


def _errors(message: dict[str, Any]) -> list[dict[str, Any]]:
    assert message["type"] == "error", message
    payload = message["payload"]
    return payload if isinstance(payload, list) else [payload]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_bad_subscription_over_a_websocket_carries_its_code(
    gateway: Stack, protocol: str
) -> None:
    socket = await GraphQLSocket.connect(gateway.gateway, protocol, AUTH["Authorization"])
    try:
        assert await socket.acknowledged()
        expected = {
            "subscription { nope }": "GRAPHQL_VALIDATION_FAILED",
            "subscription($i: ID!) { shipmentUpdated(id: $i) { previousStatus } }": (
                "BAD_USER_INPUT"  # $i not given
            ),
        }
        for query, code in expected.items():
            await socket.subscribe(query)
            message = await socket.receive()
            assert [error["extensions"]["code"] for error in _errors(message)] == [code]
    finally:
        await socket.close()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_subscription_that_does_not_parse_is_told_so(gateway: Stack, protocol: str) -> None:
    socket = await GraphQLSocket.connect(gateway.gateway, protocol, AUTH["Authorization"])
    try:
        assert await socket.acknowledged()
        await socket.subscribe("subscription { shipmentUpdated { ")
        if protocol == TRANSPORT_WS:
            # Strawberry's graphql-transport-ws answers a syntax error by closing 4400
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await socket.receive()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
            assert closed.value.rcvd.reason.startswith("Syntax Error")
        else:
            message = await socket.receive()
            [error] = _errors(message)
            assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED", message
    finally:
        await socket.close()
