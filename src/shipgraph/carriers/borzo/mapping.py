"""Borzo answers -> domain, per ../shared/carrier-docs/borzo.txt. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shipgraph.carriers import parsing
from shipgraph.carriers.parsing import amount, identifier, parse_time, url
from shipgraph.carriers.status import StatusTable
from shipgraph.domain import (
    CarrierCode,
    Courier,
    Money,
    ProofOfDelivery,
    ShipmentStatus,
    TrackingLog,
)

CARRIER = CarrierCode.BORZO
CURRENCY = "IDR"

# "Vehicle types" in the document. 1 is "Car / SUV / pickup", 7 plain "Car".
VEHICLES: dict[int, str] = {
    1: "car_suv_pickup",
    2: "minivan",
    3: "van",
    7: "car",
    8: "motorbike",
}

DELIVERY_STATUS = StatusTable(
    "borzo delivery",
    {
        "draft": ShipmentStatus.DRAFT,
        "invalid": ShipmentStatus.DRAFT,
        "planned": ShipmentStatus.CREATED,
        "courier_assigned": ShipmentStatus.PICKUP_SCHEDULED,
        "courier_departed": ShipmentStatus.PICKUP_SCHEDULED,
        "courier_at_pickup": ShipmentStatus.PICKUP_SCHEDULED,
        "parcel_picked_up": ShipmentStatus.PICKED_UP,
        "active": ShipmentStatus.OUT_FOR_DELIVERY,
        "courier_arrived": ShipmentStatus.OUT_FOR_DELIVERY,
        "finished": ShipmentStatus.DELIVERED,
        "reattempt_finished": ShipmentStatus.DELIVERED,
        "canceled": ShipmentStatus.CANCELLED,
        "deleted": ShipmentStatus.CANCELLED,
        "delayed": ShipmentStatus.EXCEPTION,
        "return_planned": ShipmentStatus.RETURNING,
        "return_courier_assigned": ShipmentStatus.RETURNING,
        "return_courier_departed": ShipmentStatus.RETURNING,
        "return_courier_picked_up": ShipmentStatus.RETURNING,
        "return_finished": ShipmentStatus.RETURNED,
        "reattempt_planned": ShipmentStatus.DELIVERY_FAILED,
        # "Courier assigned to / departed for reattempt delivery": a courier going to
        # collect the parcel again (it is "picked up" next), as courier_assigned is.
        "reattempt_courier_assigned": ShipmentStatus.PICKUP_SCHEDULED,
        "reattempt_courier_departed": ShipmentStatus.PICKUP_SCHEDULED,
        # The reattempt has no "active" ("Courier on the way") step: after the pickup
        # comes reattempt_finished, so the courier is out delivering from here.
        "reattempt_courier_picked_up": ShipmentStatus.OUT_FOR_DELIVERY,
    },
)

ORDER_STATUS = StatusTable(
    "borzo order",
    {
        "draft": ShipmentStatus.DRAFT,
        "new": ShipmentStatus.CREATED,
        "available": ShipmentStatus.CREATED,
        "reactivated": ShipmentStatus.CREATED,
        # "A courier was assigned and is working on the order": maybe not picked up yet.
        "active": ShipmentStatus.PICKUP_SCHEDULED,
        "completed": ShipmentStatus.DELIVERED,
        "canceled": ShipmentStatus.CANCELLED,
        "delayed": ShipmentStatus.EXCEPTION,
    },
)

# Delivery statuses about the one pickup every delivery of an order shares: true of
# the whole order whichever drop-off point the delivery belongs to.
PICKUP_LEG = frozenset(
    {"draft", "invalid", "planned", "courier_assigned", "courier_departed"}
    | {"courier_at_pickup", "parcel_picked_up"}
)


def vehicle_name(vehicle_type_id: object) -> str | None:
    if isinstance(vehicle_type_id, bool) or not isinstance(vehicle_type_id, int):
        return None
    return VEHICLES.get(vehicle_type_id, f"vehicle_{vehicle_type_id}")


# --- values ---------------------------------------------------------------------


def borzo_time(value: datetime) -> str:
    """The document's timestamp: ``2024-12-04T00:21:48+07:00`` (seconds, offset with a
    colon); a naive value is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def money_text(value: Decimal) -> str:
    """A money parameter: a JSON string with two decimals, as the document's "0.00"."""
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def coordinate_text(value: float) -> str:
    """A coordinate parameter: a JSON string such as "-6.3037234"."""
    text = f"{value:.7f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


MAX_ID_DIGITS = 18
"""Borzo's ids are integers (borzo.txt: ``order_id integer``); 18 digits stay within a
signed 64-bit id."""


def parse_order_id(written: str) -> int | None:
    """An order_id as written: ASCII digits in canonical form (no sign, space or leading
    zero, at most 18 digits). Any other spelling of a number is refused, so that no two
    strings name the same order."""
    if not 0 < len(written) <= MAX_ID_DIGITS or not (written.isascii() and written.isdigit()):
        return None
    return None if written[0] == "0" else int(written)


def order_id_of(value: object) -> int | None:
    """A Borzo integer id (order_id, order_package_id, orders_count) from its answers:
    a JSON integer, or a string in canonical form."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**MAX_ID_DIGITS else None
    if isinstance(value, str):
        return parse_order_id(value)
    return None


def text(value: object, limit: int = parsing.MAX_TEXT) -> str | None:
    """Free text (a name, a description), cleaned and bounded."""
    return parsing.text(value, limit)


def status_value(value: object) -> str | None:
    """A status value as Borzo writes them ("courier_assigned"), or None."""
    return identifier(value, 64)


# --- an order's points ------------------------------------------------------------


def points_of(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    points = order.get("points")
    if not isinstance(points, list):
        return []
    return [point for point in points if isinstance(point, dict)]


def destination_point(order: Mapping[str, Any], point_id: object = None) -> dict[str, Any] | None:
    """The shipment's destination: the point with ``point_id`` when given and present,
    else the drop carrying a ``client_order_id`` (the gateway writes it on the
    destination only, as webhooks.is_destination reads a delivery callback), else the
    last point that is not a return point (we book the destination last)."""
    points = points_of(order)
    if point_id is not None:
        for point in points:
            if point.get("point_id") == point_id:
                return point
    drops = [point for point in points[1:] if point.get("is_return_point") is not True]
    marked = [point for point in drops if marked_destination(point.get("client_order_id"))]
    return (marked or drops)[-1] if drops else None


def marked_destination(client_order_id: object) -> bool:
    return isinstance(client_order_id, str) and client_order_id.strip() != ""


def has_client_order_id(order: Mapping[str, Any], client_order_id: str) -> bool:
    return any(point.get("client_order_id") == client_order_id for point in points_of(order))


def pickup_point(order: Mapping[str, Any]) -> dict[str, Any] | None:
    points = points_of(order)
    return points[0] if points else None


def delivery_status(point: Mapping[str, Any] | None) -> str | None:
    delivery = point.get("delivery") if point is not None else None
    return status_value(delivery.get("status")) if isinstance(delivery, dict) else None


@dataclass(frozen=True, slots=True)
class OrderState:
    """Where an order stands, per ARCHITECTURE's Borzo rule."""

    status: ShipmentStatus
    carrier_status: str


def order_state(order: Mapping[str, Any], destination_id: object = None) -> OrderState | None:
    """The destination's delivery status decides; without one, the order status.

    A canceled order is CANCELLED whatever its points say: the cancel-order example
    answers ``canceled`` with the destination's delivery still ``planned``.
    """
    order_status = status_value(order.get("status"))
    if order_status == "canceled":
        return OrderState(ORDER_STATUS[order_status], order_status)
    delivery = delivery_status(destination_point(order, destination_id))
    if delivery is not None:
        return OrderState(DELIVERY_STATUS[delivery], delivery)
    if order_status is not None:
        return OrderState(ORDER_STATUS[order_status], order_status)
    return None


def courier_of(data: object, located_at: datetime | None, vehicle: str | None) -> Courier | None:
    """A ``courier`` object (order, callback or courier method) as a Courier."""
    if not isinstance(data, dict):
        return None
    parts = (text(data.get(key), 100) for key in ("name", "middlename", "surname"))
    name = " ".join(part for part in parts if part) or None
    # Borzo writes coordinates as strings ("-6.3037234"): the shared reader takes both
    location = parsing.geo_point(data.get("latitude"), data.get("longitude"))
    return Courier(
        name=name,
        phone=identifier(data.get("phone"), 40),
        vehicle=vehicle,
        location=location,
        located_at=located_at if location is not None else None,
    )


def happened_at(
    order: Mapping[str, Any], state: OrderState, destination_id: object = None
) -> datetime | None:
    """The time the order's data gives for its current state, if any."""
    destination = destination_point(order, destination_id) or {}
    pickup = pickup_point(order) or {}
    status = state.status
    if status in (ShipmentStatus.CREATED, ShipmentStatus.DRAFT):
        return parse_time(order.get("created_datetime"))
    if status == ShipmentStatus.DELIVERED:
        return parse_time(destination.get("courier_visit_datetime")) or parse_time(
            order.get("finish_datetime")
        )
    if status == ShipmentStatus.PICKED_UP:
        return parse_time(pickup.get("courier_visit_datetime"))
    if status in (ShipmentStatus.CANCELLED, ShipmentStatus.RETURNED):
        return parse_time(order.get("finish_datetime"))
    return None


# The point's place_photo_url and sign_photo_url: at most these two photos are kept.
PHOTO_FIELDS = ("place_photo_url", "sign_photo_url")
PARCEL_COLLECTED = frozenset(
    {
        ShipmentStatus.PICKED_UP,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.DELIVERY_FAILED,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.RETURNING,
        ShipmentStatus.RETURNED,
    }
)


def proof_of_delivery_of(point: Mapping[str, Any]) -> ProofOfDelivery | None:
    """What a point's examples carry once the courier checked in there.

    The parameter lists leave these out; assumed from the order examples: photo URLs
    are the courier's photos at the point, ``checkin`` names who received it and in
    what role, ``courier_visit_datetime`` is when the courier was there. No location:
    the point's coordinates are its address, not where the check-in was recorded.
    """
    photos = tuple(dict.fromkeys(f for f in (url(point.get(k)) for k in PHOTO_FIELDS) if f))
    checkin = point.get("checkin")
    checkin = checkin if isinstance(checkin, dict) else {}
    name = text(checkin.get("recipient_full_name"), 200)
    role = text(checkin.get("recipient_position"), 100)
    if not photos and name is None and role is None:
        return None
    return ProofOfDelivery(
        photo_urls=photos,
        recipient_name=name,
        recipient_role=role,
        recorded_at=parse_time(point.get("courier_visit_datetime")),
    )


def tracking_url_of(order: Mapping[str, Any], point: Mapping[str, Any]) -> str | None:
    """The destination point's ``tracking_url`` (the examples carry it per point),
    else one on the order itself."""
    return url(point.get("tracking_url")) or url(order.get("tracking_url"))


def picked_up_at_of(order: Mapping[str, Any], state: OrderState | None) -> datetime | None:
    """The pick-up point's ``courier_visit_datetime`` once the parcel is collected:
    read as the time the courier was at the pick-up, where the parcel was taken (the
    document shows the field, always null, and does not define it)."""
    if state is None or state.status not in PARCEL_COLLECTED:
        return None
    return parse_time((pickup_point(order) or {}).get("courier_visit_datetime"))


@dataclass(frozen=True, slots=True)
class OrderView:
    """What an order (from orders, a callback or an edit) says about the shipment."""

    order_id: int
    order_name: str | None
    state: OrderState | None
    log: TrackingLog | None
    courier: Courier | None
    delivered_at: datetime | None
    received_by: str | None
    estimated_pickup_at: datetime | None
    estimated_delivery_at: datetime | None
    cash_on_delivery: Money | None
    proof_of_delivery: ProofOfDelivery | None
    tracking_url: str | None
    picked_up_at: datetime | None


def order_view(
    order: Mapping[str, Any], at: datetime | None, now: datetime, destination_id: object = None
) -> OrderView | None:
    """``at`` is the event's time (a callback's event_datetime); without it the log's
    time comes from the order's own datetime fields, else ``now``."""
    order_id = order_id_of(order.get("order_id"))
    if order_id is None:
        return None
    state = order_state(order, destination_id)
    destination = destination_point(order, destination_id) or {}
    pickup = pickup_point(order) or {}
    log = None
    delivered_at = None
    received_by = None
    if state is not None:
        occurred = at or happened_at(order, state, destination_id) or now
        description = text(order.get("status_description"))
        log = TrackingLog(
            status=state.status,
            carrier_status=state.carrier_status,
            occurred_at=occurred,
            # The examples' description mostly repeats the status; keep it when it says more.
            message=description if description != order.get("status") else None,
        )
        if state.status == ShipmentStatus.DELIVERED:
            delivered_at = happened_at(order, state, destination_id) or occurred
            checkin = destination.get("checkin")
            if isinstance(checkin, dict):
                received_by = text(checkin.get("recipient_full_name"), 200)
    return OrderView(
        order_id=order_id,
        order_name=identifier(order.get("order_name")),
        state=state,
        log=log,
        courier=courier_of(
            order.get("courier"), at or now, vehicle_name(order.get("vehicle_type_id"))
        ),
        delivered_at=delivered_at,
        received_by=received_by,
        estimated_pickup_at=estimate(pickup, "required_start_datetime"),
        estimated_delivery_at=estimate(destination, "required_finish_datetime"),
        cash_on_delivery=cash_on_delivery_of(destination),
        proof_of_delivery=proof_of_delivery_of(destination) if delivered_at is not None else None,
        tracking_url=tracking_url_of(order, destination),
        picked_up_at=picked_up_at_of(order, state),
    )


def cash_on_delivery_of(point: Mapping[str, Any]) -> Money | None:
    """A point's ``taking_amount``, when there is one to collect."""
    cod = amount(point.get("taking_amount"))
    return Money(cod, CURRENCY) if cod is not None and cod > 0 else None


def estimate(point: Mapping[str, Any], window_field: str) -> datetime | None:
    return parse_time(point.get("estimated_arrival_datetime")) or parse_time(
        point.get(window_field)
    )


def point_refs(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What editing needs of each point later: its id, role and package ids."""
    points = points_of(order)
    destination = destination_point(order)
    refs: list[dict[str, Any]] = []
    for index, point in enumerate(points):
        if index == 0:
            role = "pickup"
        elif point is destination:
            role = "destination"
        elif point.get("is_return_point") is True:
            role = "return"
        else:
            role = "stop"
        listed = point.get("packages")
        packages = listed if isinstance(listed, list) else []
        package_ids = [
            p["order_package_id"]
            for p in packages
            if isinstance(p, dict) and order_id_of(p.get("order_package_id")) is not None
        ]
        refs.append({"point_id": point.get("point_id"), "role": role, "package_ids": package_ids})
    return refs
