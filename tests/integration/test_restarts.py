"""Shipments survive a restart of `shipgraph serve`, on SQLite and on PostgreSQL: the
process is killed (SIGKILL, no shutdown at all) right after its answers, then started
again on the same database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from shipgraph.sandbox.mounts import ENVIO_WEBHOOK_TOKEN, SandboxWiring, build_sandboxes
from tests.integration.operations import CREATE, GET, LIST, create_input
from tests.support.redis_server import free_port
from tests.support.servers import serve
from tests.unit.test_cli import clean_env, command

KEY = "key-acme"
STARTUP_S = 20


@asynccontextmanager
async def gateway(port: int, env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """`shipgraph serve` in its own process, killed with SIGKILL on the way out."""
    process = await asyncio.create_subprocess_exec(
        *command("serve", "--port", str(port)),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            for _ in range(STARTUP_S * 10):
                if process.returncode is not None:
                    assert process.stderr is not None
                    pytest.fail(f"shipgraph serve exited: {(await process.stderr.read())!r}")
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            else:
                pytest.fail("shipgraph serve did not get ready")
            yield http
    finally:
        process.kill()
        await process.wait()


async def gql(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_shipments_and_applied_webhooks_survive_a_killed_gateway(
    migrated_database_url: str,
) -> None:
    database = migrated_database_url
    port, sandbox_port = free_port(), free_port()
    wiring = SandboxWiring(
        base_url=f"http://127.0.0.1:{sandbox_port}", gateway_url=f"http://127.0.0.1:{port}"
    )
    settings = {
        **wiring.gateway_settings(),
        "database_url": database,
        "api_keys": f"acme:{KEY}",
        "log_level": "WARNING",  # stderr is a pipe nobody reads until the end
    }
    env = clean_env(**{f"SHIPGRAPH_{name.upper()}": str(value) for name, value in settings.items()})
    async with serve(build_sandboxes(wiring).app(), sandbox_port):
        async with gateway(port, env) as http:
            booked = []
            for number in range(5):
                data = await gql(http, CREATE, create_input(f"SO-RESTART-{number}"))
                assert data["createShipment"]["userErrors"] == []
                booked.append(data["createShipment"]["shipment"])
            moved = booked[0]
            event = {
                "code": "M-RESTART",
                "shipment": {"code": moved["trackingNumber"], "ref_code": moved["reference"]},
                "status": "manifested",
            }
            answer = await http.post(
                "/webhooks/envio", params={"token": ENVIO_WEBHOOK_TOKEN}, json=event
            )
            assert answer.status_code == 200, answer.text
        # killed: no shutdown, no pool closed, nothing flushed on the way out
        async with gateway(port, env) as http:
            for shipment in booked:
                stored = (await gql(http, GET, {"id": shipment["id"]}))["shipment"]
                assert stored["reference"] == shipment["reference"]
                assert stored["trackingNumber"] == shipment["trackingNumber"]
            first = (await gql(http, GET, {"id": moved["id"]}))["shipment"]
            assert first["status"] == "PICKUP_SCHEDULED"
            assert first["version"] == 2
            listed = (await gql(http, LIST, {}))["shipments"]["edges"]
            assert {edge["node"]["id"] for edge in listed} == {s["id"] for s in booked}
