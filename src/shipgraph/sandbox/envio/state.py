"""Everything one Envio simulator holds: shipments, webhook sender, faults, auto-advance."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from collections.abc import Sequence

from shipgraph.sandbox.control_api import find_one
from shipgraph.sandbox.envio.errors import ValidationFailed, conflict, not_found
from shipgraph.sandbox.envio.lifecycle import StepInput, apply_step, next_happy_step
from shipgraph.sandbox.envio.model import (
    CANCELLED,
    DELIVERED,
    FINAL,
    RETURNED,
    Shipment,
    Webhook,
    utc_now,
)
from shipgraph.sandbox.envio.validation import CreateRequest, Number
from shipgraph.sandbox.faults import FaultInjector
from shipgraph.sandbox.simulation import Simulation
from shipgraph.sandbox.webhooks import Delivery, WebhookSender

COD_LOCKED = frozenset({DELIVERED, CANCELLED, RETURNED})


class EnvioSandboxState(Simulation):
    def __init__(
        self,
        *,
        api_key: str,
        webhook_url: str | None = None,
        auto_advance_s: float | None = None,
        webhook_retry_delays: Sequence[float] = (0.5, 2.0, 5.0),
        public_base_url: str | None = None,
    ) -> None:
        self.api_key = api_key
        self.webhook_url = webhook_url
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.lock = asyncio.Lock()
        self.webhooks = WebhookSender(retry_delays=webhook_retry_delays)
        self.faults = FaultInjector()
        self.shipments: list[Shipment] = []
        super().__init__(auto_advance_s, self.webhooks)

    # -- lookup ------------------------------------------------------------------

    def find(self, code_or_ref: str) -> Shipment | None:
        """By Envio code first, then by ref_code (tracking accepts either)."""
        for shipment in self.shipments:
            if shipment.code == code_or_ref:
                return shipment
        for shipment in self.shipments:
            if shipment.ref_code == code_or_ref:
                return shipment
        return None

    def get(self, code_or_ref: str) -> Shipment:
        shipment = self.find(code_or_ref)
        if shipment is None:
            raise not_found()
        return shipment

    def by_id(self, shipment_id: str) -> Shipment | None:
        return next((s for s in self.shipments if s.id == shipment_id), None)

    # -- vendor API operations ------------------------------------------------------

    async def create(self, req: CreateRequest, base_url: str) -> Shipment:
        async with self.lock:
            if any(s.ref_code == req.ref_code for s in self.shipments):
                raise ValidationFailed({"ref_code": ["has already been taken"]})
            shipment = Shipment(
                id=str(uuid.uuid4()),
                code=self._new_code("S"),
                manifest_code=self._new_code("M"),
                ref_code=req.ref_code,
                base_url=base_url,
                cod_value=req.cod_value,
                pickup_address=req.pickup_address,
                recipient=req.recipient,
                items=req.items,
                eta_at=req.eta_at,
                etd_at=req.etd_at,
            )
            creator = req.pickup_address["contact_person"]
            shipment.log(f"{creator} membuat order pengiriman", utc_now())
            self.shipments.append(shipment)
            return shipment

    async def update_cod(self, ref_code: str, cod_value: Number | None) -> Shipment:
        async with self.lock:
            shipment = next((s for s in self.shipments if s.ref_code == ref_code), None)
            if shipment is None:
                raise not_found()
            if cod_value is not None:
                if shipment.status in COD_LOCKED:
                    message = f"cod value can not be updated in status {shipment.status}"
                    raise conflict(message)
                shipment.cod_value = cod_value
            return shipment

    async def cancel(self, code: str, ref_code: str) -> Delivery | None:
        async with self.lock:
            shipment = next((s for s in self.shipments if s.code == code), None)
            if shipment is None or shipment.ref_code != ref_code:
                raise not_found()
            return self._step(shipment, "cancel", StepInput())

    # -- control API operations -------------------------------------------------------

    def control_get(self, key: str) -> Shipment:
        """The shipment a control request names: by code (the gateway's trackingNumber),
        ref_code or id (its carrierShipmentId)."""
        return find_one(
            self.shipments, key, "shipment", lambda s: s.code, lambda s: s.ref_code, lambda s: s.id
        )

    async def advance(
        self, key: str, step: str | None, inp: StepInput
    ) -> tuple[Shipment, str, Delivery | None]:
        async with self.lock:
            shipment = self.control_get(key)
            name = step or next_happy_step(shipment)
            if name is None:
                raise conflict(f"shipment has no next step in status {shipment.status}")
            return shipment, name, self._step(shipment, name, inp)

    async def replay(self, key: str) -> Delivery:
        async with self.lock:
            shipment = self.control_get(key)
            if shipment.last_webhook is None:
                raise conflict("shipment has sent no webhook yet")
            if self.webhook_url is None:
                raise conflict("no webhook url is configured")
            delivery = self._send(shipment.last_webhook)
            assert delivery is not None
            return delivery

    async def reset(self) -> None:
        async with self.lock:
            self.shipments.clear()
            self.faults.clear()
            await self.webhooks.reset()

    # -- internals ---------------------------------------------------------------------

    def _step(self, shipment: Shipment, name: str, inp: StepInput) -> Delivery | None:
        """Apply a step (the lock is held) and queue its webhook, keeping per-shipment order."""
        webhook = apply_step(shipment, name, inp, utc_now())
        shipment.last_step_at = time.monotonic()
        if webhook is None:
            return None
        shipment.last_webhook = webhook
        return self._send(webhook)

    def _send(self, webhook: Webhook) -> Delivery | None:
        if self.webhook_url is None:
            return None
        body = json.dumps(webhook.body).encode()
        return self.webhooks.enqueue(self.webhook_url, body, event=webhook.event)

    def _new_code(self, prefix: str) -> str:
        taken = {s.code for s in self.shipments} | {s.manifest_code for s in self.shipments}
        while True:
            code = f"{prefix}{secrets.randbelow(10**10):010d}"
            if code not in taken:
                return code

    # -- auto-advance --------------------------------------------------------------------

    async def advance_due(self, every_s: float, share: float) -> None:
        async with self.lock:
            now = time.monotonic()
            for shipment in self.shipments:
                if shipment.status in FINAL or now - shipment.last_step_at < every_s:
                    continue
                step = next_happy_step(shipment)
                if step is not None:
                    self._step(shipment, step, StepInput())
