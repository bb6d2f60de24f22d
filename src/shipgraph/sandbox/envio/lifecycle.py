"""The steps a simulated shipment can take, each with its tracking log and webhook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shipgraph.sandbox.envio.errors import ApiError, ValidationFailed, conflict
from shipgraph.sandbox.envio.model import (
    CANCELLED,
    CONSOLE,
    DELIVERED,
    DISPUTED,
    NEW,
    ON_DELIVERY,
    ON_PICKUP,
    ON_TRANSIT,
    RETURNED,
    Driver,
    Shipment,
    Webhook,
    fmt,
)
from shipgraph.sandbox.envio.validation import JsonObject, Number

# The document's own example values.
DRIVER = Driver(name="Usep", phone="6281897381723", vehicle_number="B 8219 K")
HUB_NAME = "BKI 01 - Chekpoint Bekasi"
HUB_POSITION = (-6.2996329, 107.1503314)
PICKUP_FAILED_REASON = "Barang belum ready di pickup"
DELIVERY_FAILED_REASON = "Penerima tidak ada di lokasi"
RESEND_DELAY = timedelta(days=1)


@dataclass(frozen=True)
class StepInput:
    quantity: Number | None = None
    item_code: str | None = None
    message: str | None = None
    received_by: str | None = None


StepFn = Callable[[Shipment, StepInput, datetime], Webhook | None]


@dataclass(frozen=True)
class Step:
    name: str
    allowed_from: frozenset[str]
    run: StepFn


def manifest(s: Shipment, _: StepInput, now: datetime) -> Webhook:
    s.status = ON_PICKUP
    s.log("Paket telah dijadwalkan untuk dipickup", now)
    return s.status_event("manifested")


def assign_driver(s: Shipment, _: StepInput, now: datetime) -> Webhook:
    s.driver = DRIVER
    s.log(f"Driver ({DRIVER.name} - {DRIVER.vehicle_number}) ditugaskan untuk pickup", now)
    body = {
        "code": s.manifest_code,
        "shipment": s.shipment_ref(),
        "driver_name": DRIVER.name,
        "driver_phone": DRIVER.phone,
        "vehicle_number": DRIVER.vehicle_number,
    }
    return Webhook("assign_driver", body)


def pickup(s: Shipment, _: StepInput, now: datetime) -> Webhook:
    s.status = ON_TRANSIT
    s.atd_at = now
    s.log(f"Pengiriman anda berhasil dipickup, barang diterima di ({HUB_NAME})", now, *HUB_POSITION)
    # The document's "Pick-up Succeed" event names the pick-up time ata_at.
    return s.status_event("picked_up", ata_at=fmt(now))


def pickup_failed(s: Shipment, inp: StepInput, now: datetime) -> Webhook:
    reason = inp.message or PICKUP_FAILED_REASON
    s.log(f"Pickup gagal: {reason}", now)
    return s.status_event("picked_up_failed", message=reason)


def hub(s: Shipment, _: StepInput, now: datetime) -> None:
    s.status = CONSOLE
    s.log("Pengiriman telah dijadwalkan untuk menuju lokasi penerima", now, *HUB_POSITION)


def out_for_delivery(s: Shipment, _: StepInput, now: datetime) -> None:
    s.status = ON_DELIVERY
    s.log("Pengiriman dalam perjalanan menuju lokasi anda", now, *HUB_POSITION)


def deliver(s: Shipment, inp: StepInput, now: datetime) -> Webhook:
    s.status = DELIVERED
    s.ata_at = now
    s.received_by = inp.received_by or str(s.recipient["contact_person"])
    s.cod_status = "collected" if s.cod_value > 0 else ""
    s.log(
        f"Pengiriman telah selesai, diterima oleh ({s.received_by})", now, *_recipient_position(s)
    )
    return s.status_event(
        "delivered",
        received_by=s.received_by,
        cod_value=s.cod_value,
        cod_status=s.cod_status,
        ata_at=fmt(now),
        images=[f"{s.base_url}/print/pod/{s.id}.png"],
    )


def delivery_failed(s: Shipment, inp: StepInput, now: datetime) -> Webhook:
    s.status = DISPUTED
    s.failed_at = now
    s.failure_reason = inp.message or DELIVERY_FAILED_REASON
    s.log(f"Pengiriman gagal: {s.failure_reason}", now, *_recipient_position(s))
    return s.status_event("delivery_failed", ata_at=fmt(now), message=s.failure_reason)


def resend(s: Shipment, inp: StepInput, now: datetime) -> Webhook:
    # envio.md: a disputed shipment "will back to envio hubs", which on_transit is ("on the
    # way to envio hubs"); it is out for delivery again only from there, by the new eta_at.
    s.status = ON_TRANSIT
    s.eta_at = now + RESEND_DELAY
    s.log(f"Pengiriman dijadwalkan ulang, estimasi tiba {fmt(s.eta_at)}", now, *HUB_POSITION)
    # "Delivery Resend" carries the failed attempt's time (ata_at) and the new estimate.
    return s.status_event(
        "resend",
        ata_at=fmt(s.failed_at or now),
        eta_at=fmt(s.eta_at),
        message=inp.message or s.failure_reason,
    )


def return_(s: Shipment, inp: StepInput, now: datetime) -> Webhook:
    s.status = RETURNED
    s.ata_at = now
    s.received_by = inp.received_by or str(s.pickup_address["contact_person"])
    s.log(f"Paket telah dikembalikan ke pengirim, diterima oleh ({s.received_by})", now)
    return s.status_event("returned", received_by=s.received_by, ata_at=fmt(now))


def cancel(s: Shipment, _: StepInput, now: datetime) -> Webhook:
    s.status = CANCELLED
    s.log("Pengiriman dibatalkan", now)
    # The document's "Cancelled" example carries received_by and ata_at; nobody received
    # anything, so received_by is empty and ata_at is the cancellation time.
    return s.status_event("cancelled", received_by="", ata_at=fmt(now))


def update_item(s: Shipment, inp: StepInput, now: datetime) -> Webhook:
    item = _find_item(s, inp.item_code)
    if inp.quantity is None:
        raise ValidationFailed({"quantity": ["is required"]})
    item["quantity"] = inp.quantity
    s.log(f"Jumlah barang ({item['item_name']}) diubah menjadi {inp.quantity:g}", now)
    keys = ("item_code", "item_name", "quantity", "weight", "long", "high", "wide")
    body: dict[str, Any] = {
        "code": s.code,
        "ref_code": s.ref_code,
        "item": {key: item.get(key) for key in keys},
    }
    return Webhook("item_updated", body)


def _find_item(s: Shipment, item_code: str | None) -> JsonObject:
    if not s.items:
        raise conflict("shipment has no items")
    if item_code is None:
        return s.items[0]
    for item in s.items:
        if item.get("item_code") == item_code:
            return item
    raise ApiError(404, "item not found")


def _recipient_position(s: Shipment) -> tuple[float, float]:
    return (s.recipient.get("latitude", 0), s.recipient.get("longitude", 0))


def _allowed(*statuses: str) -> frozenset[str]:
    return frozenset(statuses)


ACTIVE = _allowed(NEW, ON_PICKUP, ON_TRANSIT, CONSOLE, ON_DELIVERY, DISPUTED)
STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step("manifest", _allowed(NEW), manifest),
        Step("assign_driver", _allowed(ON_PICKUP), assign_driver),
        Step("pickup", _allowed(ON_PICKUP), pickup),
        Step("pickup_failed", _allowed(ON_PICKUP), pickup_failed),
        Step("hub", _allowed(ON_TRANSIT), hub),
        Step("out_for_delivery", _allowed(CONSOLE, ON_TRANSIT), out_for_delivery),
        Step("deliver", _allowed(ON_DELIVERY), deliver),
        Step("delivery_failed", _allowed(ON_DELIVERY), delivery_failed),
        Step("resend", _allowed(DISPUTED), resend),
        Step("return", _allowed(DISPUTED), return_),
        Step("cancel", _allowed(NEW, ON_PICKUP), cancel),
        Step("item", ACTIVE, update_item),
    )
}


def next_happy_step(s: Shipment) -> str | None:
    """The happy path's next step; a disputed shipment is resent (then delivered)."""
    if s.status == ON_PICKUP:
        return "pickup" if s.driver else "assign_driver"
    return {
        NEW: "manifest",
        ON_TRANSIT: "hub",
        CONSOLE: "out_for_delivery",
        ON_DELIVERY: "deliver",
        DISPUTED: "resend",
    }.get(s.status)


def apply_step(s: Shipment, name: str, inp: StepInput, now: datetime) -> Webhook | None:
    step = STEPS[name]
    if s.status not in step.allowed_from:
        raise conflict(refusal(name, s.status))
    return step.run(s, inp, now)


def refusal(step: str, status: str) -> str:
    if step == "cancel":
        return f"shipment can not be cancelled in status {status}"
    return f"step {step} is not allowed in status {status}"
