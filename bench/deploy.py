"""A deployment in processes: the simulators (`shipgraph sandbox`), gateways (`shipgraph
serve`, uvicorn with uvloop and httptools as in production) on one database (a
PostgreSQL URL, or a SQLite database in each gateway's memory), optionally a private
redis-server (cache, event bus, breakers) and bench/plain.py (on the same database).
The benchmark's own process only runs the client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from tests.support.redis_server import RedisServer

from bench import procs
from bench.common import private_redis
from bench.http import Endpoint, Http
from bench.procs import Child
from shipgraph.sandbox.mounts import SandboxWiring
from shipgraph.store.sql.engine import MEMORY_URL


@dataclass
class Deployment:
    sandbox: Child
    """Every simulator not in ``apart``."""
    gateways: list[Child]
    http: Http
    """The one client every request of the benchmark goes through."""
    database: str
    """The gateways' SHIPGRAPH_DATABASE_URL."""
    redis: RedisServer | None = None
    plain: Child | None = None
    apart: dict[str, Child] = field(default_factory=dict)
    """Carriers whose simulator runs in a process of its own, as a real carrier's
    server would (one process would answer two carriers' requests one after the other)."""

    @property
    def gateway(self) -> str:
        return self.gateways[0].url

    def carrier(self, name: str) -> str:
        """A simulator's base URL, e.g. ``carrier("envoy")``."""
        return f"{self.apart.get(name, self.sandbox).url}/{name}"

    def simulators(self) -> list[Child]:
        return [self.sandbox, *self.apart.values()]

    async def control(self, carrier: str, path: str, body: object | None = None) -> object:
        """A simulator control call (GET without ``body``, else POST); its JSON."""
        at = Endpoint.of(f"{self.carrier(carrier)}/_control{path}")
        if body is None:
            answer = await self.http.get(at, {})
        else:
            answer = await self.http.post_json(at, {}, body)
        if answer.status >= 300:
            raise RuntimeError(f"{carrier} control {path}: {answer.status} {answer.body[:200]!r}")
        return answer.json()

    async def latency(self, carrier: str, milliseconds: int, path_prefix: str) -> None:
        """Every request to ``carrier`` under ``path_prefix`` waits this long first."""
        spec = {"latency_ms": milliseconds, "path_prefix": path_prefix}
        await self.control(carrier, "/faults", spec)

    async def answer_in(self, carrier: str, milliseconds: int, path_prefix: str) -> None:
        """``carrier`` answers requests under ``path_prefix`` this long after they
        arrive, its own work included."""
        spec = {"answer_ms": milliseconds, "path_prefix": path_prefix}
        await self.control(carrier, "/faults", spec)


@asynccontextmanager
async def deployment(
    *,
    gateways: int = 1,
    redis: bool = False,
    plain: bool = False,
    database: str | None = None,
    apart: tuple[str, ...] = (),
    **settings: object,
) -> AsyncIterator[Deployment | None]:
    """None (after a printed note) when Redis is wanted and there is no redis-server.
    ``database``: a PostgreSQL URL every gateway and the plain server share; without
    it each gateway has a SQLite database in its memory (for benchmarks that do not
    read what another gateway wrote)."""
    async with AsyncExitStack() as exits:
        server = private_redis(exits, "the Redis benchmarks") if redis else None
        if redis and server is None:
            yield None
            return
        sandbox = await exits.enter_async_context(procs.sandbox(procs.port()))
        wiring = SandboxWiring(base_url=sandbox.url, gateway_url=None)
        config: dict[str, object] = {**wiring.gateway_settings(), **settings}
        config["database_url"] = database or MEMORY_URL
        own: dict[str, Child] = {}
        for name in apart:
            own[name] = await exits.enter_async_context(procs.sandbox(procs.port()))
            config[f"{name}_base_url"] = f"{own[name].url}/{name}"
        if server is not None:
            config["redis_url"] = server.url
        started = [
            await exits.enter_async_context(procs.gateway(procs.port(), **config))
            for _ in range(gateways)
        ]
        baseline = None
        if plain:
            args = ["--database-url", database] if database is not None else []
            baseline = await exits.enter_async_context(
                procs.module("bench.plain", procs.port(), *args)
            )
        http = Http()
        exits.push_async_callback(http.aclose)
        yield Deployment(sandbox, started, http, str(config["database_url"]), server, baseline, own)
