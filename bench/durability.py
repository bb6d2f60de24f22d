"""Durability: ``kill -9`` of PostgreSQL's postmaster during a stream of Envio webhooks;
no webhook answered 2xx may be lost.

A durable private PostgreSQL (``start_postgres_server(durable=True)``: on disk, with
production's fsync, synchronous_commit and full_page_writes), one `shipgraph serve`
on a fresh database in it (tracking poller off, so every write is a webhook's), and
the simulators (`shipgraph sandbox`), through which SHIPMENTS Envio shipments are
booked. Then EVENTS distinct webhooks (Envio's assign-driver callback, a new driver
each, so each one adds a tracking log whose message names that driver) go to
``/webhooks/envio`` from SENDERS concurrent senders that behave like a carrier: an
answer other than 2xx, a refused or broken connection or no answer within
REQUEST_TIMEOUT_S is retried after RETRY_S, until 2xx.

When KILL_AFTER webhooks have been answered 2xx, the postmaster is sent SIGKILL (its
PID from ``postmaster.pid``; its backends then exit on their own, as after a real
crash), left down for DOWN_S, and started again on the same data directory (crash
recovery replays the WAL; the start is retried while the dead server's backends
still hold its shared memory). The senders carry on throughout.

At the end the store itself is read (every shipment's ``document`` straight from the
database): a webhook answered 2xx whose tracking log is not in its shipment's
document is lost. The bar: 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from tests.support.postgres_server import PostgresServer

from bench.common import (
    BenchError,
    book,
    fresh_database,
    graphql_at,
    postmaster_pid,
    private_postgres,
)
from bench.deploy import Deployment, deployment
from bench.http import Endpoint, Http, HttpError
from bench.plain import asyncpg_dsn
from bench.report import Target, at_most, section
from shipgraph.sandbox.mounts import ENVIO_WEBHOOK_TOKEN

TENANT = "acme"
SHIPMENTS = 40
EVENTS = 2_000
SENDERS = 32
KILL_AFTER = 600
DOWN_S = 2.0
RETRY_S = 0.2
REQUEST_TIMEOUT_S = 15.0
RESTART_TRIES = 50
GIVE_UP_S = 300.0
VEHICLE = "B 1234 BEN"


@dataclass(frozen=True)
class Webhook:
    code: str
    """The shipment's Envio code (its tracking number)."""
    shipment_id: str
    driver: str

    def body(self) -> dict[str, Any]:
        return {
            "code": f"MNF-{self.code}",
            "shipment": {"code": self.code, "ref_code": "BENCH-DURABLE"},
            "driver_name": self.driver,
            "driver_phone": "6281200000000",
            "vehicle_number": VEHICLE,
        }

    def message(self) -> str:
        """The tracking log message the gateway writes for it (carriers/envio/webhooks.py)."""
        return f"Driver {self.driver} assigned ({VEHICLE})"


@dataclass
class Tally:
    answers: Counter[str] = field(default_factory=Counter)
    """Attempts by outcome: HTTP status, or the connection error."""
    acked: list[Webhook] = field(default_factory=list)
    enough: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when KILL_AFTER webhooks have been acknowledged."""
    acked_at_kill: int = 0
    killed_at: float = 0.0
    restarted_at: float = 0.0
    restart_tries: int = 0
    first_ack_after_restart: float | None = None
    done_at: float = 0.0

    @property
    def attempts(self) -> int:
        return sum(self.answers.values())


async def send(http: Http, at: Endpoint, webhook: Webhook, tally: Tally) -> None:
    """POST until 2xx, as a carrier retries."""
    deadline = time.monotonic() + GIVE_UP_S
    while time.monotonic() < deadline:
        try:
            answer = await asyncio.wait_for(
                http.post_json(at, {}, webhook.body()), REQUEST_TIMEOUT_S
            )
        except TimeoutError:
            tally.answers["no answer in time"] += 1
        except (OSError, HttpError, asyncio.IncompleteReadError) as error:
            tally.answers[type(error).__name__] += 1
        else:
            tally.answers[str(answer.status)] += 1
            if 200 <= answer.status < 300:
                tally.acked.append(webhook)
                if len(tally.acked) >= KILL_AFTER:
                    tally.enough.set()
                if tally.restarted_at and tally.first_ack_after_restart is None:
                    tally.first_ack_after_restart = time.monotonic()
                return
        await asyncio.sleep(RETRY_S)
    raise BenchError(f"webhook for {webhook.driver} not accepted within {GIVE_UP_S:.0f} s")


async def crash(server: PostgresServer, tally: Tally) -> None:
    """SIGKILL the postmaster once KILL_AFTER webhooks were acknowledged; restart it."""
    await tally.enough.wait()
    pid = postmaster_pid(server)
    os.kill(pid, signal.SIGKILL)
    tally.killed_at = time.monotonic()
    tally.acked_at_kill = len(tally.acked)
    await asyncio.sleep(DOWN_S)
    for attempt in range(1, RESTART_TRIES + 1):
        tally.restart_tries = attempt
        try:
            await asyncio.to_thread(server.restart)
            break
        except RuntimeError:
            # The killed postmaster's backends may still hold its shared memory.
            if attempt == RESTART_TRIES:
                raise
            await asyncio.sleep(0.2)
    tally.restarted_at = time.monotonic()


async def stored_messages(url: str) -> dict[str, set[str]]:
    """Each shipment's tracking log messages, read from the database."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch(
            "SELECT id, document FROM shipments WHERE tenant = $1", TENANT
        )
    finally:
        await connection.close()
    found: dict[str, set[str]] = {}
    for row in rows:
        document = json.loads(row["document"])
        found[row["id"]] = {log.get("message") or "" for log in document["tracking_logs"]}
    return found


async def booked(env: Deployment) -> list[tuple[str, str]]:
    """(shipment id, Envio code) of SHIPMENTS bookings."""
    at = graphql_at(env.gateway)
    found = []
    for n in range(SHIPMENTS):
        one = await book(env.http, at, f"BENCH-DURABLE-{n}", TENANT)
        found.append((one.shipment_id, one.tracking_number))
    return found


async def stream(env: Deployment, server: PostgresServer, webhooks: list[Webhook]) -> Tally:
    tally = Tally()
    at = Endpoint.of(f"{env.gateway}/webhooks/envio", {"token": ENVIO_WEBHOOK_TOKEN})
    queue = list(reversed(webhooks))

    async def sender() -> None:
        http = Http()  # its own connections: a carrier's sender
        try:
            while queue:
                await send(http, at, queue.pop(), tally)
        finally:
            await http.aclose()

    started = time.monotonic()
    async with asyncio.TaskGroup() as group:
        killer = group.create_task(crash(server, tally))
        for _ in range(SENDERS):
            group.create_task(sender())
    if not killer.done() or killer.exception() is not None:
        raise BenchError("the postmaster was not killed mid-stream")
    tally.done_at = time.monotonic() - started
    tally.killed_at -= started
    tally.restarted_at -= started
    if tally.first_ack_after_restart is not None:
        tally.first_ack_after_restart -= started
    return tally


async def run() -> list[Target]:
    async with AsyncExitStack() as exits:
        server = await private_postgres(exits, "the durability benchmark", durable=True)
        if server is None:
            return []
        url = fresh_database(server)
        env = await exits.enter_async_context(deployment(database=url, poll_s=0))
        assert env is not None
        shipments = await booked(env)
        webhooks = []
        for n in range(EVENTS):
            shipment_id, code = shipments[n % SHIPMENTS]
            webhooks.append(Webhook(code, shipment_id, f"Bench Driver {n:05d}"))
        tally = await stream(env, server, webhooks)
        stored = await stored_messages(url)
    acked = {webhook.driver for webhook in tally.acked}
    lost = [w for w in tally.acked if w.message() not in stored.get(w.shipment_id, set())]
    applied = sum(1 for w in webhooks if w.message() in stored.get(w.shipment_id, set()))
    section(
        f"durability: {EVENTS} distinct Envio webhooks for {SHIPMENTS} shipments from {SENDERS}"
        f" senders retrying every {RETRY_S} s; kill -9 of PostgreSQL's postmaster after"
        f" {KILL_AFTER} were answered 2xx (durable server on disk)"
    )
    answers = ", ".join(f"{name} {n}" for name, n in sorted(tally.answers.items()))
    print(f"durable  attempts {tally.attempts}: {answers}")
    print(
        f"durable  webhooks answered 2xx {len(acked)} of {EVENTS}; in the store {applied};"
        f" answered 2xx and lost {len(lost)}"
    )
    after = tally.first_ack_after_restart
    first = "none" if after is None else f"{after:.2f} s"
    print(
        f"         killed at {tally.killed_at:.2f} s (after {tally.acked_at_kill} 2xx),"
        f" restarted at {tally.restarted_at:.2f} s ({tally.restart_tries} start attempt(s)),"
        f" first 2xx after the restart at {first}, stream done at {tally.done_at:.2f} s"
    )
    for webhook in lost[:5]:
        print(f"         lost: {webhook.driver} on {webhook.shipment_id}")
    return [at_most("durable", "webhooks answered 2xx and lost", len(lost), 0)]
