"""Our ShipmentRequest as Envoy's Create Shipment body (envoy.txt, "Create Shipment").

Units: Envoy's package geometry is integer millimetres and grams, ours centimetres
and kilograms; values are rounded half up, a positive mass to at least 1 g.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shipgraph.carriers.envoy.customs import customs_parts, typed_source
from shipgraph.carriers.envoy.mapping import CARRIER, LABEL_FORMATS
from shipgraph.carriers.envoy.money import to_minor
from shipgraph.domain import Address, DocumentFormat, ErrorCode, FieldError, ShipmentRequest

ROOT = ("shipment",)
MAX_PACKAGES = 20  # "There is a limit of 20 packages per shipment."
# carrierOptions.ENVOY keys sent as they are (top level) or merged into options;
# "insurance" (a boolean) is ours: insure the declared value. Raw customs and
# tax_identifiers predate shipment.customs and still pass, but not beside it.
PASSTHROUGH = ("tax_identifiers", "customs", "carrier")
TYPED = "give customs as shipment.customs, not also in carrierOptions.ENVOY"
MERGED_OPTIONS = ("shipping", "label")
INSURANCE = "insurance"
# Shipment Model, addresses.location_configuration_id: "used to populate saved address
# data"; given in carrierOptions.ENVOY, sent inside addresses.
LOCATION = "location_configuration_id"
# Rates come in the merchant's currency: the one the caller named for Envoy, else the
# one its money is in, else the origin country's (a Jakarta shop expects IDR without
# saying so), else Envoy's USD default ("Defaults to USD if unspecified").
ORIGIN_CURRENCIES = {"ID": "IDR", "PH": "PHP"}


@dataclass(frozen=True, slots=True)
class Built:
    body: dict[str, Any]
    problems: list[FieldError] = field(default_factory=list)


def _scaled(value: float, factor: int) -> int:
    return int((Decimal(str(value)) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def millimetres(cm: float | None) -> int | None:
    return None if cm is None else _scaled(cm, 10)


def grams(kg: float) -> int:
    scaled = _scaled(kg, 1000)
    return max(scaled, 1) if kg > 0 else scaled


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "")}


def envoy_phone(e164: str) -> str:
    """Create Shipment: contact.phone_number in E.164 ("+447261812509"), the form the
    API keeps every phone in."""
    return e164


def address_body(address: Address) -> dict[str, Any]:
    line_3 = ", ".join(part for part in (address.village, address.district) if part)
    body: dict[str, Any] = {
        "address": _present(
            {
                "line_1": address.line1,
                "line_2": address.line2,
                "line_3": line_3,
                "city": address.city,
                "province": address.province,
                "post_code": address.postal_code,
                "country_code": address.country_code,
            }
        ),
    }
    contact = _present(
        {
            "name": address.name,
            "company": address.company,
            "email_address": address.email,
            "phone_number": envoy_phone(address.phone) if address.phone else None,
        }
    )
    if contact:
        body["contact"] = contact
    if address.coordinates is not None:
        point = address.coordinates
        body["coordinates"] = {"latitude": point.latitude, "longitude": point.longitude}
    return body


def _parcel_mass(request: ShipmentRequest, index: int) -> float | None:
    parcel = request.parcels[index]
    if parcel.weight_kg is not None:
        return parcel.weight_kg
    weights = [item.weight_kg * item.quantity for item in parcel.items if item.weight_kg]
    return sum(weights) if weights and len(weights) == len(parcel.items) else None


def packages_body(request: ShipmentRequest) -> tuple[list[dict[str, Any]], list[FieldError]]:
    problems: list[FieldError] = []
    parcels = (*ROOT, "parcels")
    if not request.parcels:
        problems.append(_problem(ErrorCode.VALIDATION, "give at least one parcel", parcels))
    if len(request.parcels) > MAX_PACKAGES:
        message = f"Envoy takes at most {MAX_PACKAGES} parcels per shipment"
        problems.append(_problem(ErrorCode.VALIDATION, message, parcels))
    packages = []
    for index, parcel in enumerate(request.parcels):
        mass = _parcel_mass(request, index)
        if mass is None:
            message = "Envoy needs each parcel's weight"
            where = (*parcels, str(index), "weightKg")
            problems.append(_problem(ErrorCode.VALIDATION, message, where))
        geometry = {
            "length": millimetres(parcel.length_cm),
            "width": millimetres(parcel.width_cm),
            "height": millimetres(parcel.height_cm),
            "mass": grams(mass) if mass is not None else None,
        }
        package: dict[str, Any] = {"geometry": _present(geometry)}
        if parcel.description:
            package["name"] = parcel.description
        packages.append(package)
    return packages, problems


def _problem(code: ErrorCode, message: str, where: tuple[str, ...]) -> FieldError:
    return FieldError(code, message, where, CARRIER)


def _envoy_options(request: ShipmentRequest) -> dict[str, Any]:
    mine = request.carrier_options.get(CARRIER.value)
    return mine if isinstance(mine, dict) else {}


def rate_currency(request: ShipmentRequest) -> str | None:
    """The 3-letter code rates are asked in (see ORIGIN_CURRENCIES); None: Envoy's USD."""
    shipping = _envoy_options(request).get("shipping")
    named = shipping.get("currency_code") if isinstance(shipping, dict) else None
    if isinstance(named, str) and named:
        return named.upper()
    for money in (request.declared_value, request.cash_on_delivery):
        if money is not None:
            return money.currency.upper()
    return ORIGIN_CURRENCIES.get(request.origin.country_code.upper())


def insured(request: ShipmentRequest) -> bool:
    """Whether the caller asked for insurance (carrierOptions.ENVOY.insurance: true)."""
    return _envoy_options(request).get(INSURANCE) is True


def _options(request: ShipmentRequest, label_format: DocumentFormat) -> dict[str, Any]:
    shipping: dict[str, Any] = {}
    if request.instructions:
        shipping["handling_instructions"] = request.instructions
    if request.pickup_at is not None:
        shipping["date"] = request.pickup_at.isoformat()
    currency = rate_currency(request)
    if currency is not None:
        shipping["currency_code"] = currency
    options: dict[str, Any] = {}
    value = request.declared_value
    if value is not None and insured(request):
        options["insurance"] = {
            "value": to_minor(value.amount, value.currency),
            "currency_code": value.currency.upper(),
        }
    if shipping:
        options["shipping"] = shipping
    if label_format in LABEL_FORMATS:
        options["label"] = {"format": LABEL_FORMATS[label_format]}
    return options


def _carrier_options(request: ShipmentRequest, body: dict[str, Any]) -> list[FieldError]:
    """carrierOptions.ENVOY: tax_identifiers, customs and carrier sent as given
    (customs and tax_identifiers refused beside shipment.customs),
    location_configuration_id into addresses;
    shipping and label merged into options (ours win where both set a key);
    insurance a boolean, true only with a declaredValue to insure."""
    mine = request.carrier_options.get(CARRIER.value)
    where = (*ROOT, "carrierOptions", CARRIER.value)
    if mine is None:
        return []
    if not isinstance(mine, dict):
        return [_problem(ErrorCode.VALIDATION, "Envoy options must be an object", where)]
    problems = []
    options = body.setdefault("options", {})
    for key, value in mine.items():
        if typed_source(request, key):
            problems.append(_problem(ErrorCode.VALIDATION, TYPED, (*where, key)))
        elif key == LOCATION:
            problems += _location_problems(value, (*where, key))
            body["addresses"][LOCATION] = value
        elif key == "carrier":
            problems += _carrier_problems(value, (*where, key))
            body[key] = value
        elif key in PASSTHROUGH:
            body[key] = value
        elif key == INSURANCE:
            problems += _insurance_problems(request, value, (*where, key))
        elif key in MERGED_OPTIONS and isinstance(value, dict):
            options[key] = {**value, **options.get(key, {})}
        else:
            message = f"unknown or malformed Envoy option {key!r}"
            problems.append(_problem(ErrorCode.VALIDATION, message, (*where, str(key))))
    if not options:
        del body["options"]
    return problems


def _location_problems(value: object, where: tuple[str, ...]) -> list[FieldError]:
    if isinstance(value, str) and value.strip():
        return []
    return [_problem(ErrorCode.VALIDATION, "give the location configuration id", where)]


def _carrier_problems(value: object, where: tuple[str, ...]) -> list[FieldError]:
    """The Shipment Carrier Model: an object whose service_code is "Only used if the
    carrier_code field is set" (alone it would be dropped without a word)."""
    if not isinstance(value, dict):
        return [_problem(ErrorCode.VALIDATION, "carrier must be an object", where)]
    if value.get("service_code") and not value.get("carrier_code"):
        message = "Envoy uses a service_code only with a carrier_code: give both"
        return [_problem(ErrorCode.VALIDATION, message, (*where, "service_code"))]
    return []


def _customs_value(request: ShipmentRequest, currency: str) -> Decimal | None:
    """What the declared customs items are worth in ``currency`` (unit price times
    quantity), or None without a declaration, or with items priced in another currency."""
    if request.customs is None:
        return None
    items = [item for parcel in request.parcels for item in parcel.items]
    prices = [item.unit_price for item in items]
    if not items or any(p is None or p.currency.upper() != currency for p in prices):
        return None
    return sum(
        (item.unit_price.amount * Decimal(str(item.quantity)) for item in items if item.unit_price),
        Decimal(0),
    )


def _insurance_problems(
    request: ShipmentRequest, value: object, where: tuple[str, ...]
) -> list[FieldError]:
    if not isinstance(value, bool):
        return [_problem(ErrorCode.VALIDATION, "insurance must be true or false", where)]
    declared = request.declared_value
    if value and declared is None:
        message = "insurance insures the declaredValue: give one"
        return [_problem(ErrorCode.VALIDATION, message, (*ROOT, "declaredValue"))]
    if not value or declared is None:
        return []
    # Options Model, insurance.value: "should not exceed the value of the items declared
    # in the customs section".
    worth = _customs_value(request, declared.currency.upper())
    if worth is not None and declared.amount > worth:
        message = (
            f"Envoy insures at most the customs items' value ({worth} "
            f"{declared.currency.upper()}): lower the declaredValue"
        )
        return [_problem(ErrorCode.VALIDATION, message, (*ROOT, "declaredValue", "amount"))]
    return []


def label_format_of(request: ShipmentRequest) -> DocumentFormat:
    """The label format asked in ``carrierOptions.ENVOY.label.format`` (pdf, png, zpl),
    PDF otherwise: Envoy renders the label once, at purchase, in this format."""
    options = request.carrier_options.get(CARRIER.value)
    label = options.get("label") if isinstance(options, dict) else None
    wanted = label.get("format") if isinstance(label, dict) else None
    for known, name in LABEL_FORMATS.items():
        if isinstance(wanted, str) and wanted.lower() == name:
            return known
    return DocumentFormat.PDF


def shipment_body(request: ShipmentRequest, label_format: DocumentFormat) -> Built:
    """The POST /shipments body; ``problems`` lists what Envoy could not be sent."""
    problems: list[FieldError] = []
    if label_format not in LABEL_FORMATS:
        message = f"Envoy labels are PDF, PNG or ZPL, not {label_format.value}"
        problems.append(_problem(ErrorCode.UNSUPPORTED, message, ("format",)))
    if request.cash_on_delivery is not None and request.cash_on_delivery.amount:
        message = "Envoy offers no cash on delivery"
        problems.append(_problem(ErrorCode.UNSUPPORTED, message, (*ROOT, "cashOnDelivery")))
    packages, package_problems = packages_body(request)
    origin = address_body(request.origin)
    body: dict[str, Any] = {
        "name": request.reference,
        "addresses": {
            "origin": origin,
            "destination": address_body(request.destination),
            "return": origin,  # "usually the same as the origin address"
        },
        "packages": packages,
    }
    customs, customs_problems = customs_parts(request)
    body.update(customs)
    options = _options(request, label_format)
    if options:
        body["options"] = options
    problems += package_problems + customs_problems + _carrier_options(request, body)
    return Built(body=body, problems=problems)
