"""Query.shipments through the schema, on a SQL store of its own (SQLite): first and
after, last and before, orderBy, filter.search and totalCount, and every refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from shipgraph.domain import Address, ShipmentStatus
from shipgraph.resolvers.context import RequestContext
from shipgraph.schema import build_schema
from shipgraph.store.sql import SqlShipmentStore, upgrade
from shipgraph.store.sql import store as sql_store
from tests.store.shipments import shipment

LIST = """
query List($first: Int, $after: String, $last: Int, $before: String,
           $filter: ShipmentFilter, $orderBy: ShipmentOrder) {
  shipments(first: $first, after: $after, last: $last, before: $before,
            filter: $filter, orderBy: $orderBy) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
COUNTED = """
query Counted($filter: ShipmentFilter) {
  shipments(first: 2, filter: $filter) { totalCount edges { node { id } } }
}
"""


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlShipmentStore]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shipgraph.db'}"
    await upgrade(url)
    made = SqlShipmentStore.from_url(url)
    for n in range(7):
        one = shipment(f"s{n}", minute=n, reference=f"SO-{n}", tracking_number=f"TN{n}")
        status = ShipmentStatus.DELIVERED if n in (2, 5) else ShipmentStatus.CREATED
        recipient = Address(line1="Jl. Thamrin 2", country_code="ID", name=f"Budi {n}",
                            phone=f"+62 812 000{n}")  # fmt: skip
        await made.create(replace(one, destination=recipient, status=status))
    yield made
    await made.aclose()


async def run(store: SqlShipmentStore, query: str = LIST, **variables: Any) -> dict[str, Any]:
    context = RequestContext(services=SimpleNamespace(store=store), tenant="acme")  # type: ignore[arg-type]
    result = await build_schema().execute(query, variable_values=variables, context_value=context)
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [
            {"message": e.message, "extensions": e.extensions or {}} for e in result.errors
        ]
    return out


def ids(body: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in body["data"]["shipments"]["edges"]]


def info(body: dict[str, Any]) -> dict[str, Any]:
    page: dict[str, Any] = body["data"]["shipments"]["pageInfo"]
    return page


def refused(body: dict[str, Any], code: str = "BAD_USER_INPUT") -> str:
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    message: str = error["message"]
    return message


async def test_forward_pages_newest_first_by_default(store: SqlShipmentStore) -> None:
    body = await run(store, first=3)
    assert ids(body) == ["s6", "s5", "s4"]
    assert info(body)["hasNextPage"] and not info(body)["hasPreviousPage"]
    body = await run(store, first=3, after=info(body)["endCursor"])
    assert ids(body) == ["s3", "s2", "s1"]
    assert info(body)["hasNextPage"] and info(body)["hasPreviousPage"]


async def test_backward_pages_from_the_end(store: SqlShipmentStore) -> None:
    body = await run(store, last=3)
    assert ids(body) == ["s2", "s1", "s0"]
    page = info(body)
    assert page["hasPreviousPage"] and not page["hasNextPage"]
    assert page["startCursor"] == body["data"]["shipments"]["edges"][0]["cursor"]
    body = await run(store, last=3, before=page["startCursor"])
    assert ids(body) == ["s5", "s4", "s3"]
    assert info(body)["hasPreviousPage"] and info(body)["hasNextPage"]
    body = await run(store, last=3, before=info(body)["startCursor"])
    assert ids(body) == ["s6"]
    assert not info(body)["hasPreviousPage"] and info(body)["hasNextPage"]


async def test_oldest_first_both_ways(store: SqlShipmentStore) -> None:
    assert ids(await run(store, first=2, orderBy="OLDEST_FIRST")) == ["s0", "s1"]
    assert ids(await run(store, last=2, orderBy="OLDEST_FIRST")) == ["s5", "s6"]


async def test_search_and_filters(store: SqlShipmentStore) -> None:
    assert ids(await run(store, filter={"search": "so-3"})) == ["s3"]
    assert ids(await run(store, filter={"search": "tn5"})) == ["s5"]
    assert ids(await run(store, filter={"search": "0812 0002"})) == ["s2"]
    assert ids(await run(store, filter={"search": "628120001"})) == ["s1"]
    assert ids(await run(store, filter={"search": "BUDI 4"})) == ["s4"]
    delivered = {"search": "budi", "status": ["DELIVERED"]}
    assert ids(await run(store, filter=delivered)) == ["s5", "s2"]
    assert ids(await run(store, filter={"search": "   "}, first=2)) == ["s6", "s5"]
    assert ids(await run(store, filter={"search": "x" * 100})) == []


async def test_total_count_is_of_the_filter_not_the_page(store: SqlShipmentStore) -> None:
    body = await run(store, COUNTED)
    assert body["data"]["shipments"]["totalCount"] == 7
    assert len(body["data"]["shipments"]["edges"]) == 2
    body = await run(store, COUNTED, filter={"status": ["DELIVERED"]})
    assert body["data"]["shipments"]["totalCount"] == 2
    body = await run(store, COUNTED, filter={"search": "so-"})
    assert body["data"]["shipments"]["totalCount"] == 7


async def test_total_count_is_only_counted_when_asked(
    store: SqlShipmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def never(*_args: object, **_kwargs: object) -> int:
        raise AssertionError("counted though not selected")

    monkeypatch.setattr(store, "count", never)
    assert ids(await run(store, first=1)) == ["s6"]


async def test_total_count_stops_at_its_cap(
    store: SqlShipmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shipgraph.resolvers import queries

    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    body = await run(store, COUNTED)
    assert body["data"]["shipments"]["totalCount"] == 3


@pytest.mark.parametrize(
    ("variables", "says"),
    [
        ({"first": 2, "last": 2}, "not both"),
        ({"first": 0, "last": 0}, "not both"),
        ({"last": 2, "after": "x"}, "after goes with first"),
        ({"before": "x"}, "before goes with last"),
        ({"first": 2, "before": "x"}, "before goes with last"),
        ({"last": -1}, "last must be between 0 and 100"),
        ({"last": 101}, "last must be between 0 and 100"),
        ({"first": 101}, "first must be between 0 and 100"),
        ({"last": 2, "before": "nope"}, "before is not a cursor"),
        ({"after": "nope"}, "after is not a cursor"),
    ],
)
async def test_bad_pages_are_refused(
    store: SqlShipmentStore, variables: dict[str, Any], says: str
) -> None:
    assert says in refused(await run(store, **variables))


@pytest.mark.parametrize(
    ("search", "says"),
    [
        ("x" * 101, "at most 100 characters"),
        ("budi\x00", "control"),
        ("bu\ndi", "control"),
        ("bu\tdi", "control"),
        ("\u202ebudi", "control"),
    ],
)
async def test_bad_search_text_is_refused(store: SqlShipmentStore, search: str, says: str) -> None:
    body = await run(store, filter={"search": search})
    assert says in refused(body)
    assert body["errors"][0]["extensions"]["field"] == ["filter", "search"]


async def test_like_metacharacters_are_text(store: SqlShipmentStore) -> None:
    for search in ("%", "_", "\\", "so-%", "so_"):
        assert ids(await run(store, filter={"search": search})) == []


async def test_first_defaults_to_20_and_last_replaces_it(store: SqlShipmentStore) -> None:
    assert len(ids(await run(store))) == 7
    assert ids(await run(store, last=1)) == ["s0"]  # the default first is not "both"


async def test_a_common_search_reads_the_same(
    store: SqlShipmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_store, "SEARCH_PROBE", 1)
    assert ids(await run(store, filter={"search": "budi"}, first=3)) == ["s6", "s5", "s4"]
    assert ids(await run(store, filter={"search": "budi"}, last=2)) == ["s1", "s0"]
