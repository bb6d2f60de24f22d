"""Checks every carrier would want, before any carrier is called.

Each problem is a FieldError whose ``field`` is its path in the mutation's input,
so a form can put the message next to the right box.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pycountry

from shipgraph.carriers.base import camel_case
from shipgraph.domain import (
    Address,
    CarrierCode,
    Customs,
    CustomsContentsType,
    CustomsIdentifier,
    CustomsRestriction,
    ErrorCode,
    FieldError,
    Money,
    Parcel,
    ShipmentPatch,
    ShipmentRequest,
    TaxIdentifier,
    money_amount_problem,
)
from shipgraph.phones import MAX_PHONE, InvalidPhone, to_e164

Path = tuple[str, ...]
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_REFERENCE = 100
MAX_PARCELS = 50
MAX_ITEMS = 200
MAX_LABEL_IDS = 500
"""Shipments in one labels request: Entrego's waybill batch limit, the largest any
carrier document states."""
MAX_TRACKING_NUMBER = 64
"""Longer than any carrier's: Entrego's are 17 characters, UPS's 18, USPS's up to 34."""

# Free text: at most these many characters, where a carrier document says so
# (Borzo: address 350, contents 5 000, vendor code 255, description 1 000), and
# generously elsewhere. Nothing longer reaches a carrier or the store.
_ADDRESS_TEXT = {
    "name": 200,
    "company": 200,
    "phone": MAX_PHONE,
    "email": 254,
    "line1": 350,
    "line2": 350,
    "village": 200,
    "district": 200,
    "city": 200,
    "province": 200,
    "postal_code": 20,
}
# ISO 4217's codes for "no currency" and for testing: no amount is in either.
_NOT_MONEY = frozenset({"XXX", "XTS"})
# Measures past any vehicle a carrier sends (carriers enforce their own, lower limits):
# they keep unit conversions (kg to oz, cm to mm, into integers) finite.
MAX_WEIGHT_KG = 50_000.0
MAX_SIDE_CM = 10_000.0
MAX_QUANTITY = 1_000_000.0
_MEASURES = {
    "weight_kg": MAX_WEIGHT_KG,
    "volumetric_weight_kg": MAX_WEIGHT_KG,
    "length_cm": MAX_SIDE_CM,
    "width_cm": MAX_SIDE_CM,
    "height_cm": MAX_SIDE_CM,
}
MAX_DESCRIPTION = 5_000
MAX_INSTRUCTIONS = 1_000
MAX_PARCEL_DESCRIPTION = 1_000
MAX_ITEM_TEXT = 255
MAX_OPTIONS_CHARS = 20_000
"""carrierOptions as compact JSON: a Borzo order with its points is a few hundred."""
MAX_OPTIONS_DEPTH = 8
"""Objects and arrays inside carrierOptions (ENVIO: {...}: 1; BORZO's points: 3)."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# How far ahead a pickup or delivery may be booked: no carrier document schedules further,
# and it keeps absurd dates (year 9999) from reaching any carrier.
MAX_AHEAD = timedelta(days=365)


def _error(path: Path, message: str) -> FieldError:
    return FieldError(ErrorCode.VALIDATION, message, path)


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def text_problem(value: str, limit: int) -> str | None:
    """What is wrong with free text a person typed, or None: it is bounded, and holds
    no control characters but line breaks and tabs (a NUL byte is no part of an
    address)."""
    if len(value) > limit:
        return f"at most {limit} characters"
    if _CONTROL.search(value):
        return "must not contain control characters"
    return None


def _text(value: str | None, limit: int, path: Path) -> Iterator[FieldError]:
    problem = None if value is None else text_problem(value, limit)
    if problem is not None:
        yield _error(path, problem)


@functools.cache
def _countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes of the countries that exist (XX, AA and ZZ do not)."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


@functools.cache
def _currencies() -> frozenset[str]:
    """ISO 4217 codes of the currencies an amount can be in."""
    return frozenset(currency.alpha_3 for currency in pycountry.currencies) - _NOT_MONEY


def country_known(code: str) -> bool:
    """``code`` is an ISO 3166-1 alpha-2 code, in capitals."""
    return bool(_COUNTRY.match(code)) and code in _countries()


def currency_known(code: str) -> bool:
    """``code`` is an ISO 4217 currency code, in capitals."""
    return bool(_CURRENCY.match(code)) and code in _currencies()


def _money(money: Money | None, path: Path) -> Iterator[FieldError]:
    if money is None:
        return
    if not currency_known(money.currency):
        yield _error((*path, "currency"), "must be an ISO 4217 code such as IDR or PHP")
    problem = money_amount_problem(money.amount)
    if problem is not None:
        yield _error((*path, "amount"), problem)


def _positive(value: float | None, path: Path, maximum: float) -> Iterator[FieldError]:
    """A measure: above 0 and at most ``maximum`` (1e308 kg overflowed Envoy's unit
    conversion into an INTERNAL_SERVER_ERROR)."""
    if value is not None and (not math.isfinite(value) or value <= 0):
        yield _error(path, "must be greater than 0")
    elif value is not None and value > maximum:
        yield _error(path, f"must be at most {maximum:g}")


def _address_problems(address: Address, path: Path) -> Iterator[FieldError]:
    if _blank(address.line1):
        yield _error((*path, "line1"), "must not be empty")
    for name, limit in _ADDRESS_TEXT.items():
        yield from _text(getattr(address, name), limit, (*path, camel_case(name)))
    if not country_known(address.country_code):
        yield _error((*path, "countryCode"), "must be an ISO 3166-1 alpha-2 code such as ID")
    point = address.coordinates
    if point is not None:
        if not -90 <= point.latitude <= 90:
            yield _error((*path, "latitude"), "must be between -90 and 90")
        if not -180 <= point.longitude <= 180:
            yield _error((*path, "longitude"), "must be between -180 and 180")


def _e164(address: Address) -> str | None:
    """The address's phone in E.164 (None when it has none); a national number is the
    address country's. Raises InvalidPhone."""
    if _blank(address.phone):
        return None
    return to_e164(str(address.phone), address.country_code)


def checked_address(address: Address, path: Path) -> tuple[Address, list[FieldError]]:
    """The address with its phone in E.164, and what is wrong with it."""
    errors = list(_address_problems(address, path))
    # Without its country a national number means nothing: the country's error is enough.
    unreadable = {(*path, "phone"), (*path, "countryCode")}
    if any(error.field in unreadable for error in errors):
        return address, errors
    try:
        phone = _e164(address)
    except InvalidPhone as problem:
        errors.append(_error((*path, "phone"), str(problem)))
        return address, errors
    return replace(address, phone=phone), errors


def _parcels(parcels: tuple[Parcel, ...], path: Path) -> Iterator[FieldError]:
    if len(parcels) > MAX_PARCELS:
        yield _error(path, f"at most {MAX_PARCELS} parcels")
        return
    for p, parcel in enumerate(parcels):
        here = (*path, str(p))
        for name, most in _MEASURES.items():
            yield from _positive(getattr(parcel, name), (*here, camel_case(name)), most)
        yield from _text(parcel.description, MAX_PARCEL_DESCRIPTION, (*here, "description"))
        if len(parcel.items) > MAX_ITEMS:
            yield _error((*here, "items"), f"at most {MAX_ITEMS} items")
            continue
        for i, item in enumerate(parcel.items):
            item_path = (*here, "items", str(i))
            if _blank(item.name):
                yield _error((*item_path, "name"), "must not be empty")
            yield from _text(item.name, MAX_ITEM_TEXT, (*item_path, "name"))
            yield from _text(item.sku, MAX_ITEM_TEXT, (*item_path, "sku"))
            yield from _positive(item.quantity, (*item_path, "quantity"), MAX_QUANTITY)
            yield from _positive(item.weight_kg, (*item_path, "weightKg"), MAX_WEIGHT_KG)
            yield from _money(item.unit_price, (*item_path, "unitPrice"))
            yield from _hs_code(item.hs_tariff_code, (*item_path, "hsTariffCode"))


# Customs: free text bounded like the rest (envoy.txt names no lengths).
MAX_CUSTOMS_TEXT = 255
MAX_DECLARANT = 200
MAX_DECLARATION_MESSAGE = 1_000
MAX_IDENTIFIER = 100
MAX_IDENTIFIERS = 20
_HS_CODE = re.compile(r"[0-9][0-9. ]*")
HS_DIGITS = (6, 14)
"""An HS code has 6 digits (the WCO's); national tariff codes (HTS) extend it to 10
and some to 14. envoy.txt: "spaces and periods are ignored"."""


def _hs_code(code: str | None, path: Path) -> Iterator[FieldError]:
    if code is None:
        return
    digits = sum(char.isdigit() for char in code)
    low, high = HS_DIGITS
    if len(code) > 32 or not _HS_CODE.fullmatch(code) or not low <= digits <= high:
        yield _error(path, f"must be {low} to {high} digits, spaces and dots allowed")


def _country(code: str | None, path: Path) -> Iterator[FieldError]:
    if code is not None and not country_known(code):
        yield _error(path, "must be an ISO 3166-1 alpha-2 code such as GB")


def _identifier_value(value: str, path: Path) -> Iterator[FieldError]:
    if _blank(value):
        yield _error(path, "must not be empty")
    else:
        yield from _text(value, MAX_IDENTIFIER, path)


def customs_problems(customs: Customs | None, path: Path) -> Iterator[FieldError]:
    """What is wrong with a customs declaration, its items aside (see _parcels)."""
    if customs is None:
        return
    yield from _text(customs.contents_description, MAX_CUSTOMS_TEXT, (*path, "contentsDescription"))
    yield from _text(customs.declarant_name, MAX_DECLARANT, (*path, "declarantName"))
    yield from _text(
        customs.restriction_description, MAX_CUSTOMS_TEXT, (*path, "restrictionDescription")
    )
    yield from _text(
        customs.declaration_message, MAX_DECLARATION_MESSAGE, (*path, "declarationMessage")
    )
    if customs.contents_type == CustomsContentsType.OTHER and _blank(customs.contents_description):
        # envoy.txt, Customs Detail Model: contents_description "always [required] if
        # contents_type is set to other".
        yield _error((*path, "contentsDescription"), "is required with contentsType OTHER")
    restricted = customs.restriction not in (None, CustomsRestriction.NONE)
    if restricted and _blank(customs.restriction_description):
        message = "is required with a restriction other than NONE"
        yield _error((*path, "restrictionDescription"), message)
    entries_by_name: dict[str, tuple[CustomsIdentifier | TaxIdentifier, ...]] = {
        "identifiers": customs.identifiers,
        "taxIdentifiers": customs.tax_identifiers,
    }
    for name, entries in entries_by_name.items():
        if len(entries) > MAX_IDENTIFIERS:
            yield _error((*path, name), f"at most {MAX_IDENTIFIERS}")
            continue
        for index, entry in enumerate(entries):
            here = (*path, name, str(index))
            yield from _identifier_value(entry.value, (*here, "value"))
            yield from _country(entry.issuing_country_code, (*here, "issuingCountryCode"))


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


def _depth(value: Any) -> int:
    """How many objects and arrays nest in ``value`` (iteratively: no recursion)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, Mapping):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list | tuple):
            pending.extend((child, depth + 1) for child in item)
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_OPTIONS_DEPTH:
            break
    return deepest


def _carrier_options(options: Mapping[str, Any], path: Path) -> Iterator[FieldError]:
    """Keyed by carrier code, each an object; bounded in depth and size before any
    adapter reads it (GraphQL's JSON literals and variables can nest hundreds deep)."""
    if _depth(options) > MAX_OPTIONS_DEPTH:
        yield _error(path, f"must not nest deeper than {MAX_OPTIONS_DEPTH} levels")
        return
    try:
        size = len(json.dumps(options, separators=(",", ":"), allow_nan=False))
    except ValueError:
        yield _error(path, "must hold finite numbers only")
        return
    if size > MAX_OPTIONS_CHARS:
        yield _error(path, f"at most {MAX_OPTIONS_CHARS} characters as JSON")
        return
    known = {code.value for code in CarrierCode}
    for key, value in options.items():
        if key not in known:
            message = f"unknown carrier {key[:40]!r}; keys are carrier codes such as ENVIO"
            yield _error((*path, key[:40]), message)
        elif not isinstance(value, dict):
            yield _error((*path, key), "must be an object")


def checked_request(
    request: ShipmentRequest, now: datetime, path: Path = ("shipment",)
) -> tuple[ShipmentRequest, list[FieldError]]:
    """The request as carriers are sent it (its phones in E.164: each carrier writes
    its own format from that), and what is wrong with it."""
    errors: list[FieldError] = []
    if _blank(request.reference):
        errors.append(_error((*path, "reference"), "must not be empty"))
    else:
        errors += _text(request.reference, MAX_REFERENCE, (*path, "reference"))
    errors += _text(request.description, MAX_DESCRIPTION, (*path, "description"))
    errors += _text(request.instructions, MAX_INSTRUCTIONS, (*path, "instructions"))
    origin, origin_errors = checked_address(request.origin, (*path, "origin"))
    destination, destination_errors = checked_address(request.destination, (*path, "destination"))
    errors += origin_errors + destination_errors
    if not request.parcels:
        errors.append(_error((*path, "parcels"), "at least one parcel is required"))
    errors += _parcels(request.parcels, (*path, "parcels"))
    errors += _money(request.cash_on_delivery, (*path, "cashOnDelivery"))
    errors += _money(request.declared_value, (*path, "declaredValue"))
    errors += _schedule(request.pickup_at, request.deliver_by, now, path)
    errors += _carrier_options(request.carrier_options, (*path, "carrierOptions"))
    errors += customs_problems(request.customs, (*path, "customs"))
    return replace(request, origin=origin, destination=destination), errors


def validate_request(
    request: ShipmentRequest, now: datetime, path: Path = ("shipment",)
) -> list[FieldError]:
    return checked_request(request, now, path)[1]


def with_e164_phones(request: ShipmentRequest) -> ShipmentRequest:
    """A request validate_request found valid, its phones in E.164."""
    return replace(
        request,
        origin=replace(request.origin, phone=_e164(request.origin)),
        destination=replace(request.destination, phone=_e164(request.destination)),
    )


def validate_patch(
    patch: ShipmentPatch, now: datetime, path: Path = ("patch",)
) -> list[FieldError]:
    if not patch.given_fields():
        return [_error(path, "give at least one field to change")]
    errors = list(_money(patch.cash_on_delivery, (*path, "cashOnDelivery")))
    errors += _text(patch.description, MAX_DESCRIPTION, (*path, "description"))
    errors += _text(patch.instructions, MAX_INSTRUCTIONS, (*path, "instructions"))
    if patch.parcels is not None:
        errors += _parcels(patch.parcels, (*path, "parcels"))
    errors += _schedule(patch.pickup_at, patch.deliver_by, now, path)
    return errors


def tracking_number_problem(number: str) -> str | None:
    """What is wrong with a tracking number a caller typed, or None: no carrier's is
    empty, longer than MAX_TRACKING_NUMBER or holds control characters, and such a
    string must not reach a carrier's URL."""
    if not number.strip():
        return "trackingNumber must not be empty"
    if len(number) > MAX_TRACKING_NUMBER:
        return f"trackingNumber must be at most {MAX_TRACKING_NUMBER} characters"
    if not number.isprintable():
        return "trackingNumber must not contain control characters"
    return None
