"""The SQL of a shipments listing, built once per shape and reused.

A listing's statements depend on its filter's shape (which columns it filters, how
many statuses and search prefixes, whether it has dates or a cursor, its order), and
its values are bound parameters. Building a statement of nested subqueries cost
more CPU than running it (about 0.4 ms for a search, bench/scale.py), so each shape
is built once (``functools.lru_cache``) and SQLAlchemy's compiled cache, keyed by
the same statement object, does the rest.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from shipgraph.store.base import ShipmentFilter
from shipgraph.store.cursors import micros
from shipgraph.store.search import SEPARATOR, search_prefixes, successor
from shipgraph.store.sql.tables import ordered_text, search_terms, shipments

STATEMENT_SHAPES = 512
"""How many statements of distinct shapes each builder keeps."""


@dataclass(frozen=True, slots=True)
class Shape:
    """What a listing's SQL depends on, beside the values bound to it."""

    carrier: bool = False
    statuses: int | None = None
    """How many statuses the filter names (None: no status filter; 0 matches none)."""
    reference: bool = False
    tracking_number: bool = False
    after: bool = False
    before: bool = False
    prefixes: tuple[bool, ...] = ()
    """One per search prefix: whether its range of terms has an upper bound."""

    @property
    def columns(self) -> bool:
        """Whether it filters a column of the shipments (beside the tenant and dates)."""
        return self.carrier or self.statuses is not None or self.reference or self.tracking_number


@dataclass(frozen=True, slots=True)
class Listing:
    """A tenant's listing under a filter: its shape and the values bound to it."""

    shape: Shape
    params: dict[str, Any]

    @property
    def searched(self) -> bool:
        return bool(self.shape.prefixes)

    def probe(self) -> tuple[sa.Select[Any], dict[str, Any]]:
        """How many entries the search's ranges hold, up to ``probe`` each."""
        return _probe(self.shape), self.params

    def page(
        self, start: str | None, descending: bool, batch: int, *, by_terms: bool
    ) -> tuple[sa.Select[Any], dict[str, Any]]:
        """The next ``batch`` matches past the listing position ``start``: read from
        the search's term index (``by_terms``: each row also says how many entries
        the ranges hold, ``seen``), else along the shipments' indexes."""
        params = self._past(start, batch)
        if by_terms:
            return _by_terms(self.shape, start is not None, descending), params
        return _listed(self.shape, start is not None, descending, WITH_DOCUMENT), params

    def versions(
        self, start: str | None, descending: bool, batch: int
    ) -> tuple[sa.Select[Any], dict[str, Any]]:
        """The ids and versions of the next ``batch`` matches past ``start`` along
        the shipments' indexes (the search, if any, checked in search_text)."""
        statement = _listed(self.shape, start is not None, descending, WITH_VERSION)
        return statement, self._past(start, batch)

    def _past(self, start: str | None, batch: int) -> dict[str, Any]:
        params = {**self.params, "batch": batch}
        if start is not None:
            us, _, shipment_id = start.partition(":")
            params.update(start_us=int(us), start_id=shipment_id)
        return params

    def count(self, at_most: int, *, by_terms: bool) -> tuple[sa.Select[Any], dict[str, Any]]:
        """How many shipments match, up to at_most, read from the indexes: through
        the few shipments a rare search's terms name (``by_terms``), else along the
        shipments' indexes (unreadable records count too)."""
        return _count(self.shape, by_terms), {**self.params, "at_most": at_most}

    def named(self) -> tuple[sa.Select[Any], dict[str, Any]]:
        """The ids of the shipments the search's terms name within its dates, once a
        term: read from the term index alone (a search with no column filter)."""
        return _named(self.shape).with_only_columns(search_terms.c.shipment_id), self.params


def listing_of(tenant: str, filter: ShipmentFilter | None, probe: int) -> Listing:
    """``probe``: how many entries of each prefix's range a search reads to tell a
    rare prefix from a common one."""
    params: dict[str, Any] = {"tenant": tenant, "probe": probe}
    if filter is None:
        return Listing(Shape(), params)
    statuses = sorted(status.value for status in filter.statuses or ())
    for n, status in enumerate(statuses):
        params[f"status_{n}"] = status
    for name in ("reference", "tracking_number"):
        if getattr(filter, name) is not None:
            params[name] = getattr(filter, name)
    if filter.carrier is not None:
        params["carrier"] = filter.carrier.value
    if filter.created_after is not None:
        params["after_us"] = micros(filter.created_after)
    if filter.created_before is not None:
        params["before_us"] = micros(filter.created_before)
    bounded = []
    for n, prefix in enumerate(prefixes_of(filter)):
        upper = successor(prefix)
        params[f"term_{n}"] = prefix
        params[f"held_{n}"] = SEPARATOR + prefix
        if upper is not None:
            params[f"term_end_{n}"] = upper
        bounded.append(upper is not None)
    shape = Shape(
        carrier=filter.carrier is not None,
        statuses=len(statuses) if filter.statuses is not None else None,
        reference=filter.reference is not None,
        tracking_number=filter.tracking_number is not None,
        after=filter.created_after is not None,
        before=filter.created_before is not None,
        prefixes=tuple(bounded),
    )
    return Listing(shape, params)


def prefixes_of(filter: ShipmentFilter | None) -> list[str]:
    return sorted(search_prefixes(filter.search)) if filter and filter.search else []


# --- statements, one per shape -----------------------------------------------------


def _bound(name: str, type_: Any = None) -> Any:
    return sa.bindparam(name, type_=type_)


def _matching(shape: Shape) -> list[Any]:
    """The WHERE terms of the filter's columns."""
    terms = []
    if shape.carrier:
        terms.append(shipments.c.carrier == _bound("carrier"))
    if shape.statuses is not None:
        terms.append(shipments.c.status.in_([_status(n) for n in range(shape.statuses)]))
    if shape.reference:
        terms.append(shipments.c.reference == _bound("reference"))
    if shape.tracking_number:
        terms.append(shipments.c.tracking_number == _bound("tracking_number"))
    return terms


def _status(n: int) -> Any:
    return _bound(f"status_{n}", shipments.c.status.type)


def _dated(created_us: Any, shape: Shape) -> list[Any]:
    """The WHERE terms of the filter's dates on that listing time column."""
    terms = []
    if shape.after:
        terms.append(created_us > _bound("after_us", sa.BigInteger()))
    if shape.before:
        terms.append(created_us < _bound("before_us", sa.BigInteger()))
    return terms


def _where(shape: Shape) -> list[Any]:
    """The WHERE terms of the tenant's shipments the filter matches, but its search."""
    return [
        shipments.c.tenant == _bound("tenant"),
        *_matching(shape),
        *_dated(shipments.c.created_us, shape),
    ]


def _conditions(shape: Shape) -> list[Any]:
    """The WHERE terms of a walk along the shipments' indexes, the search checked in
    search_text (which the listing's index holds)."""
    if not shape.prefixes:
        return _where(shape)
    parts = (_bound(f"held_{n}", ordered_text()) for n in range(len(shape.prefixes)))
    held = sa.or_(*(_holds(shipments.c.search_text, part) for part in parts))
    return [*_where(shape), held]


def _term_ranges(shape: Shape) -> list[Any]:
    """The terms starting with each prefix: ranges of the term index (no LIKE, so
    nothing in the text is a pattern)."""
    ranges = []
    for n, bounded in enumerate(shape.prefixes):
        lower = search_terms.c.term >= _bound(f"term_{n}")
        ranges.append(
            sa.and_(lower, search_terms.c.term < _bound(f"term_end_{n}")) if bounded else lower
        )
    return ranges


def _ordering(by: tuple[Any, Any], descending: bool) -> list[Any]:
    return [by[0].desc(), by[1].desc()] if descending else list(by)


def _past(by: tuple[Any, Any], descending: bool) -> Any:
    """``(created_us, id)`` past the cursor's position the way it is read."""
    listed = sa.tuple_(*by)
    bound = sa.tuple_(_bound("start_us", sa.BigInteger()), _bound("start_id", ordered_text()))
    return listed < bound if descending else listed > bound


def _batch() -> Any:
    return _bound("batch", sa.Integer())


def _read(shape: Shape) -> sa.Subquery:
    """Each range's first ``probe`` entries (shipment_id, created_us), whatever
    their time: scans of the term index that stop early."""
    scans = [
        sa.select(search_terms.c.shipment_id, search_terms.c.created_us)
        .where(search_terms.c.tenant == _bound("tenant"), term_range)
        .limit(_bound("probe", sa.Integer()))
        for term_range in _term_ranges(shape)
    ]
    if len(scans) == 1:
        return scans[0].subquery("probed")
    # SQLite takes no LIMIT in a UNION's members but in their subqueries
    members = [sa.select(scan.subquery()) for scan in scans]
    return sa.union_all(*members).subquery("probed")


@functools.lru_cache(maxsize=STATEMENT_SHAPES)
def _probe(shape: Shape) -> sa.Select[Any]:
    return sa.select(sa.func.count()).select_from(_read(shape))


WITH_DOCUMENT = ("id", "created_us", "document")
WITH_VERSION = ("id", "version")


@functools.lru_cache(maxsize=STATEMENT_SHAPES)
def _listed(
    shape: Shape, started: bool, descending: bool, columns: tuple[str, ...]
) -> sa.Select[Any]:
    """A page along the shipments' indexes: its positions from the index alone
    (the listing's holds search_text, so a search is checked there), then only the
    page's rows are read, those ``columns`` of them. Several statuses are read each
    along its own index and merged, each scan stopping after a page."""
    by: tuple[Any, Any] = (shipments.c.created_us, shipments.c.id)
    chosen = sa.select(*by).where(*_conditions(shape))
    if started:
        chosen = chosen.where(_past(by, descending))
    chosen = chosen.order_by(*_ordering(by, descending)).limit(_batch())
    if shape.statuses is not None and shape.statuses > 1:
        each = [
            sa.select(chosen.where(shipments.c.status == _status(n)).subquery())
            for n in range(shape.statuses)
        ]
        merged = sa.union_all(*each).subquery("merged")
        order = _ordering((merged.c.created_us, merged.c.id), descending)
        chosen = sa.select(merged.c.created_us, merged.c.id).order_by(*order).limit(_batch())
    listed = chosen.subquery("listed")
    owner = sa.and_(shipments.c.tenant == _bound("tenant"), shipments.c.id == listed.c.id)
    return (
        sa.select(*(shipments.c[name] for name in columns))
        .select_from(shipments.join(listed, owner))
        .order_by(*_ordering((listed.c.created_us, listed.c.id), descending))
    )


@functools.lru_cache(maxsize=STATEMENT_SHAPES)
def _by_terms(shape: Shape, started: bool, descending: bool) -> sa.Select[Any]:
    """A page from the term index. Dates and the cursor are applied to what the
    scans read, and its count (seen) says whether that was all there is; sorted and
    cut in a subquery, so only the page's shipments are read. A shipment comes once
    per matching term."""
    probed = _read(shape)
    counted = sa.select(probed, sa.func.count().over().label("seen")).subquery("counted")
    read: tuple[Any, Any] = (counted.c.created_us, counted.c.shipment_id)
    chosen = sa.select(counted).where(*_dated(counted.c.created_us, shape))
    if started:
        chosen = chosen.where(_past(read, descending))
    page = chosen.order_by(*_ordering(read, descending)).limit(_batch()).subquery("page")
    owner = sa.and_(shipments.c.tenant == _bound("tenant"), shipments.c.id == page.c.shipment_id)
    return (
        sa.select(shipments.c.id, shipments.c.created_us, shipments.c.document, page.c.seen)
        .select_from(shipments.join(page, owner))
        .order_by(*_ordering((page.c.created_us, page.c.shipment_id), descending))
    )


@functools.lru_cache(maxsize=STATEMENT_SHAPES)
def _named(shape: Shape) -> sa.Select[Any]:
    query = sa.select(search_terms.c.shipment_id, search_terms.c.created_us).where(
        search_terms.c.tenant == _bound("tenant"), sa.or_(*_term_ranges(shape))
    )
    return query.where(*_dated(search_terms.c.created_us, shape))


@functools.lru_cache(maxsize=STATEMENT_SHAPES)
def _count(shape: Shape, by_terms: bool) -> sa.Select[Any]:
    if by_terms:
        named = _named(shape).distinct().subquery("named")
        owner = sa.and_(
            shipments.c.tenant == _bound("tenant"), shipments.c.id == named.c.shipment_id
        )
        matches = (
            sa.select(shipments.c.id)
            .select_from(shipments.join(named, owner))
            .where(*_where(shape))
        )
    else:
        matches = sa.select(shipments.c.id).where(*_conditions(shape))
    capped = matches.limit(_bound("at_most", sa.Integer())).subquery()
    return sa.select(sa.func.count()).select_from(capped)


class _holds(FunctionElement[bool]):
    """``_holds(text, part)``: text holds part, no pattern (PostgreSQL's strpos,
    SQLite's instr, both ``(text, part)``)."""

    inherit_cache = True
    type = sa.Boolean()
    name = "holds"


@compiles(_holds, "postgresql")
def _holds_postgresql(element: _holds, compiler: Any, **kw: Any) -> str:
    return f"(strpos({compiler.process(element.clauses, **kw)}) > 0)"


@compiles(_holds)
def _holds_sqlite(element: _holds, compiler: Any, **kw: Any) -> str:
    return f"(instr({compiler.process(element.clauses, **kw)}) > 0)"
