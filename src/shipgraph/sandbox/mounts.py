"""The simulators that `shipgraph dev` and `shipgraph sandbox` serve, and the
credentials the gateway uses to talk to them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.routing import Mount

from shipgraph.sandbox.borzo import create_borzo_sandbox
from shipgraph.sandbox.entrego import create_entrego_sandbox
from shipgraph.sandbox.envio import create_envio_sandbox
from shipgraph.sandbox.envoy import create_envoy_sandbox

ENVIO_API_KEY = "sandbox-envio-key"
ENVIO_WEBHOOK_TOKEN = "sandbox-envio-webhook-token"
BORZO_AUTH_TOKEN = "sandbox-borzo-token"
BORZO_CALLBACK_SECRET = "sandbox-borzo-callback-secret"
ENTREGO_ACCESS_KEY = "sandbox-entrego-access-key"
ENTREGO_SECRET_KEY = "sandbox-entrego-secret-key"
ENTREGO_WEBHOOK_TOKEN = "sandbox-entrego-webhook-token"
ENVOY_ACCESS_TOKEN = "sandbox-envoy-token"
ENVOY_WEBHOOK_SECRET = "sandbox-envoy-webhook-secret"


@dataclass(frozen=True, slots=True)
class SandboxWiring:
    """Where the simulators are served and where they send webhooks."""

    base_url: str
    """e.g. http://127.0.0.1:8000/sandbox; each carrier below it (/envio)."""
    gateway_url: str | None
    """The gateway that receives their webhooks, or None to send none."""
    auto_advance_s: float | None = None

    def gateway_settings(self) -> dict[str, object]:
        """Settings that point the gateway at these simulators."""
        return {
            "envio_base_url": f"{self.base_url}/envio",
            "envio_api_key": ENVIO_API_KEY,
            "envio_webhook_token": ENVIO_WEBHOOK_TOKEN,
            "borzo_base_url": f"{self.base_url}/borzo",
            "borzo_auth_token": BORZO_AUTH_TOKEN,
            "borzo_callback_secret": BORZO_CALLBACK_SECRET,
            # One simulator serves both of Entrego's hosts (API and core).
            "entrego_base_url": f"{self.base_url}/entrego",
            "entrego_core_url": f"{self.base_url}/entrego",
            "entrego_access_key": ENTREGO_ACCESS_KEY,
            "entrego_secret_key": ENTREGO_SECRET_KEY,
            "entrego_webhook_token": ENTREGO_WEBHOOK_TOKEN,
            "envoy_base_url": f"{self.base_url}/envoy",
            "envoy_access_token": ENVOY_ACCESS_TOKEN,
            "envoy_webhook_secret": ENVOY_WEBHOOK_SECRET,
        }


@dataclass(frozen=True, slots=True)
class Sandboxes:
    mounts: list[Mount]
    lifespans: list[Callable[[], AbstractAsyncContextManager[None]]]

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The simulators' lifespans, for the app that mounts them (a mounted app's own
        lifespan never runs): background tasks start, and stop on the way out."""
        async with AsyncExitStack() as stack:
            for lifespan in self.lifespans:
                await stack.enter_async_context(lifespan())
            yield

    def app(self) -> Starlette:
        """The simulators as a standalone app."""

        @asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            async with self.running():
                yield

        return Starlette(routes=list(self.mounts), lifespan=lifespan)


def build_sandboxes(wiring: SandboxWiring) -> Sandboxes:
    envio_webhook = None
    if wiring.gateway_url is not None:
        envio_webhook = f"{wiring.gateway_url}/webhooks/envio?token={ENVIO_WEBHOOK_TOKEN}"
    envio = create_envio_sandbox(
        api_key=ENVIO_API_KEY, webhook_url=envio_webhook, auto_advance_s=wiring.auto_advance_s
    )
    borzo = create_borzo_sandbox(
        auth_token=BORZO_AUTH_TOKEN,
        callback_url=f"{wiring.gateway_url}/webhooks/borzo" if wiring.gateway_url else None,
        callback_secret=BORZO_CALLBACK_SECRET,
        auto_advance_s=wiring.auto_advance_s,
    )
    entrego = create_entrego_sandbox(
        access_key=ENTREGO_ACCESS_KEY,
        secret_key=ENTREGO_SECRET_KEY,
        webhook_url=f"{wiring.gateway_url}/webhooks/entrego" if wiring.gateway_url else None,
        webhook_token=ENTREGO_WEBHOOK_TOKEN,
        auto_advance_s=wiring.auto_advance_s,
    )
    envoy = create_envoy_sandbox(
        access_token=ENVOY_ACCESS_TOKEN,
        webhook_url=f"{wiring.gateway_url}/webhooks/envoy" if wiring.gateway_url else None,
        webhook_secret=ENVOY_WEBHOOK_SECRET,
    )
    return Sandboxes(
        mounts=[
            Mount("/envio", envio),
            Mount("/borzo", borzo),
            Mount("/entrego", entrego),
            Mount("/envoy", envoy),
        ],
        lifespans=[
            envio.state.envio.running,
            borzo.state.borzo.running,
            entrego.state.entrego.running,
            envoy.state.envoy.running,
        ],
    )
