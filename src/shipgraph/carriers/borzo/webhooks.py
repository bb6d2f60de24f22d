"""Borzo callbacks: "Notification about order changes" (``order_created``,
``order_changed``: the whole ``order``) and "Notification about delivery changes"
(``delivery_created``, ``delivery_changed``: one point's ``delivery``), both signed
with ``X-DV-Signature``.

The document gives no event id; an event is identified by a hash of its body, so a
retry (the same body) is applied once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shipgraph.carriers.base import WebhookRejected
from shipgraph.carriers.borzo.mapping import (
    CARRIER,
    DELIVERY_STATUS,
    PICKUP_LEG,
    cash_on_delivery_of,
    courier_of,
    estimate,
    marked_destination,
    order_id_of,
    order_view,
    status_value,
    text,
)
from shipgraph.carriers.parsing import (
    body_event_id,
    identifier,
    parse_time,
    url,
    webhook_object,
)
from shipgraph.domain import TrackingLog, TrackingUpdate

SIGNATURE_HEADER = "X-DV-Signature"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key in (name, name.lower()):
        if key in headers:
            return headers[key]
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def verify(secret: str | None, headers: Mapping[str, str], body: bytes) -> None:
    """``X-DV-Signature`` must be the hex HMAC-SHA256 of the raw body under the
    callback secret (the document's handler: ``hash_hmac('sha256', $data, ...)``)."""
    if not secret:
        raise WebhookRejected(401, "no Borzo callback secret is configured")
    given = _header(headers, SIGNATURE_HEADER)
    if not given:
        raise WebhookRejected(401, f"missing {SIGNATURE_HEADER}")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.strip().lower().encode()):
        raise WebhookRejected(401, f"bad {SIGNATURE_HEADER}")


def event_id(event: Mapping[str, Any]) -> str:
    return body_event_id("borzo", event)


def parse(body: bytes, received_at: datetime) -> list[TrackingUpdate]:
    event = webhook_object(body)
    at = parse_time(event.get("event_datetime"))
    if at is None:
        raise WebhookRejected(400, "event_datetime is missing or not a timestamp")
    if isinstance(event.get("order"), dict):
        _check_statuses(event["order"])
        return [_order_event(event, event["order"], at, received_at)]
    if isinstance(event.get("delivery"), dict):
        return [_delivery_event(event, event["delivery"], at)]
    raise WebhookRejected(400, "the event has neither an order nor a delivery")


def _check_statuses(order: dict[str, Any]) -> None:
    """A status that is there but unreadable refuses the event: applying the rest
    would file it under a status it does not have."""
    if order.get("status") is not None and status_value(order["status"]) is None:
        raise WebhookRejected(400, "the order's status is not a readable status value")
    points = order.get("points")
    for index, point in enumerate(points if isinstance(points, list) else []):
        delivery = point.get("delivery") if isinstance(point, dict) else None
        raw = delivery.get("status") if isinstance(delivery, dict) else None
        if raw is not None and status_value(raw) is None:
            message = f"points[{index}].delivery.status is not a readable status value"
            raise WebhookRejected(400, message)


def _order_event(
    event: dict[str, Any], order: dict[str, Any], at: datetime, received_at: datetime
) -> TrackingUpdate:
    view = order_view(order, at, received_at)
    if view is None:
        raise WebhookRejected(400, "the order has no readable order_id")
    return TrackingUpdate(
        carrier=CARRIER,
        event_id=event_id(event),
        carrier_shipment_id=str(view.order_id),
        tracking_number=view.order_name,
        status=view.state.status if view.state else None,
        carrier_status=view.state.carrier_status if view.state else None,
        log=view.log,
        courier=view.courier,
        delivered_at=view.delivered_at,
        received_by=view.received_by,
        estimated_pickup_at=view.estimated_pickup_at,
        estimated_delivery_at=view.estimated_delivery_at,
        cash_on_delivery=view.cash_on_delivery,
        proof_of_delivery=view.proof_of_delivery,
        tracking_url=view.tracking_url,
        picked_up_at=view.picked_up_at,
    )


def _delivery_event(
    event: dict[str, Any], delivery: dict[str, Any], at: datetime
) -> TrackingUpdate:
    """A delivery callback is about one point, named by point_id, which the body
    cannot place in the route (1.2 removed pickup_point/dropoff_point). The gateway
    writes ``client_order_id`` on the destination point only (requests.order_body),
    and the delivery object repeats it: a delivery carrying one is the shipment's
    destination, and all its statuses apply (its ``finished`` is DELIVERED). Of any
    other delivery, a pickup status that every delivery of the order shares sets the
    status; a drop status only updates the courier (a stop's "finished" must not
    read as DELIVERED). The delivery time is left to the order callback that follows
    (its destination's courier_visit_datetime), so that it reads the same either way."""
    order_id = order_id_of(delivery.get("order_id"))
    raw = status_value(delivery.get("status"))
    if order_id is None or raw is None:
        raise WebhookRejected(400, "the delivery has no readable order_id or status")
    destination = is_destination(delivery)
    status = DELIVERY_STATUS[raw] if destination or raw in PICKUP_LEG else None
    log = None
    if status is not None:
        description = text(delivery.get("status_description"))
        log = TrackingLog(
            status=status,
            carrier_status=raw,
            # "status_datetime: Delivery status change date and time" (delivery callbacks)
            occurred_at=parse_time(delivery.get("status_datetime")) or at,
            message=description if description != raw else None,
        )
    return TrackingUpdate(
        carrier=CARRIER,
        event_id=event_id(event),
        carrier_shipment_id=str(order_id),
        tracking_number=identifier(delivery.get("order_name")),
        status=status,
        carrier_status=raw if status is not None else None,
        log=log,
        courier=courier_of(delivery.get("courier"), at, None),
        estimated_delivery_at=estimate(delivery, "required_finish_datetime")
        if destination
        else None,
        cash_on_delivery=cash_on_delivery_of(delivery) if destination else None,
        tracking_url=url(delivery.get("tracking_url")) if destination else None,
    )


def is_destination(delivery: Mapping[str, Any]) -> bool:
    """Whether the delivery is of the point the gateway booked as the destination."""
    return marked_destination(delivery.get("client_order_id"))
