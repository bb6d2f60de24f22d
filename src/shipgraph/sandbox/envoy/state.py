"""Everything one Envoy simulator holds: shipments, carriers' quoting, async-create
behaviour, counters, faults and webhooks.

Envoy's webhooks are mentioned, not described, by the document; the simulator serves
the gateway's stated assumption (carriers/envoy/webhooks.py): on every status change
(rated, failed, purchased) a POST of ``{"event": "shipment.<status>", "data": <the
shipment as GET /shipments/{id} shows it>}`` signed in ``X-Envoy-Signature`` (hex
HMAC-SHA256 of the body under the webhook secret), when a webhook URL is set."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from shipgraph.sandbox.envoy import labels
from shipgraph.sandbox.envoy.carriers import (
    BY_HANDLE,
    CARRIERS,
    USD_TO,
    Carrier,
    chargeable_kg,
    quote,
)
from shipgraph.sandbox.envoy.errors import ValidationFailed, fail, not_found
from shipgraph.sandbox.envoy.model import (
    CREATING,
    FAILED,
    PURCHASED,
    RATED,
    Label,
    Shipment,
    new_id,
    utc_now,
)
from shipgraph.sandbox.envoy.paging import Cursor, Page, paginate
from shipgraph.sandbox.envoy.validation import parse_date
from shipgraph.sandbox.faults import FaultInjector
from shipgraph.sandbox.simulation import Simulation
from shipgraph.sandbox.webhooks import Delivery, WebhookSender

RATES_UNAVAILABLE = "rates are not available for the provided shipment"
ACCOUNT = {"id": "ca_2iBgUOHPuWh0Hvjc81euqKXTW5N", "name": "Sandbox Account", "handle": None}


class EnvoySandboxState(Simulation):
    def __init__(
        self,
        *,
        access_token: str,
        async_delay_s: float = 1.0,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        webhook_retry_delays: Sequence[float] = (0.5, 2.0, 5.0),
    ) -> None:
        self.access_token = access_token
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.webhooks = WebhookSender(retry_delays=webhook_retry_delays)
        self.async_delay_s = async_delay_s
        self.async_remaining = 0
        """How many of the next creates answer 202 and complete ``async_delay_s`` later."""
        self.lock = asyncio.Lock()
        self.faults = FaultInjector()
        self.shipments: list[Shipment] = []
        self.files: dict[str, Label] = {}
        self.quoting: dict[str, bool] = {c.handle: True for c in CARRIERS}
        self.counters: Counter[str] = Counter()
        self._seq = 0
        super().__init__(None, self.webhooks)

    # -- vendor API operations ----------------------------------------------------------

    async def create(
        self, body: dict[str, Any], batch_id: str | None, base_url: str = ""
    ) -> Shipment:
        """A new shipment: rated at once, or ``creating`` when an async create is due.
        ``base_url`` is where this simulator is served (its webhooks' file URLs)."""
        code = (body.get("carrier") or {}).get("carrier_code")
        if code is not None and code not in BY_HANDLE:
            choices = ", ".join(BY_HANDLE)
            raise ValidationFailed([("carrier.carrier_code", f"must be one of {choices}")])
        async with self.lock:
            self._seq += 1
            shipment = Shipment(
                id=new_id("shp"),
                seq=self._seq,
                request=body,
                created_at=utc_now(),
                batch_id=batch_id,
                base_url=base_url,
            )
            self.shipments.append(shipment)
            self.counters["creates"] += 1
            if self.async_remaining > 0:
                self.async_remaining -= 1
                self.counters["creates_accepted"] += 1
                shipment.ready_at = time.monotonic() + self.async_delay_s
            else:
                self._rate(shipment)
            return shipment

    async def get(self, shipment_id: str) -> Shipment:
        async with self.lock:
            return self._get(shipment_id)

    async def page(self, cursor: Cursor | None, limit: int, batch_id: str | None) -> Page:
        async with self.lock:
            self.settle_all()
            chosen = [s for s in self.shipments if batch_id is None or s.batch_id == batch_id]
            return paginate(chosen, cursor, limit)

    async def purchase(self, shipment_id: str, rate_id: str) -> Shipment:
        async with self.lock:
            self.counters["purchase_attempts"] += 1
            shipment = self._get(shipment_id)
            if shipment.status == CREATING:
                raise fail(409, "shipment_not_ready", "the shipment is still being created")
            if shipment.status == PURCHASED:
                raise fail(409, "shipment_already_purchased", "the shipment is already purchased")
            if shipment.status != RATED:
                raise fail(409, "shipment_not_rated", "the shipment has no rates to purchase")
            rate = next((r for r in shipment.rates or [] if r["id"] == rate_id), None)
            if rate is None:
                raise fail(422, "rate_not_found", "no such rate on this shipment", "rate")
            self._buy(shipment, rate)
            self.counters["purchases"] += 1
            return shipment

    # -- control API operations -----------------------------------------------------------

    async def complete(self, shipment_id: str) -> Shipment:
        """Finish a ``creating`` shipment now."""
        async with self.lock:
            shipment = self._get(shipment_id)
            if shipment.status == CREATING:
                self._rate(shipment)
            return shipment

    async def assign_batch(self, shipment_ids: list[str], batch_id: str) -> None:
        async with self.lock:
            chosen = [self._get(i) for i in shipment_ids]
            for shipment in chosen:
                shipment.batch_id = batch_id

    async def reset(self) -> None:
        async with self.lock:
            self.shipments.clear()
            self.files.clear()
            self.counters.clear()
            self.faults.clear()
            await self.webhooks.reset()
            self.async_remaining = 0
            self.quoting = {c.handle: True for c in CARRIERS}

    async def advance_due(self, every_s: float, share: float) -> None:
        async with self.lock:
            self.settle_all()

    # -- internals (the lock is held) --------------------------------------------------------

    def _get(self, shipment_id: str) -> Shipment:
        shipment = next((s for s in self.shipments if s.id == shipment_id), None)
        if shipment is None:
            raise not_found()
        self._settle(shipment)
        return shipment

    def _settle(self, shipment: Shipment) -> None:
        if shipment.status == CREATING and time.monotonic() >= shipment.ready_at:
            self._rate(shipment)

    def settle_all(self) -> None:
        for shipment in self.shipments:
            self._settle(shipment)

    def _rate(self, shipment: Shipment) -> None:
        """Ask every carrier (or the requested one) for its services' rates."""
        req = shipment.request
        carrier_req = req.get("carrier") or {}
        wanted_carrier = carrier_req.get("carrier_code")
        # service_code: "Only used if the carrier_code field is set." (Shipment Carrier Model)
        wanted_service = carrier_req.get("service_code") if wanted_carrier else None
        shipping = (req.get("options") or {}).get("shipping") or {}
        origin = req["addresses"]["origin"]["address"]["country_code"]
        destination = req["addresses"]["destination"]["address"]["country_code"]
        requested = shipping.get("currency_code") or "USD"
        ship_date = parse_date(shipping.get("date")) or shipment.created_at
        kg = chargeable_kg(req["packages"])
        rates: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for carrier in CARRIERS:
            if wanted_carrier not in (None, carrier.handle):
                continue
            if not self.quoting[carrier.handle] or destination in carrier.never_to:
                errors.append(_rates_unavailable(carrier, RATES_UNAVAILABLE))
                continue
            if len(req["packages"]) > 1 and not carrier.multi_package:
                message = f"{carrier.name} requires one package per shipment"
                errors.append(_rates_unavailable(carrier, message))
                continue
            currency = carrier.currency or (requested if requested in USD_TO else "USD")
            for service in carrier.services:
                if wanted_service not in (None, service.handle):
                    continue
                body = quote(
                    carrier,
                    service,
                    kg=kg,
                    international=origin != destination,
                    currency=currency,
                    ship_date=ship_date,
                )
                rates.append({"id": new_id("rate"), **body})
        shipment.rates = rates
        shipment.errors = errors or None
        shipment.status = RATED if rates else FAILED
        shipment.touch()
        self._notify(shipment)

    def _buy(self, shipment: Shipment, rate: dict[str, Any]) -> None:
        carrier = BY_HANDLE[rate["carrier"]["handle"]]
        fmt = shipment.label_format()
        if fmt not in carrier.label_formats:
            fmt = "pdf"  # "If the requested format is not supported, the available format..."
        shipment.service = {
            "rate": rate["id"],
            "carrier": rate["carrier"],
            "carrier_service": rate["carrier_service"],
            "carrier_account": dict(ACCOUNT),
        }
        addresses = shipment.request["addresses"]
        content = labels.render(fmt, _label_lines(shipment, rate, addresses))
        key = new_id("x")[2:]
        label = Label(
            id=new_id("doc"),
            file_name=f"{key}_label_0.{fmt}",
            file_type=labels.FILE_TYPES[fmt],
            content=content,
            created_at=utc_now(),
        )
        shipment.documents.append(label)
        self.files[label.file_name] = label
        shipment.status = PURCHASED
        shipment.touch()
        self._notify(shipment)

    def _notify(self, shipment: Shipment) -> Delivery | None:
        """The shipment's webhook (see the module's docstring), when a URL is set."""
        if self.webhook_url is None:
            return None
        event = f"shipment.{shipment.status}"
        body = json.dumps({"event": event, "data": shipment.view(shipment.base_url)}).encode()
        headers = {}
        if self.webhook_secret:
            signature = hmac.new(self.webhook_secret.encode(), body, hashlib.sha256)
            headers["X-Envoy-Signature"] = signature.hexdigest()
        return self.webhooks.enqueue(self.webhook_url, body, event=event, headers=headers)


def _rates_unavailable(carrier: Carrier, message: str) -> dict[str, Any]:
    """The Shipment Model's ``errors`` entry, with the carrier that could not quote."""
    return {
        "type": "rate_error",
        "code": "rates_unavailable",
        "source": "provider",
        "message": message,
        "carrier": carrier.resource(),
    }


def _label_lines(shipment: Shipment, rate: dict[str, Any], addresses: dict[str, Any]) -> list[str]:
    def party(role: str) -> str:
        contact = addresses[role].get("contact") or {}
        address = addresses[role]["address"]
        who = contact.get("name") or contact.get("company") or ""
        return f"{who}, {address['line_1']}, {address['city']} {address['country_code']}"

    return [
        "ENVOY SANDBOX LABEL",
        f"{rate['carrier']['name']} - {rate['carrier_service']['name']}",
        f"Shipment {shipment.id}",
        f"Ref {shipment.request.get('name') or '-'}",
        f"FROM {party('origin')}",
        f"TO {party('destination')}",
    ]
