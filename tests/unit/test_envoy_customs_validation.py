"""shipment.customs and items' hsTariffCode are checked before any carrier is called:
hostile values answer VALIDATION at their path in the input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shipgraph.domain import (
    Address,
    Customs,
    CustomsContentsType,
    CustomsEntityType,
    CustomsIdentifier,
    CustomsIdentifierType,
    CustomsRestriction,
    ErrorCode,
    Parcel,
    ParcelItem,
    ShipmentRequest,
    TaxIdentifier,
    TaxIdentifierType,
)
from shipgraph.resolvers.validation import validate_request
from shipgraph.schema.inputs import CustomsIdentifierInput, CustomsInput, TaxIdentifierInput

NOW = datetime(2030, 1, 1, tzinfo=UTC)
CUSTOMS = ("shipment", "customs")
LICENSE = CustomsIdentifier(CustomsEntityType.IMPORT, CustomsIdentifierType.LICENSE, "L-1", "US")
VAT = TaxIdentifier(TaxIdentifierType.VAT, "478321451", issuing_country_code="GB")


def request(customs: Customs | None = None, **changes: Any) -> ShipmentRequest:
    fields: dict[str, Any] = {
        "reference": "SO-1",
        "origin": Address(line1="417 Montgomery Street", country_code="US"),
        "destination": Address(line1="29 Holgate Rd", country_code="GB"),
        "parcels": (Parcel(weight_kg=1.2),),
        "pickup_at": NOW + timedelta(days=1),
        "customs": customs,
    }
    fields.update(changes)
    return ShipmentRequest(**fields)


def problems(customs: Customs | None = None, **changes: Any) -> set[tuple[str, ...] | None]:
    found = validate_request(request(customs, **changes), NOW)
    assert all(error.code == ErrorCode.VALIDATION for error in found)
    return {error.field for error in found}


def test_a_full_declaration_is_valid() -> None:
    customs = Customs(
        contents_type=CustomsContentsType.OTHER,
        contents_description="spare parts",
        declarant_name="Francesca Brady",
        certify=True,
        restriction=CustomsRestriction.QUARANTINE,
        restriction_description="live plants",
        declaration_message="Handle with care",
        identifiers=(LICENSE,),
        tax_identifiers=(VAT,),
    )
    assert problems(customs) == set()


@pytest.mark.parametrize(
    ("customs", "where"),
    [
        (Customs(contents_type=CustomsContentsType.OTHER), "contentsDescription"),
        (
            Customs(contents_type=CustomsContentsType.OTHER, contents_description="  \t"),
            "contentsDescription",
        ),
        (Customs(restriction=CustomsRestriction.OTHER), "restrictionDescription"),
        (
            Customs(
                restriction=CustomsRestriction.SANITARY_PHYTOSANITARY_INSPECTION,
                restriction_description="",
            ),
            "restrictionDescription",
        ),
        (Customs(contents_description="a" * 256), "contentsDescription"),
        (Customs(contents_description="cake\x00"), "contentsDescription"),
        (Customs(declarant_name="n" * 10_000), "declarantName"),
        (Customs(declarant_name="Jenny\x1b[2J"), "declarantName"),
        (Customs(declaration_message="m" * 1_001), "declarationMessage"),
        (Customs(restriction_description="\x7f"), "restrictionDescription"),
    ],
)
def test_declaration_text_and_combinations(customs: Customs, where: str) -> None:
    assert problems(customs) == {(*CUSTOMS, where)}


def test_no_restriction_needs_no_description() -> None:
    assert problems(Customs(restriction=CustomsRestriction.NONE)) == set()


@pytest.mark.parametrize(
    ("change", "leaf"),
    [
        ({"value": ""}, "value"),
        ({"value": "   "}, "value"),
        ({"value": "v" * 101}, "value"),
        ({"value": "L-1\x00"}, "value"),
        ({"issuing_country_code": "XX"}, "issuingCountryCode"),
        ({"issuing_country_code": "USA"}, "issuingCountryCode"),
        ({"issuing_country_code": ""}, "issuingCountryCode"),
        ({"issuing_country_code": "string"}, "issuingCountryCode"),
    ],
)
def test_hostile_identifiers(change: dict[str, Any], leaf: str) -> None:
    identifier = replace(LICENSE, **change)
    tax = replace(VAT, **change)
    customs = Customs(identifiers=(LICENSE, identifier), tax_identifiers=(tax,))
    assert problems(customs) == {
        (*CUSTOMS, "identifiers", "1", leaf),
        (*CUSTOMS, "taxIdentifiers", "0", leaf),
    }


def test_at_most_twenty_identifiers_of_each_kind() -> None:
    customs = Customs(identifiers=(LICENSE,) * 21, tax_identifiers=(VAT,) * 21)
    assert problems(customs) == {(*CUSTOMS, "identifiers"), (*CUSTOMS, "taxIdentifiers")}
    assert problems(Customs(identifiers=(LICENSE,) * 20)) == set()


@pytest.mark.parametrize("code", ["1901200000", "1901.20.0000", "190120", "1901 20 00 00"])
def test_hs_codes_with_dots_and_spaces(code: str) -> None:
    item = ParcelItem("cake", 1, hs_tariff_code=code)
    assert problems(parcels=(Parcel(weight_kg=1, items=(item,)),)) == set()


@pytest.mark.parametrize(
    "code",
    [
        "12345",
        "123456789012345",
        "abc123456",
        "1901200000\n",
        "\uff11\uff19\uff10\uff11\uff12\uff10" * 2,
        "",
        "." * 40,
    ],
)
def test_hostile_hs_codes(code: str) -> None:
    item = ParcelItem("cake", 1, hs_tariff_code=code)
    found = problems(parcels=(Parcel(weight_kg=1, items=(ParcelItem("ok", 1), item)),))
    assert found == {("shipment", "parcels", "0", "items", "1", "hsTariffCode")}


def test_the_input_reads_country_codes_in_any_case() -> None:
    typed = CustomsInput(
        identifiers=[
            CustomsIdentifierInput(
                entity_type=CustomsEntityType.EXPORT,
                type=CustomsIdentifierType.EEI,
                value="AES X20230101123456",
                issuing_country_code="us",
            )
        ],
        tax_identifiers=[
            TaxIdentifierInput(
                type=TaxIdentifierType.EORI, value="GB123", issuing_country_code="gb"
            )
        ],
    ).to_domain()
    assert typed.identifiers[0].issuing_country_code == "US"
    assert typed.tax_identifiers[0].issuing_country_code == "GB"
    assert problems(typed) == set()
