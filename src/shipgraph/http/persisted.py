"""Automatic persisted queries (Apollo's protocol), so that mobile clients send a hash.

A request whose ``extensions.persistedQuery`` is ``{"version": 1, "sha256Hash": h}``:
- without ``query``: runs the query stored under ``h``, or answers the standard
  ``PersistedQueryNotFound`` error, after which the client sends hash and query;
- with ``query``: the query's SHA-256 must be ``h``; it is stored under ``h`` and run.

Queries live in the cache (Redis when configured, so every process knows a query one
of them was sent). A cache that cannot be reached makes every hash unknown: clients
then send the query along, and nothing fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from strawberry.http import GraphQLRequestData

from shipgraph.cache.base import Cache, CacheUnavailable

TTL_S = 30 * 86_400
MAX_QUERY_BYTES = 100_000
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PersistedQueryError(Exception):
    """A request error: nothing runs, the client is told ``code``."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def not_found() -> PersistedQueryError:
    return PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")


def _bad(message: str) -> PersistedQueryError:
    return PersistedQueryError(message, "BAD_REQUEST")


class PersistedQueries:
    def __init__(self, cache: Cache, ttl_s: float = TTL_S) -> None:
        self._cache = cache
        self._ttl_s = ttl_s

    async def resolve(self, request: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its query text filled in (unchanged when it is not APQ)."""
        digest = _requested_hash(request.extensions)
        if digest is None:
            return request
        key = f"apq:{digest}"
        if request.query is None:
            try:
                stored = await self._cache.get(key)
            except CacheUnavailable:
                stored = None
            if stored is None:
                raise not_found()
            return replace(request, query=stored.decode())
        encoded = request.query.encode()
        if hashlib.sha256(encoded).hexdigest() != digest:
            raise _bad("provided sha does not match query")
        if len(encoded) <= MAX_QUERY_BYTES:
            with contextlib.suppress(CacheUnavailable):
                await self._cache.set(key, encoded, self._ttl_s)
        return request


def _requested_hash(extensions: Mapping[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, Mapping) or persisted.get("version") != 1:
        raise _bad("extensions.persistedQuery must be {version: 1, sha256Hash}")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest.lower()):
        raise _bad("extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits")
    return digest.lower()
