"""Domain -> Entrego request bodies: the sales order (standard and marketplace), and
the conditional PATCH of Appendix B fields."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from shipgraph.carriers.entrego.mapping import CARRIER, CURRENCY, number, ph_date, province_name
from shipgraph.domain import (
    Address,
    ErrorCode,
    FieldError,
    Money,
    Parcel,
    ServiceLevel,
    Shipment,
    ShipmentPatch,
    ShipmentRequest,
)

Path = tuple[str, ...]
OPTIONS_PATH: Path = ("shipment", "carrierOptions", CARRIER.value)

PACKAGE_SIZES: dict[str, tuple[str, ...]] = {
    "POUCH": ("SMALL", "MEDIUM", "LARGE", "EXTRA_LARGE"),
    "ECOPOUCH": ("SMALL", "MEDIUM", "LARGE"),
    "BOX": ("SMALL", "MEDIUM", "LARGE"),
    "OWN_PACKAGING": (),
}
SERVICE_TYPES = ("FDY", "RTN", "RTM")
# The marketplace table has no serviceType row; its example sends "MP" (our default),
# and its pickupPortCode is "Required if serviceType is RTM": MP or RTM.
MARKETPLACE_SERVICE_TYPE = "MP"
MARKETPLACE_SERVICE_TYPES = (MARKETPLACE_SERVICE_TYPE, "RTM")
PICKUP_TYPES = ("DROP", "PICKUP")
DELIVERY_TYPES = {ServiceLevel.STANDARD: "STANDARD", ServiceLevel.EXPRESS: "EXPRESS"}
TEXT_OPTIONS = ("trackingNumber", "portCode", "pickupPortCode", "businessUnitCode")
# Standard orders only: the marketplace recipient and pickup tables lack them.
RECIPIENT_OPTIONS = ("isBranchDelivery", "deliveryBranchId")
PICKUP_OPTIONS = ("isBranchDropOff",)
OPTION_NAMES = (
    "packageType",
    "packageSize",
    "serviceType",
    "pickupType",
    "sellerReference",
    *TEXT_OPTIONS,
    "weightVolumetric",
    "scheduledDeliveryDate",
    "additionalInfo",
    *RECIPIENT_OPTIONS,
    *PICKUP_OPTIONS,
    "contactNumberMasked",
)
# Not an order field: the Waybill API's choice (entrego.txt, Step 2), kept per shipment.
WAYBILL_OPTIONS = ("contactNumberMasked",)

# Appendix B field -> the ShipmentPatch field it is made from.
PATCH_SOURCES: dict[str, str] = {
    "weightActual": "parcels",
    "weightVolumetric": "parcels",
    "length": "parcels",
    "width": "parcels",
    "height": "parcels",
    "deliveryInstructions": "instructions",
    "scheduledPickupDate": "pickup_at",
}
PATCHABLE = ("instructions", "parcels", "pickup_at")
_DIMENSIONS = (
    ("weightActual", "weight_kg"),
    ("weightVolumetric", "volumetric_weight_kg"),
    ("length", "length_cm"),
    ("width", "width_cm"),
    ("height", "height_cm"),
)


def _error(path: Path, message: str) -> FieldError:
    return FieldError(ErrorCode.VALIDATION, message, path, CARRIER)


@dataclass(frozen=True, slots=True)
class Options:
    """carrierOptions.ENTREGO, checked: what goes at the top of the order, into the
    recipient and into the pickup object."""

    top: dict[str, Any] = field(default_factory=dict)
    recipient: dict[str, Any] = field(default_factory=dict)
    pickup: dict[str, Any] = field(default_factory=dict)
    # Waybill Step 2's contactNumberMasked; masked unless the caller says false.
    waybill_masked: bool = True

    @property
    def marketplace(self) -> bool:
        return "sellerReference" in self.top


def _choice(choices: tuple[str, ...]) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def _text(value: object) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


MAX_TRACKING_NUMBER = 50
_TRACKING_NUMBER = re.compile(rf"[A-Za-z0-9][A-Za-z0-9-]{{0,{MAX_TRACKING_NUMBER - 1}}}")


def _tracking_number(value: object) -> str | None:
    """A chosen tracking number becomes the shipment's identity in Entrego's webhooks:
    letters, digits and dashes as the document's (0031-LOC201905232), so that no
    spacing, other digits or control character makes a second spelling of a number."""
    if isinstance(value, str) and _TRACKING_NUMBER.fullmatch(value):
        return None
    return f"must be up to {MAX_TRACKING_NUMBER} ASCII letters, digits and dashes"


def _boolean(value: object) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _positive(value: object) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    return None if ok else "must be a positive number"


def _integer(value: object) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool)
    return None if ok else "must be an integer"


def _date(value: object) -> str | None:
    try:
        date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return "must be a date, YYYY-MM-DD"
    return None if isinstance(value, str) else "must be a date, YYYY-MM-DD"


def _object(value: object) -> str | None:
    return None if isinstance(value, dict) else "must be an object"


_CHECKS: dict[str, Callable[[object], str | None]] = {
    "packageType": _choice(tuple(PACKAGE_SIZES)),
    "pickupType": _choice(PICKUP_TYPES),
    "sellerReference": _text,
    **{name: _text for name in TEXT_OPTIONS},
    "trackingNumber": _tracking_number,
    "weightVolumetric": _positive,
    "scheduledDeliveryDate": _date,
    "additionalInfo": _object,
    "isBranchDelivery": _boolean,
    "deliveryBranchId": _integer,
    "isBranchDropOff": _boolean,
    "contactNumberMasked": _boolean,
}


def parse_options(request: ShipmentRequest) -> tuple[Options, list[FieldError]]:
    raw = request.carrier_options.get(CARRIER.value)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return Options(), [_error(OPTIONS_PATH, "must be an object")]
    errors: list[FieldError] = []
    given: dict[str, Any] = {}
    for key, value in raw.items():
        path = (*OPTIONS_PATH, str(key))
        if key not in OPTION_NAMES:
            errors.append(_error(path, f"unknown option; Entrego takes {', '.join(OPTION_NAMES)}"))
            continue
        check = _CHECKS.get(key)
        problem = check(value) if check is not None and value is not None else None
        if problem is not None:
            errors.append(_error(path, problem))
        elif value is not None:
            given[key] = value
    marketplace = "sellerReference" in given
    errors += _check_volumetric(given, request)
    errors += _check_package(given, raw)
    errors += _check_service(given, marketplace)
    errors += _check_pickup_type(given, request)
    if marketplace:
        for key in (*RECIPIENT_OPTIONS, *PICKUP_OPTIONS):
            if key in given:
                message = "not available for marketplace orders (sellerReference)"
                errors.append(_error((*OPTIONS_PATH, key), message))
    party_or_waybill = (*RECIPIENT_OPTIONS, *PICKUP_OPTIONS, *WAYBILL_OPTIONS)
    top = {k: v for k, v in given.items() if k not in party_or_waybill}
    if marketplace:
        top.setdefault("serviceType", MARKETPLACE_SERVICE_TYPE)
    recipient = {k: given[k] for k in RECIPIENT_OPTIONS if k in given}
    pickup = {k: given[k] for k in PICKUP_OPTIONS if k in given}
    masked = given.get("contactNumberMasked", True)
    return Options(top, recipient, pickup, masked), errors


def _check_volumetric(given: dict[str, Any], request: ShipmentRequest) -> list[FieldError]:
    """The order has one weightVolumetric: the parcel's or the option, not both (the
    option would silently win over the parcel's)."""
    parcel = request.parcels[0] if request.parcels else None
    if "weightVolumetric" in given and parcel and parcel.volumetric_weight_kg is not None:
        message = "given twice: also shipment.parcels[0].volumetricWeightKg; give one"
        return [_error((*OPTIONS_PATH, "weightVolumetric"), message)]
    return []


def _check_package(given: dict[str, Any], raw: Mapping[str, Any]) -> list[FieldError]:
    package_type = given.get("packageType")
    size_path = (*OPTIONS_PATH, "packageSize")
    if package_type is None:
        if "packageType" in raw and raw["packageType"] is not None:
            return []  # already reported as not one of the choices
        return [_error((*OPTIONS_PATH, "packageType"), "required by Entrego")]
    sizes = PACKAGE_SIZES[package_type]
    size = given.get("packageSize")
    if not sizes:
        # Own packaging: "Send as null" (entrego.txt, packageSize).
        if size is not None:
            return [_error(size_path, "must be null for OWN_PACKAGING")]
        given["packageSize"] = None
        return []
    if size is None:
        return [_error(size_path, f"required for {package_type}: {', '.join(sizes)}")]
    if size not in sizes:
        return [_error(size_path, f"for {package_type} must be one of {', '.join(sizes)}")]
    return []


def _check_service(given: dict[str, Any], marketplace: bool) -> list[FieldError]:
    path = (*OPTIONS_PATH, "serviceType")
    service = given.get("serviceType")
    if marketplace:
        if service not in (None, *MARKETPLACE_SERVICE_TYPES):
            choices = " or ".join(MARKETPLACE_SERVICE_TYPES)
            return [_error(path, f"must be {choices} for marketplace orders")]
    elif service is None:
        return [_error(path, f"required by Entrego: {', '.join(SERVICE_TYPES)}")]
    elif service not in SERVICE_TYPES:
        return [_error(path, f"must be one of {', '.join(SERVICE_TYPES)}")]
    return []


# The order's port code per party: portCode "Refer to Location API on how to generate".
PORT_OPTIONS = {"recipient": "portCode", "pickup": "pickupPortCode"}


def missing_ports(options: Options) -> list[str]:
    """The parties ("recipient", "pickup") whose port code the caller left to the
    Location API's barangay-cluster lookup."""
    return [party for party, name in PORT_OPTIONS.items() if name not in options.top]


def with_ports(options: Options, ports: Mapping[str, str]) -> Options:
    """The options with the looked-up port codes (by party) where the caller gave none."""
    top = dict(options.top)
    for party, code in ports.items():
        top.setdefault(PORT_OPTIONS[party], code)
    return replace(options, top=top)


def check_ports(options: Options) -> list[FieldError]:
    """pickupPortCode is "Required if serviceType is RTM" (both order tables)."""
    if options.top.get("serviceType") == "RTM" and "pickupPortCode" not in options.top:
        message = "required when serviceType is RTM (the Location API found none for the origin)"
        return [_error((*OPTIONS_PATH, "pickupPortCode"), message)]
    return []


def _check_pickup_type(given: dict[str, Any], request: ShipmentRequest) -> list[FieldError]:
    """A pickup time books a pickup: pickupType PICKUP (entrego.txt, pickupType: "The
    default value is DROP, other possible value is: PICKUP"), its date as
    scheduledPickupDate. A drop-off asked for with a pickup time is a contradiction."""
    if request.pickup_at is None:
        return []
    if given.get("pickupType") == "DROP":
        message = "DROP is a drop-off, but pickupAt asks for a pickup (PICKUP)"
        return [_error((*OPTIONS_PATH, "pickupType"), message)]
    if given.get("isBranchDropOff") is True:
        message = "a branch drop-off cannot be combined with pickupAt (a pickup)"
        return [_error((*OPTIONS_PATH, "isBranchDropOff"), message)]
    given["pickupType"] = "PICKUP"
    return []


# --- the order ---------------------------------------------------------------------


def check_request(request: ShipmentRequest) -> list[FieldError]:
    errors: list[FieldError] = []
    if len(request.parcels) > 1:
        errors.append(_error(("shipment", "parcels"), "Entrego takes one package per order"))
    errors += _check_money(request.cash_on_delivery, ("shipment", "cashOnDelivery"))
    errors += _check_money(request.declared_value, ("shipment", "declaredValue"))
    if request.service_level is not None and request.service_level not in DELIVERY_TYPES:
        message = "Entrego delivers STANDARD or EXPRESS"
        errors.append(_error(("shipment", "serviceLevel"), message))
    errors += _check_party(request.destination, ("shipment", "destination"))
    errors += _check_party(request.origin, ("shipment", "origin"))
    return errors


def _check_money(money: Money | None, path: Path) -> list[FieldError]:
    if money is None:
        return []
    if money.currency != CURRENCY:
        return [_error((*path, "currency"), f"Entrego works in {CURRENCY} only")]
    if money.amount < 0:
        return [_error((*path, "amount"), "must not be negative")]
    return []


_PARTY_REQUIRED = (
    ("name", "a full name"),
    ("line1", "an address"),
    ("city", "a city"),
    ("village", "a barangay"),
    ("postal_code", "a zip code"),
)
_CAMEL = {"postal_code": "postalCode"}


def _check_party(address: Address, path: Path) -> list[FieldError]:
    errors = []
    if address.country_code.upper() != "PH":
        errors.append(_error((*path, "countryCode"), "Entrego delivers in the Philippines (PH)"))
    for attr, what in _PARTY_REQUIRED:
        value = getattr(address, attr) or (address.company if attr == "name" else None)
        if not value or not str(value).strip():
            errors.append(_error((*path, _CAMEL.get(attr, attr)), f"Entrego needs {what}"))
    if address.province is None:
        errors.append(_error((*path, "province"), "Entrego needs a province"))
    elif province_name(address.province) is None:
        message = f"{address.province!r} is not a province Entrego serves (Appendix D)"
        errors.append(_error((*path, "province"), message))
    return errors


def entrego_phone(e164: str) -> str:
    """Order Creation: a Philippine number as the request examples write it, trunk 0 first
    ("09123456789"); another country's in E.164, the form the answers echo ("+639...")."""
    national = e164.removeprefix("+63")
    return e164 if national == e164 else "0" + national


def _party(address: Address, extra: Mapping[str, Any]) -> dict[str, Any]:
    line = ", ".join(part for part in (address.line1, address.line2) if part)
    body: dict[str, Any] = {
        "fullname": address.name or address.company,
        "address": line,
        "city": address.city,
        "barangay": address.village,
        "zipcode": address.postal_code,
        "province": province_name(address.province),
    }
    if address.phone:
        body["phone"] = entrego_phone(address.phone)
    if address.email:
        body["email"] = address.email
    return {**body, **extra}


def order_body(request: ShipmentRequest, options: Options) -> dict[str, Any]:
    """The sales order; call only after check_request and parse_options found nothing."""
    cod = request.cash_on_delivery
    with_cod = cod is not None and cod.amount > 0
    body: dict[str, Any] = {
        "shipperReference": request.reference,
        "paymentMethod": "CASH_ON_DELIVERY" if with_cod else "NO_PAYMENT",
        "collectAmount": number(cod.amount) if cod is not None and with_cod else 0,
        "deliveryType": DELIVERY_TYPES[request.service_level or ServiceLevel.STANDARD],
    }
    parcel = request.parcels[0] if request.parcels else Parcel()
    product = request.description or parcel.description
    if product:
        body["productName"] = product
    if request.declared_value is not None:
        body["packageValue"] = number(request.declared_value.amount)
    for name, attr in _DIMENSIONS:
        value = getattr(parcel, attr)
        if value is not None:
            body[name] = number(value)
    if request.deliver_by is not None:
        body["expectedDeliveryDate"] = ph_date(request.deliver_by)
    if request.pickup_at is not None:
        body["scheduledPickupDate"] = ph_date(request.pickup_at)
    if request.instructions:
        body["deliveryInstructions"] = request.instructions
    body["recipient"] = _party(request.destination, options.recipient)
    body["pickup"] = _party(request.origin, options.pickup)
    body.update(options.top)
    return body


def sent_patchables(body: Mapping[str, Any]) -> dict[str, Any]:
    """The Appendix B values an order was booked with (the old values of a later patch)."""
    return {name: body[name] for name in PATCH_SOURCES if body.get(name) is not None}


# --- the patch ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuiltPatch:
    payload: dict[str, Any]
    errors: list[FieldError]


def _entry(old: object, new: object) -> dict[str, Any]:
    return {"oldValue": old, "newValue": new, "realPatch": True}


def patch_body(shipment: Shipment, patch: ShipmentPatch) -> BuiltPatch:
    """Appendix B entries for what the patch changes, each conditional on the value the
    gateway knows (``realPatch: true``): a change made elsewhere is never overwritten."""
    booked = shipment.carrier_data.get("sent")
    sent: Mapping[str, Any] = booked if isinstance(booked, dict) else {}
    payload: dict[str, Any] = {}
    errors: list[FieldError] = []

    def add(name: str, old: object, new: object) -> None:
        old = old if old is not None else sent.get(name)
        if new != old:
            payload[name] = _entry(old, new)

    if patch.parcels is not None:
        if len(patch.parcels) != 1:
            errors.append(_error(("patch", "parcels"), "Entrego takes one package per order"))
        else:
            before = shipment.parcels[0] if shipment.parcels else Parcel()
            for name, attr in _DIMENSIONS:
                new = getattr(patch.parcels[0], attr)
                if new is not None:
                    old = getattr(before, attr)
                    add(name, number(old) if old is not None else None, number(new))
    if patch.instructions is not None:
        add("deliveryInstructions", shipment.instructions, patch.instructions)
    if patch.pickup_at is not None:
        before_at = shipment.estimated_pickup_at
        add(
            "scheduledPickupDate",
            ph_date(before_at) if before_at else None,
            ph_date(patch.pickup_at),
        )
    return BuiltPatch(payload, errors)
