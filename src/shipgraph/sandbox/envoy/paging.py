"""GET /shipments paging: opaque cursors, ``limit`` and ``include_fields``.

Cursors look like the document's (base64 of a JSON array starting with a timestamp):
``["<created_at>", "<shipment id>", "next" | "prev"]``. The list runs oldest first; a
``next`` cursor asks for what follows its shipment, a ``prev`` one for what precedes it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from shipgraph.sandbox.envoy.carriers import stamp
from shipgraph.sandbox.envoy.errors import ValidationFailed, fail
from shipgraph.sandbox.envoy.model import INCLUDE_FIELDS, Shipment

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class Cursor:
    shipment_id: str
    forward: bool


def encode(shipment: Shipment, forward: bool) -> str:
    raw = [stamp(shipment.created_at), shipment.id, "next" if forward else "prev"]
    return base64.b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode()


def decode(text: str) -> Cursor:
    try:
        raw = json.loads(base64.b64decode(text.encode(), validate=True))
    except (ValueError, binascii.Error) as exc:
        raise fail(400, "invalid_cursor", "the cursor is not one this API issued") from exc
    if (
        not isinstance(raw, list)
        or len(raw) != 3
        or not all(isinstance(part, str) for part in raw)
        or raw[2] not in ("next", "prev")
    ):
        raise fail(400, "invalid_cursor", "the cursor is not one this API issued")
    return Cursor(raw[1], raw[2] == "next")


def parse_limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise ValidationFailed([("limit", f"must be an integer from 1 to {MAX_LIMIT}")])
    return int(text)


def parse_include(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset()
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in INCLUDE_FIELDS]
    if unknown:
        message = f"unknown {', '.join(unknown)}; possible: {', '.join(INCLUDE_FIELDS)}"
        raise ValidationFailed([("include_fields", message)])
    return frozenset(names)


@dataclass(frozen=True)
class Page:
    items: list[Shipment]
    next_cursor: str | None
    previous_cursor: str | None


def paginate(shipments: list[Shipment], cursor: Cursor | None, limit: int) -> Page:
    """``shipments`` in list order; raises 400 if the cursor's shipment is not among them."""
    start, end = 0, limit
    if cursor is not None:
        position = next((i for i, s in enumerate(shipments) if s.id == cursor.shipment_id), None)
        if position is None:
            raise fail(400, "invalid_cursor", "the cursor's position no longer exists")
        if cursor.forward:
            start, end = position + 1, position + 1 + limit
        else:
            start, end = max(position - limit, 0), position
    items = shipments[start:end]
    end = start + len(items)
    return Page(
        items=items,
        next_cursor=encode(items[-1], True) if items and end < len(shipments) else None,
        previous_cursor=encode(items[0], False) if items and start > 0 else None,
    )
