"""A simulated Borzo order: its points, packages, deliveries and courier."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shipgraph.sandbox.borzo.geo import Position, geocode

# Every timestamp the document shows is in Jakarta time: "2024-12-04T00:21:48+07:00".
JAKARTA = timezone(timedelta(hours=7))
ZERO = Decimal(0)

# Order statuses (the document's "Order statuses").
NEW = "new"
AVAILABLE = "available"
ACTIVE = "active"
COMPLETED = "completed"
REACTIVATED = "reactivated"
CANCELED = "canceled"
DELAYED = "delayed"
ORDER_STATUSES = (NEW, AVAILABLE, ACTIVE, COMPLETED, REACTIVATED, "draft", CANCELED, DELAYED)

# Delivery statuses (the document's "Delivery statuses").
PLANNED = "planned"
COURIER_ASSIGNED = "courier_assigned"
COURIER_DEPARTED = "courier_departed"
COURIER_AT_PICKUP = "courier_at_pickup"
PARCEL_PICKED_UP = "parcel_picked_up"
COURIER_ARRIVED = "courier_arrived"
FINISHED = "finished"
DELETED = "deleted"
RETURN_PLANNED = "return_planned"
RETURN_COURIER_ASSIGNED = "return_courier_assigned"
RETURN_COURIER_DEPARTED = "return_courier_departed"
RETURN_COURIER_PICKED_UP = "return_courier_picked_up"
RETURN_FINISHED = "return_finished"
REATTEMPT_PLANNED = "reattempt_planned"
REATTEMPT_COURIER_ASSIGNED = "reattempt_courier_assigned"
REATTEMPT_COURIER_DEPARTED = "reattempt_courier_departed"
REATTEMPT_COURIER_PICKED_UP = "reattempt_courier_picked_up"
REATTEMPT_FINISHED = "reattempt_finished"
DELIVERY_STATUSES = (
    "invalid",
    "draft",
    PLANNED,
    ACTIVE,
    FINISHED,
    CANCELED,
    DELAYED,
    COURIER_ASSIGNED,
    COURIER_DEPARTED,
    COURIER_AT_PICKUP,
    PARCEL_PICKED_UP,
    COURIER_ARRIVED,
    DELETED,
    RETURN_PLANNED,
    RETURN_COURIER_ASSIGNED,
    RETURN_COURIER_DEPARTED,
    RETURN_COURIER_PICKED_UP,
    RETURN_FINISHED,
    REATTEMPT_PLANNED,
    REATTEMPT_COURIER_ASSIGNED,
    REATTEMPT_COURIER_DEPARTED,
    REATTEMPT_COURIER_PICKED_UP,
    REATTEMPT_FINISHED,
)
FINAL_DELIVERY = frozenset({FINISHED, CANCELED, DELETED, RETURN_FINISHED, REATTEMPT_FINISHED})

POINT_TEXTS = (
    "client_order_id",
    "note",
    "building_number",
    "entrance_number",
    "intercom_code",
    "floor_number",
    "apartment_number",
    "invisible_mile_navigation_instructions",
)
FIRST_WINDOW = timedelta(minutes=30)
WINDOW = timedelta(minutes=30)
BETWEEN_POINTS = timedelta(hours=1)


OFFLINE_BASE_URL = "https://borzo-sandbox.invalid"
"""The base of the files of an order placed without a request (a test of the state)."""


def jakarta_now() -> datetime:
    return datetime.now(JAKARTA).replace(microsecond=0)


def ts(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(JAKARTA).isoformat(timespec="seconds")


def money(amount: Decimal) -> str:
    return format(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def default_window(created: datetime, index: int) -> tuple[datetime, datetime]:
    """As in the document's examples: the first point 30-60 min after creation, then hourly."""
    start = created + FIRST_WINDOW + BETWEEN_POINTS * index
    return start, start + WINDOW


@dataclass
class Package:
    order_package_id: int | None = None
    ware_code: str | None = None
    description: str | None = None
    items_count: float = 0
    item_payment_amount: Decimal = ZERO
    nomenclature_code: str | None = None


@dataclass
class Delivery:
    delivery_id: int | None
    status: str
    status_datetime: datetime
    created_datetime: datetime
    held_status: str | None = None
    """The status before a dispatcher's delay, restored when the order resumes."""


@dataclass
class Point:
    required_start: datetime
    required_finish: datetime
    point_id: int | None = None
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    taking_amount: Decimal = ZERO
    buyout_amount: Decimal = ZERO
    is_order_payment_here: bool = False
    is_cod_cash_voucher_required: bool = False
    texts: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(POINT_TEXTS))
    packages: list[Package] = field(default_factory=list)
    is_return_point: bool = False
    delivery: Delivery | None = None
    estimated_arrival: datetime | None = None
    courier_visit: datetime | None = None
    arrival_start: datetime | None = None
    arrival_finish: datetime | None = None
    checkin: dict[str, Any] | None = None
    place_photo_url: str | None = None
    sign_photo_url: str | None = None
    tracking_url: str | None = None

    @property
    def position(self) -> Position | None:
        """The point's coordinates, else its geocoded address, else unknown."""
        if self.latitude is not None and self.longitude is not None:
            return (float(self.latitude), float(self.longitude))
        return geocode(self.address) if self.address else None

    @property
    def live(self) -> bool:
        return self.delivery is not None and self.delivery.status not in FINAL_DELIVERY


@dataclass
class Courier:
    courier_id: int
    surname: str
    name: str
    middlename: str | None
    phone: str
    photo_url: str | None = None
    position: Position | None = None


@dataclass(frozen=True)
class Prices:
    payment_amount: Decimal
    delivery_fee_amount: Decimal
    weight_fee_amount: Decimal
    insurance_amount: Decimal
    insurance_fee_amount: Decimal
    loading_fee_amount: Decimal
    money_transfer_fee_amount: Decimal
    promo_code_discount_amount: Decimal
    backpayment_amount: Decimal
    cod_fee_amount: Decimal
    return_fee_amount: Decimal
    waiting_fee_amount: Decimal
    applied_promo_code: str | None


@dataclass(eq=False)
class Order:
    created: datetime
    order_id: int | None = None
    status: str | None = None
    """None for a calculation (the document's calculate-order answer)."""
    status_description: str | None = None
    type: str = "standard"
    matter: str | None = None
    vehicle_type_id: int = 8
    total_weight_kg: int = 0
    insurance_amount: Decimal = ZERO
    is_client_notification_enabled: bool = False
    is_contact_person_notification_enabled: bool = False
    is_route_optimizer_enabled: bool = False
    loaders_count: int = 0
    backpayment_details: str | None = None
    is_motobox_required: bool = False
    is_thermobox_required: bool = False
    payment_method: str = "cash"
    bank_card_id: int | None = None
    promo_code: str | None = None
    is_return_required: bool = False
    points: list[Point] = field(default_factory=list)
    prices: Prices | None = None
    finish_datetime: datetime | None = None
    courier: Courier | None = None
    pickup_phase: str | None = None
    """Where the courier is with the pick-up: a pre-pick-up delivery status, or None."""
    held_status: str | None = None
    last_callback: tuple[str, bytes] | None = None
    base_url: str = OFFLINE_BASE_URL
    """Where the simulator was reached when the order was placed: its files are there."""
    last_step_at: float = field(default_factory=time.monotonic)

    @property
    def order_name(self) -> str | None:
        """The short order ID: 1250032 -> "50032", as in the document."""
        if self.order_id is None or self.status is None:
            return None
        return str(self.order_id % 100_000)

    def deliveries(self) -> list[Point]:
        return [p for p in self.points if p.delivery is not None]

    def current(self) -> Point | None:
        """The delivery the courier works on: the first one not finished either way."""
        return next((p for p in self.points if p.live), None)

    def find_delivery(self, point_id: int) -> Point | None:
        return next((p for p in self.deliveries() if p.point_id == point_id), None)


# Scalar order parameters and the value ``null`` restores when editing.
ORDER_DEFAULTS: dict[str, Any] = {
    "type": "standard",
    "matter": None,
    "vehicle_type_id": 8,
    "total_weight_kg": 0,
    "insurance_amount": ZERO,
    "is_client_notification_enabled": False,
    "is_contact_person_notification_enabled": False,
    "is_route_optimizer_enabled": False,
    "loaders_count": 0,
    "backpayment_details": None,
    "is_motobox_required": False,
    "is_thermobox_required": False,
    "payment_method": "cash",
    "bank_card_id": None,
    "promo_code": None,
    "is_return_required": False,
}
POINT_DEFAULTS: dict[str, Any] = {
    "address": None,
    "latitude": None,
    "longitude": None,
    "taking_amount": ZERO,
    "buyout_amount": ZERO,
    "is_order_payment_here": False,
    "is_cod_cash_voucher_required": False,
}
PACKAGE_DEFAULTS: dict[str, Any] = {
    "ware_code": None,
    "description": None,
    "items_count": 0,
    "item_payment_amount": ZERO,
    "nomenclature_code": None,
}
