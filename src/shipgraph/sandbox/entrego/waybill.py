"""The 3-step waybill: a document per request, pending for ``pending_s``, then a PDF
(one page per tracking number) or "failed" when a tracking number is unknown.

The document's success answer points at a signed S3 URL; the simulator serves the PDF
itself, at ``/v1/awb-tool/files/{documentId}.pdf`` (no token needed, like a signed URL).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from shipgraph.sandbox.entrego.model import Order

PAGE = (288, 432)  # 4 x 6 inch, in points
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


def pdf(pages: list[list[str]]) -> bytes:
    """A valid PDF, one page per entry (Helvetica, Latin-1 text)."""

    def literal(text: str) -> str:
        safe = text.encode("latin-1", errors="replace").decode("latin-1")
        return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    count = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, lines in enumerate(pages):
        shown = " T* ".join(f"({literal(line)}) Tj" for line in lines)
        stream = f"BT /F1 12 Tf 16 TL 24 {PAGE[1] - 40} Td {shown} ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE[0]} {PAGE[1]}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
