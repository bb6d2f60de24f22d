"""The methods' parameters (per the document's "Request parameters") and query strings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shipgraph.sandbox.borzo.model import ORDER_STATUSES, POINT_TEXTS
from shipgraph.sandbox.borzo.params import (
    Checker,
    Field,
    Path,
    Spec,
    boolean,
    coordinate,
    enum,
    floating,
    integer,
    items,
    money,
    obj,
    phone,
    string,
    timestamp,
)
from shipgraph.sandbox.borzo.pricing import VEHICLES

ORDER_TYPES = ("standard", "hyperlocal")
PAYMENT_METHODS = ("cash", "balance", "bank_card")
LABEL_TYPES = ("zpl", "pdf")
MAX_POINTS = 99
MAX_PACKAGES = 99
MAX_LOADERS = 11
DEFAULT_PAGE = 10
MAX_PAGE = 50

CONTACT: Spec = {
    "name": Field(string(255)),
    "phone": Field(phone(), required=True),
}
PACKAGE: Spec = {
    "order_package_id": Field(integer(1), edit_only=True),
    "ware_code": Field(string(255)),
    "description": Field(string(1000)),
    "items_count": Field(floating(0)),
    "item_payment_amount": Field(money()),
    "nomenclature_code": Field(string(255)),
}
POINT: Spec = {
    "point_id": Field(integer(1), edit_only=True),
    "delivery_id": Field(integer(1)),
    "address": Field(string(350), required=True),
    "contact_person": Field(obj(CONTACT), required=True, nested=CONTACT),
    "latitude": Field(coordinate(90)),
    "longitude": Field(coordinate(180)),
    "required_start_datetime": Field(timestamp()),
    "required_finish_datetime": Field(timestamp()),
    "taking_amount": Field(money()),
    "buyout_amount": Field(money()),
    "is_order_payment_here": Field(boolean()),
    "is_cod_cash_voucher_required": Field(boolean()),
    **{key: Field(string(1000)) for key in POINT_TEXTS},
    "packages": Field(items(PACKAGE, "order_package_id", MAX_PACKAGES)),
}
ORDER: Spec = {
    "order_id": Field(integer(1), edit_only=True),
    "type": Field(enum(ORDER_TYPES)),
    "matter": Field(string(5000), required=True),
    "vehicle_type_id": Field(enum(tuple(VEHICLES), code="invalid_vehicle_type")),
    "total_weight_kg": Field(integer(0)),
    "insurance_amount": Field(money()),
    "is_client_notification_enabled": Field(boolean()),
    "is_contact_person_notification_enabled": Field(boolean()),
    "is_route_optimizer_enabled": Field(boolean()),
    "loaders_count": Field(integer(0, MAX_LOADERS)),
    "backpayment_details": Field(string(1000)),
    "is_motobox_required": Field(boolean()),
    "is_thermobox_required": Field(boolean()),
    "payment_method": Field(enum(PAYMENT_METHODS)),
    "bank_card_id": Field(integer(1)),
    "promo_code": Field(string(255)),
    "is_return_required": Field(boolean()),
    "points": Field(items(POINT, "point_id", MAX_POINTS), required=True),
}


def order_id_of(ch: Checker, body: dict[str, Any]) -> int | None:
    """The required ``order_id`` of edit-order and cancel-order."""
    value = body.get("order_id")
    if value is None:
        ch.add(("order_id",), "required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        ch.add(("order_id",), "invalid_integer")
        return None
    return value


# -- query strings ---------------------------------------------------------------------

Query = Sequence[tuple[str, str]]


def _query_int(ch: Checker, raw: str, path: Path) -> int | None:
    text = raw.strip()
    if not text.isdigit():
        ch.add(path, "invalid_integer")
        return None
    return int(text)


def _known_keys(ch: Checker, query: Query, allowed: set[str]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key, value in query:
        if key not in allowed:
            ch.add((key.removesuffix("[]"),), "unknown")
        values.setdefault(key, []).append(value)
    return values


def _order_ids(ch: Checker, values: dict[str, list[str]], *, required: bool) -> list[int] | None:
    """``order_id=1`` or ``order_id[]=1&order_id[]=2`` (errors mirror the list)."""
    listed = values.get("order_id[]")
    if listed is not None:
        ch.sizes[("order_id",)] = len(listed)
        ids = [_query_int(ch, raw, ("order_id", i)) for i, raw in enumerate(listed)]
        return [i for i in ids if i is not None]
    single = values.get("order_id")
    if single is None:
        if required:
            ch.add(("order_id",), "required")
        return None
    one = _query_int(ch, single[-1], ("order_id",))
    return [] if one is None else [one]


def orders_query(ch: Checker, query: Query) -> tuple[list[int] | None, str | None, int, int]:
    """GET orders: ``order_id`` / ``order_id[]``, ``status``, ``offset``, ``count``.

    The document names no pagination parameters (only ``orders_count``, "for pagination");
    ``offset`` and ``count`` (default 10, at most 50) are the simulator's choice.
    """
    values = _known_keys(ch, query, {"order_id", "order_id[]", "status", "offset", "count"})
    ids = _order_ids(ch, values, required=False)
    status = values.get("status", [None])[-1]
    if status is not None and status not in ORDER_STATUSES:
        ch.add(("status",), "invalid_order_status")
    offset = _query_int(ch, values["offset"][-1], ("offset",)) if "offset" in values else 0
    count: int | None = DEFAULT_PAGE
    if "count" in values:
        count = _query_int(ch, values["count"][-1], ("count",))
        if count is not None and not 1 <= count <= MAX_PAGE:
            ch.add(("count",), "min_value" if count < 1 else "max_value")
    return ids, status, offset or 0, count or DEFAULT_PAGE


def courier_query(ch: Checker, query: Query) -> int | None:
    values = _known_keys(ch, query, {"order_id"})
    ids = _order_ids(ch, values, required=True)
    return ids[0] if ids else None


def labels_query(ch: Checker, query: Query) -> tuple[str | None, list[int]]:
    values = _known_keys(ch, query, {"type", "order_id", "order_id[]"})
    kind = values.get("type", [None])[-1]
    if kind is None:
        ch.add(("type",), "required")
    elif kind not in LABEL_TYPES:
        ch.add(("type",), "invalid_enum_value")
    ids = _order_ids(ch, values, required=True) or []
    return kind, ids
