"""Whole answers to reads of shipments by id, kept in this process and served while
every shipment they read is still at the version it was read at.

A query qualifies when the operation it runs is a query whose root fields are only
``shipment(id:)``, ``node(id:)``, ``shipments`` and ``__typename``, without
directives and without ``totalCount``: its answer depends on nothing but those
shipments (a Shipment's fields are all stored data) and, for a listing, on which
shipments its page holds and whether there is more. A listing is checked again from
its index and the version column (no document is read); a search's is not kept.
Every hit reads the shipments' versions again and compares them, so a changed
shipment is never answered from the cache; nothing needs invalidating. The hits of
one turn of the event loop read their versions together (a DataLoader without a
cache): under load one query serves many requests, and a read costs less in
SQLAlchemy than the query it shares (bench/reads.py).
Answers with errors are not kept. Keys include the tenant and the response's media
type.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiodataloader import DataLoader
from graphql import (
    FieldNode,
    GraphQLError,
    Node,
    OperationDefinitionNode,
    OperationType,
    parse,
)
from starlette.requests import Request
from strawberry.http.parse_content_type import parse_content_type

from shipgraph import safe_json
from shipgraph.domain import Shipment
from shipgraph.store.base import PageRead, ShipmentStore

ENTRIES_KEPT = 10_000
MAX_TOKENS = 2_000
"""A longer document is not kept (and not parsed to the end here): this parse runs
before the schema's own token limit, on whatever a stranger sent."""
_ROOT_FIELDS = frozenset({"shipment", "node", "shipments", "__typename"})
_UNKEPT_FIELDS = frozenset({"totalCount"})
"""Fields whose value depends on more than the shipments read (a count of matches)."""
VERSIONS_AT_ONCE = 500
"""The most shipments whose versions one query reads for the hits of a turn."""

Key = tuple[str, str, str, str | None, str]


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    body: bytes
    content_type: str
    versions: tuple[tuple[str, int | None], ...]
    """The shipments the answer read, by id, and their versions (None: not found)."""
    listings: tuple[PageRead, ...] = ()
    """The listings the answer read, as they read."""


class ResponseCache:
    def __init__(self, store: ShipmentStore, size: int = ENTRIES_KEPT) -> None:
        self._store = store
        self._size = size
        self._answers: OrderedDict[Key, CachedAnswer] = OrderedDict()
        self._versions: DataLoader[tuple[str, str], int | None] | None = None

    @staticmethod
    def key(tenant: str, operation: Mapping[str, Any], media_type: str) -> Key | None:
        """The key of a request's answer, or None when it does not qualify."""
        query = operation.get("query")
        name = operation.get("operationName")
        given = operation.get("variables")
        if not isinstance(query, str) or not isinstance(name, str | None):
            return None
        # Malformed variables are the view's to refuse; extensions (a persisted
        # query's hash, say) take the usual way.
        if not isinstance(given, dict | None) or operation.get("extensions") is not None:
            return None
        if not _qualifies(query, name):
            return None
        try:
            variables = json.dumps(given or {}, sort_keys=True)
        except (TypeError, ValueError):
            return None
        return tenant, query, variables, name, media_type

    async def get(self, key: Key) -> CachedAnswer | None:
        """The kept answer, if every shipment it read is unchanged."""
        answer = self._answers.get(key)
        if answer is None:
            return None
        tenant = key[0]
        wanted = [(tenant, shipment_id) for shipment_id, _ in answer.versions]
        found = await self._loader().load_many(wanted)
        ids = [shipment_id for _, shipment_id in wanted]
        current = tuple(zip(ids, found, strict=True))
        if current != answer.versions or not await self._same_pages(answer.listings):
            # others may have dropped it or kept a fresher one while this one waited
            if self._answers.get(key) is answer:
                del self._answers[key]
            return None
        if key in self._answers:
            self._answers.move_to_end(key)
        return answer

    async def _same_pages(self, listings: tuple[PageRead, ...]) -> bool:
        for read in listings:
            now = await self._store.page_versions(read)
            if (now.versions, now.more) != (read.versions, read.more):
                return False
        return True

    def _loader(self) -> DataLoader[tuple[str, str], int | None]:
        """The loader of the running event loop (a DataLoader is bound to one)."""
        loop = asyncio.get_running_loop()
        if self._versions is None or self._versions.loop is not loop:
            self._versions = DataLoader(
                self._read_versions, cache=False, max_batch_size=VERSIONS_AT_ONCE, loop=loop
            )
        return self._versions

    async def _read_versions(self, keys: Sequence[tuple[str, str]]) -> list[int | None]:
        """The versions of (tenant, id) keys, one store read per tenant."""
        ids: dict[str, list[str]] = {}
        for tenant, shipment_id in keys:
            ids.setdefault(tenant, []).append(shipment_id)
        found: dict[tuple[str, str], int | None] = {}
        for tenant, wanted in ids.items():
            versions = await self._store.versions(tenant, wanted)
            found.update(((tenant, i), v) for i, v in zip(wanted, versions, strict=True))
        return [found[key] for key in keys]

    def put(self, key: Key, answer: CachedAnswer) -> None:
        self._answers[key] = answer
        self._answers.move_to_end(key)
        while len(self._answers) > self._size:
            self._answers.popitem(last=False)


async def operation_of(request: Request) -> Mapping[str, Any] | None:
    """The one operation a GET's parameters or a JSON POST's body carries, or None
    (a batch, another content type, malformed JSON: the view answers those)."""
    if request.method == "GET":
        params = dict(request.query_params)
        try:
            params["variables"] = safe_json.loads(params.get("variables") or "null")
        except ValueError:
            return None
        return params
    content_type, params = parse_content_type(request.headers.get("content-type", "").lower())
    charset = params.get("charset", "utf-8").strip('"').lower()
    if request.method != "POST" or content_type != "application/json":
        return None
    if charset not in ("utf-8", "utf8"):
        return None
    try:
        body = safe_json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def read_versions(loaded: Mapping[str, Shipment | None]) -> tuple[tuple[str, int | None], ...]:
    return tuple((shipment_id, _version(s)) for shipment_id, s in sorted(loaded.items()))


def _version(shipment: Shipment | None) -> int | None:
    return None if shipment is None else shipment.version


@functools.lru_cache(maxsize=512)
def _qualifies(query: str, operation_name: str | None) -> bool:
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or _name(o) == operation_name]
    if len(chosen) != 1 or (operation_name is None and len(operations) != 1):
        return False
    operation = chosen[0]
    if operation.operation != OperationType.QUERY or operation.directives:
        return False
    rooted = all(
        isinstance(field, FieldNode) and field.name.value in _ROOT_FIELDS and not field.directives
        for field in operation.selection_set.selections
    )
    return rooted and not any(_asks_unkept(d) for d in document.definitions)


def _asks_unkept(node: Node) -> bool:
    """Whether a selection (or a fragment's) asks a field the cache cannot check;
    walked without recursion, however deep a stranger nested the document."""
    pending = [node]
    while pending:
        selections = getattr(pending.pop(), "selection_set", None)
        for selection in selections.selections if selections is not None else ():
            if isinstance(selection, FieldNode) and selection.name.value in _UNKEPT_FIELDS:
                return True
            pending.append(selection)
    return False


def _name(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name else None
