"""Everything one Borzo simulator holds: orders, callbacks, limits, faults, auto-advance."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shipgraph.sandbox.borzo.errors import ApiError, ControlError
from shipgraph.sandbox.borzo.geo import Position, move_toward
from shipgraph.sandbox.borzo.lifecycle import (
    EDITABLE,
    StepInput,
    apply_step,
    can_cancel,
    cancel,
    courier_target,
    next_happy_step,
)
from shipgraph.sandbox.borzo.limits import RateLimiter
from shipgraph.sandbox.borzo.model import (
    CANCELED,
    COMPLETED,
    DELETED,
    NEW,
    Order,
    Point,
    jakarta_now,
    ts,
)
from shipgraph.sandbox.borzo.orders import apply_edit, build_order, check_order, finish
from shipgraph.sandbox.borzo.params import Checker, parse_object
from shipgraph.sandbox.borzo.requests import ORDER, order_id_of
from shipgraph.sandbox.borzo.views import delivery_json, order_json
from shipgraph.sandbox.control_api import find_one
from shipgraph.sandbox.faults import FaultInjector
from shipgraph.sandbox.simulation import Simulation
from shipgraph.sandbox.webhooks import Delivery as Dispatch
from shipgraph.sandbox.webhooks import WebhookSender

# The document's example IDs: the first order is 1250032 (name "50032") with points 202685...
FIRST_ORDER_ID = 1250032
FIRST_POINT_ID = 202685
FIRST_PACKAGE_ID = 3632252
FIRST_DELIVERY_ID = 11712
# The document's cancel-order example answers this status_description.
API_CANCEL_DESCRIPTION = "Pelanggan tidak merespons"
DEFAULT_MOVE = 0.5


@dataclass
class Ids:
    order: int = FIRST_ORDER_ID
    point: int = FIRST_POINT_ID
    package: int = FIRST_PACKAGE_ID
    delivery: int = FIRST_DELIVERY_ID

    def take(self, kind: str, taken: Iterable[int] = ()) -> int:
        skip = set(taken)
        value: int = getattr(self, kind)
        while value in skip:
            value += 1
        setattr(self, kind, value + 1)
        return value


@dataclass
class Snapshot:
    order: dict[str, Any]
    deliveries: dict[int, dict[str, Any]]


def _comparable(view: dict[str, Any]) -> dict[str, Any]:
    """A view without the courier, whose moves alone send no callback."""
    return {key: value for key, value in view.items() if key != "courier"}


class BorzoSandboxState(Simulation):
    def __init__(
        self,
        *,
        auth_token: str,
        callback_url: str | None = None,
        callback_secret: str | None = None,
        auto_advance_s: float | None = None,
        callback_retry_delays: Sequence[float] = (0.5, 2.0, 5.0),
        requests_per_minute: int = 100,
        requests_per_day: int = 5000,
    ) -> None:
        self.auth_token = auth_token
        self.callback_url = callback_url
        self.callback_secret = callback_secret
        self.lock = asyncio.Lock()
        self.callbacks = WebhookSender(retry_delays=callback_retry_delays)
        self.faults = FaultInjector()
        self.limiter = RateLimiter(per_minute=requests_per_minute, per_day=requests_per_day)
        self.orders: dict[int, Order] = {}
        self.ids = Ids()
        self.promo_used = False
        # What the simulator takes for "now" when it dates orders and checks windows.
        self.clock: Callable[[], datetime] = jakarta_now
        super().__init__(auto_advance_s, self.callbacks)

    # -- vendor API operations -------------------------------------------------------------

    async def calculate(self, body: dict[str, Any]) -> tuple[Order, dict[str, Any] | None]:
        """The priced order and its warnings (the parameter errors create-order would give)."""
        async with self.lock:
            ch = Checker()
            parsed = parse_object(ch, body, ORDER, (), create=True)
            # The document's calculation shows an order_id: the one the next order will get.
            order, indexed = build_order(
                ch, parsed, self.clock(), order_id=self.ids.order, status=None
            )
            check_order(
                ch,
                order,
                parsed,
                indexed,
                taken_delivery_ids=self._delivery_ids(),
                promo_taken=self.promo_used,
            )
            finish(order)
            for point in order.points:
                point.estimated_arrival = point.required_start
            return order, ch.tree()

    async def create(self, body: dict[str, Any], base_url: str | None = None) -> Order:
        async with self.lock:
            ch = Checker()
            parsed = parse_object(ch, body, ORDER, (), create=True)
            order, indexed = build_order(ch, parsed, self.clock(), order_id=None, status=NEW)
            check_order(
                ch,
                order,
                parsed,
                indexed,
                taken_delivery_ids=self._delivery_ids(),
                promo_taken=self.promo_used,
            )
            ch.raise_if_any()
            finish(order)
            # The document's example answers "available"; orders start at its "new" ("waiting
            # for verification") so the dispatcher's step to "available" is seen too.
            order.order_id = self.ids.take("order")
            if base_url is not None:
                order.base_url = base_url
            self._number(order)
            self.promo_used = self.promo_used or order.promo_code is not None
            self.orders[order.order_id] = order
            self._emit(order, None)
            return order

    async def edit(self, body: dict[str, Any]) -> Order:
        async with self.lock:
            ch = Checker(editing=True)
            order_id = order_id_of(ch, body)
            parsed = parse_object(ch, body, ORDER, (), create=False)
            order = self._order_for(ch, order_id)
            if order.status not in EDITABLE:
                raise ApiError("order_cannot_be_edited")
            ch.raise_if_any()
            draft = copy.deepcopy(order)
            now = self.clock()
            removed, indexed = apply_edit(ch, draft, parsed, now)
            check_order(
                ch,
                draft,
                parsed,
                indexed,
                taken_delivery_ids=self._delivery_ids(exclude=order),
                promo_taken=self.promo_used and draft.promo_code != order.promo_code,
            )
            ch.raise_if_any()
            finish(draft)
            self._number(draft)
            for point in removed:
                if point.delivery is not None:
                    point.delivery.status = DELETED
                    point.delivery.status_datetime = now
            self.promo_used = self.promo_used or draft.promo_code is not None
            before = self._snapshot(order)
            assert draft.order_id is not None
            self.orders[draft.order_id] = draft
            self._emit(draft, before, removed)
            return draft

    async def cancel(self, body: dict[str, Any]) -> Order:
        async with self.lock:
            ch = Checker()
            order_id = order_id_of(ch, body)
            for key in body:
                if key != "order_id":
                    ch.add((key,), "unknown")
            order = self._order_for(ch, order_id)
            if not can_cancel(order):
                raise ApiError("order_cannot_be_canceled")
            ch.raise_if_any()
            before = self._snapshot(order)
            cancel(order, API_CANCEL_DESCRIPTION, self.clock())
            order.last_step_at = time.monotonic()
            self._emit(order, before)
            return order

    def find(
        self, ids: list[int] | None, status: str | None, offset: int, count: int
    ) -> tuple[list[Order], int]:
        """Orders newest first (the document: sorted by order_id, descending), and the total."""
        wanted = set(ids) if ids is not None else None
        found = [
            order
            for order_id, order in sorted(self.orders.items(), reverse=True)
            if (wanted is None or order_id in wanted) and (status is None or order.status == status)
        ]
        return found[offset : offset + count], len(found)

    # -- control API operations --------------------------------------------------------------

    def get(self, key: str) -> Order:
        """The order a control request names: by the order_name the gateway hands out
        as its tracking number, or by order_id."""
        orders = [order for _, order in sorted(self.orders.items(), reverse=True)]
        return find_one(orders, key, "order", lambda o: o.order_id, lambda o: o.order_name)

    async def advance(
        self, key: str, step: str | None, inp: StepInput
    ) -> tuple[Order, str, list[Dispatch]]:
        async with self.lock:
            order = self.get(key)
            name = step or next_happy_step(order)
            if name is None:
                raise ControlError(409, f"order {order.order_id} has no next step ({order.status})")
            return order, name, self._step(order, name, inp)

    async def move_courier(self, key: str, to: Position | None, fraction: float | None) -> Order:
        async with self.lock:
            order = self.get(key)
            if order.courier is None:
                raise ControlError(409, f"order {order.order_id} has no courier")
            if to is None:
                target = courier_target(order)
                if target is None or order.courier.position is None:
                    raise ControlError(409, "the courier is not on the way anywhere")
                share = DEFAULT_MOVE if fraction is None else fraction
                to = move_toward(order.courier.position, target, share)
            order.courier.position = to
            return order

    async def replay(self, key: str) -> Dispatch:
        async with self.lock:
            order = self.get(key)
            if order.last_callback is None:
                raise ControlError(409, f"order {order.order_id} has sent no callback yet")
            if self.callback_url is None:
                raise ControlError(409, "no callback url is configured")
            event, raw = order.last_callback
            dispatch = self._send(event, raw)
            assert dispatch is not None
            return dispatch

    async def reset(self) -> None:
        async with self.lock:
            self.orders.clear()
            self.ids = Ids()
            self.promo_used = False
            self.limiter.reset()
            self.faults.clear()
            await self.callbacks.reset()

    # -- internals ------------------------------------------------------------------------------

    def _order_for(self, ch: Checker, order_id: int | None) -> Order:
        order = self.orders.get(order_id) if order_id is not None else None
        if order is None:
            if order_id is not None:
                ch.add(("order_id",), "invalid_order")
            ch.raise_if_any()
        assert order is not None
        return order

    def _delivery_ids(self, exclude: Order | None = None) -> set[int]:
        return {
            point.delivery.delivery_id
            for order in self.orders.values()
            if order is not exclude
            for point in order.points
            if point.delivery is not None and point.delivery.delivery_id is not None
        }

    def _number(self, order: Order) -> None:
        """Give new points, packages and deliveries their IDs."""
        taken = self._delivery_ids()
        for point in order.points:
            if point.point_id is None:
                point.point_id = self.ids.take("point")
            for package in point.packages:
                if package.order_package_id is None:
                    package.order_package_id = self.ids.take("package")
            if point.delivery is not None and point.delivery.delivery_id is None:
                point.delivery.delivery_id = self.ids.take("delivery", taken)

    def _step(self, order: Order, name: str, inp: StepInput) -> list[Dispatch]:
        """Apply a step (the lock is held) and send its callbacks."""
        before = self._snapshot(order)
        apply_step(order, name, inp, self.clock())
        order.last_step_at = time.monotonic()
        return self._emit(order, before)

    def _snapshot(self, order: Order) -> Snapshot:
        deliveries = {
            point.delivery.delivery_id: _comparable(delivery_json(order, point))
            for point in order.deliveries()
            if point.delivery is not None and point.delivery.delivery_id is not None
        }
        return Snapshot(_comparable(order_json(order)), deliveries)

    def _emit(
        self, order: Order, before: Snapshot | None, removed: Iterable[Point] = ()
    ) -> list[Dispatch]:
        """order_created / order_changed, then delivery_created / delivery_changed."""
        at = ts(self.clock())
        sent: list[Dispatch | None] = []
        view = order_json(order)
        if before is None or _comparable(view) != before.order:
            event = "order_created" if before is None else "order_changed"
            body = {"event_datetime": at, "event_type": event, "order": view}
            sent.append(self._callback(order, event, body))
        for point in [*order.deliveries(), *removed]:
            assert point.delivery is not None and point.delivery.delivery_id is not None
            delivery = delivery_json(order, point)
            prior = before.deliveries.get(point.delivery.delivery_id) if before else None
            if prior is None or _comparable(delivery) != prior:
                event = "delivery_created" if prior is None else "delivery_changed"
                body = {"event_datetime": at, "event_type": event, "delivery": delivery}
                sent.append(self._callback(order, event, body))
        return [dispatch for dispatch in sent if dispatch is not None]

    def _callback(self, order: Order, event: str, body: dict[str, Any]) -> Dispatch | None:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        order.last_callback = (event, raw)
        return self._send(event, raw)

    def _send(self, event: str, raw: bytes) -> Dispatch | None:
        if self.callback_url is None:
            return None
        headers = {}
        if self.callback_secret is not None:
            # The document: X-DV-Signature, an HMAC-SHA256 of the data with the callback secret.
            digest = hmac.new(self.callback_secret.encode(), raw, hashlib.sha256).hexdigest()
            headers["X-DV-Signature"] = digest
        return self.callbacks.enqueue(self.callback_url, raw, event=event, headers=headers)

    # -- auto-advance ---------------------------------------------------------------------------

    async def advance_due(self, every_s: float, share: float) -> None:
        async with self.lock:
            now = time.monotonic()
            for order in self.orders.values():
                if order.status in (COMPLETED, CANCELED):
                    continue
                target = courier_target(order)
                if target is not None and order.courier and order.courier.position is not None:
                    order.courier.position = move_toward(order.courier.position, target, share)
                step = next_happy_step(order)
                if step is not None and now - order.last_step_at >= every_s:
                    self._step(order, step, StepInput())
