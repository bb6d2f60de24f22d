"""shipment.customs as Envoy's customs and tax_identifiers: the document's own examples
(envoy.txt, Customs Detail Model, Customs Item Model, Customs Identifier Model, Shipment
Tax Identifier Model, Create Shipment) built from typed input."""

from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from shipgraph.carriers.envoy import customs, errors, requests
from shipgraph.domain import (
    Customs,
    CustomsContentsType,
    CustomsEntityType,
    CustomsIdentifier,
    CustomsIdentifierType,
    CustomsRestriction,
    DocumentFormat,
    ErrorCode,
    Incoterm,
    Money,
    Parcel,
    ParcelItem,
    TaxableEntityType,
    TaxIdentifier,
    TaxIdentifierType,
)
from tests.unit.test_envoy_requests import DOC_BODY, TAX, doc_request, with_label

# envoy.txt, "Customs Detail Model", the example.
DOC_DETAIL: dict[str, Any] = {
    "contents_type": "merchandise",
    "contents_description": "automobile parts",
    "declarant": {"name": "string", "certify": True, "date": "string"},
    "incoterm": "DDP",
    "restriction_type": "other",
    "restriction_description": "string",
    "declaration_message": "string",
    "items": None,
    "identifiers": [
        {
            "entity_type": "import",
            "identifier_type": "license",
            "value": "string",
            "issuing_country_code": "string",
        }
    ],
}
# envoy.txt, "Customs Item Model", the example.
DOC_ITEM = {
    "description": "chocolate cake",
    "quantity": 1,
    "value": 0,
    "currency_code": "USD",
    "mass": 5000,
    "product_identifier": "SB-D80-DCCF",
    "hs_tariff_code": "1901200000",
}
# envoy.txt, "Shipment Tax Identifier Model", the example.
DOC_TAX = {
    "taxable_entity_type": "sender",
    "identifier_type": "ioss",
    "value": "IM0123456789",
    "issuing_country_code": "string",
}

DOC_CUSTOMS = Customs(
    contents_type=CustomsContentsType.MERCHANDISE,
    contents_description="automobile parts",
    incoterm=Incoterm.DDP,
    declarant_name="string",
    certify=True,
    restriction=CustomsRestriction.OTHER,
    restriction_description="string",
    declaration_message="string",
    identifiers=(
        CustomsIdentifier(
            CustomsEntityType.IMPORT, CustomsIdentifierType.LICENSE, "string", "string"
        ),
    ),
)
CAKE = ParcelItem(
    name="chocolate cake",
    quantity=1,
    sku="SB-D80-DCCF",
    unit_price=Money(Decimal("0"), "USD"),
    weight_kg=5.0,
    hs_tariff_code="1901200000",
)
VAT = TaxIdentifier(TaxIdentifierType.VAT, "478321451", TaxableEntityType.SENDER, "GB")
ITEM_PATH = ("shipment", "parcels", "0", "items")


def body_of(**changes: Any) -> requests.Built:
    return requests.shipment_body(doc_request(**changes), DocumentFormat.PDF)


def test_the_documents_customs_detail() -> None:
    expected = copy.deepcopy(DOC_DETAIL)
    expected["incoterm"] = "ddp"  # "Any incoterm passed should be lowercased."
    del expected["declarant"]["date"]  # "Defaults to the current date if not supplied."
    del expected["items"]  # no parcel has items
    assert customs.detail_body(DOC_CUSTOMS) == expected


def test_the_documents_customs_item() -> None:
    assert customs.item_body(CAKE, ITEM_PATH) == (DOC_ITEM, [])


def test_the_documents_tax_identifiers() -> None:
    ioss = TaxIdentifier(TaxIdentifierType.IOSS, "IM0123456789", TaxableEntityType.SENDER, "string")
    assert customs.tax_identifier_body(ioss) == DOC_TAX
    assert customs.tax_identifier_body(VAT) == TAX[0]


def test_the_create_shipment_example_from_typed_tax_identifiers() -> None:
    built = body_of(carrier_options={}, customs=Customs(tax_identifiers=(VAT,)))
    assert built.problems == []
    assert built.body == with_label(DOC_BODY)


def test_a_booking_with_customs_declares_every_parcels_items() -> None:
    socks = ParcelItem("socks", 3, unit_price=Money(Decimal("4.99"), "usd"), weight_kg=0.25)
    parcels = (
        Parcel(weight_kg=6, items=(CAKE,)),
        Parcel(weight_kg=1, items=(socks,)),
    )
    built = body_of(parcels=parcels, customs=DOC_CUSTOMS, carrier_options={})
    assert built.problems == []
    socks_line = {
        "description": "socks",
        "quantity": 3,
        "value": 499,
        "currency_code": "USD",
        "mass": 750,  # "The mass (weight) of the items": the line's, 3 x 250 g
    }
    assert built.body["customs"]["items"] == [DOC_ITEM, socks_line]
    assert built.body["customs"]["incoterm"] == "ddp"
    assert "tax_identifiers" not in built.body


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("12.345", "USD", 1235),
        ("15000", "IDR", 1500000),
    ],
)
def test_item_values_are_unit_prices_in_minor_units(amount: str, currency: str, minor: int) -> None:
    item = ParcelItem("thing", 2, unit_price=Money(Decimal(amount), currency))
    body, problems = customs.item_body(item, ITEM_PATH)
    assert problems == []
    assert (body["value"], body["currency_code"], body["quantity"]) == (minor, currency, 2)


def test_a_fractional_quantity_or_a_missing_price_is_refused_at_its_path() -> None:
    items = (CAKE, ParcelItem("rice", 1.5, unit_price=Money(Decimal(1), "USD")), ParcelItem("x", 2))
    built = body_of(parcels=(Parcel(weight_kg=9, items=items),), customs=Customs())
    found = {(p.code, p.field) for p in built.problems}
    assert found == {
        (ErrorCode.VALIDATION, (*ITEM_PATH, "1", "quantity")),
        (ErrorCode.VALIDATION, (*ITEM_PATH, "2", "unitPrice")),
    }


def test_without_customs_items_are_not_declared() -> None:
    rice = ParcelItem("rice", 1.5)
    built = body_of(parcels=(Parcel(weight_kg=2, items=(rice,)),))
    assert built.problems == []
    assert "customs" not in built.body


def test_raw_customs_beside_typed_customs_is_refused() -> None:
    raw = {"ENVOY": {"customs": DOC_DETAIL, "tax_identifiers": TAX}}
    built = body_of(carrier_options=raw, customs=Customs(tax_identifiers=(VAT,)))
    where = ("shipment", "carrierOptions", "ENVOY")
    assert {(p.code, p.field) for p in built.problems} == {
        (ErrorCode.VALIDATION, (*where, "customs")),
        (ErrorCode.VALIDATION, (*where, "tax_identifiers")),
    }
    assert all("shipment.customs" in p.message for p in built.problems)


def test_raw_tax_identifiers_pass_beside_a_declaration_without_any() -> None:
    built = body_of(customs=Customs(incoterm=Incoterm.DAP))
    assert built.problems == []
    assert built.body["tax_identifiers"] == TAX
    assert built.body["customs"] == {"incoterm": "dap"}


def test_raw_customs_alone_still_pass_as_given() -> None:
    built = body_of(carrier_options={"ENVOY": {"customs": DOC_DETAIL}})
    assert built.problems == []
    assert built.body["customs"] == DOC_DETAIL


def test_declarant_false_certification_is_sent() -> None:
    detail = customs.detail_body(Customs(certify=False))
    assert detail == {"declarant": {"certify": False}}


@pytest.mark.parametrize(
    ("envoy", "ours"),
    [
        ("customs.items[1].quantity", ("shipment", "parcels", "1", "items", "0", "quantity")),
        ("customs.items.0.value", ("shipment", "parcels", "0", "items", "0", "unitPrice")),
        ("/customs/items/1/mass", ("shipment", "parcels", "1", "items", "0", "weightKg")),
        ("customs.items.7", ("shipment", "customs")),
        ("customs.incoterm", ("shipment", "customs", "incoterm")),
        ("customs.restriction_type", ("shipment", "customs", "restriction")),
        ("customs.declarant.name", ("shipment", "customs", "declarantName")),
        (
            "customs.identifiers[0].identifier_type",
            ("shipment", "customs", "identifiers", "0", "type"),
        ),
        ("tax_identifiers.0.value", ("shipment", "customs", "taxIdentifiers", "0", "value")),
        ("customs", ("shipment", "customs")),
    ],
)
def test_envoys_complaints_about_typed_customs_point_at_the_input(
    envoy: str, ours: tuple[str, ...]
) -> None:
    socks = ParcelItem("socks", 3, unit_price=Money(Decimal("4.99"), "USD"))
    parcels = (Parcel(weight_kg=6, items=(CAKE,)), Parcel(weight_kg=1, items=(socks,)))
    declared = doc_request(
        parcels=parcels, carrier_options={}, customs=replace(DOC_CUSTOMS, tax_identifiers=(VAT,))
    )
    body = {"errors": [{"code": "invalid", "field": envoy, "message": "refused"}]}
    code, _, [problem] = errors.rejection(422, body, request=declared)
    assert code == ErrorCode.VALIDATION and problem.field == ours
    # Without shipment.customs, the same complaint is about the raw carrierOptions.
    head = "tax_identifiers" if envoy.startswith("tax") else "customs"
    raw = errors.rejection(422, body, request=doc_request())[2][0].field
    assert raw == ("shipment", "carrierOptions", "ENVOY", head)
