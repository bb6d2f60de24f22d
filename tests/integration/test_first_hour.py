"""The first hour, tried as a new user would: what a missing or a wrong key is told."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import tomllib
from collections.abc import AsyncIterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import websockets
from graphql import build_schema, parse
from graphql.execution.executor import Executor
from packaging.requirements import Requirement

from shipgraph.schema.execution import SubscriptionExecutor
from shipgraph.store.sql.engine import MEMORY_URL
from tests.integration.operations import CREATE, shipment_input
from tests.integration.test_entrego import ph_shipment
from tests.integration.test_envoy import envoy_shipment
from tests.support.redis_server import free_port
from tests.support.stack import Stack, running_stack
from tests.support.ws import LEGACY_WS, TRANSPORT_WS, GraphQLSocket

QUERY = {"query": "{ carriers { code } }"}


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


async def _refusal(stack: Stack, headers: dict[str, str]) -> str:
    response = await stack.http.post(f"{stack.gateway}/graphql", json=QUERY, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    message: str = error["message"]
    return message


async def test_a_missing_and_a_wrong_key_are_told_apart_over_http(gateway: Stack) -> None:
    missing = await _refusal(gateway, {})
    empty = await _refusal(gateway, {"Authorization": ""})
    wrong = await _refusal(gateway, {"Authorization": "Bearer key-nobody"})
    malformed = await _refusal(gateway, {"Authorization": "key-acme"})
    assert missing == empty
    assert "missing API key" in missing and "Authorization: Bearer <api key>" in missing
    assert "unknown API key" in wrong
    assert "Bearer <api key>" in malformed
    assert len({missing, wrong, malformed}) == 3
    # the key a caller sent is never echoed back
    assert all("key-" not in message for message in (wrong, malformed))


async def _ws_refusal(
    stack: Stack,
    protocol: str,
    authorization: str | None,
    upgrade_headers: dict[str, str] | None = None,
) -> tuple[int | None, str]:
    """The close code and reason (graphql-transport-ws) or connection_error message."""
    url = stack.gateway.replace("http://", "ws://") + "/graphql"
    connection = await websockets.connect(
        url,
        subprotocols=[protocol],  # type: ignore[list-item]
        additional_headers=upgrade_headers,
    )
    socket = GraphQLSocket(connection, protocol)
    payload = {"authorization": authorization} if authorization is not None else {}
    await socket.send({"type": "connection_init", "payload": payload})
    try:
        if protocol == TRANSPORT_WS:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await socket.receive()
            assert closed.value.rcvd is not None
            return closed.value.rcvd.code, closed.value.rcvd.reason
        message = await socket.receive()
        assert message["type"] == "connection_error"
        assert message["payload"]["extensions"]["code"] == "UNAUTHENTICATED"
        return None, str(message["payload"]["message"])
    finally:
        await socket.close()


async def test_a_missing_and_a_wrong_key_are_told_apart_at_connection_init(
    gateway: Stack,
) -> None:
    for protocol in (TRANSPORT_WS, LEGACY_WS):
        missing = await _ws_refusal(gateway, protocol, None)
        wrong = await _ws_refusal(gateway, protocol, "Bearer key-nobody")
        malformed = await _ws_refusal(gateway, protocol, "key-acme")
        if protocol == TRANSPORT_WS:
            assert {missing[0], wrong[0], malformed[0]} == {4403}
        assert "connection_init" in missing[1]
        assert "unknown API key" in wrong[1]
        assert "Bearer <api key>" in malformed[1]
        assert len({missing[1], wrong[1], malformed[1]}) == 3


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_an_authorization_header_on_the_upgrade_is_refused(
    gateway: Stack, protocol: str
) -> None:
    """As the README says: the key goes in connection_init; on the upgrade it gets 4403."""
    code, message = await _ws_refusal(gateway, protocol, None, {"Authorization": "Bearer key-acme"})
    if protocol == TRANSPORT_WS:
        assert code == 4403
    assert "connection_init" in message and "upgrade" in message
    # the same key in the payload is accepted
    socket = await GraphQLSocket.connect(gateway.gateway, protocol, "Bearer key-acme")
    try:
        assert await socket.acknowledged()
    finally:
        await socket.close()


# -- the README, followed as written -------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"
DEV_SANDBOX = "http://127.0.0.1:8000/sandbox"


def readme_control_calls() -> dict[str, tuple[str, str]]:
    """The README's control-API examples by carrier: (method, URL with a placeholder)."""
    calls: dict[str, tuple[str, str]] = {}
    for line in README.read_text().splitlines():
        found = re.fullmatch(r"curl (?:-X (\w+) )?(\S+/sandbox/(\w+)/_control/\S+)", line.strip())
        if found:
            calls[found.group(3)] = (found.group(1) or "GET", found.group(2))
    return calls


def readme_operation(name: str) -> str:
    blocks = re.findall(r"```graphql\n(.*?)```", README.read_text(), re.DOTALL)
    [block] = [b for b in blocks if re.match(rf"\w+ {name}\b", b)]
    return str(block)


async def book(stack: Stack, carrier: str, shipment: dict[str, Any]) -> dict[str, Any]:
    body = await stack.gql(CREATE, {"input": {"carrier": carrier, "shipment": shipment}})
    payload = body["data"]["createShipment"]
    assert payload["userErrors"] == [], payload
    booked: dict[str, Any] = payload["shipment"]
    return booked


async def test_every_simulators_control_api_takes_what_the_gateway_handed_out(
    gateway: Stack,
) -> None:
    calls = readme_control_calls()
    assert set(calls) == {"envio", "borzo", "entrego", "envoy"}
    shipments = {
        "envio": shipment_input("SO-FH-1"),
        "borzo": shipment_input("SO-FH-2", description="Documents"),
        "entrego": ph_shipment("PH-FH-3"),
        "envoy": envoy_shipment("SO-FH-4"),
    }
    for carrier, (method, url) in calls.items():
        booked = await book(gateway, carrier.upper(), shipments[carrier])
        placeholder = re.search(r"<(\w+)>", url)
        assert placeholder is not None
        value = booked[placeholder.group(1)]
        assert value, (carrier, placeholder.group(1), booked)
        live = url.replace(DEV_SANDBOX, gateway.sandbox).replace(placeholder.group(0), value)
        answer = await gateway.http.request(method, live)
        assert answer.status_code == 200, (carrier, answer.text)
        # and by the carrier's own id, as the README says
        by_id = live.replace(value, booked["carrierShipmentId"])
        assert (await gateway.http.request(method, by_id)).status_code == 200, carrier
        shown = url.removesuffix("/advance").replace(DEV_SANDBOX, gateway.sandbox)
        view = await gateway.http.get(shown.replace(placeholder.group(0), value))
        assert view.status_code == 200, (carrier, view.text)
        assert booked["carrierShipmentId"] in view.text
    bad = await gateway.http.post(f"{gateway.sandbox}/borzo/_control/orders/\u00b2/advance")
    assert bad.status_code == 404


async def test_the_readme_quote_then_book_books_once_when_sent_twice(gateway: Stack) -> None:
    orders_url = f"{gateway.sandbox}/borzo/_control/orders"
    before = len((await gateway.http.get(orders_url)).json()["orders"])
    quoted = await gateway.gql(readme_operation("Quote"))
    rate = quoted["data"]["rates"]["rates"][0]
    book_quote = readme_operation("BookQuote").replace("RATE_ID", rate["id"])
    assert "idempotencyKey" in book_quote
    first = (await gateway.gql(book_quote))["data"]["createShipment"]
    again = (await gateway.gql(book_quote))["data"]["createShipment"]
    assert first["userErrors"] == [] and again["userErrors"] == []
    assert again["shipment"]["id"] == first["shipment"]["id"]
    assert len((await gateway.http.get(orders_url)).json()["orders"]) == before + 1


async def test_the_readme_links_the_guides_and_says_how_a_websocket_authenticates() -> None:
    text = README.read_text()
    for guide in ("docs/frontend.md", "docs/partner.md"):
        assert f"]({guide})" in text and (README.parent / guide).is_file()
    # what test_an_authorization_header_on_the_upgrade_is_refused checks
    assert "connection_init" in text and "4403" in text


# -- every log line is JSON ------------------------------------------------------------------

LOGGING_SCRIPT = """
import logging, warnings
from shipgraph.observability import configure_logging, get_logger
configure_logging("INFO")
logging.getLogger("shipgraph.cache").warning("cache down: %s", "redis")
try:
    raise RuntimeError("boom")
except RuntimeError:
    logging.getLogger("shipgraph.events").exception("bus failed")
access = logging.getLogger("uvicorn.access")
path = "/webhooks/envio?token=s3cret"
access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", path, "1.1", 200)
logging.getLogger("uvicorn.error").error("Invalid HTTP request received.")
warnings.warn("a library's warning")
get_logger("shipgraph.app").info("structured", carrier="ENVIO")
"""


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a log line that is not JSON: {line!r}\n{text}")
    assert all({"event", "level", "logger", "timestamp"} <= set(entry) for entry in parsed), text
    return parsed


async def test_stdlib_and_uvicorn_log_records_come_out_as_json() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        LOGGING_SCRIPT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert out == b""
    entries = {entry["logger"]: entry for entry in json_lines(err.decode())}
    assert entries["shipgraph.cache"]["event"] == "cache down: redis"
    assert entries["shipgraph.cache"]["level"] == "warning"
    assert "RuntimeError: boom" in entries["shipgraph.events"]["exception"]
    access = entries["uvicorn.access"]
    assert (access["method"], access["path"], access["status"]) == ("POST", "/webhooks/envio", 200)
    assert "s3cret" not in err.decode()
    assert entries["uvicorn.error"]["level"] == "error"
    assert "a library's warning" in entries["py.warnings"]["event"]
    assert entries["shipgraph.app"]["carrier"] == "ENVIO"


async def test_shipgraph_serve_logs_only_json_lines() -> None:
    """uvicorn's own start-up and shutdown lines included: its log_config adds no text
    handler of its own."""
    port = free_port()
    script = Path(sys.executable).parent / "shipgraph"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "shipgraph"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPGRAPH_")}
    env.update(
        SHIPGRAPH_API_KEYS="acme:key-acme",
        SHIPGRAPH_DATABASE_URL=MEMORY_URL,
        PYTHONPATH=os.pathsep.join(sys.path),
    )
    process = await asyncio.create_subprocess_exec(
        *command,
        "serve",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(timeout=1) as client:
            for _ in range(200):
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
            else:
                pytest.fail("shipgraph serve did not start")
            await client.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ x }"})
    finally:
        process.terminate()
        out, err = await asyncio.wait_for(process.communicate(), 20)
    entries = json_lines(err.decode())
    uvicorn_events = [e["event"] for e in entries if e["logger"].startswith("uvicorn")]
    assert any("Uvicorn running on" in event for event in uvicorn_events), entries
    assert any("Shutting down" in event for event in uvicorn_events), entries
    assert out == b""


# -- the graphql-core pin ----------------------------------------------------------------------


async def test_graphql_core_is_in_the_range_the_subscription_executor_was_written_for() -> None:
    project = tomllib.loads((README.parent / "pyproject.toml").read_text())["project"]
    [pin] = [Requirement(d) for d in project["dependencies"] if d.startswith("graphql-core")]
    assert pin.specifier.contains(version("graphql-core"))
    assert not pin.specifier.contains("3.2.6") and not pin.specifier.contains("3.4.0")
    executor = Executor.build(build_schema("type Query { a: String }"), parse("{ a }"))
    assert isinstance(executor, Executor)
    assert isinstance(executor._relevant_sub_fields, dict)
    assert isinstance(executor.variable_values.coerced, dict)
    assert SubscriptionExecutor.build_per_event_executor is not Executor.build_per_event_executor
