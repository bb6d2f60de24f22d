"""shipment.customs as Envoy's ``customs`` (Customs Detail Model) and ``tax_identifiers``
(Shipment Tax Identifier Model), the declaration's items from the parcels' items
(Customs Item Model). Envoy's enum values are our enum values in lower case (its
incoterm too: "Any incoterm passed should be lowercased")."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shipgraph.carriers.envoy.mapping import CARRIER
from shipgraph.carriers.envoy.money import to_minor
from shipgraph.domain import (
    Customs,
    CustomsIdentifier,
    ErrorCode,
    FieldError,
    ParcelItem,
    ShipmentRequest,
    TaxIdentifier,
)

ROOT = ("shipment",)


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "")}


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


def _grams(kg: Decimal) -> int:
    return max(int((kg * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP)), 1)


def item_body(item: ParcelItem, where: tuple[str, ...]) -> tuple[dict[str, Any], list[FieldError]]:
    """One Customs Item: ``value`` is the unit price in minor units, ``mass`` the line's
    grams ("The mass (weight) of the items"), ``product_identifier`` the sku."""
    problems: list[FieldError] = []
    if not float(item.quantity).is_integer():
        message = "Envoy declares whole quantities to customs: give an integer"
        problems.append(FieldError(ErrorCode.VALIDATION, message, (*where, "quantity"), CARRIER))
    if item.unit_price is None:
        message = "Envoy's customs declaration needs each item's unit price"
        problems.append(FieldError(ErrorCode.VALIDATION, message, (*where, "unitPrice"), CARRIER))
    quantity = int(item.quantity)
    price = item.unit_price
    mass = None
    if item.weight_kg is not None:
        mass = _grams(Decimal(str(item.weight_kg)) * quantity)
    body = _present(
        {
            "description": item.name,
            "quantity": quantity,
            "value": to_minor(price.amount, price.currency) if price else None,
            "currency_code": price.currency.upper() if price else None,
            "mass": mass,
            "product_identifier": item.sku,
            "hs_tariff_code": item.hs_tariff_code,
        }
    )
    return body, problems


def items_body(request: ShipmentRequest) -> tuple[list[dict[str, Any]], list[FieldError]]:
    """Every parcel's items, in order."""
    items: list[dict[str, Any]] = []
    problems: list[FieldError] = []
    for p, parcel in enumerate(request.parcels):
        for i, item in enumerate(parcel.items):
            where = (*ROOT, "parcels", str(p), "items", str(i))
            body, item_problems = item_body(item, where)
            items.append(body)
            problems += item_problems
    return items, problems


def identifier_body(identifier: CustomsIdentifier) -> dict[str, Any]:
    return _present(
        {
            "entity_type": identifier.entity_type.value.lower(),
            "identifier_type": identifier.identifier_type.value.lower(),
            "value": identifier.value,
            "issuing_country_code": identifier.issuing_country_code,
        }
    )


def tax_identifier_body(identifier: TaxIdentifier) -> dict[str, Any]:
    entity = identifier.taxable_entity_type
    return _present(
        {
            "taxable_entity_type": entity.value.lower() if entity else None,
            "identifier_type": identifier.identifier_type.value.lower(),
            "value": identifier.value,
            "issuing_country_code": identifier.issuing_country_code,
        }
    )


def detail_body(customs: Customs) -> dict[str, Any]:
    """The Customs Detail without its items; ``declarant.date`` is left to Envoy
    ("Defaults to the current date")."""
    body = _present(
        {
            "contents_type": _lower(customs.contents_type),
            "contents_description": customs.contents_description,
            "incoterm": _lower(customs.incoterm),
            "restriction_type": _lower(customs.restriction),
            "restriction_description": customs.restriction_description,
            "declaration_message": customs.declaration_message,
        }
    )
    declarant = _present({"name": customs.declarant_name, "certify": customs.certify})
    if declarant:
        body["declarant"] = declarant
    if customs.identifiers:
        body["identifiers"] = [identifier_body(i) for i in customs.identifiers]
    return body


def customs_parts(request: ShipmentRequest) -> tuple[dict[str, Any], list[FieldError]]:
    """The body's ``customs`` and ``tax_identifiers`` keys for shipment.customs (none
    without it), and what Envoy could not be sent."""
    customs = request.customs
    if customs is None:
        return {}, []
    parts: dict[str, Any] = {}
    detail = detail_body(customs)
    items, problems = items_body(request)
    if items:
        detail["items"] = items
    if detail:
        parts["customs"] = detail
    if customs.tax_identifiers:
        parts["tax_identifiers"] = [tax_identifier_body(t) for t in customs.tax_identifiers]
    return parts, problems


# Where an Envoy complaint about a customs field came from in shipment.customs (or,
# for an item, in its parcel item): Envoy's name -> ours.
_DETAIL_FIELDS = {
    "contents_type": "contentsType",
    "contents_description": "contentsDescription",
    "incoterm": "incoterm",
    "restriction_type": "restriction",
    "restriction_description": "restrictionDescription",
    "declaration_message": "declarationMessage",
}
_DECLARANT_FIELDS = {"name": "declarantName", "certify": "certify"}
_IDENTIFIER_FIELDS = {
    "entity_type": "entityType",
    "taxable_entity_type": "entityType",
    "identifier_type": "type",
    "value": "value",
    "issuing_country_code": "issuingCountryCode",
}
_ITEM_FIELDS = {
    "description": "name",
    "quantity": "quantity",
    "value": "unitPrice",
    "currency_code": "unitPrice",
    "mass": "weightKg",
    "product_identifier": "sku",
    "hs_tariff_code": "hsTariffCode",
}


def typed_source(request: ShipmentRequest, head: str) -> bool:
    """Whether the body's ``head`` (customs, tax_identifiers) was built from
    shipment.customs rather than passed from carrierOptions.ENVOY."""
    customs = request.customs
    if customs is None:
        return False
    return head == "customs" or (head == "tax_identifiers" and bool(customs.tax_identifiers))


def _item_path(request: ShipmentRequest, index: int) -> tuple[str, ...] | None:
    """The parcel item that became the declaration's item ``index`` (items_body order)."""
    seen = 0
    for p, parcel in enumerate(request.parcels):
        if index < seen + len(parcel.items):
            return (*ROOT, "parcels", str(p), "items", str(index - seen))
        seen += len(parcel.items)
    return None


def _entry_path(base: tuple[str, ...], rest: list[str], fields: dict[str, str]) -> tuple[str, ...]:
    if not rest or not rest[0].isdigit():
        return base
    here = (*base, rest[0])
    leaf = fields.get(rest[1]) if len(rest) > 1 else None
    return (*here, leaf) if leaf else here


def input_path(request: ShipmentRequest, head: str, rest: list[str]) -> tuple[str, ...]:
    """Our input's path for an Envoy complaint at ``head``.``rest`` (split parts), for a
    head typed_source says came from shipment.customs."""
    customs = (*ROOT, "customs")
    if head == "tax_identifiers":
        return _entry_path((*customs, "taxIdentifiers"), rest, _IDENTIFIER_FIELDS)
    if not rest:
        return customs
    if rest[0] in _DETAIL_FIELDS:
        return (*customs, _DETAIL_FIELDS[rest[0]])
    if rest[0] == "declarant":
        leaf = _DECLARANT_FIELDS.get(rest[1]) if len(rest) > 1 else None
        return (*customs, leaf) if leaf else customs
    if rest[0] == "identifiers":
        return _entry_path((*customs, "identifiers"), rest[1:], _IDENTIFIER_FIELDS)
    if rest[0] == "items" and len(rest) > 1 and rest[1].isdigit():
        item = _item_path(request, int(rest[1]))
        if item is None:
            return customs
        leaf = _ITEM_FIELDS.get(rest[2]) if len(rest) > 2 else None
        return (*item, leaf) if leaf else item
    return customs
