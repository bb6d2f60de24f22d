"""Everything one Entrego simulator holds: orders, tokens, sellers, waybills, counters,
webhook sender, faults and auto-advance."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from shipgraph.sandbox.control_api import ControlError as ControlError
from shipgraph.sandbox.control_api import find_one
from shipgraph.sandbox.entrego.auth import Tokens
from shipgraph.sandbox.entrego.errors import ApiError, not_found
from shipgraph.sandbox.entrego.lifecycle import StepRefused, apply_step, next_happy_step
from shipgraph.sandbox.entrego.model import CANCELLABLE, CANCELLED, FINAL, Order
from shipgraph.sandbox.entrego.patching import FieldPatch, apply_patch
from shipgraph.sandbox.entrego.validation import JsonObject, Validator, parse_order
from shipgraph.sandbox.entrego.waybill import WaybillDocument, page_lines
from shipgraph.sandbox.faults import FaultInjector
from shipgraph.sandbox.simulation import Simulation
from shipgraph.sandbox.webhooks import Delivery, WebhookSender

TRACKING_PREFIX = "0031-"
# The document's marketplace example: seller ABC123's registered pick-up (its answer).
DOCUMENT_SELLERS: dict[str, JsonObject] = {
    "ABC123": {
        "pickupPortCode": "SOU",
        "pickup": {
            "fullname": "Seller Name",
            "address": "4 Test Lane Address",
            "city": "Test City",
            "barangay": None,
            "zipcode": "123456",
            "phone": None,
            "email": None,
            "province": "Bataan",
        },
    }
}


class EntregoSandboxState(Simulation):
    def __init__(
        self,
        *,
        access_key: str,
        secret_key: str,
        webhook_url: str | None = None,
        webhook_token: str | None = None,
        auto_advance_s: float | None = None,
        token_validity_s: float = 86400,
        waybill_pending_s: float = 0.5,
        webhook_retry_delays: Sequence[float] = (0.5, 2.0, 5.0),
    ) -> None:
        self.webhook_url = webhook_url
        self.webhook_token = webhook_token
        self.waybill_pending_s = waybill_pending_s
        self.tokens = Tokens(
            access_key=access_key, secret_key=secret_key, validity_s=token_validity_s
        )
        self.lock = asyncio.Lock()
        self.webhooks = WebhookSender(retry_delays=webhook_retry_delays)
        self.faults = FaultInjector()
        self.orders: list[Order] = []
        self.sellers: dict[str, JsonObject] = copy.deepcopy(DOCUMENT_SELLERS)
        self.waybills: dict[str, WaybillDocument] = {}
        self.location_calls: Counter[str] = Counter()
        """Location API (and clean-up) calls per path, for single-flight caching checks."""
        super().__init__(auto_advance_s, self.webhooks)

    # -- lookup ------------------------------------------------------------------------

    def find(self, tracking_number: str) -> Order | None:
        return next((o for o in self.orders if o.tracking_number == tracking_number), None)

    def get(self, tracking_number: str) -> Order:
        order = self.find(tracking_number)
        if order is None:
            raise not_found(f"SalesOrder with tracking number {tracking_number} not found")
        return order

    def by_order_number(self, order_number: str) -> Order | None:
        return next((o for o in self.orders if o.order_number == order_number), None)

    # -- vendor API ----------------------------------------------------------------------

    async def create(self, body: JsonObject, *, marketplace: bool) -> Order:
        fields, v = parse_order(body, marketplace=marketplace)
        async with self.lock:
            if marketplace:
                self._settle_seller(fields, body, v.add)
            elif fields["pickupType"] is None:
                fields["pickupType"] = "DROP"
            reference = fields["shipperReference"]
            if reference and any(o.fields["shipperReference"] == reference for o in self.orders):
                v.add("shipperReference", f"{reference} already exists")
            tracking = fields["trackingNumber"]
            if tracking and self.find(tracking) is not None:
                v.add("trackingNumber", f"{tracking} already exists")
            v.check()
            fields["trackingNumber"] = tracking or self._new_tracking_number()
            fields["orderNumber"] = str(uuid.uuid4())
            order = Order(fields=fields, marketplace=marketplace)
            self.orders.append(order)
            return order

    def _settle_seller(
        self, fields: JsonObject, body: JsonObject, add: Callable[[str, str], None]
    ) -> None:
        """A known seller's registered pick-up replaces the request's (the document's
        example answer); without one the request's pickup object and pickupPortCode are
        required ("Required if client cannot provide SellerID")."""
        reference = fields["sellerReference"]
        seller = self.sellers.get(reference) if reference else None
        if reference and seller is None:
            add("sellerReference", f"seller {reference} is not onboarded")
            return
        if seller is not None:
            fields["pickup"] = copy.deepcopy(seller["pickup"])
            fields["pickupPortCode"] = seller.get("pickupPortCode") or fields["pickupPortCode"]
            fields["pickupType"] = fields["pickupType"] or "PICKUP"
            return
        v = Validator()
        fields["pickup"] = v.party(body, "pickup", {})
        if fields["pickupPortCode"] is None:
            v.add("pickupPortCode", "is required without a sellerReference")
        for error in v.errors:
            add(error["field"], error["message"])
        fields["pickupType"] = fields["pickupType"] or "DROP"

    async def patch(self, tracking_number: str, patches: list[FieldPatch]) -> dict[str, Any]:
        async with self.lock:
            return apply_patch(self.get(tracking_number), patches)

    async def cancel(self, tracking_number: str, reason: str | None) -> Order:
        async with self.lock:
            order = self.get(tracking_number)
            if order.state not in CANCELLABLE:
                raise ApiError(500, f"Transition from {order.state} to CANCEL failed")
            order.cancellation_reason = reason
            self._step(order, CANCELLED, None)
            return order

    # -- waybills --------------------------------------------------------------------------

    async def new_waybill(
        self, client_name: str, requested_by: str, masked: bool, tracking_numbers: list[str]
    ) -> WaybillDocument:
        async with self.lock:
            orders = [self.find(number) for number in tracking_numbers]
            pages = [page_lines(order, masked) for order in orders if order is not None]
            document = WaybillDocument(
                id=str(uuid.uuid4()),
                client_name=client_name,
                requested_by=requested_by,
                masked=masked,
                tracking_numbers=list(tracking_numbers),
                pages=pages if len(pages) == len(orders) else None,
                ready_at=time.monotonic() + self.waybill_pending_s,
            )
            self.waybills[document.id] = document
            return document

    # -- control API -------------------------------------------------------------------------

    def control_get(self, key: str) -> Order:
        """The order a control request names: by trackingNumber (as the gateway hands
        it out) or orderNumber (the gateway's carrierShipmentId)."""
        return find_one(
            self.orders, key, "order", lambda o: o.tracking_number, lambda o: o.order_number
        )

    async def advance(
        self, key: str, status: str | None, reason: str | None, *, webhook: bool = True
    ) -> tuple[Order, str, Delivery | None]:
        """One step; ``webhook`` False makes it without sending its webhook (one that
        never arrived), which ``replay`` can still send."""
        async with self.lock:
            order = self.control_get(key)
            target = status or next_happy_step(order)
            if target is None:
                raise ControlError(409, f"order has no next step in state {order.state}")
            try:
                delivery = self._step(order, target, reason, webhook=webhook)
            except StepRefused as exc:
                raise ControlError(409, str(exc)) from exc
            return order, target, delivery

    async def replay(self, key: str) -> Delivery:
        async with self.lock:
            order = self.control_get(key)
            if order.last_webhook is None:
                raise ControlError(409, "order has sent no webhook yet")
            delivery = self._send(order.last_webhook)
            if delivery is None:
                raise ControlError(409, "no webhook url is configured")
            return delivery

    async def add_seller(self, reference: str, seller: JsonObject) -> None:
        async with self.lock:
            self.sellers[reference] = seller

    async def set_auto_advance(self, seconds: float | None) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        self.auto_advance_s = seconds
        self.ensure_started()

    async def reset(self) -> None:
        async with self.lock:
            self.orders.clear()
            self.waybills.clear()
            self.sellers = copy.deepcopy(DOCUMENT_SELLERS)
            self.location_calls.clear()
            self.tokens.reset_counters()
            self.faults.clear()
            await self.webhooks.reset()

    # -- internals ---------------------------------------------------------------------------

    def _step(
        self, order: Order, status: str, reason: str | None, *, webhook: bool = True
    ) -> Delivery | None:
        """Apply a step (the lock is held) and queue its webhook, keeping per-order order."""
        payload = apply_step(order, status, reason, datetime.now(UTC))
        order.last_step_at = time.monotonic()
        order.last_webhook = payload
        return self._send(payload) if webhook else None

    def _send(self, payload: dict[str, Any]) -> Delivery | None:
        if self.webhook_url is None:
            return None
        headers = {"Content-Type": "application/json;charset=UTF-8"}
        if self.webhook_token:
            headers["Authorization"] = f"Bearer {self.webhook_token}"
        body = json.dumps(payload).encode()
        return self.webhooks.enqueue(
            self.webhook_url, body, event=payload["status"], headers=headers
        )

    def _new_tracking_number(self) -> str:
        while True:
            number = f"{TRACKING_PREFIX}{secrets.randbelow(10**12):012d}"
            if self.find(number) is None:
                return number

    # -- auto-advance ---------------------------------------------------------------------------

    async def advance_due(self, every_s: float, share: float) -> None:
        async with self.lock:
            now = time.monotonic()
            for order in self.orders:
                if order.state in FINAL or now - order.last_step_at < every_s:
                    continue
                step = next_happy_step(order)
                if step is not None:
                    self._step(order, step, None)
