"""Entrego's refusals as FieldErrors located at GraphQL input paths.

The document shows one error body, a 500: {"link", "status", "message", "details"}.
For a 400 it says only that the body "will include an error providing further
information"; we assume that same problem shape plus field errors as a list under
``fieldErrors`` or ``errors`` of {"field"|"path", "message"|"defaultMessage"} (or a map
field -> message), with Entrego's request names (``recipient.province``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipgraph.carriers.entrego.mapping import CARRIER
from shipgraph.carriers.entrego.requests import OPTIONS_PATH, PATCH_SOURCES, Path
from shipgraph.domain import ErrorCode, FieldError

# Order field -> where it came from in ShipmentInput (below "shipment").
ORDER_PATHS: dict[str, Path] = {
    "shipperReference": ("reference",),
    "paymentMethod": ("cashOnDelivery",),
    "collectAmount": ("cashOnDelivery", "amount"),
    "collectCurrency": ("cashOnDelivery", "currency"),
    "deliveryType": ("serviceLevel",),
    "productName": ("description",),
    "packageValue": ("declaredValue", "amount"),
    "weightActual": ("parcels", "0", "weightKg"),
    "length": ("parcels", "0", "lengthCm"),
    "width": ("parcels", "0", "widthCm"),
    "height": ("parcels", "0", "heightCm"),
    "expectedDeliveryDate": ("deliverBy",),
    "scheduledPickupDate": ("pickupAt",),
    "deliveryInstructions": ("instructions",),
    "recipient": ("destination",),
    "pickup": ("origin",),
}
# recipient.* / pickup.* field -> AddressInput field.
PARTY_PATHS: dict[str, str] = {
    "fullname": "name",
    "address": "line1",
    "city": "city",
    "barangay": "village",
    "zipcode": "postalCode",
    "email": "email",
    "phone": "phone",
    "province": "province",
}
_PARTIES = {"recipient": "destination", "pickup": "origin"}
# Entrego fields that come from carrierOptions.ENTREGO as they are.
OPTION_FIELDS = frozenset(
    {
        "trackingNumber",
        "portCode",
        "pickupPortCode",
        "packageType",
        "packageSize",
        "serviceType",
        "pickupType",
        "sellerReference",
        "businessUnitCode",
        "additionalInfo",
        "weightVolumetric",
        "scheduledDeliveryDate",
        "isBranchDelivery",
        "deliveryBranchId",
        "isBranchDropOff",
    }
)
_CAMEL_PATCH = {"parcels": "parcels", "instructions": "instructions", "pickup_at": "pickupAt"}


def order_path(name: str) -> Path | None:
    """Where an order field (``recipient.zipcode``, ``packageSize``) came from."""
    parts = [p for p in name.replace("[", ".").replace("]", "").split(".") if p]
    if not parts:
        return None
    head, rest = parts[0], parts[1:]
    if head in _PARTIES and rest:
        if rest[0] in PARTY_PATHS:
            return ("shipment", _PARTIES[head], PARTY_PATHS[rest[0]])
        if rest[0] in OPTION_FIELDS:
            return (*OPTIONS_PATH, rest[0])
        return ("shipment", _PARTIES[head])
    if head in OPTION_FIELDS and not rest:
        return (*OPTIONS_PATH, head)
    if head in ORDER_PATHS:
        return ("shipment", *ORDER_PATHS[head])
    return None


def patch_path(name: str) -> Path | None:
    """Where a PATCH field (``patchPayload.height`` or ``height``) came from."""
    parts = [p for p in name.split(".") if p and p != "patchPayload"]
    if not parts:
        return None
    if parts[0] == "trackingNumber":
        return ("id",)
    source = PATCH_SOURCES.get(parts[0])
    return ("patch", _CAMEL_PATCH[source]) if source else None


def _field_list(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    raw = body.get("fieldErrors", body.get("errors"))
    found: list[tuple[str, str]] = []
    if isinstance(raw, dict):
        for key, value in raw.items():
            text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
            found.append((str(key), text))
    elif isinstance(raw, list):
        for entry in raw:
            if not isinstance(entry, dict):
                continue
            name = entry.get("field") or entry.get("path") or entry.get("name")
            text = entry.get("message") or entry.get("defaultMessage") or "invalid"
            if isinstance(name, str):
                found.append((name, str(text)))
    return found


def message_of(body: Mapping[str, Any], status: int) -> str:
    parts = [str(body[key]) for key in ("message", "details") if body.get(key)]
    return "Entrego: " + (": ".join(parts) if parts else f"HTTP {status}")


def field_errors(body: Mapping[str, Any], *, patch: bool) -> list[FieldError]:
    errors = []
    for name, text in _field_list(body):
        path = patch_path(name) if patch else order_path(name)
        errors.append(FieldError(ErrorCode.VALIDATION, f"Entrego: {name}: {text}", path, CARRIER))
    return errors
