"""GraphQL over HTTP (the GraphQL Foundation's spec; docs/conformance.md): the media
type follows Accept, request errors are 400 under application/graphql-response+json
and 200 under application/json, GET runs queries only, POST bodies are JSON, and every
refusal is a JSON body with a code. conformance/run audits the same with graphql-http."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from graphql import GraphQLError
from strawberry.types import ExecutionResult

from shipgraph.http.graphql_view import is_request_error, request_error_status
from shipgraph.http.media_types import negotiate
from tests.integration.operations import CREATE, LIST, SUBSCRIBE, create_input
from tests.support.stack import KEYS, Stack, running_stack

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
AUTH = {"Authorization": f"Bearer {KEYS['acme']}"}
TYPENAME = {"query": "{ __typename }"}

# One stack (in memory) for the module, one event loop for every test (test_negotiate
# is async only to share the mark): nothing here depends on the store.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


async def post(stack: Stack, body: Any = TYPENAME, **headers: str | None) -> httpx.Response:
    """POST to /graphql as acme; a header given as None is not sent at all (not even
    httpx's default ``Accept: */*``)."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = stack.http.build_request("POST", f"{stack.gateway}/graphql", content=content)
    for name, value in {"content-type": JSON, **AUTH, **headers}.items():
        if value is None:
            request.headers.pop(name, None)
        else:
            request.headers[name] = value
    return await stack.http.send(request)


async def get(stack: Stack, query: str, **headers: str) -> httpx.Response:
    return await stack.http.get(
        f"{stack.gateway}/graphql", params={"query": query}, headers={**AUTH, **headers}
    )


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def error_codes(response: httpx.Response) -> list[str]:
    body = response.json()
    return [error["extensions"]["code"] for error in body["errors"]]


async def booked(stack: Stack) -> int:
    shipments = (await stack.control("GET", "/shipments")).json()["shipments"]
    return len(shipments)


# --- Accept ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (JSON, JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, {JSON}", GRAPHQL_RESPONSE),
        (f"{JSON}, {GRAPHQL_RESPONSE}", JSON),
        (f"{GRAPHQL_RESPONSE},{JSON};q=0.9", GRAPHQL_RESPONSE),  # Apollo Client
        (f"{JSON};q=0.5, {GRAPHQL_RESPONSE};q=0.4", JSON),
        (f"{GRAPHQL_RESPONSE};q=0, */*", JSON),
        (f"{GRAPHQL_RESPONSE}; charset=utf-8", GRAPHQL_RESPONSE),
        (f"text/html, {GRAPHQL_RESPONSE};q=0.1", GRAPHQL_RESPONSE),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),  # browsers
        ("text/plain", None),
        ("text/event-stream, multipart/mixed", None),
        (f"{JSON};q=0", None),
    ],
)
async def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),
        (JSON, JSON),
        ("*/*", JSON),
        (None, JSON),
    ],
)
async def test_the_answer_is_in_the_media_type_asked_for(
    gateway: Stack, accept: str | None, expected: str
) -> None:
    response = await post(gateway, accept=accept)
    assert response.status_code == 200, response.text
    assert media_type(response) == expected
    assert "charset=utf-8" in response.headers["content-type"]
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_an_unacceptable_accept_is_406_and_nothing_runs(gateway: Stack) -> None:
    before = await booked(gateway)
    response = await post(
        gateway, {"query": CREATE, "variables": create_input("SO-406")}, accept="text/plain"
    )
    assert response.status_code == 406, response.text
    assert media_type(response) == JSON
    assert error_codes(response) == ["NOT_ACCEPTABLE"]
    assert await booked(gateway) == before


async def test_unauthenticated_is_401_in_the_negotiated_type(gateway: Stack) -> None:
    response = await post(gateway, accept=GRAPHQL_RESPONSE, Authorization="Bearer wrong")
    assert response.status_code == 401
    assert media_type(response) == GRAPHQL_RESPONSE
    assert response.headers["www-authenticate"] == "Bearer"
    assert "data" not in response.json()
    assert error_codes(response) == ["UNAUTHENTICATED"]


# --- request errors: 400 under application/graphql-response+json, 200 under JSON ---

REQUEST_ERRORS = [
    pytest.param({"query": "{ carriers { code "}, "GRAPHQL_PARSE_FAILED", id="parse"),
    pytest.param({"query": "{ carriers { nope } }"}, "GRAPHQL_VALIDATION_FAILED", id="validation"),
    pytest.param({"query": LIST, "variables": {"first": "ten"}}, "BAD_USER_INPUT", id="variables"),
    pytest.param(
        {"query": "query Q($id: ID!) { __typename }", "variables": {"id": None}},
        "GRAPHQL_VALIDATION_FAILED",
        id="unused-variable",
    ),
]


@pytest.mark.parametrize(("body", "code"), REQUEST_ERRORS)
async def test_a_request_error_is_400_without_data_under_graphql_response_json(
    gateway: Stack, body: dict[str, Any], code: str
) -> None:
    response = await post(gateway, body, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400, response.text
    assert media_type(response) == GRAPHQL_RESPONSE
    assert "data" not in response.json()
    assert error_codes(response) == [code]


@pytest.mark.parametrize(("body", "code"), REQUEST_ERRORS)
@pytest.mark.parametrize("accept", [JSON, "*/*", None])
async def test_a_request_error_stays_200_with_null_data_under_json(
    gateway: Stack, body: dict[str, Any], code: str, accept: str | None
) -> None:
    response = await post(gateway, body, accept=accept)
    assert response.status_code == 200, response.text
    assert media_type(response) == JSON
    assert response.json()["data"] is None
    assert error_codes(response) == [code]


@pytest.mark.parametrize(
    ("codes", "status"),
    [
        (["GRAPHQL_PARSE_FAILED"], 400),
        (["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"], 400),
        (["GRAPHQL_VALIDATION_FAILED", "INTERNAL_SERVER_ERROR"], 500),
        (["SERVICE_UNAVAILABLE"], 503),
    ],
)
async def test_the_status_of_a_request_error(codes: list[str], status: int) -> None:
    """The client's mistake is a 400; the server failing before executing is a 5xx."""
    errors = [GraphQLError("x", extensions={"code": code}) for code in codes]
    result = ExecutionResult(data=None, errors=errors)
    assert is_request_error(result)
    assert request_error_status(result) == status
    field_error = GraphQLError("x", path=["shipments"], extensions={"code": "BAD_USER_INPUT"})
    assert not is_request_error(ExecutionResult(data=None, errors=[field_error]))


async def test_a_field_error_is_200_with_data_under_graphql_response_json(gateway: Stack) -> None:
    """Execution started, so ``data`` is there (null here: the field is not nullable
    away) and the status is 2xx, as the spec asks."""
    query = "{ shipments(first: -1) { edges { cursor } } }"
    response = await post(gateway, {"query": query}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200, response.text
    assert media_type(response) == GRAPHQL_RESPONSE
    body = response.json()
    assert "data" in body and body["data"] is None
    assert error_codes(response) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["path"] == ["shipments"]


async def test_a_body_that_is_not_json_is_400_in_either_type(gateway: Stack) -> None:
    for accept in (GRAPHQL_RESPONSE, JSON):
        response = await post(gateway, b'{ "not a JSON', accept=accept)
        assert response.status_code == 400, response.text
        assert media_type(response) == accept
        assert error_codes(response) == ["BAD_REQUEST"]


# --- methods and operations --------------------------------------------------------


async def test_get_runs_queries(gateway: Stack) -> None:
    response = await get(gateway, "{ __typename }", accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200, response.text
    assert media_type(response) == GRAPHQL_RESPONSE
    assert response.json() == {"data": {"__typename": "Query"}}
    with_variables = await gateway.http.get(
        f"{gateway.gateway}/graphql",
        params={"query": LIST, "variables": json.dumps({"first": 1})},
        headers=AUTH,
    )
    assert with_variables.status_code == 200, with_variables.text
    assert with_variables.json()["data"]["shipments"]["edges"] == []


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_a_mutation_over_get_is_405_and_books_nothing(gateway: Stack, accept: str) -> None:
    before = await booked(gateway)
    response = await gateway.http.get(
        f"{gateway.gateway}/graphql",
        params={"query": CREATE, "variables": json.dumps(create_input("SO-GET"))},
        headers={**AUTH, "accept": accept},
    )
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST"
    assert media_type(response) == accept
    assert error_codes(response) == ["METHOD_NOT_ALLOWED"]
    assert await booked(gateway) == before


async def test_subscriptions_are_refused_over_http(gateway: Stack) -> None:
    """Strawberry would start them and fail inside (an INTERNAL_SERVER_ERROR)."""
    over_post = await post(gateway, {"query": SUBSCRIBE}, accept=GRAPHQL_RESPONSE)
    over_get = await get(gateway, SUBSCRIBE)
    for response in (over_post, over_get):
        assert response.status_code == 400, response.text
        assert error_codes(response) == ["BAD_REQUEST"]
        assert "WebSocket" in response.json()["errors"][0]["message"]


async def test_other_methods_are_405_with_allow(gateway: Stack) -> None:
    response = await gateway.http.head(f"{gateway.gateway}/graphql", headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_put_patch_delete_are_coded_405s(gateway: Stack, method: str) -> None:
    before = await booked(gateway)
    body = {"query": CREATE, "variables": create_input(f"SO-{method}")}
    response = await gateway.http.request(
        method, f"{gateway.gateway}/graphql", json=body, headers=AUTH
    )
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "GET, POST"
    assert error_codes(response) == ["METHOD_NOT_ALLOWED"]
    assert method in response.json()["errors"][0]["message"]
    assert await booked(gateway) == before


# --- request bodies ----------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "application/graphql",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/jsonx",
    ],
)
async def test_a_post_that_is_not_json_is_415(gateway: Stack, content_type: str | None) -> None:
    response = await post(gateway, **{"content-type": content_type, "accept": GRAPHQL_RESPONSE})
    assert response.status_code == 415, response.text
    assert media_type(response) == GRAPHQL_RESPONSE
    assert error_codes(response) == ["UNSUPPORTED_MEDIA_TYPE"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"],
)
async def test_json_with_any_spelling_of_utf8_is_fine(gateway: Stack, content_type: str) -> None:
    response = await post(
        gateway,
        {"query": '{ __type(name: "Run🏃Swim🏊") { name } }'},
        **{"content-type": content_type},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__type": None}}
