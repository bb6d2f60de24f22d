"""The whole gateway and the Envio simulator, over real loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from shipgraph.app import create_app
from shipgraph.config import Settings, load_settings
from shipgraph.sandbox.mounts import SandboxWiring, build_sandboxes
from shipgraph.store.sql.engine import MEMORY_URL
from tests.support.redis_server import free_port
from tests.support.servers import serve

KEYS = {"acme": "key-acme", "globex": "key-globex"}


@dataclass
class Stack:
    gateway: str
    sandbox: str
    http: httpx.AsyncClient
    settings: Settings
    app: Starlette

    @property
    def envio(self) -> str:
        return f"{self.sandbox}/envio"

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, tenant: str | None = "acme"
    ) -> dict[str, Any]:
        """POST a GraphQL operation; returns the whole JSON body."""
        headers = {"Authorization": f"Bearer {KEYS[tenant]}"} if tenant else {}
        response = await self.http.post(
            f"{self.gateway}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )
        body: dict[str, Any] = response.json()
        return body

    async def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, f"{self.envio}/_control{path}", **kwargs)

    async def advance(self, code: str, step: str | None = None) -> dict[str, Any]:
        body = {"step": step} if step else None
        response = await self.control("POST", f"/shipments/{code}/advance", json=body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@dataclass(frozen=True)
class Backend:
    """Where a stack keeps its records and what it shares through Redis."""

    name: str
    database_url: str = MEMORY_URL
    """The gateway's database; each stack on MEMORY_URL has its own, in memory."""
    redis_url: str | None = None
    """The cache, bus and breakers' Redis; None keeps them in the process."""

    def settings(self) -> dict[str, Any]:
        return {"database_url": self.database_url, "redis_url": self.redis_url}


EMBEDDED = Backend("sqlite")
"""`shipgraph dev`'s shape: SQLite in memory, nothing shared."""


@asynccontextmanager
async def running_stack(
    backend: Backend = EMBEDDED, gateway_port: int | None = None, **settings: Any
) -> AsyncIterator[Stack]:
    """Gateway and simulators, each on a free port, webhooks wired; ``settings`` (by
    their names in shipgraph.config.Settings) win over the backend's."""
    gateway_port = gateway_port or free_port()
    sandbox_port = free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    wiring = SandboxWiring(base_url=f"http://127.0.0.1:{sandbox_port}", gateway_url=gateway_url)
    config = load_settings(
        **{
            **wiring.gateway_settings(),
            "api_keys": ",".join(f"{tenant}:{key}" for tenant, key in KEYS.items()),
            **backend.settings(),
            "carrier_timeout_s": 2.0,
            **settings,
        }
    )
    async with AsyncExitStack() as stack:
        sandbox_url = await stack.enter_async_context(
            serve(build_sandboxes(wiring).app(), sandbox_port)
        )
        app = create_app(config)
        await stack.enter_async_context(serve(app, gateway_port))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        yield Stack(gateway=gateway_url, sandbox=sandbox_url, http=http, settings=config, app=app)
