"""Box labels (GET labels): a ZPL text or a small one-page PDF per delivery point.

The document's example has one label per point without saying which; the pick-up point has
no box of its own, so the simulator labels the delivery points.
"""

from __future__ import annotations

import base64
import textwrap
from typing import Any

from shipgraph.sandbox.borzo.model import Order, Point

PAGE = (288, 432)  # 4 x 6 inch, in points
ADDRESS_WIDTH = 44


def label_lines(order: Order, point: Point) -> list[str]:
    delivery_id = point.delivery.delivery_id if point.delivery else None
    recipient = " ".join(part for part in (point.contact_name, point.contact_phone) if part)
    return [
        "BORZO",
        f"Order {order.order_name} ({order.order_id})",
        f"Point {point.point_id} / delivery {delivery_id}",
        f"To: {recipient}",
        *textwrap.wrap(point.address or "", ADDRESS_WIDTH)[:4],
        f"Contents: {order.matter or ''}"[:ADDRESS_WIDTH],
    ]


def zpl(order: Order, point: Point) -> str:
    def field(text: str) -> str:
        return text.replace("^", " ").replace("~", " ")

    lines = label_lines(order, point)
    body = [
        f"^FO40,{40 + 45 * i}^A0N,{40 if i == 0 else 28},28^FD{field(line)}^FS"
        for i, line in enumerate(lines)
    ]
    code = f"{order.order_id}-{point.point_id}"
    barcode = f"^FO40,{60 + 45 * len(lines)}^BY2^BCN,100,Y,N,N^FD{code}^FS"
    return "\n".join(["^XA", "^CI28", *body, barcode, "^XZ"])


def pdf(order: Order, point: Point) -> bytes:
    """A valid single-page PDF (Helvetica, Latin-1 text; other characters become "?")."""

    def literal(text: str) -> str:
        safe = text.encode("latin-1", errors="replace").decode("latin-1")
        return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    lines = label_lines(order, point)
    shown = " T* ".join(f"({literal(line)}) Tj" for line in lines)
    stream = f"BT /F1 12 Tf 16 TL 24 {PAGE[1] - 40} Td {shown} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE[0]} {PAGE[1]}] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
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


def label_json(kind: str, order: Order, point: Point) -> dict[str, Any]:
    head: dict[str, Any] = {
        "type": kind,
        "order_id": order.order_id,
        "point_id": point.point_id,
        "delivery_id": point.delivery.delivery_id if point.delivery else None,
    }
    if kind == "pdf":
        return {**head, "content_base64": base64.b64encode(pdf(order, point)).decode()}
    return {**head, "content": zpl(order, point)}
