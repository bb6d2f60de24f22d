"""Checks of the sales-order requests against the document's parameter tables.

Choices where the document is loose: an optional field sent empty ("") counts as omitted
(the document: "If an optional parameter is omitted or left empty, default values will
apply"); OWN_PACKAGING "should provide dim weights", read as width, height and length
being required; collectAmount must be 0 for NO_PAYMENT and above 0 for CASH_ON_DELIVERY;
provinces must be Appendix D names (any case).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from shipgraph.sandbox.entrego.errors import ValidationFailed, bad_request
from shipgraph.sandbox.entrego.locations import province_by_name

JsonObject = dict[str, Any]
Number = int | float

PAYMENT_METHODS = ("NO_PAYMENT", "CASH_ON_DELIVERY")
DELIVERY_TYPES = ("STANDARD", "EXPRESS")
PICKUP_TYPES = ("DROP", "PICKUP")
SERVICE_TYPES = ("FDY", "RTN", "RTM")
# The marketplace table has no serviceType row: its example sends MP, and its
# pickupPortCode is "Required if serviceType is RTM". FDY and RTN are standard-only.
MARKETPLACE_SERVICE_TYPES = ("MP", "RTM")
PACKAGE_SIZES: dict[str, tuple[str, ...]] = {
    "POUCH": ("SMALL", "MEDIUM", "LARGE", "EXTRA_LARGE"),
    "ECOPOUCH": ("SMALL", "MEDIUM", "LARGE"),
    "BOX": ("SMALL", "MEDIUM", "LARGE"),
    "OWN_PACKAGING": (),
}
PARTY_FIELDS = ("fullname", "address", "city", "barangay", "zipcode", "phone", "email", "province")
NUMBER_FIELDS = (
    "packageValue",
    "weightActual",
    "weightVolumetric",
    "width",
    "height",
    "length",
)
DATE_FIELDS = ("scheduledDeliveryDate", "expectedDeliveryDate", "scheduledPickupDate")


def parse_object(raw: bytes) -> JsonObject:
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise bad_request("Request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return body


def normalise_phone(phone: str) -> str:
    """Philippine numbers in E.164, as the document's answers show (09123456789 ->
    +639123456789); anything else is kept as sent."""
    digits = re.sub(r"[\s()-]", "", phone)
    if re.fullmatch(r"09\d{9}", digits):
        return "+63" + digits[1:]
    if re.fullmatch(r"9\d{9}", digits):
        return "+63" + digits
    if re.fullmatch(r"639\d{9}", digits):
        return "+" + digits
    return digits if re.fullmatch(r"\+\d{8,15}", digits) else phone


class Validator:
    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append({"field": field, "message": message})

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    def _present(self, body: JsonObject, name: str) -> bool:
        return body.get(name) not in (None, "")

    def string(self, body: JsonObject, name: str, path: str, *, required: bool) -> str | None:
        value = body.get(name)
        if value in (None, ""):
            if required:
                self.add(path, "must not be empty")
            return None
        if not isinstance(value, str):
            self.add(path, "must be a string")
            return None
        return value

    def choice(
        self, body: JsonObject, name: str, choices: tuple[str, ...], *, default: str | None
    ) -> str | None:
        value = self.string(body, name, name, required=default is None)
        if value is None:
            return default
        if value not in choices:
            self.add(name, f"must be one of {', '.join(choices)}")
        return value

    def number(self, body: JsonObject, name: str, path: str | None = None) -> Number | None:
        value = body.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            self.add(path or name, "must be a number, 0 or more")
            return None
        return value

    def date(self, body: JsonObject, name: str) -> str | None:
        value = self.string(body, name, name, required=False)
        if value is not None:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                self.add(name, "must be a date (yyyy-MM-dd)")
        return value

    def party(self, body: JsonObject, name: str, extra: dict[str, str]) -> JsonObject | None:
        """The recipient or pickup object; ``extra`` maps optional field -> kind."""
        value = body.get(name)
        if value is None:
            self.add(name, "must not be null")
            return None
        if not isinstance(value, dict):
            self.add(name, "must be an object")
            return None
        party: JsonObject = {}
        for field in PARTY_FIELDS:
            path = f"{name}.{field}"
            party[field] = self.string(value, field, path, required=field not in ("phone", "email"))
        if party["phone"] is not None:
            party["phone"] = normalise_phone(party["phone"])
        province = party["province"]
        if province is not None:
            known = province_by_name(province)
            if known is None:
                self.add(f"{name}.province", "is not a supported province (see Appendix D)")
        for field, kind in extra.items():
            if field not in value:
                continue
            raw = value[field]
            if kind == "flag" and raw not in (True, False, 0, 1, None):
                self.add(f"{name}.{field}", "must be a boolean (1 or 0)")
            elif kind == "number" and raw is not None:
                self.number(value, field, f"{name}.{field}")
            party[field] = raw
        return party


def parse_order(body: JsonObject, *, marketplace: bool) -> tuple[JsonObject, Validator]:
    """The order's fields in the document's answer order (without orderNumber, fsmState,
    pickup for a marketplace order, which the caller settles); the validator still holds
    the errors so the caller can add its own before ``check()``."""
    v = Validator()
    order: JsonObject = {
        "shipperReference": v.string(body, "shipperReference", "shipperReference", required=True),
        "trackingNumber": v.string(body, "trackingNumber", "trackingNumber", required=False),
    }
    payment = v.choice(body, "paymentMethod", PAYMENT_METHODS, default="NO_PAYMENT")
    collect = v.number(body, "collectAmount")
    if payment == "CASH_ON_DELIVERY" and not collect:
        v.add("collectAmount", "is required (above 0) when paymentMethod is CASH_ON_DELIVERY")
    if payment == "NO_PAYMENT" and collect:
        v.add("collectAmount", "must be 0 when paymentMethod is NO_PAYMENT")
    order.update(
        paymentMethod=payment,
        collectAmount=collect if collect is not None else 0,
        collectCurrency="PHP",
        deliveryType=v.choice(body, "deliveryType", DELIVERY_TYPES, default="STANDARD"),
        portCode=v.string(body, "portCode", "portCode", required=False),
        pickupPortCode=v.string(body, "pickupPortCode", "pickupPortCode", required=False),
        productName=v.string(body, "productName", "productName", required=False),
    )
    package_type = v.choice(body, "packageType", tuple(PACKAGE_SIZES), default=None)
    size = _package_size(v, body, package_type)
    numbers = {name: v.number(body, name) for name in NUMBER_FIELDS}
    if package_type == "OWN_PACKAGING":
        for name in ("width", "height", "length"):
            if numbers[name] is None:
                v.add(name, "is required for OWN_PACKAGING")
    order.update(packageType=package_type, packageSize=size)
    order["packageValue"] = numbers.pop("packageValue") or 0
    order["packageValueCurrency"] = "PHP"
    order.update(numbers)
    order.update({name: v.date(body, name) for name in DATE_FIELDS})
    order.update(
        orderNumber=None,
        deliveryInstructions=v.string(
            body, "deliveryInstructions", "deliveryInstructions", required=False
        ),
        customerData=None,
        fsmState="NEW",
        recipient=v.party(
            body, "recipient", {"isBranchDelivery": "flag", "deliveryBranchId": "number"}
        ),
        pickup=None,
    )
    if marketplace:
        service = v.choice(body, "serviceType", MARKETPLACE_SERVICE_TYPES, default="MP")
    else:
        order["pickup"] = v.party(body, "pickup", {"isBranchDropOff": "flag"})
        service = v.choice(body, "serviceType", SERVICE_TYPES, default=None)
    if service == "RTM" and order["pickupPortCode"] is None:
        v.add("pickupPortCode", "is required when serviceType is RTM")
    pickup_type = v.choice(body, "pickupType", PICKUP_TYPES, default="")
    order.update(
        serviceType=service,
        pickupType=pickup_type or None,
        sellerReference=(
            v.string(body, "sellerReference", "sellerReference", required=False)
            if marketplace
            else None
        ),
        additionalInfo=_additional_info(v, body),
        businessUnitCode=v.string(body, "businessUnitCode", "businessUnitCode", required=False),
    )
    return order, v


def _package_size(v: Validator, body: JsonObject, package_type: str | None) -> str | None:
    size = body.get("packageSize")
    if package_type not in PACKAGE_SIZES:
        return size if isinstance(size, str) else None
    allowed = PACKAGE_SIZES[package_type]
    if not allowed:
        if size not in (None, ""):
            v.add("packageSize", "must be null for OWN_PACKAGING")
        return None
    if size in (None, ""):
        v.add("packageSize", "must not be empty")
        return None
    if size not in allowed:
        v.add("packageSize", f"must be one of {', '.join(allowed)} for {package_type}")
    return size if isinstance(size, str) else None


def _additional_info(v: Validator, body: JsonObject) -> JsonObject | None:
    info = body.get("additionalInfo")
    if info is not None and not isinstance(info, dict):
        v.add("additionalInfo", "must be an object")
        return None
    return info
