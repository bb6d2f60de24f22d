"""Fan-out: the ``rates`` query across Borzo and Envoy, each simulator answering
100 ms after a request arrives, its own work included (the fault API's ``answer_ms``
on the quoting path: Borzo's calculate-order, Envoy's POST /shipments, which rates
the draft it creates).

The gateway is `shipgraph serve` (memory store); Borzo's and Envoy's simulators each
run in a `shipgraph sandbox` process of their own, as two carriers' servers would.
Four subjects alternate, each time after their answer time was set (untimed): the
two-carrier quote at 100 ms, Envoy alone at 100 ms, the two-carrier quote at 0 ms
(what the quote costs beyond the waiting), and Envoy's POST /shipments called
directly at 100 ms (how long the carrier itself takes to answer, seen by this client).

Borzo allows 100 requests a minute and both its simulator and the gateway enforce
it: one quote is one Borzo request (vehicle 8 chosen), so the rounds stay below 100,
and a second, fresh deployment (new simulators, new gateway) gives more samples.
"""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from typing import Any

from tests.integration.operations import shipment_input
from tests.sandbox.test_envoy_sandbox import create_body

from bench.common import BenchError, data, gql, graphql_at
from bench.deploy import Deployment, deployment
from bench.http import Endpoint
from bench.measure import Call, Latency, latencies
from bench.report import Target, at_most, section
from shipgraph.sandbox.mounts import ENVOY_ACCESS_TOKEN

CARRIER_MS = 100
WARMUP = 4
ROUNDS = 36
CPU_QUOTES = 12
"""(WARMUP + ROUNDS) * 2 + CPU_QUOTES Borzo requests: under its 100 a minute."""
DEPLOYMENTS = 2
"""Each starts with a fresh Borzo budget (simulator and gateway)."""
QUOTING_PATH = {"borzo": "/calculate-order", "envoy": "/shipments"}
RATES = """
query Rates($input: RatesInput!) {
  rates(input: $input) {
    rates { id carrier service total { amount currency } charges { kind amount { amount } } }
    errors { carrier code message }
  }
}
"""

BOTH = "BORZO+ENVOY 100 ms"
ENVOY = "ENVOY alone 100 ms"
FREE = "BORZO+ENVOY 0 ms"
DIRECT = "ENVOY direct 100 ms"


def variables(carriers: list[str]) -> dict[str, Any]:
    shipment = shipment_input("BENCH-QUOTE", description="Dokumen")
    del shipment["cashOnDelivery"]
    shipment["carrierOptions"] = {"BORZO": {"vehicle_type_id": 8}}
    return {"input": {"shipment": shipment, "carriers": carriers}}


def quote(env: Deployment, carriers: list[str]) -> Call:
    at = graphql_at(env.gateway)
    asked = variables(carriers)

    async def call() -> None:
        answer = data(await gql(env.http, at, RATES, asked), "rates")
        quoted = {rate["carrier"] for rate in answer["rates"]}
        if answer["errors"] or quoted != set(carriers):
            raise BenchError(f"rates {carriers}: {answer}")

    return call


def direct(env: Deployment) -> Call:
    """Envoy's own create (the document's example), straight to its simulator."""
    at = Endpoint.of(f"{env.carrier('envoy')}/shipments")
    headers = {"Authorization": f"Bearer {ENVOY_ACCESS_TOKEN}"}
    body = create_body()

    async def call() -> None:
        answer = await env.http.post_json(at, headers, body)
        if answer.status != 201:
            raise BenchError(f"Envoy answered {answer.status}: {answer.body[:200]!r}")

    return call


def waiting(env: Deployment, milliseconds: int) -> Callable[[], Awaitable[None]]:
    async def set_answer_time() -> None:
        for carrier, path in QUOTING_PATH.items():
            await env.answer_in(carrier, milliseconds, path)

    return set_answer_time


def simulators_cpu_s(env: Deployment) -> float:
    return sum(simulator.cpu_s() for simulator in env.simulators())


async def cpu_per_quote(env: Deployment) -> tuple[float, float]:
    """CPU ms (gateway, simulators) one two-carrier quote at 0 ms takes, on average."""
    await waiting(env, 0)()
    call = quote(env, ["BORZO", "ENVOY"])
    gateway, sandbox = env.gateways[0].cpu_s(), simulators_cpu_s(env)
    for _ in range(CPU_QUOTES):
        await call()
    per_quote = 1000 / CPU_QUOTES
    return (
        (env.gateways[0].cpu_s() - gateway) * per_quote,
        (simulators_cpu_s(env) - sandbox) * per_quote,
    )


def lines(found: dict[str, Latency], cpu: tuple[float, float]) -> list[str]:
    both, envoy, free, own = found[BOTH], found[ENVOY], found[FREE], found[DIRECT]
    return [
        f"fan-out  rates {BOTH:<20} p50 {both.p50_ms:7.2f} ms  p99 {both.p99_ms:7.2f} ms"
        f"  ({len(both.samples_ns)} quotes)",
        f"         vs {CARRIER_MS} ms, one carrier's wait      ratio p50 "
        f"{both.p50_ms / CARRIER_MS:5.2f}x  p99 {both.p99_ms / CARRIER_MS:5.2f}x",
        f"         vs {2 * CARRIER_MS} ms, the waits in sequence  ratio p50 "
        f"{both.p50_ms / (2 * CARRIER_MS):5.2f}x  p99 {both.p99_ms / (2 * CARRIER_MS):5.2f}x",
        f"         vs {DIRECT:<22} p50 {own.p50_ms:7.2f} ms  p99 {own.p99_ms:7.2f} ms"
        f"  ratio p50 {both.p50_ms / own.p50_ms:5.2f}x  (the carrier's own answer time)",
        f"         vs rates {ENVOY:<19} p50 {envoy.p50_ms:7.2f} ms  p99 {envoy.p99_ms:7.2f} ms"
        f"  ratio p50 {both.p50_ms / envoy.p50_ms:5.2f}x",
        f"         vs rates {FREE:<19} p50 {free.p50_ms:7.2f} ms  p99 {free.p99_ms:7.2f} ms"
        f"  (the quote's own cost; 100 ms + this = {CARRIER_MS + free.p50_ms:.1f} ms)",
        f"         CPU per quote at 0 ms: gateway {cpu[0]:.1f} ms, simulators {cpu[1]:.1f} ms"
        f" (mean of {DEPLOYMENTS} x {CPU_QUOTES} quotes; /proc ticks of 10 ms)",
    ]


async def one_deployment() -> tuple[dict[str, Latency], tuple[float, float]]:
    async with deployment(apart=tuple(QUOTING_PATH)) as env:
        assert env is not None
        calls = {
            BOTH: quote(env, ["BORZO", "ENVOY"]),
            ENVOY: quote(env, ["ENVOY"]),
            FREE: quote(env, ["BORZO", "ENVOY"]),
            DIRECT: direct(env),
        }
        hundred = waiting(env, CARRIER_MS)
        before = {BOTH: hundred, ENVOY: hundred, DIRECT: hundred}
        before[FREE] = waiting(env, 0)
        found = await latencies(calls, rounds=ROUNDS, warmup=WARMUP, before=before)
        return found, await cpu_per_quote(env)


async def run() -> list[Target]:
    runs = [await one_deployment() for _ in range(DEPLOYMENTS)]
    found = {
        name: Latency([ns for one, _ in runs for ns in one[name].samples_ns])
        for name in (BOTH, ENVOY, FREE, DIRECT)
    }
    cpu = (
        statistics.mean(used[0] for _, used in runs),
        statistics.mean(used[1] for _, used in runs),
    )
    section(
        f"fan-out: rates across two carriers whose simulators answer in {CARRIER_MS} ms;"
        f" {ROUNDS} alternating rounds after {WARMUP} warm-up, on each of {DEPLOYMENTS}"
        " fresh deployments"
    )
    for line in lines(found, cpu):
        print(line)
    ratio = found[BOTH].p50_ms / CARRIER_MS
    return [at_most("fan-out", f"quote p50 / {CARRIER_MS} ms", ratio, 1.10)]
