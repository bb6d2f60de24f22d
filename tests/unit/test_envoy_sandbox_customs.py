"""The Envoy simulator checks customs and tax_identifiers by envoy.txt's models."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shipgraph.sandbox.envoy.errors import ValidationFailed
from shipgraph.sandbox.envoy.validation import _Checker, normalise_create, validate_create
from tests.unit.test_envoy_customs import DOC_DETAIL, DOC_ITEM, DOC_TAX
from tests.unit.test_envoy_requests import DOC_BODY


def checked(body: dict[str, Any]) -> list[tuple[str, str]]:
    check = _Checker()
    check.customs(body)
    check.tax_identifiers(body)
    return check.problems


def customs(**changes: Any) -> dict[str, Any]:
    detail = copy.deepcopy(DOC_DETAIL)
    detail["identifiers"][0]["issuing_country_code"] = "US"
    detail.update(changes)
    return {"customs": detail}


@pytest.mark.parametrize("incoterm", ["DDP", "ddp", "exw", None])
def test_the_documents_examples_pass(incoterm: str | None) -> None:
    body = customs(incoterm=incoterm, items=[DOC_ITEM])
    body["tax_identifiers"] = [{**DOC_TAX, "issuing_country_code": "GB"}]
    assert checked(body) == []
    assert checked(customs()) == []  # "items": null
    assert validate_create({**copy.deepcopy(DOC_BODY), **body}) is not None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contents_type": "MERCHANDISE"}, "customs.contents_type"),
        ({"contents_type": "other", "contents_description": None}, "customs.contents_description"),
        ({"incoterm": "DDU"}, "customs.incoterm"),
        ({"incoterm": 7}, "customs.incoterm"),
        ({"restriction_type": "embargo"}, "customs.restriction_type"),
        ({"restriction_description": None}, "customs.restriction_description"),
        ({"restriction_description": " "}, "customs.restriction_description"),
        ({"declarant": {"certify": "yes"}}, "customs.declarant.certify"),
        (
            {"identifiers": [{"identifier_type": "mrn", "value": "x"}]},
            "customs.identifiers.0.entity_type",
        ),
        (
            {"identifiers": [{"entity_type": "all", "identifier_type": "eori", "value": "x"}]},
            "customs.identifiers.0.identifier_type",
        ),
        ({"identifiers": "license"}, "customs.identifiers"),
    ],
)
def test_the_detail_models_rules(changes: dict[str, Any], field: str) -> None:
    assert [where for where, _ in checked(customs(**changes))] == [field]


def test_no_restriction_needs_no_description() -> None:
    assert checked(customs(restriction_type="none", restriction_description=None)) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"value": 4.99}, "value"),
        ({"value": "499"}, "value"),
        ({"mass": 0.5}, "mass"),
        ({"description": ""}, "description"),
        ({"currency_code": "usd"}, "currency_code"),
    ],
)
def test_items_are_integers_in_minor_units_and_grams(changes: dict[str, Any], field: str) -> None:
    body = customs(items=[DOC_ITEM, {**DOC_ITEM, **changes}])
    assert [where for where, _ in checked(body)] == [f"customs.items.1.{field}"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"taxable_entity_type": "shipper"}, "taxable_entity_type"),
        ({"identifier_type": "VAT"}, "identifier_type"),
        ({"value": None}, "value"),
        ({"issuing_country_code": "GBR"}, "issuing_country_code"),
    ],
)
def test_tax_identifiers(changes: dict[str, Any], field: str) -> None:
    body = {"tax_identifiers": [{**DOC_TAX, "issuing_country_code": "GB", **changes}]}
    assert [where for where, _ in checked(body)] == [f"tax_identifiers.0.{field}"]


def test_a_bad_declaration_is_a_422_naming_its_field() -> None:
    body = {**copy.deepcopy(DOC_BODY), **customs(items=[{**DOC_ITEM, "quantity": 0.5}])}
    with pytest.raises(ValidationFailed) as refused:
        validate_create(body)
    assert refused.value.status == 422
    assert [e["field"] for e in refused.value.entries] == ["customs.items.0.quantity"]


def test_hs_codes_are_kept_without_spaces_and_periods() -> None:
    """Customs Item Model: "Formatting such as spaces and periods are ignored, and may be
    removed." """
    written = {**DOC_ITEM, "hs_tariff_code": "1901.20 0000"}
    body = validate_create(copy.deepcopy({**DOC_BODY, **customs(items=[written, DOC_ITEM])}))
    kept = normalise_create(body)["customs"]["items"]
    assert [item["hs_tariff_code"] for item in kept] == ["1901200000", "1901200000"]
