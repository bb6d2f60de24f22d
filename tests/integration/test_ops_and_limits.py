"""Operators' endpoints (/healthz, /readyz, /metrics), no secrets in metrics or logs,
and the limits: query depth, aliases, tokens, body size, malformed requests and bad
variables, each answered with a coded error and never a 500."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import structlog
from prometheus_client.parser import text_string_to_metric_families

from shipgraph.observability import configure_logging
from shipgraph.sandbox.mounts import ENVIO_API_KEY, ENVIO_WEBHOOK_TOKEN
from tests.integration.conftest import create
from tests.integration.operations import (
    CREATE,
    LIST,
    PICKUP_AT,
    create_input,
    shipment_input,
)
from tests.support.fixtures import fixture
from tests.support.redis_server import free_port
from tests.support.stack import KEYS, Backend, Stack, running_stack

SECRETS = [*KEYS.values(), ENVIO_API_KEY, ENVIO_WEBHOOK_TOKEN]
AUTH = {"Authorization": f"Bearer {KEYS['acme']}"}

# A stack takes ~0.5 s to start and stop: the module shares three (in memory; nothing
# here depends on the store) and runs in one event loop so they can serve every test.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway() -> AsyncIterator[Stack]:
    """Default limits."""
    async with running_stack() as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def limited() -> AsyncIterator[Stack]:
    async with running_stack(max_query_depth=3, max_aliases=3, max_tokens=60) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def small_bodies() -> AsyncIterator[Stack]:
    async with running_stack(max_body_bytes=2000) as running:
        yield running


def codes(body: dict[str, Any]) -> list[str]:
    """The extensions.code of every error (each must have one)."""
    errors = body.get("errors") or []
    assert errors, body
    for error in errors:
        assert isinstance(error.get("message"), str) and error["message"], error
        assert "code" in (error.get("extensions") or {}), error
    return [error["extensions"]["code"] for error in errors]


async def post_graphql(stack: Stack, **kwargs: Any) -> httpx.Response:
    headers = {**AUTH, **kwargs.pop("headers", {})}
    return await stack.http.post(f"{stack.gateway}/graphql", headers=headers, **kwargs)


async def booked(stack: Stack) -> list[Any]:
    """Shipments the simulator holds, and the gateway's own listing of acme's."""
    simulated = (await stack.control("GET", "/shipments")).json()["shipments"]
    listed = (await stack.gql(LIST, {"first": 100}))["data"]["shipments"]["edges"]
    return [*simulated, *listed]


# --- /healthz, /readyz -------------------------------------------------------------


async def test_healthz_and_readyz(backend: Backend) -> None:
    async with running_stack(backend) as stack:
        await check_healthz_and_readyz(stack)


async def check_healthz_and_readyz(stack: Stack) -> None:
    health = await stack.http.get(f"{stack.gateway}/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = await stack.http.get(f"{stack.gateway}/readyz")
    assert ready.status_code == 200, ready.text
    with_redis = {"redis": True} if stack.settings.redis_url else {}
    assert ready.json() == {"status": "ready", "store": True, **with_redis}


async def test_readyz_is_503_when_the_database_is_down() -> None:
    nobody = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/shipgraph"
    async with running_stack(database_url=nobody) as stack:
        health = await stack.http.get(f"{stack.gateway}/healthz")
        assert health.status_code == 200
        ready = await asyncio.wait_for(stack.http.get(f"{stack.gateway}/readyz"), 10)
        assert ready.status_code == 503
        assert ready.json() == {"status": "not ready", "store": False}
        # the API says so with a code, too: no 500
        response = await post_graphql(stack, json={"query": LIST, "variables": {}})
        assert response.status_code == 200, response.text
        assert codes(response.json()) == ["SERVICE_UNAVAILABLE"]


# --- /metrics ----------------------------------------------------------------------


def samples(text: str) -> dict[str, list[dict[str, str]]]:
    """Every sample's labels, by sample name (parses the exposition format strictly)."""
    found: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(dict(sample.labels))
    return found


async def test_metrics_after_a_query_and_a_carrier_call(gateway: Stack) -> None:
    stack = gateway
    answer = await stack.gql("{ carriers { code enabled } }")
    assert "errors" not in answer, answer
    await create(stack, "SO-metrics")
    response = await stack.http.get(f"{stack.gateway}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)

    requests = found["shipgraph_http_requests_total"]
    assert {"route": "/graphql", "method": "POST", "status": "200"} in requests
    routes = {"/graphql", "/healthz", "/readyz", "/metrics", "/webhooks/{carrier}", "other"}
    assert {r["route"] for r in requests} <= routes | {"/sandbox"}, "a label per route, not path"

    calls = found["shipgraph_carrier_call_seconds_count"]
    assert any(labels["carrier"] == "ENVIO" for labels in calls), calls
    assert any(
        labels["carrier"] == "ENVIO" for labels in found["shipgraph_carrier_call_seconds_bucket"]
    )

    operations = found["shipgraph_graphql_operations_total"]
    assert {"operation": "query", "outcome": "ok"} in operations
    assert {"operation": "mutation", "outcome": "ok"} in operations


async def test_metrics_carry_no_secrets(gateway: Stack) -> None:
    stack = gateway
    shipment = await create(stack, "SO-metrics-secrets")
    webhook = await stack.http.post(
        f"{stack.gateway}/webhooks/envio",
        params={"token": ENVIO_WEBHOOK_TOKEN},
        json={"code": shipment["trackingNumber"], "status": "nonsense"},
    )
    assert webhook.status_code < 500
    await stack.http.get(f"{stack.gateway}/graphql?token={ENVIO_WEBHOOK_TOKEN}", headers=AUTH)
    text = (await stack.http.get(f"{stack.gateway}/metrics")).text
    for secret in SECRETS:
        assert secret not in text, secret


# --- logs --------------------------------------------------------------------------


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture
def logs() -> Iterator[Collect]:
    """The production logging set-up (JSON through stdlib, at DEBUG), collected."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging("DEBUG")
    collect = Collect()
    root.addHandler(collect)
    try:
        yield collect
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        structlog.reset_defaults()


def post_without_client_logs(url: str, body: bytes) -> int:
    """Sent with urllib: httpx would log the test's own request URL (and its token)."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


async def test_logs_carry_no_secrets(gateway: Stack, logs: Collect) -> None:
    """A create (a carrier call with the Envio key), failing operations, a webhook with
    ``?token=`` applied and one rejected: at DEBUG, no key or token is logged."""
    stack = gateway
    shipment = await create(stack, "SO-logs")
    await stack.gql(CREATE, create_input("SO-bad", shipment={"reference": "x"}))
    await stack.gql("{ nope }")
    assert (await stack.gql(LIST, {"first": "ten"}))["errors"]
    url = f"{stack.gateway}/webhooks/envio?token={ENVIO_WEBHOOK_TOKEN}"
    event: dict[str, Any] = fixture("envio", "webhook_picked_up")
    event["shipment"]["code"] = shipment["trackingNumber"]
    applied = await asyncio.to_thread(post_without_client_logs, url, json.dumps(event).encode())
    rejected = await asyncio.to_thread(post_without_client_logs, url, b"{not json")
    assert (applied, rejected) == (200, 400)
    text = "\n".join(logs.lines)
    assert "shipgraph" in text, "the gateway logged nothing: the capture does not work"
    for secret in SECRETS:
        assert secret not in text, f"{secret} in the logs:\n" + "\n".join(
            line for line in logs.lines if secret in line
        )


async def test_a_clients_mistake_is_one_debug_line_not_an_error_with_a_traceback(
    gateway: Stack, logs: Collect
) -> None:
    await gateway.gql("{ nope }")
    await gateway.gql(LIST, {"first": "ten"})
    await gateway.gql("{ shipments { ")
    errors = [line for line in logs.lines if line.startswith("strawberry.execution")]
    assert errors == []
    assert not any("Traceback" in line for line in logs.lines)
    refused = [line for line in logs.lines if "operation refused" in line]
    assert len(refused) == 3, logs.lines


# --- query limits ------------------------------------------------------------------


async def test_query_depth_limit(limited: Stack) -> None:
    shallow = await limited.gql("{ shipments { edges { cursor } } }")
    assert "errors" not in shallow, shallow
    for query in [
        "{ shipments { edges { node { courier { name } } } } }",
        "{ shipments { ...E } } "
        "fragment E on ShipmentConnection { edges { node { courier { name } } } }",
    ]:
        response = await post_graphql(limited, json={"query": query})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["data"] is None
        assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
        assert "depth" in body["errors"][0]["message"]


async def test_alias_limit(limited: Stack) -> None:
    three = "{ a: carriers { code } b: carriers { code } c: carriers { code } }"
    assert "errors" not in await limited.gql(three)
    four = "{ a: carriers { code } b: carriers { code } c: carriers { code } d: carriers { code } }"
    response = await post_graphql(limited, json={"query": four})
    assert response.status_code == 200, response.text
    assert codes(response.json()) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_token_limit(limited: Stack) -> None:
    assert "errors" not in await limited.gql("{ carriers { code enabled } }")
    query = "{ carriers { " + "code " * 80 + "} }"
    response = await post_graphql(limited, json={"query": query})
    assert response.status_code < 500, response.text
    body = response.json()
    assert body.get("data") is None
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]


# --- body size ---------------------------------------------------------------------


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert codes(response.json()) == ["PAYLOAD_TOO_LARGE"]


async def test_body_over_the_limit_with_content_length(small_bodies: Stack) -> None:
    padding = " " * 2500
    query = "{ carriers { code } }" + padding
    response = await post_graphql(small_bodies, json={"query": query})
    assert "content-length" in response.request.headers
    assert_too_large(response)
    # the webhook route is limited the same way
    webhook = await small_bodies.http.post(
        f"{small_bodies.gateway}/webhooks/envio",
        params={"token": ENVIO_WEBHOOK_TOKEN},
        content=b"{" + b" " * 3000 + b"}",
    )
    assert_too_large(webhook)
    # just under the limit is fine
    fine = await post_graphql(small_bodies, json={"query": "{ carriers { code } }" + " " * 1900})
    assert fine.status_code == 200, fine.text
    assert "errors" not in fine.json()


async def test_body_over_the_limit_streamed_without_content_length(small_bodies: Stack) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ carriers { code } }'
        for _ in range(10):
            yield b" " * 500
        yield b'"}'

    response = await post_graphql(
        small_bodies, content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert_too_large(response)

    async def small() -> AsyncIterator[bytes]:
        yield b'{"query": "{ carriers { code } }"}'

    fine = await post_graphql(
        small_bodies, content=small(), headers={"content-type": "application/json"}
    )
    assert fine.status_code == 200, fine.text
    # the server is still healthy afterwards
    assert (await small_bodies.http.get(f"{small_bodies.gateway}/healthz")).status_code == 200


# --- malformed requests ------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"",
        b"[]",
        b"{}",
        b'{"query": 5}',
        b'{"query": "{ carriers { code } }", "variables": []}',
    ],
)
async def test_malformed_json_bodies_are_4xx(gateway: Stack, raw: bytes) -> None:
    response = await post_graphql(
        gateway, content=raw, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert all(code for code in codes(response.json())), response.text


@pytest.mark.parametrize("raw", [b'"x"', b"5", b"null", b"true"])
async def test_json_that_is_not_an_object_is_4xx(gateway: Stack, raw: bytes) -> None:
    response = await post_graphql(
        gateway, content=raw, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert codes(response.json()) == ["BAD_REQUEST"]


async def test_syntax_error_is_parse_failed(gateway: Stack) -> None:
    response = await post_graphql(gateway, json={"query": "{ carriers { code "})
    assert response.status_code < 500, response.text
    assert codes(response.json()) == ["GRAPHQL_PARSE_FAILED"]


async def test_unknown_field_is_validation_failed(gateway: Stack) -> None:
    body = await gateway.gql("{ carriers { code nope } }")
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_variable_of_the_wrong_type_is_bad_user_input(gateway: Stack) -> None:
    body = await gateway.gql(LIST, {"first": "ten"})
    assert body["data"] is None
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "$first" in body["errors"][0]["message"]


def with_shipment(**changes: Any) -> dict[str, Any]:
    return {"input": {"carrier": "ENVIO", "shipment": shipment_input("SO-bad", **changes)}}


@pytest.mark.parametrize(
    ("variables", "mentions"),
    [
        (with_shipment(pickupAt="tomorrow"), "DateTime"),
        (with_shipment(pickupAt=PICKUP_AT.removesuffix("+07:00")), "offset"),
        (with_shipment(cashOnDelivery={"amount": "NaN", "currency": "IDR"}), "finite"),
        (with_shipment(cashOnDelivery={"amount": "Infinity", "currency": "IDR"}), "finite"),
        (with_shipment(cashOnDelivery={"amount": "lots", "currency": "IDR"}), "Decimal"),
        (with_shipment(parcels="heavy"), "parcels"),
        ({"input": {"carrier": "NOPE", "shipment": shipment_input("SO-bad")}}, "NOPE"),
        ({}, "$input"),
    ],
)
async def test_bad_variables_are_coded_and_book_nothing(
    gateway: Stack, variables: dict[str, Any], mentions: str
) -> None:
    before = await booked(gateway)
    response = await post_graphql(gateway, json={"query": CREATE, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None
    assert set(codes(body)) <= {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"}, body
    assert any(mentions in error["message"] for error in body["errors"]), body
    assert await booked(gateway) == before
