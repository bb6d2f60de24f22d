"""The steps a simulated order takes through the document's order and delivery statuses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from shipgraph.sandbox.borzo import files
from shipgraph.sandbox.borzo.errors import ControlError
from shipgraph.sandbox.borzo.geo import Position
from shipgraph.sandbox.borzo.model import (
    ACTIVE,
    AVAILABLE,
    CANCELED,
    COMPLETED,
    COURIER_ARRIVED,
    COURIER_ASSIGNED,
    COURIER_AT_PICKUP,
    COURIER_DEPARTED,
    DELAYED,
    DELIVERY_STATUSES,
    FINISHED,
    NEW,
    ORDER_STATUSES,
    PARCEL_PICKED_UP,
    PLANNED,
    REACTIVATED,
    REATTEMPT_COURIER_ASSIGNED,
    REATTEMPT_COURIER_DEPARTED,
    REATTEMPT_COURIER_PICKED_UP,
    REATTEMPT_FINISHED,
    REATTEMPT_PLANNED,
    RETURN_COURIER_ASSIGNED,
    RETURN_COURIER_DEPARTED,
    RETURN_COURIER_PICKED_UP,
    RETURN_FINISHED,
    RETURN_PLANNED,
    Courier,
    Delivery,
    Order,
    Point,
)

# The document's example courier.
COURIER = Courier(
    courier_id=72384, surname="Surname", name="Name", middlename=None, phone="6288800000001"
)
COURIER_START_OFFSET = (0.01, 0.01)
"""Where an assigned courier waits, relative to the pick-up point (about 1.5 km)."""
DISPATCHER_CANCEL = "Dibatalkan oleh dispatcher"
DISPATCHER_DELAY = "Ditunda oleh dispatcher"
RECIPIENT = "Penerima"

EDITABLE = frozenset({NEW, AVAILABLE, ACTIVE, DELAYED})
"""The document: edit-order and cancel-order work on orders in these statuses."""
CANCELABLE_BY_DISPATCHER = EDITABLE | {REACTIVATED}


@dataclass(frozen=True)
class StepInput:
    point_id: int | None = None
    status_description: str | None = None


def refuse(step: str, what: str) -> ControlError:
    return ControlError(409, f"step {step} is not allowed: {what}")


def describe(order: Order, status: str, description: str | None = None) -> None:
    assert status in ORDER_STATUSES, f"not a documented order status: {status}"
    order.status = status
    order.status_description = description or status


def set_status(point: Point, status: str, now: datetime) -> None:
    assert point.delivery is not None
    assert status in DELIVERY_STATUSES, f"not a documented delivery status: {status}"
    point.delivery.status = status
    point.delivery.status_datetime = now


def joining_delivery(order: Order, delivery_id: int | None, now: datetime) -> Delivery:
    """A delivery added to an existing order joins the others where the courier is."""
    status = order.pickup_phase or PLANNED
    if order.status == DELAYED:
        return Delivery(delivery_id, DELAYED, now, now, held_status=status)
    return Delivery(delivery_id, status, now, now)


def can_cancel(order: Order) -> bool:
    """The document: statuses new/available/active/delayed, and no address visited yet."""
    return order.status in EDITABLE and all(p.courier_visit is None for p in order.points)


def cancel(order: Order, description: str, now: datetime) -> None:
    describe(order, CANCELED, description)
    order.finish_datetime = now
    for point in order.points:
        if point.live:
            set_status(point, CANCELED, now)


# -- order-wide steps -------------------------------------------------------------------


def _available(order: Order, inp: StepInput, now: datetime) -> None:
    _require_order(order, "available", NEW)
    describe(order, AVAILABLE, inp.status_description)


def _courier_assigned(order: Order, inp: StepInput, now: datetime) -> None:
    _require_order(order, "courier_assigned", AVAILABLE, REACTIVATED)
    pickup = _position(order.points[0])
    start = (pickup[0] + COURIER_START_OFFSET[0], pickup[1] + COURIER_START_OFFSET[1])
    order.courier = replace(COURIER, position=start)
    describe(order, ACTIVE, inp.status_description)
    order.pickup_phase = COURIER_ASSIGNED
    for point in order.points:
        point.estimated_arrival = max(now, point.required_start)
        if point.live:
            set_status(point, COURIER_ASSIGNED, now)


def _pickup_phase(name: str, before: str) -> Callable[[Order, StepInput, datetime], None]:
    def run(order: Order, inp: StepInput, now: datetime) -> None:
        _require_order(order, name, ACTIVE)
        if order.pickup_phase != before:
            raise refuse(name, f"the courier is not at {before}")
        order.pickup_phase = name
        pickup = order.points[0]
        if name == COURIER_AT_PICKUP:
            _arrive(order, pickup, now)
        elif name == PARCEL_PICKED_UP:
            pickup.arrival_finish = now
        for point in order.points:
            if point.live and point.delivery is not None and point.delivery.status == before:
                set_status(point, name, now)

    return run


def _completed(order: Order, inp: StepInput, now: datetime) -> None:
    _require_order(order, "completed", ACTIVE)
    if order.current() is not None:
        raise refuse("completed", "a delivery is still under way")
    describe(order, COMPLETED, inp.status_description)
    order.finish_datetime = now
    for point in order.points:
        if point.is_return_point:
            _arrive(order, point, now)
            point.arrival_finish = now


def _delayed(order: Order, inp: StepInput, now: datetime) -> None:
    _require_order(order, "delayed", AVAILABLE, ACTIVE)
    order.held_status = order.status
    describe(order, DELAYED, inp.status_description or DISPATCHER_DELAY)
    for point in order.points:
        if point.live and point.delivery is not None:
            point.delivery.held_status = point.delivery.status
            set_status(point, DELAYED, now)


def _resume(order: Order, inp: StepInput, now: datetime) -> None:
    _require_order(order, "resume", DELAYED)
    describe(order, order.held_status or AVAILABLE, inp.status_description)
    order.held_status = None
    for point in order.points:
        if point.live and point.delivery is not None and point.delivery.held_status:
            set_status(point, point.delivery.held_status, now)
            point.delivery.held_status = None


def _reactivated(order: Order, inp: StepInput, now: datetime) -> None:
    _require_order(order, "reactivated", ACTIVE)
    if order.pickup_phase not in (COURIER_ASSIGNED, COURIER_DEPARTED):
        raise refuse("reactivated", "the courier has reached the pick-up point")
    describe(order, REACTIVATED, inp.status_description)
    order.courier = None
    order.pickup_phase = None
    for point in order.points:
        point.estimated_arrival = None
        if point.live:
            set_status(point, PLANNED, now)


def _canceled(order: Order, inp: StepInput, now: datetime) -> None:
    if order.status not in CANCELABLE_BY_DISPATCHER:
        raise refuse("canceled", f"the order is {order.status}")
    cancel(order, inp.status_description or DISPATCHER_CANCEL, now)


# -- steps of one delivery (the current one, or the point_id given) ----------------------


def _delivery_step(
    name: str, *sources: str, arrive: bool = False, done: bool = False
) -> Callable[[Order, StepInput, datetime], None]:
    def run(order: Order, inp: StepInput, now: datetime) -> None:
        _require_order(order, name, ACTIVE)
        if order.pickup_phase != PARCEL_PICKED_UP:
            raise refuse(name, "the parcel is not picked up yet")
        point = _target(order, inp)
        assert point.delivery is not None
        if point.delivery.status not in sources:
            raise refuse(name, f"delivery {point.delivery.delivery_id} is {point.delivery.status}")
        set_status(point, name, now)
        if arrive:
            _arrive(order, point, now)
        if done:
            _arrive(order, point, now)
            point.arrival_finish = now
            _check_in(order, point)
        if name == RETURN_FINISHED and order.courier is not None:
            order.courier.position = _position(order.points[0])

    return run


StepFn = Callable[[Order, StepInput, datetime], None]
AFTER_ARRIVAL = (ACTIVE, COURIER_ARRIVED)
STEPS: dict[str, StepFn] = {
    "available": _available,
    "courier_assigned": _courier_assigned,
    COURIER_DEPARTED: _pickup_phase(COURIER_DEPARTED, COURIER_ASSIGNED),
    COURIER_AT_PICKUP: _pickup_phase(COURIER_AT_PICKUP, COURIER_DEPARTED),
    PARCEL_PICKED_UP: _pickup_phase(PARCEL_PICKED_UP, COURIER_AT_PICKUP),
    ACTIVE: _delivery_step(ACTIVE, PARCEL_PICKED_UP),
    COURIER_ARRIVED: _delivery_step(COURIER_ARRIVED, ACTIVE, arrive=True),
    FINISHED: _delivery_step(FINISHED, *AFTER_ARRIVAL, done=True),
    "completed": _completed,
    "delayed": _delayed,
    "resume": _resume,
    "reactivated": _reactivated,
    "canceled": _canceled,
    RETURN_PLANNED: _delivery_step(RETURN_PLANNED, *AFTER_ARRIVAL),
    RETURN_COURIER_ASSIGNED: _delivery_step(RETURN_COURIER_ASSIGNED, RETURN_PLANNED),
    RETURN_COURIER_DEPARTED: _delivery_step(RETURN_COURIER_DEPARTED, RETURN_COURIER_ASSIGNED),
    RETURN_COURIER_PICKED_UP: _delivery_step(RETURN_COURIER_PICKED_UP, RETURN_COURIER_DEPARTED),
    RETURN_FINISHED: _delivery_step(RETURN_FINISHED, RETURN_COURIER_PICKED_UP),
    REATTEMPT_PLANNED: _delivery_step(REATTEMPT_PLANNED, *AFTER_ARRIVAL),
    REATTEMPT_COURIER_ASSIGNED: _delivery_step(REATTEMPT_COURIER_ASSIGNED, REATTEMPT_PLANNED),
    REATTEMPT_COURIER_DEPARTED: _delivery_step(
        REATTEMPT_COURIER_DEPARTED, REATTEMPT_COURIER_ASSIGNED
    ),
    REATTEMPT_COURIER_PICKED_UP: _delivery_step(
        REATTEMPT_COURIER_PICKED_UP, REATTEMPT_COURIER_DEPARTED
    ),
    REATTEMPT_FINISHED: _delivery_step(REATTEMPT_FINISHED, REATTEMPT_COURIER_PICKED_UP, done=True),
}
# From a delivery's status, the happy path's next step (returns and reattempts run to the end).
HAPPY_NEXT: dict[str, str] = {
    PARCEL_PICKED_UP: ACTIVE,
    ACTIVE: COURIER_ARRIVED,
    COURIER_ARRIVED: FINISHED,
    RETURN_PLANNED: RETURN_COURIER_ASSIGNED,
    RETURN_COURIER_ASSIGNED: RETURN_COURIER_DEPARTED,
    RETURN_COURIER_DEPARTED: RETURN_COURIER_PICKED_UP,
    RETURN_COURIER_PICKED_UP: RETURN_FINISHED,
    REATTEMPT_PLANNED: REATTEMPT_COURIER_ASSIGNED,
    REATTEMPT_COURIER_ASSIGNED: REATTEMPT_COURIER_DEPARTED,
    REATTEMPT_COURIER_DEPARTED: REATTEMPT_COURIER_PICKED_UP,
    REATTEMPT_COURIER_PICKED_UP: REATTEMPT_FINISHED,
}
PHASE_NEXT = {
    COURIER_ASSIGNED: COURIER_DEPARTED,
    COURIER_DEPARTED: COURIER_AT_PICKUP,
    COURIER_AT_PICKUP: PARCEL_PICKED_UP,
}


def next_happy_step(order: Order) -> str | None:
    if order.status == NEW:
        return "available"
    if order.status in (AVAILABLE, REACTIVATED):
        return "courier_assigned"
    if order.status == DELAYED:
        return "resume"
    if order.status != ACTIVE:
        return None
    if order.pickup_phase in PHASE_NEXT:
        return PHASE_NEXT[order.pickup_phase]
    current = order.current()
    if current is None:
        return "completed"
    assert current.delivery is not None
    return HAPPY_NEXT.get(current.delivery.status)


def apply_step(order: Order, name: str, inp: StepInput, now: datetime) -> None:
    STEPS[name](order, inp, now)


def courier_target(order: Order) -> Position | None:
    """Where the courier is heading, if on the way anywhere."""
    if order.status != ACTIVE or order.courier is None:
        return None
    pickup = _position(order.points[0])
    if order.pickup_phase == COURIER_DEPARTED:
        return pickup
    current = order.current()
    if order.pickup_phase != PARCEL_PICKED_UP or current is None or current.delivery is None:
        return None
    status = current.delivery.status
    if status in (ACTIVE, REATTEMPT_COURIER_PICKED_UP):
        return _position(current)
    if status in (RETURN_COURIER_PICKED_UP, REATTEMPT_COURIER_DEPARTED):
        return pickup
    return None


def _require_order(order: Order, step: str, *statuses: str) -> None:
    if order.status not in statuses:
        raise refuse(step, f"the order is {order.status}")


def _target(order: Order, inp: StepInput) -> Point:
    if inp.point_id is not None:
        point = order.find_delivery(inp.point_id)
        if point is None:
            raise ControlError(404, f"the order has no delivery point {inp.point_id}")
        return point
    current = order.current()
    if current is None:
        raise ControlError(409, "every delivery of the order is over")
    return current


def _position(point: Point) -> Position:
    return point.position or (0.0, 0.0)


def _check_in(order: Order, point: Point) -> None:
    """What the document's point examples carry of a visited point: who received it
    (``checkin``), the courier's photos and the point's tracking page."""
    recipient = point.contact_name or RECIPIENT
    point.checkin = {"recipient_full_name": recipient, "recipient_position": None}
    point.place_photo_url = files.photo_url(order, point, files.PLACE)
    point.sign_photo_url = files.photo_url(order, point, files.SIGN)
    point.tracking_url = files.tracking_url(order, point)


def _arrive(order: Order, point: Point, now: datetime) -> None:
    if point.courier_visit is None:
        point.courier_visit = now
    point.arrival_start = point.arrival_start or now
    if order.courier is not None:
        order.courier.position = _position(point)
