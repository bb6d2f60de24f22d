"""The Envoy simulator checks options as envoy.txt's Shipment Options Model says."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shipgraph.sandbox.envoy.errors import ValidationFailed
from shipgraph.sandbox.envoy.validation import _Checker, parse_date, validate_create
from tests.support.fixtures import fixture
from tests.unit.test_envoy_requests import DOC_BODY


def options(**shipping: Any) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(fixture("envoy", "options_model"))
    body["shipping"].update(shipping)
    return {"options": body}


def checked(body: dict[str, Any]) -> list[str]:
    check = _Checker()
    check.options(body)
    return [where for where, _ in check.problems]


def test_the_documents_example_passes() -> None:
    assert checked(options()) == []


@pytest.mark.parametrize(
    "choices",
    [
        {"dropoff_type": "scheduled_pickup"},
        {"invalid_address_handling": "temp_return"},
        {"non_delivery": "abandon"},
        {"signature_type": "adult_restricted"},
        {"restricted_substances": ["dry_ice"], "dry_ice_mass": 2500},
        {"restricted_substances": None, "dry_ice_mass": None},
    ],
)
def test_the_documents_enum_values_pass(choices: dict[str, Any]) -> None:
    assert checked(options(**choices)) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dropoff_type": "pickup"}, "dropoff_type"),
        ({"invalid_address_handling": "discard"}, "invalid_address_handling"),
        ({"non_delivery": "RETURN"}, "non_delivery"),
        ({"signature_type": "adult_21"}, "signature_type"),
        ({"dry_ice_mass": 2.5}, "dry_ice_mass"),
        ({"dry_ice_mass": 0}, "dry_ice_mass"),
        ({"restricted_substances": "alcohol"}, "restricted_substances"),
        # "Required if the restricted_substances field contains either the dry_ice or
        # dry_ice_medical flags."
        ({"restricted_substances": ["dry_ice"], "dry_ice_mass": None}, "dry_ice_mass"),
        ({"restricted_substances": ["dry_ice_medical"], "dry_ice_mass": None}, "dry_ice_mass"),
    ],
)
def test_shipping_options_outside_the_model_are_refused(
    changes: dict[str, Any], field: str
) -> None:
    assert checked(options(**changes)) == [f"options.shipping.{field}"]


def test_an_insurance_currency_is_a_3_letter_code() -> None:
    body = options()
    body["options"]["insurance"]["currency_code"] = "dollars"
    assert checked(body) == ["options.insurance.currency_code"]


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2022-07-11T00:00:00.00Z", "2022-07-11T00:00:00+00:00"),  # the document's example
        ("2022-07-11t09:30:00z", "2022-07-11T09:30:00+00:00"),
        ("2022-07-11 09:30:00+07:00", "2022-07-11T02:30:00+00:00"),
    ],
)
def test_the_collection_date_is_rfc_3339(text: str, moment: str) -> None:
    assert checked(options(date=text)) == []
    parsed = parse_date(text)
    assert parsed is not None and parsed.isoformat() == moment


@pytest.mark.parametrize(
    "text", ["20220711T000000Z", "2022-07-11", "2022-07-11T00:00:00", "2022-W28-1T00:00:00Z"]
)
def test_other_date_forms_are_refused(text: str) -> None:
    assert checked(options(date=text)) == ["options.shipping.date"]


def test_a_location_configuration_id_is_a_string() -> None:
    body = copy.deepcopy(DOC_BODY)
    body["addresses"]["location_configuration_id"] = "lc_2iFuzwcptRh9xt93ICDzK0vOszc"
    assert validate_create(body) is body
    body["addresses"]["location_configuration_id"] = 7
    with pytest.raises(ValidationFailed) as refused:
        validate_create(body)
    assert [e["field"] for e in refused.value.entries] == ["addresses.location_configuration_id"]
