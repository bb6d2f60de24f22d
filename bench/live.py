"""Live: one carrier webhook -> ``shipmentUpdated`` on a thousand WebSocket subscribers.

Everything the gateway does for a status change is on the clock: the Envio webhook
POSTed to ``/webhooks/envio`` with the carrier's token (the body the simulator sends
for a driver assignment, a new driver each time so that every webhook changes the
shipment), verified, stored in PostgreSQL, published on the Redis bus, and executed and
sent by every subscription (graphql-transport-ws). A receipt is timed from just
before the POST to the moment its frame's bytes reach the client.

Four set-ups, all connected at once and measured in alternating rounds:

- ``floor``: bench/floor.py in its own process, 1 000 connections; a message on its
  ``/publish`` WebSocket (the bytes the gateway sends for an event) is handed to
  ``websockets.broadcast()``, one write per socket. What this machine and this client
  allow at best: no ASGI, no task per connection, no GraphQL.
- ``plain``: bench/plain.py in its own process, 1 000 connections; the trigger
  (``POST /publish``) queues the same bytes the gateway sends for an event to every
  connection. The floor of this machine, this client and uvicorn's WebSocket.
- ``gateway x1``: one `shipgraph serve` process on the private Redis and PostgreSQL, 1 000
  subscribers of tenant acme, the webhook POSTed to it.
- ``gateway x2``: two `shipgraph serve` processes on the same Redis and database, 500 subscribers
  of tenant globex on each, the webhook POSTed to the first.

Client, servers, redis-server and PostgreSQL share the machine's two cores.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from tests.support.postgres_server import PostgresServer

from bench import procs
from bench.common import BenchError, auth, book, fresh_database, graphql_at
from bench.deploy import Deployment, deployment
from bench.http import Endpoint, Http
from bench.measure import NS_PER_MS, quantile, rotated
from bench.procs import Child
from bench.report import Target, at_most, section
from bench.subscribers import PROTOCOL, Setup, connected, raise_fd_limit, ready
from bench.wsclient import WsClient, connect
from shipgraph.sandbox.mounts import ENVIO_WEBHOOK_TOKEN

SUBSCRIBERS = 1_000
ROUNDS = 15
ROUND_WAIT_S = 15.0

WIDTHS = (15, 8, 12, 10, 10, 13)
"""Of the columns receipts p50, p99, first p50, last p50, last max, trigger p50."""

FLOOR = "floor"
PLAIN = "plain"
ONE = "gateway x1"
TWO = "gateway x2"


def driver_event(code: str, n: int) -> dict[str, Any]:
    """Envio's assign-driver callback (sandbox/envio/lifecycle.py), driver ``n``."""
    return {
        "code": f"MNF-{code}",
        "shipment": {"code": code, "ref_code": "BENCH-LIVE"},
        "driver_name": f"Bench Driver {n:05d}",
        "driver_phone": "6281200000000",
        "vehicle_number": "B 1234 BEN",
    }


def webhook_trigger(http: Http, gateway: str, code: str) -> Callable[[int], Awaitable[None]]:
    at = Endpoint.of(f"{gateway}/webhooks/envio", {"token": ENVIO_WEBHOOK_TOKEN})

    async def trigger(n: int) -> None:
        answer = await http.post_json(at, {}, driver_event(code, n))
        if answer.status != 200:
            raise BenchError(f"webhook answered {answer.status}: {answer.body[:200]!r}")

    return trigger


def marker(n: int) -> bytes:
    return f"Bench Driver {n:05d}".encode()


@dataclass
class Usage:
    """CPU seconds of the servers, redis-server and this process over a setup's rounds."""

    servers: float = 0.0
    redis: float = 0.0
    client: float = 0.0

    def per_event_ms(self, events: int) -> str:
        each = [1000 * cpu / events for cpu in (self.servers, self.redis, self.client)]
        return f"servers {each[0]:4.0f}  redis {each[1]:3.0f}  client {each[2]:3.0f}"


def cpu_now(servers: list[Child], redis_pid: int) -> tuple[float, float, float]:
    return (sum(c.cpu_s() for c in servers), procs.cpu_s(redis_pid), time.process_time())


def plain_trigger(
    http: Http, plain: str, sample: bytes, sample_n: int
) -> Callable[[int], Awaitable[None]]:
    """Publishes the gateway's frame of event ``sample_n``, with event n's driver in it."""
    at = Endpoint.of(f"{plain}/publish")
    template = sample.replace(marker(sample_n), b"%%MARK%%")

    async def trigger(n: int) -> None:
        answer = await http.request("POST", at, {}, template.replace(b"%%MARK%%", marker(n)))
        if answer.status != 200:
            raise BenchError(f"plain publish answered {answer.status}")

    return trigger


def floor_trigger(
    publisher: WsClient, sample: bytes, sample_n: int
) -> Callable[[int], Awaitable[None]]:
    """Broadcasts the gateway's frame of event ``sample_n``, with event n's driver in it."""
    template = sample.replace(marker(sample_n), b"%%MARK%%")

    async def trigger(n: int) -> None:
        publisher.send_text(template.replace(b"%%MARK%%", marker(n)))
        answer = await publisher.receive()
        if answer.get("sent") != SUBSCRIBERS:
            raise BenchError(f"floor broadcast answered {answer}")

    return trigger


async def floor_setup(exits: AsyncExitStack, sample: bytes, sample_n: int) -> tuple[Setup, Child]:
    floor = await exits.enter_async_context(procs.module("bench.floor", procs.port()))
    url = floor.url.replace("http://", "ws://")
    publisher = await connect(f"{url}/publish", PROTOCOL)
    exits.callback(publisher.close)
    clients = await connected([f"{floor.url}/ws"], SUBSCRIBERS, None)
    return Setup(FLOOR, clients, floor_trigger(publisher, sample, sample_n), marker), floor


async def gateway_setup(env: Deployment, name: str, servers: list[Child], tenant: str) -> Setup:
    booked = await book(env.http, graphql_at(servers[0].url), f"BENCH-{name}", tenant)
    init = {"authorization": auth(tenant)["Authorization"]}
    clients = await connected([f"{c.url}/graphql" for c in servers], SUBSCRIBERS, init)
    trigger = webhook_trigger(env.http, servers[0].url, booked.tracking_number)
    return Setup(name, clients, trigger, marker)


async def measured(
    env: Deployment, setups: list[Setup], servers: dict[str, list[Child]], first: int
) -> dict[str, Usage]:
    """ROUNDS alternating rounds; the CPU each setup's rounds used."""
    assert env.redis is not None
    usage = {setup.name: Usage() for setup in setups}
    n = first
    for turn in range(ROUNDS):
        for setup in rotated(setups, turn):
            n += 1
            before = cpu_now(servers[setup.name], env.redis.process.pid)
            found = await setup.once(n, ROUND_WAIT_S)
            after = cpu_now(servers[setup.name], env.redis.process.pid)
            if found is None:
                raise BenchError(f"{setup.name}: event {n} did not reach every subscriber")
            setup.rounds.append(found)
            used = usage[setup.name]
            used.servers += after[0] - before[0]
            used.redis += after[1] - before[1]
            used.client += after[2] - before[2]
    return usage


def report(setups: list[Setup], usage: dict[str, Usage], rss: dict[str, float]) -> list[Target]:
    print(
        "live     (ms)          receipts p50     p99   first p50  last p50  last max  trigger p50"
        "   CPU ms per event"
    )
    figures = {}
    for setup in setups:
        receipts = [r for one in setup.rounds for r in one.receipts_ns]
        lasts = [max(one.receipts_ns) for one in setup.rounds]
        p50, p99 = statistics.median(receipts), quantile(receipts, 99)
        first = statistics.median(min(one.receipts_ns) for one in setup.rounds)
        post = statistics.median(one.post_ns for one in setup.rounds)
        figures[setup.name] = (p50, p99, post)
        shown = (p50, p99, first, statistics.median(lasts), max(lasts), post)
        row = "".join(
            f"{ns / NS_PER_MS:{width}.1f}" for ns, width in zip(shown, WIDTHS, strict=True)
        )
        print(
            f"live     {setup.name:<11}{row}   {usage[setup.name].per_event_ms(len(setup.rounds))}"
        )
    plain, floor = figures[PLAIN], figures[FLOOR]
    targets = []
    for name in (ONE, TWO):
        p50, p99, post = figures[name]
        print(
            f"         {name}: ratio p99 / floor p99 {p99 / floor[1]:6.2f}x,"
            f" p99 / plain p99 {p99 / plain[1]:6.2f}x,"
            f" p50 / plain p50 {p50 / plain[0]:6.2f}x, p50 / its webhook POST {p50 / post:6.2f}x;"
            f" RSS {rss[name]:+.0f} MB over the run"
        )
        targets.append(at_most("live", f"receipt p99 ms, {name}", p99 / NS_PER_MS, 20))
    return targets


async def run(database: PostgresServer | None) -> list[Target]:
    """``database``: the run's PostgreSQL, which the three gateways share (without it
    each has a SQLite database in memory, and gateway x2's second process would not
    know the shipment its subscribers follow)."""
    raise_fd_limit(4 * SUBSCRIBERS + 1_000)
    url = fresh_database(database) if database is not None else None
    setup = deployment(gateways=3, redis=True, plain=True, database=url)
    async with setup as env, AsyncExitStack() as exits:
        if env is None:
            return []
        assert env.plain is not None
        one, pair = env.gateways[:1], env.gateways[1:]
        x1 = await gateway_setup(env, ONE, one, "acme")
        x2 = await gateway_setup(env, TWO, pair, "globex")
        n = await ready(x1, 0)
        plain_clients = await connected([f"{env.plain.url}/ws"], SUBSCRIBERS, None)
        trigger = plain_trigger(env.http, env.plain.url, x1.last_payload, n)
        baseline = Setup(PLAIN, plain_clients, trigger, marker)
        floor, floor_server = await floor_setup(exits, x1.last_payload, n)
        servers = {ONE: one, TWO: pair, PLAIN: [env.plain], FLOOR: [floor_server]}
        n = await ready(x2, n)
        n = await ready(baseline, n)
        n = await ready(floor, n)
        setups = [floor, baseline, x1, x2]
        rss = {name: sum(c.rss_mb() for c in servers[name]) for name in (ONE, TWO)}
        usage = await measured(env, setups, servers, n)
        rss = {name: sum(c.rss_mb() for c in servers[name]) - rss[name] for name in (ONE, TWO)}
        for client in (c for setup in setups for c in setup.clients):
            client.close()
    section(
        f"live: an Envio webhook -> shipmentUpdated on {SUBSCRIBERS} WebSocket subscribers;"
        f" {ROUNDS} alternating rounds per setup (receipt = from just before the POST)"
    )
    return report(setups, usage, rss)
