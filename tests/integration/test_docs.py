"""The guides in docs/ work as written: every GraphQL operation, webhook body,
persisted-query request and health check in them is run here."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shipgraph.sandbox.mounts import ENVIO_WEBHOOK_TOKEN
from shipgraph.store.sql.migrate import head_revisions
from tests.support.clock import days_ahead, stamp
from tests.support.redis_server import free_port
from tests.support.stack import Stack
from tests.support.ws import TRANSPORT_WS, GraphQLSocket
from tests.unit.test_cli import clean_env

DOCS = Path(__file__).resolve().parents[2] / "docs"
[HEAD] = head_revisions()


def blocks(guide: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", (DOCS / guide).read_text(), re.DOTALL)


def operations(guide: str) -> dict[str, str]:
    """The guide's ```graphql blocks by operation name."""
    found = {}
    for block in blocks(guide, "graphql"):
        name = re.search(r"^(?:query|mutation|subscription) (\w+)", block, re.MULTILINE)
        assert name is not None, block
        found[name.group(1)] = block
    return found


def expected_error(operation: str) -> str | None:
    said = re.search(r"^# expect: (\w+)", operation, re.MULTILINE)
    return said.group(1) if said else None


def filled(operation: str, shipment: dict[str, Any]) -> str:
    return operation.replace("SHIPMENT_ID", shipment["id"]).replace(
        "TRACKING_NUMBER", shipment["trackingNumber"]
    )


async def book(stack: Stack) -> dict[str, Any]:
    times = {"pickupAt": stamp(days_ahead(1, 9)), "deliverBy": stamp(days_ahead(2, 17))}
    booked = await stack.gql(operations("partner.md")["BookOrder"], times)
    payload = booked["data"]["createShipment"]
    assert payload["userErrors"] == [], payload
    shipment: dict[str, Any] = payload["shipment"]
    return shipment


async def test_partner_guide(stack: Stack) -> None:
    ops = operations("partner.md")
    shipment = await book(stack)
    assert shipment["status"] == "CREATED"
    assert (await book(stack))["id"] == shipment["id"]  # the same idempotencyKey

    changed = (await stack.gql(filled(ops["ChangeCod"], shipment)))["data"]["updateShipment"]
    assert changed["userErrors"] == [] and changed["shipment"]["version"] == 2
    labels = (await stack.gql(filled(ops["PrintLabels"], shipment)))["data"]["labels"]
    assert labels["userErrors"] == [] and labels["labels"][0]["documents"]

    [event] = blocks("partner.md", "json")
    for _ in range(2):  # a replay is applied once
        response = await stack.http.post(
            f"{stack.gateway}/webhooks/envio",
            params={"token": ENVIO_WEBHOOK_TOKEN},
            content=filled(event, shipment),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text

    cancelled = (await stack.gql(filled(ops["CancelOrder"], shipment)))["data"]["cancelShipment"]
    assert cancelled["userErrors"] == [], cancelled
    assert cancelled["shipment"]["status"] == "CANCELLED"
    assert set(ops) == {"BookOrder", "ChangeCod", "PrintLabels", "CancelOrder"}


async def test_frontend_guide_queries(stack: Stack) -> None:
    shipment = await book(stack)
    ran = 0
    for name, operation in operations("frontend.md").items():
        if operation.lstrip().startswith("subscription"):
            continue
        body = await stack.gql(filled(operation, shipment))
        code = expected_error(operation)
        if code is None:
            assert "errors" not in body, (name, body)
            assert all(value is not None for value in body["data"].values()), (name, body)
        else:
            assert body["errors"][0]["extensions"]["code"] == code, (name, body)
        ran += 1
    assert ran == 6


async def test_frontend_guide_subscription(stack: Stack) -> None:
    shipment = await book(stack)
    socket = await GraphQLSocket.connect(stack.gateway, TRANSPORT_WS, "Bearer key-acme")
    try:
        assert await socket.acknowledged()
        await socket.subscribe(filled(operations("frontend.md")["FollowOne"], shipment))
        await stack.advance(shipment["trackingNumber"])
        event = (await socket.next_data())["data"]["shipmentUpdated"]
        assert event["previousStatus"] == "CREATED"
        assert event["shipment"]["status"] == "PICKUP_SCHEDULED"
    finally:
        await socket.close()


async def test_frontend_guide_persisted_query(stack: Stack) -> None:
    text = (DOCS / "frontend.md").read_text()
    query = re.search(r"For `(query [^`]+)`", text)
    assert query is not None
    [request] = blocks("frontend.md", "json")
    body = json.loads(request)
    digest = body["extensions"]["persistedQuery"]["sha256Hash"]
    assert digest == hashlib.sha256(query.group(1).encode()).hexdigest()

    async def send(payload: dict[str, Any]) -> dict[str, Any]:
        response = await stack.http.post(
            f"{stack.gateway}/graphql",
            json=payload,
            headers={"Authorization": "Bearer key-acme"},
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    missing = await send(body)
    assert missing["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert "data" in await send({**body, "query": query.group(1)})
    assert (await send(body))["data"]["carriers"]


async def test_operator_guide(stack: Stack) -> None:
    [checks] = blocks("operator.md", "http")
    for line in checks.strip().splitlines():
        method, path = line.split()
        response = await stack.http.request(method, f"{stack.gateway}{path}")
        assert response.status_code == 200, (path, response.text)
    metrics = (await stack.http.get(f"{stack.gateway}/metrics")).text
    named = re.findall(r"^\| `(shipgraph_\w+)", (DOCS / "operator.md").read_text(), re.MULTILINE)
    assert len(named) == 9
    for metric in named:
        assert f"# HELP {metric}" in metrics, metric
    health = await stack.gql(operations("operator.md")["CarrierHealth"])
    assert {carrier["code"] for carrier in health["data"]["carriers"]} >= {"ENVIO", "BORZO"}


def shipgraph(folder: Path, line: str) -> subprocess.CompletedProcess[str]:
    """A `shipgraph ...` line of a guide, run in ``folder`` with no SHIPGRAPH_* set."""
    program, *args = shlex.split(line)
    assert program == "shipgraph", line
    return subprocess.run(
        [sys.executable, "-m", "shipgraph", *args],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=folder,
    )


def test_operator_guide_migration(tmp_path: Path) -> None:
    """serve refuses a new database with the line the guide quotes; the guide's
    command migrates it (the embedded file, as nothing is set); again, nothing to do."""
    [refusal] = blocks("operator.md", "text")
    refused = shipgraph(tmp_path, f"shipgraph serve --port {free_port()}")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == refusal.strip()

    [command] = [b.strip() for b in blocks("operator.md", "sh") if b.startswith("shipgraph db")]
    for _ in range(2):
        done = shipgraph(tmp_path, command)
        assert done.returncode == 0, done.stderr
        assert f"revision {HEAD} (head)" in done.stdout
    assert (tmp_path / "shipgraph.sqlite3").exists()


def test_operator_guide_sqlite_backups(tmp_path: Path) -> None:
    """The guide's backup lines copy a live WAL database whole, writes not yet
    checkpointed into the main file included."""
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 command-line shell is not installed")
    assert shipgraph(tmp_path, "shipgraph db upgrade").returncode == 0
    live = sqlite3.connect(tmp_path / "shipgraph.sqlite3")
    try:
        live.execute("PRAGMA journal_mode=WAL")
        live.execute("PRAGMA wal_autocheckpoint=0")  # the write stays in the -wal file
        live.execute(
            "INSERT INTO idempotency_keys (tenant, key, completed, expires_at)"
            " VALUES ('acme', 'order-1', 1, 0)"
        )
        live.commit()
        assert (tmp_path / "shipgraph.sqlite3-wal").stat().st_size > 0
        [lines] = [b for b in blocks("operator.md", "sh") if b.startswith("sqlite3 ")]
        copies = []
        for line in lines.strip().splitlines():
            ran = subprocess.run(
                shlex.split(line), cwd=tmp_path, capture_output=True, text=True, timeout=60
            )
            assert ran.returncode == 0, (line, ran.stderr)
            copies.append(re.findall(r"shipgraph-\w+\.sqlite3", line)[-1])
    finally:
        live.close()
    assert len(copies) == 2
    for name in copies:
        copy = sqlite3.connect(tmp_path / name)
        try:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            keys = copy.execute("SELECT tenant, key FROM idempotency_keys").fetchall()
            assert keys == [("acme", "order-1")], name
        finally:
            copy.close()
