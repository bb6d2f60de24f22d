"""Envio <-> domain, per ../shared/carrier-docs/envio.md. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from shipgraph.carriers import parsing
from shipgraph.carriers.parsing import amount, identifier, parse_time, url
from shipgraph.carriers.status import StatusTable
from shipgraph.domain import (
    Address,
    CarrierCode,
    CodCollection,
    CodStatus,
    ErrorCode,
    FieldError,
    GeoPoint,
    Money,
    Parcel,
    ProofOfDelivery,
    ShipmentRequest,
    ShipmentStatus,
    TrackingLog,
)

CARRIER = CarrierCode.ENVIO
CURRENCY = "IDR"
COUNTRY = "ID"

TRACKING_STATUS = StatusTable(
    "envio tracking",
    {
        "new": ShipmentStatus.CREATED,
        "on_pickup": ShipmentStatus.PICKUP_SCHEDULED,
        "on_transit": ShipmentStatus.IN_TRANSIT,
        "Console": ShipmentStatus.AT_HUB,
        "on_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
        "delivered": ShipmentStatus.DELIVERED,
        "disputed": ShipmentStatus.DELIVERY_FAILED,
        # envio.md's tracking list stops at disputed: a cancelled or returned shipment is
        # read with the words of its "Cancelled" / "Returned" callback (the simulator's too).
        "cancelled": ShipmentStatus.CANCELLED,
        "returned": ShipmentStatus.RETURNED,
    },
)

WEBHOOK_STATUS = StatusTable(
    "envio webhook",
    {
        "manifested": ShipmentStatus.PICKUP_SCHEDULED,
        "picked_up": ShipmentStatus.PICKED_UP,
        "picked_up_failed": ShipmentStatus.PICKUP_FAILED,
        "delivered": ShipmentStatus.DELIVERED,
        "delivery_failed": ShipmentStatus.DELIVERY_FAILED,
        # A failed delivery sent again: back to the hubs ("disputed ... will back to envio
        # hubs"), delivered by the event's new eta_at; a tracking read says on_transit.
        "resend": ShipmentStatus.IN_TRANSIT,
        "cancelled": ShipmentStatus.CANCELLED,
        "returned": ShipmentStatus.RETURNED,
    },
)

# Where each field of an Envio address stands in our AddressInput.
_ADDRESS_FIELDS = {
    "name": "company",
    "contact_person": "name",
    "phone_number": "phone",
    "address": "line1",
    "province": "province",
    "regency": "city",
    "district": "district",
    "village": "village",
    "latitude": "latitude",
    "longitude": "longitude",
}
_ITEM_FIELDS = {
    "item_code": "sku",
    "item_name": "name",
    "quantity": "quantity",
    "weight": "weightKg",
    "unit_price": "unitPrice",
}
_ITEM_PARCEL_FIELDS = {"long": "lengthCm", "high": "heightCm", "wide": "widthCm"}
_TOP_FIELDS = {
    "ref_code": ("reference",),
    "cod_value": ("cashOnDelivery", "amount"),
    "eta_at": ("deliverBy",),
    "etd_at": ("pickupAt",),
}


@dataclass(frozen=True, slots=True)
class CreateBody:
    """The POST /distribution body, and for items[i] the (parcel, item) it came from
    (item None when the parcel had no items and was sent as one item)."""

    body: dict[str, Any]
    item_origins: tuple[tuple[int, int | None], ...]


def envio_time(value: datetime) -> str:
    """The document's format: ISO 8601 with offset, seconds precision."""
    return value.isoformat(timespec="seconds")


def rupiah(value: Decimal) -> int | float:
    """Rupiah as the document writes them: a JSON number, integral when it is."""
    return int(value) if value == value.to_integral_value() else float(value)


def envio_phone(e164: str) -> str:
    """Shipment Creating > Request: the country code and number, no plus ("628767438745")."""
    return e164.removeprefix("+")


def _address(address: Address, *, pickup_name: str | None) -> dict[str, Any]:
    line = ", ".join(part for part in (address.line1, address.line2) if part)
    postal = address.postal_code
    if postal and postal not in line:
        # No postal code field: the document's "address" example ends with it.
        line = f"{line} {postal}"
    body: dict[str, Any] = {
        "contact_person": address.name,
        "phone_number": envio_phone(address.phone) if address.phone else None,
        "address": line,
        "province": address.province,
        "regency": address.city,
        "district": address.district,
        "village": address.village,
    }
    if pickup_name is not None:
        body = {"name": pickup_name, **body}
    if address.coordinates is not None:
        body["latitude"] = address.coordinates.latitude
        body["longitude"] = address.coordinates.longitude
    return {key: value for key, value in body.items() if value is not None}


def _items(request: ShipmentRequest) -> tuple[list[dict[str, Any]], list[tuple[int, int | None]]]:
    items: list[dict[str, Any]] = []
    origins: list[tuple[int, int | None]] = []
    for p, parcel in enumerate(request.parcels):
        dims = _parcel_dims(parcel) if len(parcel.items) <= 1 else {}
        if not parcel.items:
            name = parcel.description or request.description or f"Parcel {p + 1}"
            item: dict[str, Any] = {"item_name": name, "quantity": 1, **dims}
            if parcel.weight_kg is not None:
                item["weight"] = parcel.weight_kg
            items.append(item)
            origins.append((p, None))
            continue
        for i, parcel_item in enumerate(parcel.items):
            item = {"item_name": parcel_item.name, "quantity": parcel_item.quantity, **dims}
            if parcel_item.sku is not None:
                item["item_code"] = parcel_item.sku
            weight = parcel_item.weight_kg
            if weight is None and len(parcel.items) == 1:
                weight = parcel.weight_kg
            if weight is not None:
                item["weight"] = weight
            if parcel_item.unit_price is not None:
                item["unit_price"] = rupiah(parcel_item.unit_price.amount)
            items.append(item)
            origins.append((p, i))
    return items, origins


def _parcel_dims(parcel: Parcel) -> dict[str, float]:
    # The document does not name units; we send centimetres (and kilograms above).
    dims = {"long": parcel.length_cm, "high": parcel.height_cm, "wide": parcel.width_cm}
    return {key: value for key, value in dims.items() if value is not None}


def validate_request(request: ShipmentRequest) -> list[FieldError]:
    """What Envio requires that our contract leaves optional, checked before calling."""
    required = {
        ("origin", "name"): request.origin.name,
        ("origin", "phone"): request.origin.phone,
        ("destination", "name"): request.destination.name,
        ("destination", "phone"): request.destination.phone,
        ("pickupAt",): request.pickup_at,
        ("deliverBy",): request.deliver_by,
    }
    errors = [
        FieldError(ErrorCode.VALIDATION, "Envio requires this field", ("shipment", *path), CARRIER)
        for path, value in required.items()
        if value is None or value == ""
    ]
    # Shipment Creating's addresses have no country: Envio reads each as Indonesian.
    for side, address in (("origin", request.origin), ("destination", request.destination)):
        if address.country_code.upper() != COUNTRY:
            message = f"Envio delivers in Indonesia ({COUNTRY}) only, got {address.country_code}"
            where = ("shipment", side, "countryCode")
            errors.append(FieldError(ErrorCode.VALIDATION, message, where, CARRIER))
    money: dict[tuple[str, ...], Money | None] = {
        ("cashOnDelivery", "currency"): request.cash_on_delivery,
        ("declaredValue", "currency"): request.declared_value,
    }
    for p, parcel in enumerate(request.parcels):
        for i, item in enumerate(parcel.items):
            # items[].unit_price is a bare number, read as rupiah like cod_value.
            money[("parcels", str(p), "items", str(i), "unitPrice", "currency")] = item.unit_price
    for path, value in money.items():
        if value is not None and value.currency != CURRENCY:
            message = f"Envio works in {CURRENCY} only, got {value.currency}"
            errors.append(FieldError(ErrorCode.VALIDATION, message, ("shipment", *path), CARRIER))
    if not request.parcels:
        message = "at least one parcel is required"
        errors.append(FieldError(ErrorCode.VALIDATION, message, ("shipment", "parcels"), CARRIER))
    return errors


def option_errors(options: Mapping[str, Any]) -> list[FieldError]:
    """carrierOptions.ENVIO's pickupName becomes pickup_address.name, a String."""
    name = options.get("pickupName")
    if name is None or (isinstance(name, str) and name.strip()):
        return []
    message = "pickupName must be a non-blank string (Envio's pickup address name)"
    path = ("shipment", "carrierOptions", CARRIER.value, "pickupName")
    return [FieldError(ErrorCode.VALIDATION, message, path, CARRIER)]


def create_body(request: ShipmentRequest, options: Mapping[str, Any]) -> CreateBody:
    """The POST /distribution body. ``options`` is carrierOptions.ENVIO:
    ``pickupName`` overrides the pickup address's name (default company, else name)."""
    pickup_name = options.get("pickupName") or request.origin.company or request.origin.name
    items, origins = _items(request)
    cod = request.cash_on_delivery.amount if request.cash_on_delivery else Decimal(0)
    body: dict[str, Any] = {
        "ref_code": request.reference,
        "cod_value": rupiah(cod),
        "pickup_address": _address(request.origin, pickup_name=str(pickup_name)),
        "recipient": _address(request.destination, pickup_name=None),
        "items": items,
    }
    if request.deliver_by is not None:
        body["eta_at"] = envio_time(request.deliver_by)
    if request.pickup_at is not None:
        body["etd_at"] = envio_time(request.pickup_at)
    return CreateBody(body=body, item_origins=tuple(origins))


def input_path(
    envio_path: str, item_origins: Sequence[tuple[int, int | None]] = ()
) -> tuple[str, ...] | None:
    """An Envio error path (``recipient.phone_number``, ``items.0.item_name``) as the
    path of the field in CreateShipmentInput, or None when it names nothing of ours."""
    parts = envio_path.split(".")
    head = parts[0]
    if head in _TOP_FIELDS and len(parts) == 1:
        return ("shipment", *_TOP_FIELDS[head])
    if head in ("pickup_address", "recipient") and len(parts) == 2 and parts[1] in _ADDRESS_FIELDS:
        side = "origin" if head == "pickup_address" else "destination"
        return ("shipment", side, _ADDRESS_FIELDS[parts[1]])
    if head == "items" and len(parts) == 3 and parts[1].isdigit():
        index = int(parts[1])
        if index >= len(item_origins):
            return None
        parcel, item = item_origins[index]
        parcel_path = ("shipment", "parcels", str(parcel))
        if parts[2] in _ITEM_PARCEL_FIELDS:
            return (*parcel_path, _ITEM_PARCEL_FIELDS[parts[2]])
        if item is None:
            return parcel_path
        if parts[2] in _ITEM_FIELDS:
            return (*parcel_path, "items", str(item), _ITEM_FIELDS[parts[2]])
    return None


def field_errors(
    errors: object, item_origins: Sequence[tuple[int, int | None]] = ()
) -> list[FieldError]:
    """The 422 ``errors`` object (``{"path": ["text", ...]}``) as UserErrors located
    in CreateShipmentInput."""
    if not isinstance(errors, dict):
        return []
    found: list[FieldError] = []
    for envio_path, messages in errors.items():
        texts = messages if isinstance(messages, list) else [messages]
        path = input_path(str(envio_path), item_origins)
        for text in texts:
            code = ErrorCode.VALIDATION
            if envio_path == "ref_code" and "taken" in str(text):
                code = ErrorCode.DUPLICATE
            message = f"{envio_path} {text}"
            found.append(FieldError(code, message, path, CARRIER))
    return found


def tracking_logs(
    data: Mapping[str, Any], known: Sequence[TrackingLog] = ()
) -> tuple[TrackingLog, ...]:
    """The ``logs`` of a tracking answer, newest first.

    Envio's log entries carry no status of their own (see the tracking example): the
    newest is the shipment's current status, the older ones are UNKNOWN with an empty
    carrier status rather than a guess from their Indonesian text. An entry already in
    ``known`` (the shipment's timeline: same time and message) comes back as it is
    there, so that one read as the newest with its status is not read again, once
    newer entries exist, as a second, UNKNOWN entry beside it.
    """
    current = identifier(data.get("status")) or ""
    entries = data.get("logs")
    logs: list[TrackingLog] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        occurred = parse_time(entry.get("recorded_at"))
        if occurred is None:
            continue
        logs.append(
            TrackingLog(
                status=ShipmentStatus.UNKNOWN,
                carrier_status="",
                occurred_at=occurred,
                message=parsing.text(entry.get("message")),
                location=geo_point(entry.get("latitude"), entry.get("longitude")),
            )
        )
    logs.sort(key=lambda log: log.occurred_at, reverse=True)
    if logs and current:
        logs[0] = replace(logs[0], status=TRACKING_STATUS[current], carrier_status=current)
    recorded = _recorded(known)
    return tuple(recorded.get((log.occurred_at, log.message), log) for log in logs)


def _recorded(known: Sequence[TrackingLog]) -> dict[tuple[datetime, str | None], TrackingLog]:
    """The known entries by time and message, one with a status before an UNKNOWN one."""
    recorded: dict[tuple[datetime, str | None], TrackingLog] = {}
    for log in known:
        key = (log.occurred_at, log.message)
        if key not in recorded or recorded[key].status == ShipmentStatus.UNKNOWN:
            recorded[key] = log
    return recorded


def geo_point(latitude: object, longitude: object) -> GeoPoint | None:
    """Envio writes 0, 0 for an unknown place (see the tracking example)."""
    if isinstance(latitude, str) or isinstance(longitude, str):
        return None  # numbers in the document
    point = parsing.geo_point(latitude, longitude)
    if point is None or (point.latitude == 0 and point.longitude == 0):
        return None
    return point


def cod_money(value: object) -> Money | None:
    parsed = amount(value)
    return Money(parsed, CURRENCY) if parsed is not None and parsed > 0 else None


COD_STATUS = {"": CodStatus.NOT_COLLECTED, "collected": CodStatus.COLLECTED}
"""envio.md's cod_status: '' (no cod or not collected by envio) or collected."""

MAX_PHOTOS = 20
"""Proof-of-delivery photos kept of one delivery (the document's example has two)."""


def cod_collection(status: object, value: object) -> CodCollection | None:
    """The cash on delivery as Envio accounts for it (cod_status with cod_value), or
    None when the answer says nothing of it: no cod_status, a word the document does
    not list, or '' with no amount (no cash on delivery at all)."""
    if not isinstance(status, str):
        return None
    word = status.strip().lower()
    known = COD_STATUS.get(word)
    collected = cod_money(value)
    if known is None or (known is CodStatus.NOT_COLLECTED and collected is None):
        return None
    return CodCollection(status=known, carrier_status=word, amount=collected)


def proof_of_delivery(
    images: object, received_by: str | None, at: datetime | None
) -> ProofOfDelivery | None:
    """The "Delivered" callback's images (http(s) URLs) and who received it."""
    listed = images[:MAX_PHOTOS] if isinstance(images, list) else []
    photos = tuple(found for found in (url(image) for image in listed) if found is not None)
    if not photos and received_by is None:
        return None
    return ProofOfDelivery(photo_urls=photos, recipient_name=received_by, recorded_at=at)
