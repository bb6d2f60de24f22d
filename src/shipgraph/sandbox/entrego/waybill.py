"""The 3-step waybill: a document per request, pending for ``pending_s``, then a PDF
(one page per tracking number) or "failed" when a tracking number is unknown.

The document's success answer points at a signed S3 URL; the simulator serves the PDF
itself, at ``/v1/awb-tool/files/{documentId}.pdf`` (no token needed, like a signed URL).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from shipgraph.sandbox.entrego.model import Order

MAX_TRACKING_NUMBERS = 500
PENDING, SUCCESS, FAILED = "pending", "success", "failed"


@dataclass
class WaybillDocument:
    id: str
    client_name: str
    requested_by: str
    masked: bool
    tracking_numbers: list[str]
    pages: list[list[str]] | None
    """The pages' lines, or None when a tracking number was unknown (the PDF failed)."""
    ready_at: float = field(default_factory=time.monotonic)

    def status(self) -> str:
        if time.monotonic() < self.ready_at:
            return PENDING
        return SUCCESS if self.pages is not None else FAILED


def _mask(phone: str | None) -> str:
    if not phone:
        return ""
    return phone[:-4].translate(str.maketrans("0123456789", "**********")) + phone[-4:]


def page_lines(order: Order, masked: bool) -> list[str]:
    view = order.view()
    recipient, pickup = view["recipient"] or {}, view["pickup"] or {}
    phone = recipient.get("phone")
    cod = view["collectAmount"] if view["paymentMethod"] == "CASH_ON_DELIVERY" else 0
    return [
        "ENTREGO",
        f"Tracking: {order.tracking_number}",
        f"Reference: {view['shipperReference']}",
        f"Port: {view.get('portCode') or '-'}",
        f"To: {recipient.get('fullname', '')} {_mask(phone) if masked else phone or ''}",
        f"{recipient.get('address', '')}, {recipient.get('barangay', '')}"[:48],
        f"{recipient.get('city', '')}, {recipient.get('province', '')}"[:48],
        f"From: {pickup.get('fullname', '')}",
        f"COD: PHP {cod}",
    ]
