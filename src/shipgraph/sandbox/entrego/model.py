"""A simulated sales order: the fields the API answers, plus the lifecycle's bookkeeping."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Appendix C's webhook statuses, and NEW (a created order's fsmState).
NEW = "NEW"
PICKUP_PENDING = "PICKUP_PENDING"
PICKED_UP = "PICKED_UP"
PICKUP_FAILED = "PICKUP_FAILED"
RECEIVED_AT_HUB = "RECEIVED_AT_HUB"
BAGGED = "BAGGED"
HANDOVER_TO_TRANSPORT = "HANDOVER_TO_TRANSPORT"
IN_TRANSIT = "IN_TRANSIT"
HANDOVER_TO_3PL = "HANDOVER_TO_3PL"
DELIVERY_PENDING = "DELIVERY_PENDING"
DELIVERED = "DELIVERED"
DELIVERY_FAILED = "DELIVERY_FAILED"
READY_FOR_RTC = "READY_FOR_RTC"
IN_TRANSIT_RTC = "IN_TRANSIT_RTC"
RECEIVED_AT_HUB_RTC = "RECEIVED_AT_HUB_RTC"
DELIVERY_PENDING_RTC = "DELIVERY_PENDING_RTC"
RETURNED_TO_SENDER = "RETURNED_TO_SENDER"
REJECTED = "REJECTED"
REJECTED_AND_RETURNED = "REJECTED_AND_RETURNED"
NOT_RECEIVED = "NOT_RECEIVED"
CANCELLED = "CANCELLED"
LOST = "LOST"

FINAL = frozenset(
    {DELIVERED, RETURNED_TO_SENDER, REJECTED_AND_RETURNED, NOT_RECEIVED, CANCELLED, LOST}
)
CANCELLABLE = frozenset({NEW, PICKUP_PENDING, PICKUP_FAILED})
"""The document: cancellation is supported "before package is picked up"."""

# Appendix A.
FAILED_REASONS: dict[str, str] = {
    "1A": "Customer could not pay",
    "1B": "Customer refused to accept parcel",
    "1C": "Customer cancelled while parcel was in transit",
    "1D": "Customer re-scheduled delivery to another date",
    "1E": "Customer was not available during delivery",
    "1G": "Customer was not able to provide Valid ID for proper identification",
    "1H": "Customer deceased",
    "1I": "Customer is no longer affiliated with address",
    "1J": "Customer consignee with unidentified information",
    "2A": "Courier could not find customer address",
    "2B": "Customer is unknown in the area",
    "2C": "Business is no longer operational",
    "2D": "Erroneous issuance / not ordered",
    "2E": "Pullout / Client cancelled while parcel was in transit",
    "3A": "Courier faced technical issues",
    "3B": "Courier did not have enough time to deliver the package",
    "3C": "Unavoidable weather issues",
    "3D": "Courier lost the parcel",
    "3E": "Courier damaged the parcel",
    "3G": "Incorrect delivery details on package sticker",
    "3F": "Customer address is incomplete",
    "3H": "Courier attempted delivery outside office hours",
    "3I": "Force Majeure",
    "4A": "Merchant - Not Ready",
    "4B": "Merchant - Not Around",
}
DEFAULT_PICKUP_FAILED_REASON = "4A"
DEFAULT_DELIVERY_FAILED_REASON = "1E"

# The comments object's counters, in the document's order.
COUNTERS = (
    "receiveCounter",
    "transitCounter",
    "deliveryAttemptCounter",
    "deliveryFailedCounter",
    "pickupAttemptCounter",
    "pickupFailedCounter",
)
# Marketplace-only in the document's answer (a standard order shows it once set).
MARKETPLACE_ONLY = ("scheduledPickupDate",)
NOT_ECHOED = ("businessUnitCode",)


def webhook_time(moment: datetime) -> str:
    """yyyy-MM-dd'T'HH:mm:ss.SSS'Z', as the document specifies."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass
class Order:
    fields: dict[str, Any]
    """The answer's fields; fsmState follows the lifecycle."""
    marketplace: bool
    cancellation_reason: str | None = None
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    history: list[dict[str, Any]] = field(default_factory=list)
    last_webhook: dict[str, Any] | None = None
    last_step_at: float = field(default_factory=time.monotonic)

    @property
    def tracking_number(self) -> str:
        value: str = self.fields["trackingNumber"]
        return value

    @property
    def order_number(self) -> str:
        value: str = self.fields["orderNumber"]
        return value

    @property
    def state(self) -> str:
        value: str = self.fields["fsmState"]
        return value

    @property
    def visited(self) -> set[str]:
        return {entry["status"] for entry in self.history}

    def view(self) -> dict[str, Any]:
        """The order as the API answers it."""
        view = {k: v for k, v in self.fields.items() if k not in NOT_ECHOED}
        if not self.marketplace:
            for name in MARKETPLACE_ONLY:
                if view.get(name) is None:
                    view.pop(name, None)
        return view

    def control_view(self) -> dict[str, Any]:
        return {
            **self.view(),
            "marketplace": self.marketplace,
            "businessUnitCode": self.fields.get("businessUnitCode"),
            "cancellationReason": self.cancellation_reason,
            "counters": dict(self.counters),
            "history": list(self.history),
        }
