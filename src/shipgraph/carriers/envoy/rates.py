"""Envoy rates as domain Rates, and the rate ids that book them.

A rate id is ``ENVOY:<payload>.<signature>``: the payload is unpadded base64url of
the JSON ``{"s": Envoy shipment id, "r": Envoy rate id}`` and the signature the
first 32 hex digits of its HMAC-SHA256 under a key derived from the access token.
Booking it purchases that rate on that (already rated) Envoy shipment, so no second
Envoy shipment is made; the signature keeps callers from naming shipments they were
never quoted. Envoy states no validity for a rate: we set no expires_at and let
the purchase say when a rate is stale.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shipgraph import safe_json
from shipgraph.carriers import parsing
from shipgraph.carriers.envoy.mapping import CARRIER
from shipgraph.carriers.envoy.money import from_minor, minor_int
from shipgraph.carriers.parsing import parse_time
from shipgraph.domain import Money, Rate

PREFIX = f"{CARRIER.value}:"
_SIGNATURE_HEX = 32


class RateIdRefused(ValueError):
    """The rate id is not one of ours; the message says why."""


@dataclass(frozen=True, slots=True)
class RateRef:
    shipment_id: str
    rate_id: str


def signing_key(access_token: str) -> bytes:
    return hmac.new(access_token.encode(), b"shipgraph envoy rate id", hashlib.sha256).digest()


def _sign(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:_SIGNATURE_HEX]


def encode_rate_id(key: bytes, shipment_id: str, rate_id: str) -> str:
    data = json.dumps({"r": rate_id, "s": shipment_id}, sort_keys=True, separators=(",", ":"))
    payload = base64.urlsafe_b64encode(data.encode()).rstrip(b"=").decode()
    return f"{PREFIX}{payload}.{_sign(key, payload)}"


def decode_rate_id(key: bytes, rate_id: str) -> RateRef:
    if not rate_id.startswith(PREFIX):
        raise RateIdRefused("not an Envoy rate id")
    payload, _, signature = rate_id[len(PREFIX) :].partition(".")
    if not payload or not hmac.compare_digest(_sign(key, payload).encode(), signature.encode()):
        raise RateIdRefused("malformed rate id")
    try:
        data = safe_json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):  # UnsafeJson is a ValueError
        raise RateIdRefused("malformed rate id") from None
    shipment = data.get("s") if isinstance(data, dict) else None
    rate = data.get("r") if isinstance(data, dict) else None
    if not isinstance(shipment, str) or not shipment or not isinstance(rate, str) or not rate:
        raise RateIdRefused("malformed rate id")
    return RateRef(shipment_id=shipment, rate_id=rate)


def name_of(value: object) -> str | None:
    """A resource's ``name`` ({"id", "name", "handle"}), or None."""
    name = value.get("name") if isinstance(value, dict) else None
    return parsing.text(name, 200)


def service_name(entry: Mapping[str, Any]) -> str | None:
    """ "<carrier name> <service name>" ("UPS Express"), or whichever is given."""
    names = [name_of(entry.get("carrier")), name_of(entry.get("carrier_service"))]
    text = " ".join(name for name in names if name)
    return text or None


def delivery_time(value: object) -> datetime | None:
    """A date-time with an offset; a bare date ("2024-06-21") as midnight UTC."""
    parsed = parse_time(value)
    if parsed is not None or not isinstance(value, str) or len(value) != 10:
        return parsed
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None


def rate_of(key: bytes, shipment_id: str, entry: Mapping[str, Any]) -> Rate | None:
    """One entry of a shipment's ``rates``, or None when it has no id, integer
    amount or currency code."""
    envoy_id = entry.get("id")
    minor = minor_int(entry.get("rate"))
    currency = entry.get("currency_code")
    if not isinstance(envoy_id, str) or not envoy_id or minor is None:
        return None
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        return None
    currency = currency.upper()
    days = entry.get("delivery_days")
    estimated = delivery_time(entry.get("delivery_date")) or delivery_time(
        entry.get("guaranteed_delivery_date")
    )
    return Rate(
        id=encode_rate_id(key, shipment_id, envoy_id),
        carrier=CARRIER,
        service=service_name(entry) or envoy_id,
        total=Money(from_minor(minor, currency), currency),
        delivery_days=days if isinstance(days, int) and not isinstance(days, bool) else None,
        estimated_delivery_at=estimated,
    )


def rates_of(key: bytes, shipment_id: str, shipment: Mapping[str, Any]) -> list[Rate]:
    raw = shipment.get("rates")
    entries = [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []
    found = [rate_of(key, shipment_id, entry) for entry in entries]
    return [rate for rate in found if rate is not None]


def cheapest(rates: Sequence[Rate], currency: str | None) -> Rate | None:
    """The cheapest rate in ``currency`` when any is in it, else the cheapest in the
    first rate's currency (amounts in different currencies are not compared); the
    first listed wins a tie."""
    if not rates:
        return None
    wanted = currency.upper() if currency else None
    pool = [r for r in rates if r.total.currency == wanted]
    if not pool:
        pool = [r for r in rates if r.total.currency == rates[0].total.currency]
    return min(pool, key=lambda rate: rate.total.amount)


@dataclass(frozen=True, slots=True)
class RateFacts:
    """What a rate says beyond its price: when it ships (``ship_date``) and on which
    carrier account (``carrier_account``, null in the document's example)."""

    ship_date: datetime | None
    carrier_account: dict[str, str] | None


def account_of(value: object) -> dict[str, str] | None:
    """A carrier account ({"id", "name", "handle"}) as its id and name, or None."""
    if not isinstance(value, dict):
        return None
    found = {
        "id": parsing.identifier(value.get("id")),
        "name": parsing.text(value.get("name"), 200),
    }
    kept = {key: text for key, text in found.items() if text is not None}
    return kept or None


def facts_of(shipment: Mapping[str, Any]) -> dict[str, RateFacts]:
    raw = shipment.get("rates")
    found: dict[str, RateFacts] = {}
    for entry in raw if isinstance(raw, list) else []:
        envoy_id = parsing.identifier(entry.get("id")) if isinstance(entry, dict) else None
        if envoy_id is not None:
            account = account_of(entry.get("carrier_account"))
            found[envoy_id] = RateFacts(parse_time(entry.get("ship_date")), account)
    return found
