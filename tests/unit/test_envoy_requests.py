"""The Create Shipment body: the document's example request from our input."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shipgraph.carriers.envoy import requests
from shipgraph.domain import (
    Address,
    Customs,
    CustomsContentsType,
    DocumentFormat,
    ErrorCode,
    Money,
    Parcel,
    ParcelItem,
    ShipmentRequest,
)
from tests.support.fixtures import fixture

# The document redacts the emails ("[email protected]"); any address stands in.
JENNY = "jenny@example.com"
AXIS = "ops@axis.example.com"
TAX = [
    {
        "taxable_entity_type": "sender",
        "identifier_type": "vat",
        "value": "478321451",
        "issuing_country_code": "GB",
    }
]
AXIS_ADDRESS = {
    "contact": {
        "company": "Axis Distribution",
        "email_address": AXIS,
        "phone_number": "+442046194615",
    },
    "address": {
        "line_1": "417 Montgomery Street",
        "line_2": "5th Floor",
        "city": "San Francisco",
        "province": "CA",
        "post_code": "94104",
        "country_code": "US",
    },
}
# envoy.txt, "Create Shipment", the request's --data.
DOC_BODY: dict[str, Any] = {
    "name": "ORDER-273548",
    "addresses": {
        "destination": {
            "contact": {
                "name": "Jenny Falkner",
                "email_address": JENNY,
                "phone_number": "+447261812509",
            },
            "address": {
                "line_1": "179 N Harbor Dr",
                "city": "Redondo Beach",
                "province": "CA",
                "post_code": "90277",
                "country_code": "US",
            },
        },
        "origin": AXIS_ADDRESS,
        "return": AXIS_ADDRESS,
    },
    "packages": [{"geometry": {"length": 600, "width": 400, "height": 250, "mass": 4500}}],
    "tax_identifiers": TAX,
    "options": {"shipping": {"handling_instructions": "Leave outside front door."}},
}


def doc_request(**changes: Any) -> ShipmentRequest:
    values: dict[str, Any] = {
        "reference": "ORDER-273548",
        "origin": Address(
            line1="417 Montgomery Street",
            line2="5th Floor",
            city="San Francisco",
            province="CA",
            postal_code="94104",
            country_code="US",
            company="Axis Distribution",
            email=AXIS,
            phone="+442046194615",
        ),
        "destination": Address(
            line1="179 N Harbor Dr",
            city="Redondo Beach",
            province="CA",
            postal_code="90277",
            country_code="US",
            name="Jenny Falkner",
            email=JENNY,
            phone="+447261812509",
        ),
        "parcels": (Parcel(weight_kg=4.5, length_cm=60, width_cm=40, height_cm=25),),
        "instructions": "Leave outside front door.",
        "carrier_options": {"ENVOY": {"tax_identifiers": TAX}},
    }
    values.update(changes)
    return ShipmentRequest(**values)


def with_label(body: dict[str, Any], fmt: str = "pdf") -> dict[str, Any]:
    expected = copy.deepcopy(body)
    expected["options"]["label"] = {"format": fmt}
    return expected


def test_the_documents_example_body() -> None:
    built = requests.shipment_body(doc_request(), DocumentFormat.PDF)
    assert built.problems == []
    assert built.body == with_label(DOC_BODY)


def test_label_format_is_sent_lowercase() -> None:
    for fmt, sent in ((DocumentFormat.PNG, "png"), (DocumentFormat.ZPL, "zpl")):
        body = requests.shipment_body(doc_request(), fmt).body
        assert body["options"]["label"] == {"format": sent}


def test_units_are_integer_millimetres_and_grams_rounded_half_up() -> None:
    parcel = Parcel(weight_kg=0.0125, length_cm=10.05, width_cm=0.04, height_cm=None)
    body = requests.shipment_body(doc_request(parcels=(parcel,)), DocumentFormat.PDF).body
    assert body["packages"] == [{"geometry": {"length": 101, "width": 0, "mass": 13}}]
    assert requests.grams(0.0001) == 1  # a positive mass is never 0 g


def test_weight_from_items_and_missing_weight() -> None:
    items = (ParcelItem("a", 2, weight_kg=0.25), ParcelItem("b", 1, weight_kg=1.0))
    body = requests.shipment_body(
        doc_request(parcels=(Parcel(items=items, description="box"),)), DocumentFormat.PDF
    ).body
    assert body["packages"] == [{"geometry": {"mass": 1500}, "name": "box"}]
    built = requests.shipment_body(doc_request(parcels=(Parcel(),)), DocumentFormat.PDF)
    assert [p.field for p in built.problems] == [("shipment", "parcels", "0", "weightKg")]


def test_declared_value_pickup_and_village_district() -> None:
    when = datetime(2022, 7, 11, 9, 30, tzinfo=UTC)
    origin = Address(line1="1 Jl. Raya", country_code="ID", village="Cikoko", district="Pancoran")
    request = doc_request(
        declared_value=Money(Decimal("550.00"), "usd"), pickup_at=when, origin=origin
    )
    body = requests.shipment_body(request, DocumentFormat.PDF).body
    assert "insurance" not in body["options"]  # a value declared is not insurance asked
    assert body["options"]["shipping"]["currency_code"] == "USD"
    assert body["options"]["shipping"]["date"] == "2022-07-11T09:30:00+00:00"
    assert body["addresses"]["origin"] == {
        "address": {"line_1": "1 Jl. Raya", "line_3": "Cikoko, Pancoran", "country_code": "ID"}
    }


def test_refusals_before_sending() -> None:
    request = doc_request(
        cash_on_delivery=Money(Decimal("10"), "USD"),
        carrier_options={"ENVOY": {"bogus": 1}},
        parcels=tuple(Parcel(weight_kg=1) for _ in range(21)),
    )
    built = requests.shipment_body(request, DocumentFormat.HTML)
    assert {(p.code, p.field) for p in built.problems} == {
        (ErrorCode.UNSUPPORTED, ("format",)),
        (ErrorCode.UNSUPPORTED, ("shipment", "cashOnDelivery")),
        (ErrorCode.VALIDATION, ("shipment", "parcels")),
        (ErrorCode.VALIDATION, ("shipment", "carrierOptions", "ENVOY", "bogus")),
    }


def test_carrier_options_merge_into_options_ours_win() -> None:
    options = {"ENVOY": {"shipping": {"signature_required": True, "handling_instructions": "x"}}}
    body = requests.shipment_body(doc_request(carrier_options=options), DocumentFormat.PDF).body
    assert body["options"]["shipping"] == {
        "signature_required": True,
        "handling_instructions": "Leave outside front door.",
    }


def test_the_fixture_request_matches_too() -> None:
    """tests/fixtures/envoy/create_request.json, the same example as written out by the
    simulator's engineer (its e-mails as the saved document has them)."""
    example = fixture("envoy", "create_request")
    destination = example["addresses"]["destination"]["contact"]["email_address"]
    origin = example["addresses"]["origin"]["contact"]["email_address"]
    request = doc_request()
    request = replace(
        request,
        origin=replace(request.origin, email=origin),
        destination=replace(request.destination, email=destination),
    )
    assert requests.shipment_body(request, DocumentFormat.PDF).body == with_label(example)


def _options(**changes: Any) -> dict[str, Any]:
    built = requests.shipment_body(doc_request(**changes), DocumentFormat.PDF)
    assert built.problems == []
    options: dict[str, Any] = built.body["options"]
    return options


INSURE = {"ENVOY": {"tax_identifiers": TAX, "insurance": True}}


def test_insurance_only_when_asked_as_the_documents_example() -> None:
    # envoy.txt, Shipment Options Model: "insurance": {"value": 55000, "currency_code": "USD"}
    value = Money(Decimal("550.00"), "USD")
    options = _options(declared_value=value, carrier_options=INSURE)
    assert options["insurance"] == {"value": 55000, "currency_code": "USD"}
    assert options["shipping"]["currency_code"] == "USD"
    assert "insurance" not in _options(declared_value=value)
    off = {"ENVOY": {"insurance": False}}
    assert "insurance" not in _options(declared_value=value, carrier_options=off)


def test_insurance_in_idr_in_its_minor_unit() -> None:
    value = Money(Decimal("1500000"), "IDR")
    options = _options(declared_value=value, carrier_options=INSURE)
    assert options["insurance"] == {"value": 150000000, "currency_code": "IDR"}
    assert options["shipping"]["currency_code"] == "IDR"


def test_insurance_refused_without_a_value_or_as_a_non_boolean() -> None:
    built = requests.shipment_body(doc_request(carrier_options=INSURE), DocumentFormat.PDF)
    assert [(p.code, p.field) for p in built.problems] == [
        (ErrorCode.VALIDATION, ("shipment", "declaredValue"))
    ]
    asked = {"ENVOY": {"insurance": "yes"}}
    request = doc_request(declared_value=Money(Decimal("1"), "USD"), carrier_options=asked)
    built = requests.shipment_body(request, DocumentFormat.PDF)
    assert [p.field for p in built.problems] == [
        ("shipment", "carrierOptions", "ENVOY", "insurance")
    ]


def _at(country: str) -> Address:
    return Address(line1="1 Jl. Raya", city="Jakarta", country_code=country, company="Toko")


def test_rates_in_the_origin_countrys_currency_without_money() -> None:
    assert _options(origin=_at("ID"))["shipping"]["currency_code"] == "IDR"
    assert _options(origin=_at("PH"))["shipping"]["currency_code"] == "PHP"
    # The document's own US example asks nothing: Envoy's USD default.
    assert "currency_code" not in _options()["shipping"]


def test_the_callers_money_then_its_envoy_option_decide_the_currency() -> None:
    philippine = Money(Decimal("0"), "php")
    assert _options(origin=_at("ID"), cash_on_delivery=philippine)["shipping"] == {
        "handling_instructions": "Leave outside front door.",
        "currency_code": "PHP",
    }
    named = {"ENVOY": {"shipping": {"currency_code": "gbp"}}}
    options = _options(
        origin=_at("ID"), declared_value=Money(Decimal("5"), "IDR"), carrier_options=named
    )
    assert options["shipping"]["currency_code"] == "GBP"
    assert "insurance" not in options


def _cakes(price: str, quantity: int = 2) -> ShipmentRequest:
    """The Customs Item Model's chocolate cake, priced, in the document's example shipment."""
    cake = ParcelItem(
        name="chocolate cake",
        quantity=quantity,
        sku="SB-D80-DCCF",
        unit_price=Money(Decimal(price), "USD"),
        weight_kg=5,
    )
    parcel = replace(doc_request().parcels[0], items=(cake,))
    return doc_request(
        parcels=(parcel,),
        customs=Customs(contents_type=CustomsContentsType.MERCHANDISE),
        declared_value=Money(Decimal("550.00"), "USD"),
        carrier_options={"ENVOY": {"insurance": True}},
    )


def test_insurance_up_to_the_customs_items_value() -> None:
    """Options Model, insurance.value: "should not exceed the value of the items declared
    in the customs section" (the example's 55000 USD against two 275.00 cakes)."""
    built = requests.shipment_body(_cakes("275.00"), DocumentFormat.PDF)
    assert built.problems == []
    assert built.body["options"]["insurance"] == {"value": 55000, "currency_code": "USD"}
    refused = requests.shipment_body(_cakes("274.99"), DocumentFormat.PDF).problems
    assert [(p.code, p.field) for p in refused] == [
        (ErrorCode.VALIDATION, ("shipment", "declaredValue", "amount"))
    ]
    assert "549.98 USD" in refused[0].message


def test_insurance_beside_items_in_another_currency_is_not_compared() -> None:
    request = _cakes("1.00")
    euros = replace(request, declared_value=Money(Decimal("550.00"), "EUR"))
    assert requests.shipment_body(euros, DocumentFormat.PDF).problems == []


def test_a_service_code_needs_its_carrier_code() -> None:
    """Shipment Carrier Model: service_code is "Only used if the carrier_code field is set"."""
    model = fixture("envoy", "carrier_model")
    built = requests.shipment_body(
        doc_request(carrier_options={"ENVOY": {"carrier": model}}), DocumentFormat.PDF
    )
    assert built.problems == [] and built.body["carrier"] == model
    for alone in ({"service_code": "express"}, "ups"):
        request = doc_request(carrier_options={"ENVOY": {"carrier": alone}})
        problems = requests.shipment_body(request, DocumentFormat.PDF).problems
        assert [p.field[:4] for p in problems] == [
            ("shipment", "carrierOptions", "ENVOY", "carrier")
        ]


def test_a_location_configuration_goes_into_addresses() -> None:
    # envoy.txt, Shipment Model: "location_configuration_id": "lc_2iFuzwcptRh9xt93ICDzK0vOszc"
    given = {"ENVOY": {"location_configuration_id": "lc_2iFuzwcptRh9xt93ICDzK0vOszc"}}
    built = requests.shipment_body(doc_request(carrier_options=given), DocumentFormat.PDF)
    assert built.problems == []
    assert built.body["addresses"]["location_configuration_id"] == "lc_2iFuzwcptRh9xt93ICDzK0vOszc"
    assert built.body["addresses"]["origin"] == AXIS_ADDRESS
    for bad in ("", 7, None):
        asked = {"ENVOY": {"location_configuration_id": bad}}
        problems = requests.shipment_body(doc_request(carrier_options=asked), DocumentFormat.PDF)
        assert [p.field for p in problems.problems] == [
            ("shipment", "carrierOptions", "ENVOY", "location_configuration_id")
        ]
