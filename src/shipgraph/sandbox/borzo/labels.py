"""Box labels (GET labels): a ZPL text or a small one-page PDF per delivery point.

The document's example has one label per point without saying which; the pick-up point has
no box of its own, so the simulator labels the delivery points.
"""

from __future__ import annotations

import base64
import textwrap
from typing import Any

from shipgraph.sandbox.borzo.model import Order, Point
from shipgraph.sandbox.pdf import text_pdf

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
    return text_pdf([label_lines(order, point)])


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
