"""Borzo's refusals ("Error codes" in borzo.txt) as CarrierError codes and UserErrors.

A refusal is HTTP 400 with ``errors`` (request error codes) and, for
``invalid_parameters``, ``parameter_errors``: a tree shaped like the request whose
leaves are lists of parameter error codes. Each leaf becomes one FieldError located
at the GraphQL input field the parameter was made from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipgraph.carriers.borzo.details import PACKAGE_TEXTS, TEXTS
from shipgraph.carriers.borzo.mapping import CARRIER
from shipgraph.carriers.borzo.requests import OPTIONS_PATH, ORDER_OPTIONS, Layout, Path
from shipgraph.domain import ErrorCode, FieldError

BorzoPath = tuple[str | int, ...]

# Request error code -> (our code, what it means). One line each, from the document.
REQUEST_ERRORS: dict[str, tuple[ErrorCode, str]] = {
    "unexpected_error": (ErrorCode.CARRIER_UNAVAILABLE, "unexpected error at Borzo"),
    "invalid_api_version": (ErrorCode.INTERNAL, "unknown API version (check the base URL)"),
    "required_api_upgrade": (ErrorCode.INTERNAL, "API version discontinued"),
    "requests_limit_exceeded": (ErrorCode.RATE_LIMITED, "API usage limit reached"),
    "required_auth_token": (ErrorCode.CARRIER_AUTH, "X-DV-Auth-Token header missing"),
    "invalid_auth_token": (ErrorCode.CARRIER_AUTH, "X-DV-Auth-Token is invalid"),
    "required_method_get": (ErrorCode.INTERNAL, "HTTP GET required"),
    "required_method_post": (ErrorCode.INTERNAL, "HTTP POST required"),
    "invalid_post_json": (ErrorCode.INTERNAL, "POST body is not JSON"),
    "invalid_parameters": (ErrorCode.VALIDATION, "request parameters contain errors"),
    "unapproved_contract": (ErrorCode.CARRIER_AUTH, "the account's agreement is not approved"),
    "service_unavailable": (ErrorCode.CARRIER_UNAVAILABLE, "service temporarily unavailable"),
    "invalid_api_method": (ErrorCode.INTERNAL, "unknown API method"),
    "buyout_not_allowed": (ErrorCode.UNSUPPORTED, "the account has no buyout feature"),
    "insufficient_balance_for_buyout": (ErrorCode.VALIDATION, "balance too low for buyout"),
    "order_cannot_be_edited": (ErrorCode.INVALID_STATE, "the order cannot be edited"),
    "order_cannot_be_canceled": (ErrorCode.INVALID_STATE, "the order cannot be canceled"),
    "insufficient_balance": (ErrorCode.VALIDATION, "the account's balance is too low"),
    "buyout_amount_limit_exceeded": (ErrorCode.VALIDATION, "total buyout amount too large"),
    "route_not_found": (ErrorCode.VALIDATION, "no route between the addresses"),
    "total_payment_amount_limit_exceeded": (ErrorCode.VALIDATION, "order price over maximum"),
    "order_is_duplicate": (ErrorCode.DUPLICATE, "duplicate order rejected"),
    "insufficient_funds": (ErrorCode.VALIDATION, "insufficient funds on the bank card"),
    "card_payment_failed": (ErrorCode.VALIDATION, "bank card payment failed"),
    "impossible_delivery_fee_calculation": (
        ErrorCode.CARRIER_UNAVAILABLE,
        "Borzo cannot calculate the delivery price",
    ),
    "tax_retension_limit": (ErrorCode.VALIDATION, "the order must be paid by balance"),
}
# Payment refusals point at the payment option of a booking.
PAYMENT_ERRORS = frozenset(
    {"insufficient_balance", "insufficient_funds", "card_payment_failed", "tax_retension_limit"}
)
UNKNOWN_ERROR = ErrorCode.VALIDATION  # a 400 with a code this version does not know

# When several codes come at once, the one the caller must act on first wins.
_PRECEDENCE = (
    ErrorCode.CARRIER_AUTH,
    ErrorCode.RATE_LIMITED,
    ErrorCode.CARRIER_UNAVAILABLE,
    ErrorCode.INTERNAL,
    ErrorCode.NOT_FOUND,
    ErrorCode.INVALID_STATE,
    ErrorCode.DUPLICATE,
    ErrorCode.UNSUPPORTED,
    ErrorCode.VALIDATION,
)

# Parameter error codes whose meaning is not "fix this value".
_PARAMETER_CODES = {
    "invalid_order": ErrorCode.NOT_FOUND,
    "not_editable": ErrorCode.INVALID_STATE,
}

_CONTACT = {"phone": "phone", "name": "name"}
_DETAIL_KEYS = {
    **{borzo: key for key, borzo in TEXTS.items()},
    "taking_amount": "takingAmount",
    "buyout_amount": "buyoutAmount",
    "packages": "packages",
}
_STOP_PACKAGE_FIELDS = {
    **{borzo: key for key, (borzo, _) in PACKAGE_TEXTS.items()},
    "items_count": "itemsCount",
    "item_payment_amount": "itemPaymentAmount",
}
_ITEM_FIELDS = {
    "ware_code": ("sku",),
    "description": ("name",),
    "items_count": ("quantity",),
    "item_payment_amount": ("unitPrice", "amount"),
}


def flatten(tree: object, path: BorzoPath = ()) -> list[tuple[BorzoPath, str]]:
    """The leaves of ``parameter_errors`` (or ``parameter_warnings``) as (path, code);
    a list holds either codes (a leaf) or one entry per element of a request list."""
    found: list[tuple[BorzoPath, str]] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += flatten(value, (*path, str(key)))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            if isinstance(value, str):
                found.append((path, value))
            elif value is not None:
                found += flatten(value, (*path, index))
    elif isinstance(tree, str):
        found.append((path, tree))
    return found


def path_text(path: BorzoPath) -> str:
    """``points[1].contact_person.phone``, as a Borzo user reads it."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def input_path(path: BorzoPath, layout: Layout) -> Path | None:
    """Where a Borzo parameter came from in our input, or None when it has no
    counterpart there."""
    root = layout.root
    if not path:
        return None
    head, rest = path[0], path[1:]
    booking = root == ("shipment",)
    if head == "matter" and not rest:
        return (*root, "description")
    if head == "total_weight_kg" and not rest:
        return (*root, "parcels")
    if head == "order_id" and not rest:
        return None if booking else ("id",)
    if booking and head == "insurance_amount" and not rest:
        return (*root, "declaredValue", "amount")
    if booking and head == "vehicle_type_id" and layout.vehicle_from_rate:
        return ("rateId",)
    if booking and head in layout.option_keys and head in ORDER_OPTIONS:
        return (*OPTIONS_PATH, str(head))
    if head == "points" and rest and isinstance(rest[0], int) and rest[0] < len(layout.points):
        return _point_path(rest[1:], layout, layout.points[rest[0]].role, rest[0])
    return None


def _point_path(path: BorzoPath, layout: Layout, role: str, index: int) -> Path | None:
    root = layout.root
    address = layout.points[index].address
    head = path[0] if path else None
    rest = path[1:]
    if head is None or head in ("address", "latitude", "longitude", "contact_person"):
        if address is None:
            return None
        if head is None:
            return address
        if head == "address":
            return (*address, "line1")
        if head == "contact_person":
            field = _CONTACT.get(str(rest[0])) if rest else "phone"
            return (*address, field) if field else None
        return (*address, str(head))
    if head in ("required_start_datetime", "required_finish_datetime"):
        return {"pickup": (*root, "pickupAt"), "destination": (*root, "deliverBy")}.get(role)
    details = _details_path(path, layout, role, index)
    if details is not None:
        return details
    if head == "note":
        if role == "destination":
            return (*root, "instructions")
        return (*address, "instructions") if address is not None and role == "stop" else None
    if role != "destination":
        return None
    if head == "client_order_id":
        return (*root, "reference")
    if head == "taking_amount":
        return (*root, "cashOnDelivery", "amount")
    if head == "is_cod_cash_voucher_required":
        return (*root, "cashOnDelivery")
    if head == "packages":
        return _package_path(rest, layout)
    return None


def _details_path(path: BorzoPath, layout: Layout, role: str, index: int) -> Path | None:
    """A point detail set through carrierOptions.BORZO (details.py's camelCase keys)."""
    slot = layout.points[index]
    head = str(path[0])
    name = _DETAIL_KEYS.get(head)
    if name is None or head not in slot.details:
        return None
    if role == "stop" and slot.address is not None:
        base = slot.address
    else:
        base = (*OPTIONS_PATH, "origin" if role == "pickup" else "destination")
    if head == "packages" and len(path) > 1:
        field = _STOP_PACKAGE_FIELDS.get(str(path[2])) if len(path) > 2 else None
        return (*base, name, str(path[1]), *((field,) if field else ()))
    return (*base, name)


def _package_path(path: BorzoPath, layout: Layout) -> Path | None:
    parcels = (*layout.root, "parcels")
    if not path:
        return parcels if layout.packages else None
    index = path[0]
    if not isinstance(index, int) or index >= len(layout.packages):
        return None
    parcel, item = layout.packages[index]
    here = (*parcels, str(parcel))
    field = path[1] if len(path) > 1 else None
    if item is None:
        return (*here, "description") if field == "description" else here
    item_path = (*here, "items", str(item))
    if field is None:
        return item_path
    mapped = _ITEM_FIELDS.get(str(field))
    return (*item_path, *mapped) if mapped else item_path


def parameter_errors(tree: object, layout: Layout) -> list[FieldError]:
    errors = []
    for path, code in flatten(tree):
        where = path_text(path)
        message = f"Borzo: {where}: {code}" if where else f"Borzo: {code}"
        kind = _PARAMETER_CODES.get(code, ErrorCode.VALIDATION)
        errors.append(FieldError(kind, message, input_path(path, layout), CARRIER))
    return errors


def warnings(tree: object, layout: Layout) -> list[str]:
    """``parameter_warnings`` as one text each, named by our input path where it has one."""
    found = []
    for path, code in flatten(tree):
        ours = input_path(path, layout)
        where = ".".join(ours) if ours is not None else path_text(path)
        found.append(f"{where}: {code}")
    return found


def rejection(
    answer: Mapping[str, Any], layout: Layout | None
) -> tuple[ErrorCode, str, list[FieldError]]:
    """A refusal's code, message and field errors."""
    raw = answer.get("errors")
    codes = [str(c) for c in raw] if isinstance(raw, list) else []
    field_errors = parameter_errors(answer.get("parameter_errors"), layout or Layout(root=()))
    kinds = [REQUEST_ERRORS.get(c, (UNKNOWN_ERROR, c))[0] for c in codes]
    kinds += [e.code for e in field_errors if e.code != ErrorCode.VALIDATION]
    code = next((k for k in _PRECEDENCE if k in kinds), UNKNOWN_ERROR)
    texts = [f"{c} ({REQUEST_ERRORS[c][1]})" if c in REQUEST_ERRORS else c for c in codes]
    message = "Borzo: " + ("; ".join(texts) or "request refused")
    if layout is not None and layout.root == ("shipment",):
        payment = [c for c in codes if c in PAYMENT_ERRORS]
        if payment and not field_errors:
            text = f"Borzo: {payment[0]} ({REQUEST_ERRORS[payment[0]][1]})"
            path = (*OPTIONS_PATH, "payment_method")
            field_errors = [FieldError(ErrorCode.VALIDATION, text, path, CARRIER)]
    return code, message, field_errors
