"""Where an order can go from each state, and what each step does to the counters.

The document lists the statuses (Appendix C) but not their order; this graph is OUR
reading of their descriptions:

  pick-up  NEW -> PICKUP_PENDING -> PICKED_UP | PICKUP_FAILED (-> PICKUP_PENDING again)
           (DROP orders are dropped at a hub: NEW -> RECEIVED_AT_HUB directly)
  line haul RECEIVED_AT_HUB -> BAGGED -> HANDOVER_TO_TRANSPORT -> IN_TRANSIT
           -> RECEIVED_AT_HUB (destination hub) -> DELIVERY_PENDING (or HANDOVER_TO_3PL)
  delivery DELIVERY_PENDING -> DELIVERED | DELIVERY_FAILED (-> DELIVERY_PENDING again)
  return   DELIVERY_FAILED -> READY_FOR_RTC -> IN_TRANSIT_RTC -> RECEIVED_AT_HUB_RTC
           -> DELIVERY_PENDING_RTC -> RETURNED_TO_SENDER
  other    NOT_RECEIVED / CANCELLED before pick-up; REJECTED at a hub (->
           REJECTED_AND_RETURNED); LOST from any moving state.

Counters (the webhook's comments): pickupAttemptCounter on PICKED_UP and PICKUP_FAILED,
pickupFailedCounter on PICKUP_FAILED, receiveCounter on the first RECEIVED_AT_HUB,
transitCounter on IN_TRANSIT / IN_TRANSIT_RTC, deliveryAttemptCounter on DELIVERED and
DELIVERY_FAILED, deliveryFailedCounter on DELIVERY_FAILED. A webhook's comments carry the
counters above 0 (the document's example shows {"receiveCounter": 1} for a first
receipt) and, on a failure status, the failed reason code (Appendix A).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shipgraph.sandbox.entrego.model import (
    BAGGED,
    CANCELLED,
    DEFAULT_DELIVERY_FAILED_REASON,
    DEFAULT_PICKUP_FAILED_REASON,
    DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    DELIVERY_PENDING_RTC,
    HANDOVER_TO_3PL,
    HANDOVER_TO_TRANSPORT,
    IN_TRANSIT,
    IN_TRANSIT_RTC,
    LOST,
    NEW,
    NOT_RECEIVED,
    PICKED_UP,
    PICKUP_FAILED,
    PICKUP_PENDING,
    READY_FOR_RTC,
    RECEIVED_AT_HUB,
    RECEIVED_AT_HUB_RTC,
    REJECTED,
    REJECTED_AND_RETURNED,
    RETURNED_TO_SENDER,
    Order,
    webhook_time,
)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (PICKUP_PENDING, RECEIVED_AT_HUB, NOT_RECEIVED, CANCELLED, REJECTED),
    PICKUP_PENDING: (PICKED_UP, PICKUP_FAILED, CANCELLED),
    PICKUP_FAILED: (PICKUP_PENDING, NOT_RECEIVED, CANCELLED),
    PICKED_UP: (RECEIVED_AT_HUB, LOST),
    RECEIVED_AT_HUB: (BAGGED, DELIVERY_PENDING, HANDOVER_TO_3PL, REJECTED, LOST),
    BAGGED: (HANDOVER_TO_TRANSPORT, IN_TRANSIT, LOST),
    HANDOVER_TO_TRANSPORT: (IN_TRANSIT, LOST),
    IN_TRANSIT: (RECEIVED_AT_HUB, LOST),
    HANDOVER_TO_3PL: (DELIVERED, DELIVERY_FAILED, LOST),
    DELIVERY_PENDING: (DELIVERED, DELIVERY_FAILED, LOST),
    DELIVERY_FAILED: (DELIVERY_PENDING, READY_FOR_RTC, LOST),
    READY_FOR_RTC: (IN_TRANSIT_RTC, RECEIVED_AT_HUB_RTC, LOST),
    IN_TRANSIT_RTC: (RECEIVED_AT_HUB_RTC, LOST),
    RECEIVED_AT_HUB_RTC: (DELIVERY_PENDING_RTC, LOST),
    DELIVERY_PENDING_RTC: (RETURNED_TO_SENDER, LOST),
    REJECTED: (REJECTED_AND_RETURNED,),
}
STATUSES = tuple(dict.fromkeys(status for targets in TRANSITIONS.values() for status in targets))
FAILURES = {
    PICKUP_FAILED: ("pickupFailedReasonCode", DEFAULT_PICKUP_FAILED_REASON),
    DELIVERY_FAILED: ("deliveryFailedReasonCode", DEFAULT_DELIVERY_FAILED_REASON),
}
_HAPPY: dict[str, str] = {
    PICKUP_PENDING: PICKED_UP,
    PICKUP_FAILED: PICKUP_PENDING,
    PICKED_UP: RECEIVED_AT_HUB,
    BAGGED: HANDOVER_TO_TRANSPORT,
    HANDOVER_TO_TRANSPORT: IN_TRANSIT,
    IN_TRANSIT: RECEIVED_AT_HUB,
    HANDOVER_TO_3PL: DELIVERED,
    DELIVERY_PENDING: DELIVERED,
    DELIVERY_FAILED: DELIVERY_PENDING,
    READY_FOR_RTC: IN_TRANSIT_RTC,
    IN_TRANSIT_RTC: RECEIVED_AT_HUB_RTC,
    RECEIVED_AT_HUB_RTC: DELIVERY_PENDING_RTC,
    DELIVERY_PENDING_RTC: RETURNED_TO_SENDER,
    REJECTED: REJECTED_AND_RETURNED,
}


class StepRefused(Exception):
    def __init__(self, state: str, target: str) -> None:
        super().__init__(f"Transition from {state} to {target} failed")


def next_happy_step(order: Order) -> str | None:
    state = order.state
    if state == NEW:
        return PICKUP_PENDING if order.fields.get("pickupType") == "PICKUP" else RECEIVED_AT_HUB
    if state == RECEIVED_AT_HUB:
        return DELIVERY_PENDING if order.counters["transitCounter"] else BAGGED
    return _HAPPY.get(state)


def apply_step(order: Order, status: str, reason: str | None, now: datetime) -> dict[str, Any]:
    """Move ``order`` to ``status`` (raising StepRefused if the graph forbids it) and
    return the webhook payload."""
    if status not in TRANSITIONS.get(order.state, ()):
        raise StepRefused(order.state, status)
    counters = order.counters
    if status in (PICKED_UP, PICKUP_FAILED):
        counters["pickupAttemptCounter"] += 1
    if status == PICKUP_FAILED:
        counters["pickupFailedCounter"] += 1
    if status == RECEIVED_AT_HUB and RECEIVED_AT_HUB not in order.visited:
        counters["receiveCounter"] += 1
    if status in (IN_TRANSIT, IN_TRANSIT_RTC):
        counters["transitCounter"] += 1
    if status in (DELIVERED, DELIVERY_FAILED):
        counters["deliveryAttemptCounter"] += 1
    if status == DELIVERY_FAILED:
        counters["deliveryFailedCounter"] += 1
    comments: dict[str, Any] = {name: count for name, count in counters.items() if count}
    if status in FAILURES:
        name, default = FAILURES[status]
        comments[name] = reason or default
    order.fields["fsmState"] = status
    payload = {
        "status": status,
        "tracking_number": order.tracking_number,
        "timestamp": webhook_time(now),
        "comments": comments,
    }
    order.history.append(
        {
            "status": status,
            "timestamp": payload["timestamp"],
            "reasonCode": comments.get(FAILURES[status][0]) if status in FAILURES else None,
        }
    )
    return payload
