"""Stand-ins for carriers misbehaving, for adapters' and CarrierHttp's unit tests."""

from __future__ import annotations

import asyncio

import httpx


async def never_answers(request: httpx.Request) -> httpx.Response:
    """A MockTransport handler for a carrier that takes the request and goes silent:
    the client's deadline must end the wait."""
    await asyncio.sleep(60)
    raise AssertionError("the client should have given up long before")
