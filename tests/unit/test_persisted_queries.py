"""Automatic persisted queries: hash -> query, stored once, the standard errors."""

from __future__ import annotations

import hashlib

import pytest
from strawberry.http import GraphQLRequestData

from shipgraph.cache.memory import MemoryCache
from shipgraph.http.persisted import PersistedQueries, PersistedQueryError

QUERY = "{ carriers { code } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()


def request(query: str | None, digest: object = HASH, version: object = 1) -> GraphQLRequestData:
    extensions = {"persistedQuery": {"version": version, "sha256Hash": digest}}
    return GraphQLRequestData(
        query=query, variables=None, operation_name=None, extensions=extensions, protocol="http"
    )


async def test_an_unknown_hash_is_persisted_query_not_found() -> None:
    with pytest.raises(PersistedQueryError) as error:
        await PersistedQueries(MemoryCache()).resolve(request(None))
    assert error.value.message == "PersistedQueryNotFound"
    assert error.value.code == "PERSISTED_QUERY_NOT_FOUND"


async def test_hash_and_query_are_stored_then_the_hash_alone_runs_it() -> None:
    queries = PersistedQueries(MemoryCache())
    assert (await queries.resolve(request(QUERY))).query == QUERY
    assert (await queries.resolve(request(None))).query == QUERY
    assert (await queries.resolve(request(None, HASH.upper()))).query == QUERY


async def test_a_hash_that_is_not_the_querys_is_refused() -> None:
    queries = PersistedQueries(MemoryCache())
    with pytest.raises(PersistedQueryError, match="does not match"):
        await queries.resolve(request("{ __typename }"))
    with pytest.raises(PersistedQueryError):
        await queries.resolve(request(None, "{ __typename }"))


@pytest.mark.parametrize(
    ("digest", "version"), [("abc", 1), (HASH, 2), (None, 1), (42, 1)], ids=str
)
async def test_malformed_persisted_query_extensions(digest: object, version: object) -> None:
    with pytest.raises(PersistedQueryError) as error:
        await PersistedQueries(MemoryCache()).resolve(request(QUERY, digest, version))
    assert error.value.code == "BAD_REQUEST"


async def test_requests_without_the_extension_pass_through() -> None:
    plain = GraphQLRequestData(
        query=QUERY, variables=None, operation_name=None, extensions=None, protocol="http"
    )
    assert await PersistedQueries(MemoryCache()).resolve(plain) is plain
