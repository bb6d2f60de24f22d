"""Orders built from create/calculate requests, edited by the document's ID rules, and the
checks that span several parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from shipgraph.sandbox.borzo.geo import in_service_area, nearest_first
from shipgraph.sandbox.borzo.lifecycle import joining_delivery
from shipgraph.sandbox.borzo.model import (
    ORDER_DEFAULTS,
    PACKAGE_DEFAULTS,
    PLANNED,
    POINT_DEFAULTS,
    POINT_TEXTS,
    WINDOW,
    ZERO,
    Delivery,
    Order,
    Package,
    Point,
    default_window,
)
from shipgraph.sandbox.borzo.params import Checker, Path
from shipgraph.sandbox.borzo.pricing import PROMO_CODES, VEHICLES, price
from shipgraph.sandbox.borzo.views import BANK_CARDS, CLIENT

Raw = dict[str, Any]
Indexed = list[tuple[int, Point]]
"""Points with their index in the request (for errors at the request's shape)."""
BANK_CARD_IDS = frozenset(card["bank_card_id"] for card in BANK_CARDS)


def _assign(target: object, raw: Raw, defaults: dict[str, Any]) -> None:
    """Sent parameters replace values; ``null`` restores the default (the document's rule)."""
    for key, default in defaults.items():
        if key in raw:
            setattr(target, key, default if raw[key] is None else raw[key])


def _packages(ch: Checker, current: list[Package], raw: list[Raw], path: Path) -> list[Package]:
    """Packages with an ID are edited, without one added; those not mentioned are deleted."""
    by_id = {package.order_package_id: package for package in current}
    result: list[Package] = []
    for index, fields in enumerate(raw):
        package_id = fields.get("order_package_id")
        if package_id is None:
            package = Package()
        elif package_id in by_id:
            package = by_id.pop(package_id)
        else:
            ch.add((*path, index, "order_package_id"), "invalid_order_package")
            continue
        _assign(package, fields, PACKAGE_DEFAULTS)
        result.append(package)
    return result


# The document names min_date, max_date and cannot_be_past without their bounds: the
# simulator takes nothing before its API's first version (the changelog's 23.11.2017)
# and nothing more than a year ahead.
MIN_DATE = datetime(2017, 11, 23, tzinfo=UTC)
MAX_AHEAD = timedelta(days=365)
WINDOW_ENDS = ("required_start_datetime", "required_finish_datetime")


def _check_times(ch: Checker, raw: Raw, index: int, now: datetime) -> None:
    """The window ends this request sends (a ``null`` restores the default)."""
    for key in WINDOW_ENDS:
        value = raw.get(key)
        if not isinstance(value, datetime):
            continue
        if value < MIN_DATE:
            ch.add(("points", index, key), "min_date")
        elif value < now:
            ch.add(("points", index, key), "cannot_be_past")
        elif value > now + MAX_AHEAD:
            ch.add(("points", index, key), "max_date")


def _update_point(
    ch: Checker,
    point: Point,
    raw: Raw,
    index: int,
    created: datetime,
    now: datetime,
    *,
    fresh: bool,
) -> None:
    _assign(point, raw, POINT_DEFAULTS)
    for key in POINT_TEXTS:
        if key in raw:
            point.texts[key] = raw[key]
    contact = raw.get("contact_person") or {}
    if "name" in contact:
        point.contact_name = contact["name"]
    if "phone" in contact:
        point.contact_phone = contact["phone"]
    _check_times(ch, raw, index, now)
    start, finish = default_window(created, index)
    if "required_start_datetime" in raw:
        point.required_start = raw["required_start_datetime"] or start
        if fresh and raw.get("required_finish_datetime") is None:
            point.required_finish = point.required_start + WINDOW
    if "required_finish_datetime" in raw:
        point.required_finish = raw["required_finish_datetime"] or finish
    # The document's edit examples 4 and 5: a sent point keeps only the packages it lists.
    path = ("points", index, "packages")
    point.packages = _packages(ch, point.packages, raw.get("packages") or [], path)


def _new_point(ch: Checker, raw: Raw, index: int, created: datetime, now: datetime) -> Point:
    point = Point(*default_window(created, index))
    _update_point(ch, point, raw, index, created, now, fresh=True)
    return point


def build_order(
    ch: Checker, parsed: Raw, created: datetime, *, order_id: int | None, status: str | None
) -> tuple[Order, Indexed]:
    order = Order(created=created, order_id=order_id, status=status, status_description=status)
    _assign(order, parsed, ORDER_DEFAULTS)
    indexed: Indexed = []
    for index, raw in enumerate(parsed.get("points") or []):
        point = _new_point(ch, raw, index, created, created)
        delivery_id = raw.get("delivery_id")
        if index == 0:
            # The document: "Create order from draft deliveries. First point cannot be delivery."
            if delivery_id is not None:
                ch.add(("points", 0, "delivery_id"), "not_allowed")
        else:
            point.delivery = Delivery(delivery_id, PLANNED, created, created)
        order.points.append(point)
        indexed.append((index, point))
    return order, indexed


def apply_edit(
    ch: Checker, order: Order, parsed: Raw, now: datetime
) -> tuple[list[Point], Indexed]:
    """Apply an edit-order request to ``order``; the points it deleted, and the points sent."""
    _assign(order, parsed, ORDER_DEFAULTS)
    if "points" not in parsed:
        return [], []
    first = order.points[0]
    # The return point may be named like any other ("any points with IDs not mentioned
    # in the request will be deleted"); finish() keeps it last, as the first point's twin.
    by_id = {p.point_id: p for p in order.points}
    indexed: Indexed = []
    for index, raw in enumerate(parsed["points"]):
        path = ("points", index)
        point_id = raw.get("point_id")
        if point_id is None:
            point = _new_point(ch, raw, index, order.created, now)
            if index > 0:
                point.delivery = joining_delivery(order, raw.get("delivery_id"), now)
        elif point_id in by_id:
            point = by_id.pop(point_id)
            own = point.delivery.delivery_id if point.delivery else None
            if raw.get("delivery_id") not in (None, own):
                ch.add((*path, "delivery_id"), "not_editable")
            _update_point(ch, point, raw, index, order.created, now, fresh=False)
        else:
            ch.add((*path, "point_id"), "invalid_point")
            continue
        if index == 0 and point is not first:
            # The document's edit example 2: "First point should be kept as it was."
            ch.add((*path, "point_id"), "not_editable")
        indexed.append((index, point))
    # A return point left out stays while is_return_required does (finish() restores it).
    kept_returns = [p for p in by_id.values() if p.is_return_point]
    removed = [p for p in by_id.values() if not p.is_return_point]
    if any(point.courier_visit is not None for point in removed):
        ch.add(("points",), "not_editable")
    order.points = [p for _, p in indexed] + kept_returns
    return removed, indexed


def check_order(
    ch: Checker,
    order: Order,
    parsed: Raw,
    indexed: Indexed,
    *,
    taken_delivery_ids: set[int],
    promo_taken: bool,
) -> None:
    """The rules spanning parameters; point rules only when points were sent."""
    if isinstance(parsed.get("points"), list) and len(parsed["points"]) < 2:
        # The document: "it is impossible to pass less than 2 points" (the first is the pick-up).
        ch.add(("points",), "min_size")
    if order.total_weight_kg > VEHICLES[order.vehicle_type_id].max_kg:
        ch.add(("total_weight_kg",), "max_value")
    if order.payment_method not in CLIENT["allowed_payment_methods"]:  # GET client's list
        ch.add(("payment_method",), "not_allowed")
    if order.payment_method == "bank_card" and ("bank_card_id",) not in ch.errors:
        if order.bank_card_id is None:
            ch.add(("bank_card_id",), "required")
        elif order.bank_card_id not in BANK_CARD_IDS:
            ch.add(("bank_card_id",), "invalid_bank_card")
    if order.promo_code is not None:
        if order.promo_code not in PROMO_CODES:
            ch.add(("promo_code",), "invalid_value")
        elif promo_taken:
            ch.add(("promo_code",), "promo_code_already_used")
    timed = {
        index
        for index, raw in enumerate(parsed.get("points") or [])
        if isinstance(raw, dict) and any(key in raw for key in WINDOW_ENDS)
    }
    _check_points(ch, indexed, taken_delivery_ids, timed)


def _check_points(
    ch: Checker, indexed: Indexed, taken_delivery_ids: set[int], timed: set[int]
) -> None:
    """``timed``: the indexes of the points whose window this request sets."""
    any_buyout = any(point.buyout_amount > 0 for _, point in indexed)
    paying: list[int] = []
    seen_deliveries = set(taken_delivery_ids)
    previous: tuple[int, Point] | None = None
    for index, point in indexed:
        path = ("points", index)
        if point.required_start >= point.required_finish:
            ch.add((*path, "required_start_datetime"), "start_after_end")
        elif (
            previous is not None
            and {index, previous[0]} & timed
            and point.required_start < previous[1].required_start
            and (*path, "required_start_datetime") not in ch.errors  # one complaint a time
        ):
            ch.add((*path, "required_start_datetime"), "earlier_than_previous_point")
        if not point.is_return_point:
            previous = (index, point)
        _check_coordinates(ch, point, path)
        if point.is_order_payment_here:
            paying.append(index)
            if len(paying) > 1:
                ch.add((*path, "is_order_payment_here"), "order_payment_only_one_point")
        if point.is_cod_cash_voucher_required and any_buyout:
            ch.add((*path, "is_cod_cash_voucher_required"), "cod_is_not_allowed_with_buyout")
        delivery_id = point.delivery.delivery_id if point.delivery else None
        if delivery_id is not None:
            if delivery_id in seen_deliveries:
                ch.add((*path, "delivery_id"), "invalid_delivery_id")
            seen_deliveries.add(delivery_id)
    taking = sum((point.taking_amount for _, point in indexed), ZERO)
    buyout = sum((point.buyout_amount for _, point in indexed), ZERO)
    if buyout > taking:
        # The document: the buyout total "can never exceed" the taking total.
        index = next(i for i, point in indexed if point.buyout_amount > Decimal(0))
        ch.add(("points", index, "buyout_amount"), "max_value")


def _check_coordinates(ch: Checker, point: Point, path: Path) -> None:
    if (point.latitude is None) != (point.longitude is None):
        ch.add((*path, "longitude" if point.longitude is None else "latitude"), "required")
    elif (
        point.latitude is not None
        and point.longitude is not None
        and not in_service_area((float(point.latitude), float(point.longitude)))
    ):
        ch.add((*path, "latitude"), "coordinates_out_of_bounds")
        ch.add((*path, "longitude"), "coordinates_out_of_bounds")


def finish(order: Order) -> None:
    """Arrange the route (return point, optimiser) and price the order."""
    returns = [p for p in order.points if p.is_return_point]
    order.points = [p for p in order.points if not p.is_return_point]
    if order.is_route_optimizer_enabled and len(order.points) > 2:
        first, stops = order.points[0], order.points[1:]
        ranked = nearest_first(first.position, [stop.position for stop in stops])
        order.points = [first, *(stops[i] for i in ranked)]
    if order.is_return_required and order.points:
        first = order.points[0]
        back = returns[0] if returns else Point(*default_window(order.created, len(order.points)))
        back.is_return_point = True
        back.address, back.latitude, back.longitude = first.address, first.latitude, first.longitude
        back.contact_name, back.contact_phone = first.contact_name, first.contact_phone
        order.points.append(back)
    order.prices = price(order)
