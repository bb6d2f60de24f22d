from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.integration.operations import CREATE, create_input
from tests.support.stack import EMBEDDED, Backend, Stack, running_stack


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Run a test on both shapes of deployment: `shipgraph dev`'s (SQLite in memory,
    nothing shared), and production's (a fresh database at head on the session's own
    PostgreSQL, with the session's own Redis)."""
    if request.param == "sqlite":
        return EMBEDDED
    return Backend(
        "postgresql",
        database_url=request.getfixturevalue("migrated_postgres_url"),
        redis_url=request.getfixturevalue("redis_url"),
    )


@pytest.fixture
async def stack(backend: Backend) -> AsyncIterator[Stack]:
    """Gateway + simulators on each backend."""
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
