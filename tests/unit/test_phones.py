"""Phones are parsed once, with the address's country as the region of a national
number, into E.164; an unparseable phone is a VALIDATION error at its field, never an
exception. Fed the carrier documents' own example phones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shipgraph.carriers.borzo.requests import borzo_phone
from shipgraph.carriers.entrego.requests import entrego_phone
from shipgraph.carriers.envio.mapping import envio_phone
from shipgraph.carriers.envoy.requests import envoy_phone
from shipgraph.domain import Address, ErrorCode, Parcel, ShipmentRequest
from shipgraph.phones import MAX_PHONE, InvalidPhone, to_e164
from shipgraph.resolvers.validation import checked_request, validate_request, with_e164_phones

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def request(
    origin_phone: str | None, destination_phone: str | None, **changes: Any
) -> ShipmentRequest:
    country = changes.pop("country_code", "ID")
    return ShipmentRequest(
        reference="SO-1",
        origin=Address(line1="Jl. Raya Perancis 17", country_code=country, phone=origin_phone),
        destination=Address(
            line1="Jl. Pengadegan Utara 1", country_code=country, phone=destination_phone
        ),
        parcels=(Parcel(weight_kg=1.2),),
        pickup_at=NOW + timedelta(days=1),
        **changes,
    )


@pytest.mark.parametrize(
    ("typed", "country", "e164"),
    [
        # envio.md, Shipment Creating > Request: pickup and recipient phone_number.
        ("628767438745", "ID", "+628767438745"),
        ("6285156701828", "ID", "+6285156701828"),
        # borzo.txt, Parameter data types > phone.
        ("6288800000001", "ID", "+6288800000001"),
        # entrego.txt, Order Creation: the request's phones and the answer's.
        ("09123456789", "PH", "+639123456789"),
        ("09987654321", "PH", "+639987654321"),
        ("+639123456789", "PH", "+639123456789"),
        # envoy.txt, Create Shipment: British phones on US addresses.
        ("+447261812509", "US", "+447261812509"),
        ("+442046194615", "US", "+442046194615"),
        # As people type them.
        ("0812-3456-7890", "ID", "+6281234567890"),
        ("+62 (0)812 3456 7890", "ID", "+6281234567890"),
        ("0917 555 1234", "PH", "+639175551234"),
        (" (0917) 555.1234 ", "PH", "+639175551234"),
    ],
)
def test_document_and_typed_phones_become_e164(typed: str, country: str, e164: str) -> None:
    assert to_e164(typed, country) == e164
    checked, errors = checked_request(request(typed, typed, country_code=country), NOW)
    assert errors == []
    assert checked.origin.phone == checked.destination.phone == e164


def test_a_national_number_is_the_address_countrys() -> None:
    # 0812-3456-7890 is an Indonesian mobile, and no Philippine number at all.
    assert to_e164("0812-3456-7890", "ID") == "+6281234567890"
    with pytest.raises(InvalidPhone, match="not a valid phone number in PH"):
        to_e164("0812-3456-7890", "PH")


def test_a_phone_from_another_country_is_kept_in_its_own() -> None:
    checked, errors = checked_request(request("+639171234567", "0812-3456-7890"), NOW)
    assert errors == []
    assert (checked.origin.phone, checked.destination.phone) == ("+639171234567", "+6281234567890")


def test_no_phone_stays_none_and_a_blank_one_becomes_none() -> None:
    checked, errors = checked_request(request(None, "   "), NOW)
    assert errors == []
    assert checked.origin.phone is None
    assert checked.destination.phone is None


def test_the_rest_of_the_request_is_kept() -> None:
    original = request("0812-3456-7890", None, description="Air mineral")
    checked, _ = checked_request(original, NOW)
    assert checked == replace(original, origin=replace(original.origin, phone="+6281234567890"))


def test_a_quoted_request_gets_the_same_phones() -> None:
    original = request("0812-3456-7890", "09171234567", country_code="PH")
    original = replace(original, origin=replace(original.origin, country_code="ID"))
    checked, errors = checked_request(original, NOW)
    assert errors == []
    assert with_e164_phones(original) == checked


@pytest.mark.parametrize(
    "typed",
    [
        "0812",  # too short
        "62",
        "+62 812",
        "0812-3456-7890-1234-5678",  # too long for any plan
        "+999 812 3456 789",  # no such country code
        "0000000000",
        "😀",
        "0812😀34567890",
        "+62 812 3456 7890 ext. 5",
        "1-800-FLOWERS",
        "٠٨١٢٣٤٥٦٧٨٩٠",  # Arabic-Indic digits
        "0812\u200b3456\u200b7890",  # zero-width spaces
        "++6281234567890",
        "6281234567890+",
        "DROP TABLE shipments",
        "9" * (MAX_PHONE + 1),
    ],
)
def test_what_no_one_can_dial_is_refused_at_its_field(typed: str) -> None:
    with pytest.raises(InvalidPhone):
        to_e164(typed, "ID")
    errors = validate_request(request("081234567890", typed), NOW, ("input", "shipment"))
    assert len(errors) == 1
    assert errors[0].code == ErrorCode.VALIDATION
    assert errors[0].field == ("input", "shipment", "destination", "phone")


@pytest.mark.parametrize("length", [MAX_PHONE + 1, 10_000, 1_000_000])
def test_a_huge_phone_is_refused_before_it_is_parsed(length: int) -> None:
    errors = validate_request(request("1" * length, None), NOW)
    assert [(e.field, e.message) for e in errors] == [
        (("shipment", "origin", "phone"), f"at most {MAX_PHONE} characters")
    ]
    with pytest.raises(InvalidPhone, match=f"at most {MAX_PHONE} characters"):
        to_e164("1" * length, "ID")


def test_a_control_character_is_refused_as_in_any_text() -> None:
    errors = validate_request(request("0812\x003456 7890", None), NOW)
    assert [(e.field, e.message) for e in errors] == [
        (("shipment", "origin", "phone"), "must not contain control characters")
    ]


def test_the_message_shows_the_countrys_own_example() -> None:
    errors = validate_request(request(None, "0812", country_code="PH"), NOW)
    assert [e.message for e in errors] == [
        "is not a valid phone number in PH: write it as 0905 123 4567 or +63 905 123 4567"
    ]


def test_with_an_unknown_country_only_the_country_is_refused() -> None:
    # 0812-3456-7890 means nothing until the country is known.
    errors = validate_request(request("+6281234567890", "0812-3456-7890", country_code="XX"), NOW)
    country = "must be an ISO 3166-1 alpha-2 code such as ID"
    assert [(e.field, e.message) for e in errors] == [
        (("shipment", "origin", "countryCode"), country),
        (("shipment", "destination", "countryCode"), country),
    ]


def test_an_international_number_needs_no_region() -> None:
    assert to_e164("+63 917 555 1234", None) == "+639175551234"
    with pytest.raises(InvalidPhone, match="write it as \\+62 812-3456-7890 \\(its country"):
        to_e164("0917 555 1234", None)


# --- each carrier's format, from the one E.164 form ------------------------------------


@pytest.mark.parametrize(
    ("written", "region", "format_phone"),
    [
        # envio.md, Shipment Creating > Request: country code, no plus.
        ("628767438745", "ID", envio_phone),
        ("6285156701828", "ID", envio_phone),
        # borzo.txt, Parameter data types > phone: country code, no plus.
        ("6288800000001", "ID", borzo_phone),
        # entrego.txt, Order Creation > Request: a Philippine number with its trunk 0.
        ("09123456789", "PH", entrego_phone),
        ("09987654321", "PH", entrego_phone),
        # envoy.txt, Create Shipment > Request: E.164.
        ("+447261812509", "US", envoy_phone),
        ("+442046194615", "US", envoy_phone),
    ],
)
def test_each_carrier_is_sent_the_phone_as_its_document_writes_it(
    written: str, region: str, format_phone: Callable[[str], str]
) -> None:
    assert format_phone(to_e164(written, region)) == written


@pytest.mark.parametrize(
    "typed", ["0812-3456-7890", "+62 812 3456 7890", "(0812) 3456.7890", "6281234567890"]
)
def test_however_typed_an_indonesian_phone_reaches_each_carrier_alike(typed: str) -> None:
    e164 = to_e164(typed, "ID")
    assert envio_phone(e164) == borzo_phone(e164) == "6281234567890"
    assert envoy_phone(e164) == "+6281234567890"


def test_entrego_sends_a_foreign_phone_in_e164_as_its_answers_echo() -> None:
    # entrego.txt, Order Creation > Response: "phone" : "+639123456789".
    assert entrego_phone("+6281234567890") == "+6281234567890"
    assert entrego_phone(to_e164("0917 555 1234", "PH")) == "09175551234"
    assert entrego_phone(to_e164("+63 2 8123 4567", "PH")) == "0281234567"
