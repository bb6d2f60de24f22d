"""Listing positions and the opaque cursors that carry them, shared by every backend.

A shipment's position in its tenant's listing is the string
``"<created_at as 18 zero-padded microseconds since 0001-01-01 UTC>:<id>"``.
Comparing two positions as strings orders by created_at, then id, which is the
listing's order (read backwards: newest first). Redis keeps these strings as the
members of a sorted set (all scores 0, ranged by lex); the memory store keeps them
in a sorted list.

A cursor is the urlsafe base64 (unpadded) of the JSON ``[microseconds, id]``. A
caller can send anything as one: it is read with safe_json (no nesting, no long
numbers) and anything but ours is InvalidCursor, never an exception of another kind.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta

from shipgraph import safe_json
from shipgraph.store.base import InvalidCursor

_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_WIDTH = 18  # datetime.max is about 3.2e17 microseconds after _EPOCH
MAX_CURSOR = 256
"""Ours are about 100 characters (18 digits and a shipment id, in base64)."""


def micros(moment: datetime) -> int:
    """Microseconds since 0001-01-01 UTC (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, (moment - _EPOCH) // _MICROSECOND)


def time_prefix(us: int) -> str:
    """The part of a position before the id: every position at ``us`` starts with it."""
    return f"{us:0{_WIDTH}d}"


def position(us: int, shipment_id: str) -> str:
    return f"{time_prefix(us)}:{shipment_id}"


def encode_cursor(pos: str) -> str:
    us, _, shipment_id = pos.partition(":")
    # json.dumps([us, id], separators=(",", ":")), spelled out: one per listed row,
    # and json.dumps with arguments builds an encoder each call
    raw = f"[{int(us)},{json.dumps(shipment_id)}]".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> str:
    """The position a cursor stands for; InvalidCursor when it is not one of ours."""
    if len(cursor) > MAX_CURSOR:
        raise InvalidCursor(cursor[:MAX_CURSOR])
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = safe_json.loads(raw, max_depth=1)
    except (binascii.Error, ValueError) as exc:  # UnsafeJson is a ValueError
        raise InvalidCursor(cursor) from exc
    match value:
        case [int(us), str(shipment_id)] if not isinstance(us, bool) and 0 <= us < 10**_WIDTH:
            return position(us, shipment_id)
    raise InvalidCursor(cursor)
