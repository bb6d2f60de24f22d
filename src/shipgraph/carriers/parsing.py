"""Reading carrier answers and callbacks: the small rules every adapter shares.

Whatever a carrier sends is read through these readers before it becomes a domain
value, so nothing it sends can reach the store in a form the store cannot keep or
read back: coordinates are finite and on the globe, strings are bounded and free of
control characters, timestamps carry an offset and fall in 2000..2100, numbers are
finite and in range. A reader answers None for a value it cannot read; the caller
decides whether that drops one field or refuses the whole event.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from shipgraph import safe_json
from shipgraph.carriers.base import WebhookRejected
from shipgraph.domain import GeoPoint

MAX_TEXT = 1000
"""Characters kept of free text (a message, a name, a description); the rest is cut."""
MAX_IDENTIFIER = 128
"""Characters of an identifier (a tracking number, an order id, a status value)."""
MAX_URL = 2048
MAX_TIME_CHARS = 64
"""An ISO 8601 timestamp is far shorter; a longer string is not one."""
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
"""Timestamps outside these years are no shipment's (and year 1 or 9999 would
overflow as soon as they are moved to UTC)."""
MAX_AMOUNT = Decimal(10) ** 15
"""Money amounts above this (in major units) are nobody's price."""
AMOUNT_PLACES = 4
"""Money is kept to four decimal places at most."""
_NUMBER_CHARS = 32
"""A number sent as a JSON string ("-6.3037234") is no longer than this."""


# --- strings ----------------------------------------------------------------------


_BLANKS = re.compile(r"[\t\n\r]")
_UNWRITABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters (NUL included) and lone surrogates, which no JSON store keeps
as they came."""


def _clean(value: str) -> str:
    """Without control characters and lone surrogates; tabs and line breaks become
    spaces."""
    if value.isprintable():
        return value
    return _UNWRITABLE.sub("", _BLANKS.sub(" ", value))


def text(value: object, limit: int = MAX_TEXT) -> str | None:
    """Free text: a non-empty string, cleaned, stripped and cut at ``limit``
    characters; None for anything else (a number, a list, only blanks)."""
    if not isinstance(value, str):
        return None
    cleaned = _clean(value).strip()[:limit].rstrip()
    return cleaned or None


def identifier(value: object, limit: int = MAX_IDENTIFIER) -> str | None:
    """An identifier or a status value exactly as written: a string of 1..``limit``
    printable characters, not only blanks, or None. Never cut, cleaned or trimmed: an
    id with a control character in it, or of 900 KB, is not an id, and " 0031-1" is
    not "0031-1" (no rewriting may make two spellings name one shipment)."""
    if not isinstance(value, str):
        return None
    if not value.strip() or len(value) > limit or not value.isprintable():
        return None
    return value


def url(value: object) -> str | None:
    """An http(s) URL of at most MAX_URL characters, or None."""
    found = identifier(value, MAX_URL)
    if found is None or not found.lower().startswith(("https://", "http://")):
        return None
    return found if " " not in found else None


# --- numbers ----------------------------------------------------------------------


def _decimal(value: object) -> Decimal | None:
    """A finite Decimal from a JSON number or a short numeric string, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and len(value) > _NUMBER_CHARS:
        return None
    try:
        parsed = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(str(value))
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() else None


def number(value: object, low: float, high: float) -> float | None:
    """A finite number within [low, high] (a JSON number or numeric string), or None."""
    parsed = _decimal(value)
    if parsed is None or not Decimal(str(low)) <= parsed <= Decimal(str(high)):
        return None
    result = float(parsed)
    return result if math.isfinite(result) else None


def amount(value: object) -> Decimal | None:
    """A money amount: finite, below MAX_AMOUNT either side of zero, at most four
    decimal places (more are rounded), from a JSON string or number; else None."""
    parsed = _decimal(value)
    if parsed is None or abs(parsed) > MAX_AMOUNT:
        return None
    exponent = parsed.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -AMOUNT_PLACES:
        return parsed.quantize(Decimal(1).scaleb(-AMOUNT_PLACES), rounding=ROUND_HALF_UP)
    if isinstance(exponent, int) and exponent > 0:  # "1E+3" is written 1000
        return parsed.quantize(Decimal(1))
    return parsed


def latitude(value: object) -> float | None:
    return number(value, -90.0, 90.0)


def longitude(value: object) -> float | None:
    return number(value, -180.0, 180.0)


def geo_point(lat: object, lng: object) -> GeoPoint | None:
    """A point on the globe, or None when either coordinate is unreadable, not
    finite ("1e999", NaN) or off the globe."""
    found_lat, found_lng = latitude(lat), longitude(lng)
    if found_lat is None or found_lng is None:
        return None
    return GeoPoint(found_lat, found_lng)


# --- time -------------------------------------------------------------------------


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 date-time with an offset, in the years 2000..2100 (also in UTC),
    or None: absent, malformed, naive, or outside those years."""
    if not isinstance(value, str) or not value or len(value) > MAX_TIME_CHARS:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            return None
        in_utc = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    for moment in (parsed, in_utc):
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            return None
    return parsed


# --- bodies -----------------------------------------------------------------------


def webhook_object(body: bytes) -> dict[str, Any]:
    """A callback's JSON object, or WebhookRejected(400)."""
    try:
        event = safe_json.loads(body)
    except safe_json.UnsafeJson as error:
        raise WebhookRejected(400, str(error)) from None
    if not isinstance(event, dict):
        raise WebhookRejected(400, "the body is not a JSON object")
    return event


def body_event_id(prefix: str, body: Mapping[str, Any]) -> str:
    """For carriers whose events carry no id: the same event (a retry, in any key
    order) gets the same id, and any difference gives another."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # A JSON escape can spell a lone surrogate, which strict UTF-8 refuses to encode.
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}:{digest}"
