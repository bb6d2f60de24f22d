"""Stand-ins for carriers (misbehaving, or answering one thing), for adapters' and
CarrierHttp's unit tests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from shipgraph.carriers.envio.adapter import EnvioCarrier


async def never_answers(request: httpx.Request) -> httpx.Response:
    """A MockTransport handler for a carrier that takes the request and goes silent:
    the client's deadline must end the wait."""
    await asyncio.sleep(60)
    raise AssertionError("the client should have given up long before")


def envio_answering(data: dict[str, Any]) -> EnvioCarrier:
    """An Envio adapter whose every call is answered 200 with ``data`` in Envio's
    envelope (a tracking read's answer, say)."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"message": "success", "data": data})

    return EnvioCarrier(
        base_url="http://envio.test",
        api_key="key",
        webhook_token=None,
        timeout_s=1,
        transport=httpx.MockTransport(answer),
    )
