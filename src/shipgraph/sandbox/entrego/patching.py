"""PATCH /v1/sales-order: parse the patchPayload (Appendix B fields only) and apply it.

A field is applied unless its realPatch is true and its oldValue differs from the current
value. A payload naming a field outside Appendix B, or a newValue of the wrong type, is a
400 and nothing is applied (our reading: such a request is malformed, not partial).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from shipgraph.sandbox.entrego.model import Order
from shipgraph.sandbox.entrego.validation import JsonObject, Validator

# Appendix B: field -> data type.
UPDATABLE: dict[str, str] = {
    "weightActual": "number",
    "weightVolumetric": "number",
    "deliveryInstructions": "string",
    "length": "number",
    "width": "number",
    "height": "number",
    "scheduledPickupDate": "date",
}


@dataclass(frozen=True)
class FieldPatch:
    name: str
    old_value: Any
    new_value: Any
    real_patch: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "oldValue": self.old_value,
            "newValue": self.new_value,
            "realPatch": self.real_patch,
        }


def parse_patch(body: JsonObject) -> tuple[str, list[FieldPatch]]:
    v = Validator()
    tracking = v.string(body, "trackingNumber", "trackingNumber", required=True)
    payload = body.get("patchPayload")
    patches: list[FieldPatch] = []
    if not isinstance(payload, dict) or not payload:
        v.add("patchPayload", "must be a non-empty object")
        payload = {}
    for name, entry in payload.items():
        path = f"patchPayload.{name}"
        if name not in UPDATABLE:
            v.add(path, f"is not updatable (Appendix B: {', '.join(UPDATABLE)})")
            continue
        if not isinstance(entry, dict):
            v.add(path, "must be an object")
            continue
        real = entry.get("realPatch", False)
        if real is None:
            real = False
        if not isinstance(real, bool):
            v.add(f"{path}.realPatch", "must be a boolean")
            continue
        if real and "oldValue" not in entry:
            v.add(f"{path}.oldValue", "is required when realPatch is true")
        if "newValue" not in entry:
            v.add(f"{path}.newValue", "is required")
            continue
        message = _type_error(UPDATABLE[name], entry["newValue"])
        if message:
            v.add(f"{path}.newValue", message)
            continue
        patches.append(FieldPatch(name, entry.get("oldValue"), entry["newValue"], real))
    v.check()
    assert tracking is not None
    return tracking, patches


def _type_error(kind: str, value: Any) -> str | None:
    if kind == "number":
        ok = not isinstance(value, bool) and isinstance(value, int | float) and value >= 0
        return None if ok else "must be a number, 0 or more"
    if not isinstance(value, str):
        return "must be a string"
    if kind == "date":
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return "must be a date (yyyy-MM-dd)"
    return None


def _same(current: Any, old: Any) -> bool:
    if isinstance(current, bool) or isinstance(old, bool):
        return current is old
    return bool(current == old)


def apply_patch(order: Order, patches: list[FieldPatch]) -> dict[str, Any]:
    """Apply what may be applied; returns the fields not updated (request shape plus the
    value that stopped them as ``currentValue``)."""
    not_updated: dict[str, Any] = {}
    for patch in patches:
        current = order.fields.get(patch.name)
        if patch.real_patch and not _same(current, patch.old_value):
            not_updated[patch.name] = {**patch.to_json(), "currentValue": current}
            continue
        order.fields[patch.name] = patch.new_value
    return not_updated
