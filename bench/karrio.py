"""Karrio against shipgraph: a dashboard's page of 100 shipments, in one run (issue 13).

Optional: ``make bench-karrio`` installs Karrio's server (PyPI ``karrio-server`` and the
modules its Docker image ships) into ``.venv-karrio`` and runs this; without that venv
it prints a note and stops. Never part of ``make bench``.

Both servers run as their production images run them, on one private PostgreSQL
(``tests.support.postgres_server``, a free loopback port, never the machine's own),
each in a database of its own:

- Karrio: ``gunicorn karrio.server.asgi -k karrio.server.workers.UvicornWorker``
  (its Docker entrypoint's command; ``KARRIO_WORKERS`` processes, 2 by default as in
  the image), ``DEBUG_MODE=False``, no Redis (so no cache: the image's default without
  ``REDIS_*``), ``karrio migrate`` first. One user with an API token owns 120
  shipments written through Karrio's ORM in ``karrio shell`` (see ``SEED``): shipper
  and recipient with city and country, one parcel with weight, tracking number,
  reference, a selected rate; no label document stored (a real purchased label would
  add a base64 PDF column to every row Karrio reads).
- shipgraph: ``shipgraph serve`` (uvicorn, one process) after ``shipgraph db
  upgrade``, with ``shipgraph sandbox`` for the carriers; 120 Envio bookings through
  ``createShipment``.

Timed, in alternating rounds with a keep-alive client (bench/http.py): Karrio's
GraphQL ``shipments(filter: {first: 100})`` and REST ``GET /v1/shipments?limit=100``,
and shipgraph's ``shipments(first: 100)``, each asking for the dashboard's fields (id,
status, tracking number, reference, created, both cities and countries, parcel weight;
Karrio's REST answer is always the whole shipment). Every answer is checked (100
shipments, no errors).

Karrio's throttles (600 requests a minute per user, 300 for the shipments endpoints,
by default) would answer 429 within a run: ``USER_RATE_LIMIT`` and
``CARRIER_REQUEST_RATE_LIMIT`` are raised (the throttles still run). Its REST
requests are logged to its database by drf-api-tracking, as in production.

Knobs: ``KARRIO_VENV``, ``KARRIO_WORKERS``, ``BENCH_KARRIO_ROUNDS``, and
``BENCH_KARRIO_<NAME>=value`` to give Karrio its setting ``<NAME>`` for a variant.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvloop
from tests.support.postgres_server import PostgresServer, start_postgres_server
from tests.support.stack import KEYS

from bench import procs
from bench.common import NO_CACHE, BenchError, book, data, graphql_at
from bench.deploy import deployment
from bench.http import Endpoint, Http
from bench.measure import Call, Latency, latencies
from bench.report import load, machine, section

ROOT = Path(__file__).resolve().parent.parent
KARRIO_VENV = Path(os.environ.get("KARRIO_VENV", ROOT / ".venv-karrio")).resolve()
KARRIO_WORKERS = int(os.environ.get("KARRIO_WORKERS", "2"))
TENANT = "globex"
SHIPMENTS = 120
PAGE = 100
ROUNDS = int(os.environ.get("BENCH_KARRIO_ROUNDS", "200"))
WARMUP = 10
BOOKING_AT_ONCE = 8
MIGRATE_TIMEOUT_S = 900
TUNING = "BENCH_KARRIO_"
CPU_PAGES = 100
"""Pages per subject, one after another, whose server CPU is read from /proc."""

KARRIO_QUERY = """
query Dashboard($filter: ShipmentFilter) {
  shipments(filter: $filter) {
    edges { node {
      id status tracking_number reference created_at
      shipper { city country_code } recipient { city country_code }
      parcels { weight weight_unit }
    } }
    page_info { count has_next_page }
  }
}
"""

SHIPGRAPH_QUERY = """
query Dashboard($first: Int) {
  shipments(first: $first) {
    edges { node {
      id status trackingNumber reference createdAt
      origin { city countryCode } destination { city countryCode }
      parcels { weightKg }
    } }
    pageInfo { hasNextPage }
  }
}
"""

SEED = f"""
from django.contrib.auth import get_user_model
from karrio.server.manager.models import Shipment
from karrio.server.user.models import Token

user = get_user_model().objects.create_user("bench@example.com", "bench-password-1")
token = Token.objects.create(user=user, label="bench", test_mode=False)
places = [
    ("Jakarta Selatan", "ID", "12770"), ("Surabaya", "ID", "60111"), ("Bandung", "ID", "40111"),
    ("Singapore", "SG", "018956"), ("Kuala Lumpur", "MY", "50088"),
]

def address(n, place):
    city, country, postal = place
    return {{
        "id": f"adr_{{n:024x}}", "object_type": "address", "person_name": f"Person {{n}}",
        "company_name": "Gudang Kosambi", "phone_number": "628767438745",
        "address_line1": f"Jl. Raya Perancis No. {{n}}", "city": city,
        "postal_code": postal, "country_code": country, "residential": False,
    }}

rows = []
for n in range({SHIPMENTS}):
    rows.append(Shipment(
        created_by=user, test_mode=False, status=("created", "in_transit", "delivered")[n % 3],
        tracking_number=f"TRK{{n:010d}}", reference=f"BENCH-LIST-{{n}}",
        shipment_identifier=f"SID{{n:08d}}", label_type="PDF",
        shipper=address(2 * n, places[n % len(places)]),
        recipient=address(2 * n + 1, places[(n + 1) % len(places)]),
        parcels=[{{
            "id": f"pcl_{{n:024x}}", "object_type": "parcel", "weight": 1.2, "weight_unit": "KG",
            "length": 10, "width": 30, "height": 20, "dimension_unit": "CM",
            "packaging_type": "your_packaging",
            "items": [{{
                "sku": "2192x127y", "description": "Air Mineral 300 ML", "quantity": 1,
                "value_amount": 12500, "value_currency": "IDR", "weight": 0.3, "weight_unit": "KG",
            }}],
        }}],
        selected_rate={{
            "id": f"rat_{{n:024x}}", "carrier_id": "generic", "carrier_name": "generic",
            "service": "generic_express", "currency": "IDR", "total_charge": 23000,
            "test_mode": False, "meta": {{}},
        }},
        meta={{"carrier": "generic"}},
    ))
Shipment.objects.bulk_create(rows)
print("TOKEN", token.key, Shipment.objects.filter(created_by=user).count())
"""


@dataclass(frozen=True, slots=True)
class Databases:
    karrio: dict[str, str]
    """Karrio's database settings, as its environment variables."""
    shipgraph: str
    """SHIPGRAPH_DATABASE_URL."""
    kind: str


def available() -> str | None:
    """Why the benchmark cannot run, or None."""
    for tool in ("karrio", "gunicorn"):
        if not (KARRIO_VENV / "bin" / tool).exists():
            return f"{KARRIO_VENV / 'bin' / tool} not found (make bench-karrio installs Karrio)"
    return None


@contextmanager
def databases(work: Path) -> Iterator[Databases]:
    """A private PostgreSQL with a database for each, or SQLite files when initdb is absent."""
    try:
        server: PostgresServer | None = start_postgres_server()
    except (RuntimeError, OSError) as error:
        print(f"note: no private PostgreSQL ({error}); both run on SQLite files")
        server = None
    if server is None:
        yield Databases(
            {"DATABASE_NAME": str(work / "karrio.sqlite3")},
            f"sqlite+aiosqlite:///{work / 'shipgraph.sqlite3'}",
            "SQLite files",
        )
        return
    try:
        server.create_database("karrio")
        karrio_url = f"postgres://postgres@127.0.0.1:{server.port}/karrio"
        yield Databases({"DATABASE_URL": karrio_url}, server.url, "one private PostgreSQL")
    finally:
        server.stop()


def karrio_environment(work: Path, dbs: Databases) -> dict[str, str]:
    """Ours without SHIPGRAPH_*, Karrio's database, Redis or APM settings, then Karrio's."""
    inherited = procs.environment({})
    prefixes = ("DATABASE_", "REDIS_", "SENTRY_", "OTEL_", "POSTHOG_", "KARRIO_", "PYTHONPATH")
    env = {k: v for k, v in inherited.items() if not k.startswith(prefixes)}
    env.update(
        DEBUG_MODE="False",
        SECRET_KEY="bench-only-secret-key-0123456789abcdef",
        ALLOWED_HOSTS="*",
        USER_RATE_LIMIT="1000000/minute",
        CARRIER_REQUEST_RATE_LIMIT="1000000/minute",
        WORK_DIR=str(work),
        LOG_DIR=str(work),
        WORKER_DB_DIR=str(work),
        STATIC_ROOT_DIR=str(work / "static"),
        DETACHED_WORKER="False",
        **dbs.karrio,
    )
    # BENCH_KARRIO_<NAME>=value sets Karrio's <NAME> for a variant, e.g.
    # BENCH_KARRIO_DATABASE_CONN_MAX_AGE=60 (its default 0 opens a connection per request).
    env.update(tuning())
    return env


def tuning() -> dict[str, str]:
    """Karrio settings given as BENCH_KARRIO_<NAME> (BENCH_KARRIO_ROUNDS is ours)."""
    return {
        name.removeprefix(TUNING): value
        for name, value in os.environ.items()
        if name.startswith(TUNING) and name != f"{TUNING}ROUNDS"
    }


def run_tool(argv: list[str], env: dict[str, str], work: Path, stdin: str = "") -> str:
    done = subprocess.run(
        argv, input=stdin, env=env, cwd=work, capture_output=True, text=True,
        timeout=MIGRATE_TIMEOUT_S, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return done.stdout


def karrio_version() -> str:
    bin_python = str(KARRIO_VENV / "bin" / "python")
    probe = "import importlib.metadata as m; print(m.version('karrio-server'))"
    return subprocess.run(
        [bin_python, "-c", probe], capture_output=True, text=True, check=False
    ).stdout.strip()


def prepare_karrio(env: dict[str, str], work: Path) -> str:
    """Migrate Karrio's database and seed it; the API token."""
    started = time.perf_counter()
    run_tool([str(KARRIO_VENV / "bin" / "karrio"), "migrate", "--noinput"], env, work)
    print(f"karrio migrate took {time.perf_counter() - started:.0f} s", flush=True)
    out = run_tool([str(KARRIO_VENV / "bin" / "karrio"), "shell"], env, work, SEED)
    for line in out.splitlines():
        if line.startswith("TOKEN "):
            _, token, count = line.split()
            if int(count) != SHIPMENTS:
                raise BenchError(f"Karrio has {count} shipments, not {SHIPMENTS}")
            return token
    raise BenchError(f"karrio shell printed no token:\n{out[-2000:]}")


def gunicorn(port: int) -> list[str]:
    return [
        str(KARRIO_VENV / "bin" / "gunicorn"), "karrio.server.asgi",
        "-k", "karrio.server.workers.UvicornWorker",
        "--bind", f"127.0.0.1:{port}", "--workers", str(KARRIO_WORKERS),
    ]  # fmt: skip


def karrio_graphql(http: Http, base: str, token: str) -> Call:
    at = Endpoint.of(f"{base}/graphql")
    headers = {"Authorization": f"Token {token}"}
    body = {"query": KARRIO_QUERY, "variables": {"filter": {"first": PAGE}}}

    async def call() -> None:
        answer = await http.post_json(at, headers, body)
        found: Any = answer.json() if answer.status == 200 else {}
        edges = ((found.get("data") or {}).get("shipments") or {}).get("edges")
        if found.get("errors") or edges is None or len(edges) != PAGE:
            raise BenchError(f"Karrio GraphQL: {answer.status} {answer.body[:500]!r}")

    return call


def karrio_rest(http: Http, base: str, token: str) -> Call:
    at = Endpoint.of(f"{base}/v1/shipments", {"limit": str(PAGE)})
    headers = {"Authorization": f"Token {token}"}

    async def call() -> None:
        answer = await http.get(at, headers)
        found: Any = answer.json() if answer.status == 200 else {}
        if len(found.get("results") or []) != PAGE:
            raise BenchError(f"Karrio REST: {answer.status} {answer.body[:500]!r}")

    return call


UNCACHED = {"Authorization": f"Bearer {KEYS[TENANT]}", **NO_CACHE}
"""Our page is run every time, as Karrio's is: the response cache would answer a
repeated page without reading its documents (bench/lists.py measures that)."""


def shipgraph_page(http: Http, base: str) -> Call:
    at = graphql_at(base)
    operation = {"query": SHIPGRAPH_QUERY, "variables": {"first": PAGE}}

    async def call() -> None:
        found = data((await http.post_json(at, UNCACHED, operation)).json(), "shipments")
        if len(found["edges"]) != PAGE:
            raise BenchError(f"shipgraph gave {len(found['edges'])} edges")

    return call


async def fill_shipgraph(http: Http, base: str) -> None:
    at = graphql_at(base)
    gate = asyncio.Semaphore(BOOKING_AT_ONCE)

    async def one(n: int) -> None:
        async with gate:
            await book(http, at, f"BENCH-LIST-{n}", TENANT)

    await asyncio.gather(*(one(n) for n in range(SHIPMENTS)))


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (gunicorn's master and its workers), from /proc."""
    found = [pid]
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as children:
                for child in children.read().split():
                    found += process_tree(int(child))
        except OSError:
            continue
    return found


def tree_cpu_s(pid: int) -> float:
    total = 0.0
    for one in process_tree(pid):
        try:
            total += procs.cpu_s(one)
        except OSError:
            continue
    return total


async def cpu_per_call_ms(call: Call, pid: int) -> float:
    """Server CPU (``pid`` and its children; not PostgreSQL's) per call, in ms."""
    before = tree_cpu_s(pid)
    for _ in range(CPU_PAGES):
        await call()
    return (tree_cpu_s(pid) - before) * 1000 / CPU_PAGES


async def body_size(http: Http, call_at: tuple[str, Endpoint, dict[str, str], Any]) -> int:
    method, at, headers, body = call_at
    answer = await (http.get(at, headers) if method == "GET" else http.post_json(at, headers, body))
    return len(answer.body)


async def run(work: Path) -> None:
    async with AsyncExitStack() as exits:
        dbs = exits.enter_context(databases(work))
        env = karrio_environment(work, dbs)
        token = prepare_karrio(env, work)
        karrio_port = procs.port()
        karrio = await exits.enter_async_context(
            procs.child(gunicorn(karrio_port), karrio_port, env)
        )
        run_tool(
            [str(procs.BIN / "shipgraph"), "db", "upgrade"],
            procs.environment({"database_url": dbs.shipgraph, "log_level": "WARNING"}),
            ROOT,
        )
        env_sg = await exits.enter_async_context(deployment(database_url=dbs.shipgraph))
        assert env_sg is not None
        http = env_sg.http
        await fill_shipgraph(http, env_sg.gateway)
        calls = {
            "karrio GraphQL": karrio_graphql(http, karrio.url, token),
            "karrio REST": karrio_rest(http, karrio.url, token),
            "shipgraph GraphQL": shipgraph_page(http, env_sg.gateway),
        }
        sizes = {
            "karrio GraphQL": await body_size(http, (
                "POST", Endpoint.of(f"{karrio.url}/graphql"), {"Authorization": f"Token {token}"},
                {"query": KARRIO_QUERY, "variables": {"filter": {"first": PAGE}}},
            )),
            "karrio REST": await body_size(http, (
                "GET", Endpoint.of(f"{karrio.url}/v1/shipments", {"limit": str(PAGE)}),
                {"Authorization": f"Token {token}"}, None,
            )),
            "shipgraph GraphQL": await body_size(http, (
                "POST", graphql_at(env_sg.gateway), UNCACHED,
                {"query": SHIPGRAPH_QUERY, "variables": {"first": PAGE}},
            )),
        }  # fmt: skip
        found: dict[str, Latency] = await latencies(calls, rounds=ROUNDS, warmup=WARMUP)
        pids = {
            "karrio GraphQL": karrio.process.pid,
            "karrio REST": karrio.process.pid,
            "shipgraph GraphQL": env_sg.gateways[0].process.pid,
        }
        cpu = {name: await cpu_per_call_ms(call, pids[name]) for name, call in calls.items()}
    section(
        f"karrio: a page of {PAGE} shipments (dashboard fields) of {SHIPMENTS}, {dbs.kind};"
        f" {ROUNDS} alternating rounds after {WARMUP} warm-up;"
        f" karrio-server {karrio_version()} ({KARRIO_WORKERS} gunicorn workers);"
        " shipgraph with Cache-Control: no-cache"
        + "".join(f", {name}={value}" for name, value in tuning().items())
    )
    ours = found["shipgraph GraphQL"]
    for name, one in found.items():
        ratio = (
            "" if one is ours else f"  ratio p50 this / shipgraph {one.p50_ms / ours.p50_ms:5.2f}x"
        )
        print(
            f"karrio   {name:<18} p50 {one.p50_ms:7.2f} ms  p95 {one.p95_ms:7.2f} ms"
            f"  p99 {one.p99_ms:7.2f} ms  body {sizes[name] / 1024:6.1f} KiB{ratio}"
        )
    theirs = cpu["shipgraph GraphQL"]
    print(f"         server CPU per page ({CPU_PAGES} pages each, PostgreSQL's own not counted):")
    for name, ms in cpu.items():
        versus = "" if name == "shipgraph GraphQL" else f"  ratio {ms / theirs:5.2f}x"
        print(f"karrio   {name:<18} {ms:7.2f} ms CPU{versus}")


def main() -> None:
    missing = available()
    if missing is not None:
        print(f"note: Karrio benchmark skipped: {missing}")
        return
    print(machine(), flush=True)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="shipgraph-karrio-"))
    try:
        uvloop.run(run(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{load()}")
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
