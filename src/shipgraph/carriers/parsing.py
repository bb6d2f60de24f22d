"""Reading carrier answers and callbacks: the small rules every adapter shares."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from shipgraph import safe_json
from shipgraph.carriers.base import WebhookRejected


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 date-time with an offset, or None (absent, malformed or naive)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def amount(value: object) -> Decimal | None:
    """A finite money amount from a JSON string or number, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() else None


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
    return f"{prefix}:{hashlib.sha256(canonical.encode()).hexdigest()}"
