from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.integration.operations import CREATE, create_input
from tests.support.stack import Stack, running_stack


@pytest.fixture
async def stack(backend: str | None) -> AsyncIterator[Stack]:
    """Gateway + simulators, once in memory and once on the session's Redis."""
    async with running_stack(backend) as running:
        yield running


async def create(
    stack: Stack, reference: str = "SO-1001", *, tenant: str = "acme", **extra: Any
) -> dict[str, Any]:
    body = await stack.gql(CREATE, create_input(reference, **extra), tenant=tenant)
    payload: dict[str, Any] = body["data"]["createShipment"]
    assert payload["userErrors"] == [], payload
    shipment: dict[str, Any] = payload["shipment"]
    return shipment
