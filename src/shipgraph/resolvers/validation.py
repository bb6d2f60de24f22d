"""Checks every carrier would want, before any carrier is called.

Each problem is a FieldError whose ``field`` is its path in the mutation's input,
so a form can put the message next to the right box.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from shipgraph.carriers.base import camel_case
from shipgraph.domain import (
    Address,
    CarrierCode,
    ErrorCode,
    FieldError,
    Money,
    Parcel,
    ShipmentPatch,
    ShipmentRequest,
)

Path = tuple[str, ...]
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_REFERENCE = 100
MAX_PARCELS = 50
# How far ahead a pickup or delivery may be booked: no carrier document schedules further,
# and it keeps absurd dates (year 9999) from reaching any carrier.
MAX_AHEAD = timedelta(days=365)


def _error(path: Path, message: str) -> FieldError:
    return FieldError(ErrorCode.VALIDATION, message, path)


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _money(money: Money | None, path: Path) -> Iterator[FieldError]:
    if money is None:
        return
    if not _CURRENCY.match(money.currency):
        yield _error((*path, "currency"), "must be an ISO 4217 code such as IDR or PHP")
    if money.amount < 0:
        yield _error((*path, "amount"), "must not be negative")


def _positive(value: float | None, path: Path) -> Iterator[FieldError]:
    if value is not None and (not math.isfinite(value) or value <= 0):
        yield _error(path, "must be greater than 0")


def _address(address: Address, path: Path) -> Iterator[FieldError]:
    if _blank(address.line1):
        yield _error((*path, "line1"), "must not be empty")
    if not _COUNTRY.match(address.country_code):
        yield _error((*path, "countryCode"), "must be an ISO 3166-1 alpha-2 code such as ID")
    point = address.coordinates
    if point is not None:
        if not -90 <= point.latitude <= 90:
            yield _error((*path, "latitude"), "must be between -90 and 90")
        if not -180 <= point.longitude <= 180:
            yield _error((*path, "longitude"), "must be between -180 and 180")


def _parcels(parcels: tuple[Parcel, ...], path: Path) -> Iterator[FieldError]:
    if len(parcels) > MAX_PARCELS:
        yield _error(path, f"at most {MAX_PARCELS} parcels")
    for p, parcel in enumerate(parcels):
        here = (*path, str(p))
        for name in ("weight_kg", "length_cm", "width_cm", "height_cm"):
            yield from _positive(getattr(parcel, name), (*here, camel_case(name)))
        for i, item in enumerate(parcel.items):
            item_path = (*here, "items", str(i))
            if _blank(item.name):
                yield _error((*item_path, "name"), "must not be empty")
            yield from _positive(item.quantity, (*item_path, "quantity"))
            yield from _positive(item.weight_kg, (*item_path, "weightKg"))
            yield from _money(item.unit_price, (*item_path, "unitPrice"))


def _moment(value: datetime | None, now: datetime, path: Path) -> Iterator[FieldError]:
    if value is None:
        return
    if value < now:
        yield _error(
            path,
            f"is in the past: it must be later than now ({now.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ})",
        )
    elif value > now + MAX_AHEAD:
        yield _error(path, f"must be within {MAX_AHEAD.days} days from now")


def _schedule(
    pickup_at: datetime | None, deliver_by: datetime | None, now: datetime, path: Path
) -> Iterator[FieldError]:
    """A pickup and a delivery deadline that any carrier could still honour."""
    yield from _moment(pickup_at, now, (*path, "pickupAt"))
    yield from _moment(deliver_by, now, (*path, "deliverBy"))
    if pickup_at and deliver_by and deliver_by < pickup_at:
        yield _error((*path, "deliverBy"), "must not be before pickupAt")


def validate_request(
    request: ShipmentRequest, now: datetime, path: Path = ("shipment",)
) -> list[FieldError]:
    errors: list[FieldError] = []
    if _blank(request.reference):
        errors.append(_error((*path, "reference"), "must not be empty"))
    elif len(request.reference) > MAX_REFERENCE:
        errors.append(_error((*path, "reference"), f"at most {MAX_REFERENCE} characters"))
    errors += _address(request.origin, (*path, "origin"))
    errors += _address(request.destination, (*path, "destination"))
    if not request.parcels:
        errors.append(_error((*path, "parcels"), "at least one parcel is required"))
    errors += _parcels(request.parcels, (*path, "parcels"))
    errors += _money(request.cash_on_delivery, (*path, "cashOnDelivery"))
    errors += _money(request.declared_value, (*path, "declaredValue"))
    errors += _schedule(request.pickup_at, request.deliver_by, now, path)
    known = {code.value for code in CarrierCode}
    for key, value in request.carrier_options.items():
        if key not in known:
            message = f"unknown carrier {key!r}; keys are carrier codes such as ENVIO"
            errors.append(_error((*path, "carrierOptions", key), message))
        elif not isinstance(value, dict):
            errors.append(_error((*path, "carrierOptions", key), "must be an object"))
    return errors


def validate_patch(
    patch: ShipmentPatch, now: datetime, path: Path = ("patch",)
) -> list[FieldError]:
    if not patch.given_fields():
        return [_error(path, "give at least one field to change")]
    errors = list(_money(patch.cash_on_delivery, (*path, "cashOnDelivery")))
    if patch.parcels is not None:
        errors += _parcels(patch.parcels, (*path, "parcels"))
    errors += _schedule(patch.pickup_at, patch.deliver_by, now, path)
    return errors
