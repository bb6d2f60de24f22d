"""Envoy's webhooks, on a stated assumption.

envoy.txt only mentions them ("we recommend using webhook events to be updated on the
status of the shipment"); it gives no body, no event names and no signature. We
assume, and the simulator sends:

- ``POST /webhooks/envoy`` with the body ``{"event": "<name>", "data": <the Shipment
  object as GET /shipments/{id} answers it>}``. Variants accepted: ``type`` for
  ``event``, ``shipment`` for ``data``, or the bare Shipment object. The event name is
  informative only: the shipment's ``status`` is read with the same table as a poll.
- signed like Borzo's callbacks (the design's other signed carrier): the header
  ``X-Envoy-Signature`` holds the hex HMAC-SHA256 of the raw body under
  SHIPGRAPH_ENVOY_WEBHOOK_SECRET, bare or as ``sha256=<hex>``.

An event is identified as a poll's reading of the same state is (shipment, status,
updated_at), so a webhook and a poll that saw the same change apply it once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shipgraph.carriers.base import WebhookRejected
from shipgraph.carriers.envoy.mapping import CARRIER
from shipgraph.carriers.envoy.models import EnvoyShipmentSummary, summary_of
from shipgraph.carriers.parsing import identifier, webhook_object
from shipgraph.domain import TrackingLog, TrackingUpdate

SIGNATURE_HEADER = "X-Envoy-Signature"
_EVENT_KEYS = ("event", "type")
_SHIPMENT_KEYS = ("data", "shipment")


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def verify(secret: str | None, headers: Mapping[str, str], body: bytes) -> None:
    if not secret:
        raise WebhookRejected(401, "no Envoy webhook secret is configured")
    given = _header(headers, SIGNATURE_HEADER)
    if not given:
        raise WebhookRejected(401, f"missing {SIGNATURE_HEADER}")
    digest = given.strip().lower().removeprefix("sha256=")
    if not hmac.compare_digest(sign(secret, body).encode(), digest.encode("utf-8", "replace")):
        raise WebhookRejected(401, f"bad {SIGNATURE_HEADER}")


def shipment_of(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The Shipment object an event carries (see the module's assumption)."""
    for key in _SHIPMENT_KEYS:
        if key in event:
            found = event[key]
            if not isinstance(found, dict):
                raise WebhookRejected(400, f"{key} is not a shipment object")
            return found
    if any(key in event for key in _EVENT_KEYS):
        raise WebhookRejected(400, "the event carries no shipment")
    return event


def event_id(summary: EnvoyShipmentSummary) -> str:
    stamp = summary.updated_at.isoformat() if summary.updated_at else ""
    return f"envoy:{summary.shipment_id}:{summary.carrier_status}:{stamp}"


def log_of(summary: EnvoyShipmentSummary, now: datetime) -> TrackingLog:
    return TrackingLog(
        status=summary.status,
        carrier_status=summary.carrier_status,
        occurred_at=summary.updated_at or summary.created_at or now,
    )


def update_of(summary: EnvoyShipmentSummary, now: datetime) -> TrackingUpdate:
    """What a reading of the shipment says, from a webhook or a poll."""
    return TrackingUpdate(
        carrier=CARRIER,
        event_id=event_id(summary),
        carrier_shipment_id=summary.shipment_id,
        tracking_number=summary.tracking_number,
        status=summary.status,
        carrier_status=summary.carrier_status or None,
        log=log_of(summary, now),
    )


def parse(key: bytes, body: bytes, received_at: datetime) -> list[TrackingUpdate]:
    """``key`` signs the rate ids read along (models.summary_of)."""
    event = webhook_object(body)
    for name in _EVENT_KEYS:
        if name in event and identifier(event[name]) is None:
            raise WebhookRejected(400, f"{name} is not an event name")
    shipment = shipment_of(event)
    summary = summary_of(key, shipment)
    if summary is None:
        raise WebhookRejected(400, "the shipment has no readable id")
    if not summary.carrier_status:
        raise WebhookRejected(400, "the shipment has no readable status")
    return [update_of(summary, received_at)]
