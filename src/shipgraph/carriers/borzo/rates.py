"""Quotes from calculate-order, and the rate ids that book them.

A rate id is ``BORZO:<payload>.<signature>``: the payload is unpadded base64url of
the JSON ``{"v": vehicle_type_id, "o": order options, "f": fingerprint, "t": quoted
at (Unix seconds)}`` and the signature the first 32 hex digits of its HMAC-SHA256
under a key derived from the auth token, so a changed id is a malformed one. The
fingerprint hashes the quoted request without its contact data (names, phones,
emails, companies): Borzo quotes without them ("only recipient's contact data could
be missed" at calculation) and a booking adds them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from shipgraph import safe_json
from shipgraph.carriers.borzo import errors
from shipgraph.carriers.borzo.mapping import (
    CARRIER,
    CURRENCY,
    destination_point,
    vehicle_name,
)
from shipgraph.carriers.borzo.requests import Layout
from shipgraph.carriers.parsing import amount, parse_time
from shipgraph.codec import request_fingerprint
from shipgraph.domain import (
    Address,
    Charge,
    ChargeKind,
    Money,
    Rate,
    ServiceLevel,
    ShipmentRequest,
)

# Quoted when no vehicle_type_id option is given: the two vehicles the document's
# Indonesian examples book (8, the calculate-order default) and the plain car (7).
DEFAULT_VEHICLES = (8, 7)
# Borzo prices by demand and holds no quote; we honour ours for this long.
RATE_VALIDITY = timedelta(minutes=30)
PREFIX = f"{CARRIER.value}:"
_SIGNATURE_HEX = 32
_CLOCK_SKEW = timedelta(minutes=1)

# Fee fields of an order -> charge kind. money_transfer_fee is Borzo's fee for
# carrying collected cash back (cash remittance), so it is a cost of COD.
FEES: tuple[tuple[str, ChargeKind, str], ...] = (
    ("delivery_fee_amount", ChargeKind.BASE, "delivery fee"),
    ("weight_fee_amount", ChargeKind.WEIGHT, "weight fee"),
    ("insurance_fee_amount", ChargeKind.INSURANCE, "insurance fee"),
    ("loading_fee_amount", ChargeKind.LOADING, "loading fee"),
    ("money_transfer_fee_amount", ChargeKind.CASH_ON_DELIVERY, "money transfer fee"),
    ("cod_fee_amount", ChargeKind.CASH_ON_DELIVERY, "COD fee"),
    ("return_fee_amount", ChargeKind.RETURN, "return fee"),
    ("waiting_fee_amount", ChargeKind.WAITING, "waiting fee"),
)


class RateIdRefused(ValueError):
    """The rate id cannot book this request; the message says why."""


@dataclass(frozen=True, slots=True)
class Offer:
    vehicle_type_id: int
    options: dict[str, Any]
    quoted_at: datetime


def signing_key(auth_token: str) -> bytes:
    return hmac.new(auth_token.encode(), b"shipgraph borzo rate id", hashlib.sha256).digest()


def _anonymous(address: Address) -> Address:
    return replace(address, name=None, phone=None, email=None, company=None)


def fingerprint(request: ShipmentRequest) -> str:
    options = dict(request.carrier_options)
    mine = options.get(CARRIER.value)
    if isinstance(mine, dict) and isinstance(mine.get("points"), list):
        contact = ("name", "phone", "email", "company")
        stops = [
            {k: v for k, v in stop.items() if k not in contact} if isinstance(stop, dict) else stop
            for stop in mine["points"]
        ]
        options[CARRIER.value] = {**mine, "points": stops}
    quoted = replace(
        request,
        origin=_anonymous(request.origin),
        destination=_anonymous(request.destination),
        carrier_options=options,
    )
    return request_fingerprint(quoted)[:32]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:_SIGNATURE_HEX]


def encode_rate_id(
    key: bytes,
    quoted: str,
    vehicle_type_id: int,
    options: Mapping[str, Any],
    quoted_at: datetime,
) -> str:
    """``quoted``: the ``fingerprint`` of the request the rate is for."""
    data = {
        "v": vehicle_type_id,
        "o": {k: v for k, v in options.items() if k != "vehicle_type_id"},
        "f": quoted,
        "t": int(quoted_at.timestamp()),
    }
    payload = _b64(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    return f"{PREFIX}{payload}.{_sign(key, payload)}"


def decode_rate_id(key: bytes, rate_id: str, request: ShipmentRequest, now: datetime) -> Offer:
    """The offer a rate id books; RateIdRefused when it is malformed, was made for
    another shipment, or is past its validity."""
    if not rate_id.startswith(PREFIX):
        raise RateIdRefused("not a Borzo rate id")
    payload, _, signature = rate_id[len(PREFIX) :].partition(".")
    if not hmac.compare_digest(_sign(key, payload).encode(), signature.encode()):
        raise RateIdRefused("malformed rate id")
    try:
        data = safe_json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):  # UnsafeJson is a ValueError
        raise RateIdRefused("malformed rate id") from None
    if not isinstance(data, dict):
        raise RateIdRefused("malformed rate id")
    vehicle, options, quoted, stamp = data.get("v"), data.get("o"), data.get("f"), data.get("t")
    if not isinstance(vehicle, int) or not isinstance(options, dict):
        raise RateIdRefused("malformed rate id")
    if not isinstance(quoted, str) or not isinstance(stamp, int):
        raise RateIdRefused("malformed rate id")
    try:
        quoted_at = datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        raise RateIdRefused("malformed rate id") from None
    if quoted_at > now + _CLOCK_SKEW:
        raise RateIdRefused("malformed rate id")
    if not hmac.compare_digest(quoted.encode(), fingerprint(request).encode()):
        raise RateIdRefused("the rate was quoted for a different shipment")
    if now > quoted_at + RATE_VALIDITY:
        minutes = int(RATE_VALIDITY.total_seconds() // 60)
        raise RateIdRefused(f"the rate has expired (valid {minutes} minutes); ask for rates again")
    return Offer(vehicle_type_id=vehicle, options=options, quoted_at=quoted_at)


def charges(order: Mapping[str, Any]) -> tuple[Charge, ...]:
    """The order's non-zero fees; the promo code discount as a negative amount."""
    found = []
    for name, kind, description in FEES:
        value = amount(order.get(name))
        if value:
            found.append(Charge(kind, Money(value, CURRENCY), description))
    discount = amount(order.get("promo_code_discount_amount"))
    if discount:
        code = order.get("applied_promo_code")
        text = f"promo code {code}" if isinstance(code, str) and code else "promo code"
        found.append(Charge(ChargeKind.DISCOUNT, Money(-abs(discount), CURRENCY), text))
    return tuple(found)


def rate_of(
    answer: Mapping[str, Any],
    vehicle_type_id: int,
    rate_id: str,
    quoted_at: datetime,
    layout: Layout,
) -> Rate:
    """A calculate-order answer for one vehicle as a Rate; ValueError when it has no
    price (the fee fields are nullable since 1.6)."""
    order = answer.get("order")
    if not isinstance(order, dict):
        raise ValueError("the answer has no order")
    total = amount(order.get("payment_amount"))
    if total is None:
        raise ValueError("the answer has no payment_amount")
    raw = answer.get("warnings")
    found = [str(w) for w in raw if isinstance(w, str)] if isinstance(raw, list) else []
    found += errors.warnings(answer.get("parameter_warnings"), layout)
    destination = destination_point(order) or {}
    estimated = parse_time(destination.get("estimated_arrival_datetime")) or parse_time(
        destination.get("required_finish_datetime")
    )
    return Rate(
        id=rate_id,
        carrier=CARRIER,
        service=vehicle_name(vehicle_type_id) or str(vehicle_type_id),
        total=Money(total, CURRENCY),
        service_level=ServiceLevel.INSTANT,
        charges=charges(order),
        estimated_delivery_at=estimated,
        expires_at=quoted_at + RATE_VALIDITY,
        warnings=tuple(found),
    )
