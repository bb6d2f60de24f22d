"""Entrego webhooks ("Webhooks" in entrego.txt): verify the bearer token we gave
Entrego at onboarding, and parse the status payload.

The payload has no event id, so an event is identified by a hash of its body. The
``comments`` counters are kept in the log's message ("receiveCounter=1, ..."), so a
second delivery attempt is a log entry of its own.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shipgraph.carriers.base import WebhookRejected
from shipgraph.carriers.entrego.mapping import CARRIER, FAILED_REASONS, WEBHOOK_STATUS
from shipgraph.carriers.parsing import (
    body_event_id,
    identifier,
    number,
    parse_time,
    webhook_object,
)
from shipgraph.domain import TrackingLog, TrackingUpdate

COUNTERS = (
    "receiveCounter",
    "transitCounter",
    "deliveryAttemptCounter",
    "deliveryFailedCounter",
    "pickupAttemptCounter",
    "pickupFailedCounter",
)
# The reason code that explains a status, where the status is a failure.
_REASON_KEYS = {
    "DELIVERY_FAILED": "deliveryFailedReasonCode",
    "PICKUP_FAILED": "pickupFailedReasonCode",
}


def verify(token: str | None, headers: Mapping[str, str]) -> None:
    """``Authorization: Bearer`` must equal the configured token (constant time)."""
    if not token:
        raise WebhookRejected(401, "no Entrego webhook token is configured")
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, credentials = value.partition(" ")
    given = credentials.strip() if scheme.lower() == "bearer" else ""
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        raise WebhookRejected(401, "bad or missing webhook token")


MAX_COUNTER = 1_000_000
# Appendix A's reason codes are two characters; a little room for a new spelling.
_REASON_CHARS = 8


def _reason(value: object) -> str | None:
    return identifier(value, _REASON_CHARS)


def _reason_code(status: str, comments: Mapping[str, Any]) -> str | None:
    key = _REASON_KEYS.get(status)
    code = _reason(comments.get(key)) if key else None
    if code is None:
        # A failure code on another status (e.g. a return after failed attempts).
        code = next((c for k in _REASON_KEYS.values() if (c := _reason(comments.get(k)))), None)
    return code.upper() if code else None


def _counters(comments: Mapping[str, Any]) -> str | None:
    counted = {name: number(comments.get(name), 0, MAX_COUNTER) for name in COUNTERS}
    parts = [f"{name}={_count(value)}" for name, value in counted.items() if value is not None]
    return ", ".join(parts) or None


def _count(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def parse(body: bytes, received_at: datetime) -> list[TrackingUpdate]:
    event = webhook_object(body)
    carrier_status = identifier(event.get("status"))
    # The number exactly as Entrego wrote it: " 0031-1" is not "0031-1" (a client may
    # choose its tracking numbers), so no trimming may make two name one shipment.
    tracking_number = identifier(event.get("tracking_number"))
    if carrier_status is None or tracking_number is None:
        raise WebhookRejected(400, "the event needs a readable status and tracking_number")
    comments = event.get("comments")
    if comments is None:
        comments = {}
    if not isinstance(comments, dict):
        raise WebhookRejected(400, "comments must be an object")
    status = WEBHOOK_STATUS[carrier_status]
    reason_code = _reason_code(carrier_status, comments)
    log = TrackingLog(
        status=status,
        carrier_status=carrier_status,
        occurred_at=parse_time(event.get("timestamp")) or received_at,
        message=_counters(comments),
        reason_code=reason_code,
        reason=FAILED_REASONS.get(reason_code) if reason_code else None,
    )
    return [
        TrackingUpdate(
            carrier=CARRIER,
            event_id=body_event_id("entrego", event),
            tracking_number=tracking_number,
            status=status,
            carrier_status=carrier_status,
            log=log,
            delivered_at=log.occurred_at if carrier_status == "DELIVERED" else None,
        )
    ]
