"""Envoy's refusals as CarrierErrors.

The document shows no error body for a refused request. We assume the shape of
the shipment's own ``errors`` entries ({type, code, source, message}) plus a field
location under ``field``, ``path``, ``pointer``, ``param`` or ``property``, and also
accept ``{"errors": {"<path>": ["message", ...]}}``, ``{"error": {...}}``,
``{"error": "text"}`` and ``{"message": "text"}``. Envoy paths are dotted,
bracketed or JSON pointers: ``addresses.origin.address.post_code``,
``packages[0].geometry.mass``, ``/packages/0/geometry/mass``.
"""

from __future__ import annotations

import re
from typing import Any

from shipgraph.carriers.envoy import customs
from shipgraph.carriers.envoy.mapping import CARRIER
from shipgraph.domain import ErrorCode, FieldError, ShipmentRequest

Path = tuple[str, ...]
ROOT = ("shipment",)

STATUS_CODES = {
    400: ErrorCode.VALIDATION,
    401: ErrorCode.CARRIER_AUTH,
    403: ErrorCode.CARRIER_AUTH,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    422: ErrorCode.VALIDATION,
    429: ErrorCode.RATE_LIMITED,
}
_LOCATION_KEYS = ("field", "path", "pointer", "param", "property")

_ADDRESS = {
    "line_1": "line1",
    "line_2": "line2",
    "line_3": "district",  # we send village and district there
    "city": "city",
    "province": "province",
    "post_code": "postalCode",
    "country_code": "countryCode",
    "name": "name",
    "company": "company",
    "email_address": "email",
    "phone_number": "phone",
    "latitude": "latitude",
    "longitude": "longitude",
}
_GEOMETRY = {"length": "lengthCm", "width": "widthCm", "height": "heightCm", "mass": "weightKg"}
# currency_code has no one input field: it follows the declared value, the cash on
# delivery, carrierOptions or the origin country (requests.rate_currency).
_SHIPPING = {
    "handling_instructions": ("instructions",),
    "date": ("pickupAt",),
}
_ROLES = {"origin": "origin", "return": "origin", "destination": "destination"}


def split(raw: str) -> list[str]:
    """``packages[0].geometry.mass`` or ``/packages/0/geometry/mass`` -> parts."""
    return [part for part in re.split(r"[./\[\]]+", raw) if part]


def input_path(raw: str, request: ShipmentRequest | None = None) -> Path | None:
    """Where an Envoy request field came from in our input (the ``request`` the body
    was built from, when known), or None."""
    parts = split(raw)
    if not parts:
        return None
    head, rest = parts[0], parts[1:]
    if request is not None and customs.typed_source(request, head):
        return customs.input_path(request, head, rest)
    if head == "name" and not rest:
        return (*ROOT, "reference")
    if head == "addresses" and rest and rest[0] == "location_configuration_id":
        return (*ROOT, "carrierOptions", CARRIER.value, rest[0])
    if head == "addresses" and rest and rest[0] in _ROLES:
        role = (*ROOT, _ROLES[rest[0]])
        leaf = next((p for p in reversed(rest[1:]) if p in _ADDRESS), None)
        return (*role, _ADDRESS[leaf]) if leaf else role
    if head == "packages":
        if not rest or not rest[0].isdigit():
            return (*ROOT, "parcels")
        here = (*ROOT, "parcels", rest[0])
        leaf = rest[-1]
        if leaf in _GEOMETRY:
            return (*here, _GEOMETRY[leaf])
        return (*here, "description") if leaf == "name" else here
    if head == "options" and rest:
        return _options_path(rest, request)
    if head in ("tax_identifiers", "customs", "carrier"):
        return (*ROOT, "carrierOptions", CARRIER.value, head)
    return None


def _options_path(rest: list[str], request: ShipmentRequest | None) -> Path | None:
    """``options.<rest>``: insurance from the declared value, the label format and the
    instructions and pickup time from ours; any other shipping or label option only
    from carrierOptions.ENVOY (so the rate currency only when given there)."""
    group, leaf = rest[0], rest[1] if len(rest) > 1 else None
    if group == "insurance":
        return (*ROOT, "declaredValue", "currency" if leaf == "currency_code" else "amount")
    if group == "label" and leaf in (None, "format"):
        return ("format",)
    if group == "shipping" and leaf in _SHIPPING:
        return (*ROOT, *_SHIPPING[leaf])
    if group not in ("shipping", "label") or leaf is None:
        return None
    mine = request.carrier_options.get(CARRIER.value) if request is not None else None
    given = mine.get(group) if isinstance(mine, dict) else None
    if leaf == "currency_code" and not (isinstance(given, dict) and leaf in given):
        return None
    return (*ROOT, "carrierOptions", CARRIER.value, group, leaf)


def _entries(body: object) -> list[tuple[str | None, str]]:
    """(Envoy path or None, message) for each complaint in a refusal body."""
    if not isinstance(body, dict):
        return []
    errors = body.get("errors")
    if isinstance(errors, dict):
        found: list[tuple[str | None, str]] = []
        for where, texts in errors.items():
            texts = texts if isinstance(texts, list) else [texts]
            found += [(str(where), str(text)) for text in texts]
        return found
    if isinstance(errors, list):
        return [_entry(e) for e in errors if isinstance(e, dict | str)]
    error = body.get("error")
    if isinstance(error, dict):
        return [_entry(error)]
    text = error if isinstance(error, str) else body.get("message")
    return [(None, str(text))] if isinstance(text, str) and text else []


def _entry(entry: dict[str, Any] | str) -> tuple[str | None, str]:
    if isinstance(entry, str):
        return None, entry
    where = next((entry[k] for k in _LOCATION_KEYS if entry.get(k)), None)
    if isinstance(where, list):
        where = ".".join(str(part) for part in where)
    code = entry.get("code") or entry.get("type")
    text = str(entry.get("message") or entry.get("detail") or "").strip()
    message = " ".join(str(part) for part in (code and f"{code}:", text) if part) or "refused"
    return (str(where) if where is not None else None), message.rstrip(":")


def rejection(
    status: int, body: object, *, purchase: bool = False, request: ShipmentRequest | None = None
) -> tuple[ErrorCode, str, list[FieldError]]:
    """An HTTP refusal's code, message and field errors (4xx only; 5xx are the caller's);
    ``request``: the one the refused body was built from."""
    code = STATUS_CODES.get(status, ErrorCode.INTERNAL)
    if status == 409 and purchase:
        code = ErrorCode.INVALID_STATE  # already purchased, or not rated yet
    entries = _entries(body)
    texts = [f"{where}: {text}" if where else text for where, text in entries]
    message = f"Envoy answered {status}" + (": " + "; ".join(texts) if texts else "")
    field_errors: list[FieldError] = []
    if code == ErrorCode.VALIDATION:
        for where, text in entries:
            ours = input_path(where, request) if where else None
            shown = f"Envoy: {where}: {text}" if where else f"Envoy: {text}"
            field_errors.append(FieldError(code, shown, ours, CARRIER))
    return code, message, field_errors
