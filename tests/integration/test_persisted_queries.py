"""Automatic persisted queries through HTTP: POST and GET, both response formats,
and a hash one gateway process learnt known to the others through Redis."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from tests.support.stack import Stack, running_stack

QUERY = "query Codes { carriers { code } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()
EXTENSIONS = {"persistedQuery": {"version": 1, "sha256Hash": HASH}}
AUTH = {"Authorization": "Bearer key-acme"}


async def post(stack: Stack, body: dict[str, Any], accept: str | None = None) -> httpx.Response:
    headers = {**AUTH, **({"Accept": accept} if accept else {})}
    return await stack.http.post(f"{stack.gateway}/graphql", json=body, headers=headers)


async def test_unknown_hash_then_hash_and_query_then_hash_alone(stack: Stack) -> None:
    missing = await post(stack, {"extensions": EXTENSIONS})
    assert missing.status_code == 200
    assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert (await post(stack, {"query": QUERY, "extensions": EXTENSIONS})).status_code == 200
    known = await post(stack, {"extensions": EXTENSIONS})
    assert known.json()["data"]["carriers"]


async def test_over_get_as_mobile_clients_send_it(stack: Stack) -> None:
    await post(stack, {"query": QUERY, "extensions": EXTENSIONS})
    response = await stack.http.get(
        f"{stack.gateway}/graphql", params={"extensions": json.dumps(EXTENSIONS)}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["carriers"]


async def test_not_found_is_a_request_error_under_graphql_response_json(stack: Stack) -> None:
    response = await post(stack, {"extensions": EXTENSIONS}, "application/graphql-response+json")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in response.json()


async def test_a_wrong_hash_runs_nothing(stack: Stack) -> None:
    body = {"query": "{ __typename }", "extensions": EXTENSIONS}
    response = await post(stack, body)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert response.json()["data"] is None


@pytest.mark.redis
async def test_every_process_knows_a_hash_one_of_them_learnt(redis_url: str) -> None:
    async with (
        running_stack(redis_url=redis_url) as first,
        running_stack(redis_url=redis_url) as second,
    ):
        await post(first, {"query": QUERY, "extensions": EXTENSIONS})
        known = await post(second, {"extensions": EXTENSIONS})
        assert known.json()["data"]["carriers"]
