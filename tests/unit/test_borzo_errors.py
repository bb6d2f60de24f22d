"""Borzo refusals: request error codes, and parameter_errors leaves as input field paths."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shipgraph.carriers.borzo import errors, requests
from shipgraph.domain import (
    ErrorCode,
    FieldError,
    Money,
    Parcel,
    ParcelItem,
    ShipmentPatch,
)
from tests.support.fixtures import fixture
from tests.unit.test_borzo_requests import NOW, doc_request, with_options

OPTIONS = ("shipment", "carrierOptions", "BORZO")


def create_layout(**changes: Any) -> requests.Layout:
    request = doc_request(**changes)
    options, problems = requests.parse_options(request)
    assert problems == []
    return requests.order_body(request, options, now=NOW).layout


def fields(tree: object, layout: requests.Layout) -> list[tuple[tuple[str, ...] | None, str]]:
    return [(e.field, e.message) for e in errors.parameter_errors(tree, layout)]


def test_the_documents_error_example() -> None:
    answer = fixture("borzo", "error_invalid_parameters")
    code, message, found = errors.rejection(answer, create_layout())
    assert code == ErrorCode.VALIDATION
    assert "invalid_parameters" in message
    assert found == [
        FieldError(
            ErrorCode.VALIDATION,
            "Borzo: matter: required",
            ("shipment", "description"),
            found[0].carrier,
        ),
        FieldError(
            ErrorCode.VALIDATION,
            "Borzo: points[1].address: required",
            ("shipment", "destination", "line1"),
            found[0].carrier,
        ),
        FieldError(
            ErrorCode.VALIDATION,
            "Borzo: points[1].contact_person.phone: required",
            ("shipment", "destination", "phone"),
            found[0].carrier,
        ),
    ]


STOPS = {
    "points": [
        {"line1": "Jl. Stop 1", "phone": "0812 1111 2222"},
        {"line1": "Jl. Stop 2", "phone": "0813 3333 4444"},
    ]
}
PARCELS = (
    Parcel(description="Kardus"),
    Parcel(items=(ParcelItem("Payung", 1, sku="1"), ParcelItem("Topi", 2))),
)


@pytest.mark.parametrize(
    ("borzo", "ours"),
    [
        ({"points": [{"address": ["required"]}]}, ("shipment", "origin", "line1")),
        (
            {"points": [{"contact_person": {"name": ["max_length"]}}]},
            ("shipment", "origin", "name"),
        ),
        ({"points": [{"contact_person": ["required"]}]}, ("shipment", "origin", "phone")),
        ({"points": [{"latitude": ["invalid_float"]}]}, ("shipment", "origin", "latitude")),
        ({"points": [["invalid_region"]]}, ("shipment", "origin")),
        ({"points": [{"required_start_datetime": ["cannot_be_past"]}]}, ("shipment", "pickupAt")),
        (
            {"points": [None, None, None, {"required_finish_datetime": ["start_after_end"]}]},
            ("shipment", "deliverBy"),
        ),
        (
            {"points": [None, None, None, {"contact_person": {"phone": ["invalid_phone"]}}]},
            ("shipment", "destination", "phone"),
        ),
        (
            {"points": [None, None, None, {"taking_amount": ["max_value"]}]},
            ("shipment", "cashOnDelivery", "amount"),
        ),
        (
            {
                "points": [
                    None,
                    None,
                    None,
                    {"is_cod_cash_voucher_required": ["cod_agreement_required"]},
                ]
            },
            ("shipment", "cashOnDelivery"),
        ),
        ({"points": [None, None, None, {"note": ["max_length"]}]}, ("shipment", "instructions")),
        (
            {"points": [None, {"address": ["address_not_found"]}]},
            (*OPTIONS, "points", "0", "line1"),
        ),
        (
            {"points": [None, None, {"contact_person": {"phone": ["invalid_phone"]}}]},
            (*OPTIONS, "points", "1", "phone"),
        ),
        ({"points": [None, {"note": ["max_length"]}]}, (*OPTIONS, "points", "0", "instructions")),
        (
            {"points": [None, None, None, {"packages": [{"description": ["max_length"]}]}]},
            ("shipment", "parcels", "0", "description"),
        ),
        (
            {"points": [None, None, None, {"packages": [None, {"ware_code": ["max_length"]}]}]},
            ("shipment", "parcels", "1", "items", "0", "sku"),
        ),
        (
            {
                "points": [
                    None,
                    None,
                    None,
                    {"packages": [None, None, {"items_count": ["min_value"]}]},
                ]
            },
            ("shipment", "parcels", "1", "items", "1", "quantity"),
        ),
        (
            {
                "points": [
                    None,
                    None,
                    None,
                    {"packages": [None, None, {"item_payment_amount": ["x"]}]},
                ]
            },
            ("shipment", "parcels", "1", "items", "1", "unitPrice", "amount"),
        ),
        (
            {"points": [None, None, None, {"packages": [None, ["invalid_object"]]}]},
            ("shipment", "parcels", "1", "items", "0"),
        ),
        ({"points": [None, None, None, {"packages": ["max_size"]}]}, ("shipment", "parcels")),
        ({"matter": ["max_length"]}, ("shipment", "description")),
        ({"total_weight_kg": ["max_value"]}, ("shipment", "parcels")),
        ({"insurance_amount": ["max_value"]}, ("shipment", "declaredValue", "amount")),
        ({"loaders_count": ["max_value"]}, (*OPTIONS, "loaders_count")),
        ({"vehicle_type_id": ["invalid_vehicle_type"]}, (*OPTIONS, "vehicle_type_id")),
    ],
)
def test_create_paths(borzo: object, ours: tuple[str, ...]) -> None:
    layout = create_layout(
        parcels=PARCELS,
        carrier_options={"BORZO": {**STOPS, "loaders_count": 1, "vehicle_type_id": 7}},
    )
    [(field, message)] = fields(borzo, layout)
    assert field == ours
    assert message.startswith("Borzo: ")


@pytest.mark.parametrize(
    "borzo",
    [
        {"promo_code": ["invalid_value"]},
        {"backpayment_details": ["max_length"]},
        {"vehicle_type_id": ["invalid_vehicle_type"]},  # not given by us: Borzo's default
        {"points": [{"taking_amount": ["max_value"]}]},  # the pickup takes no COD
        {"points": [None, None, {"address": ["required"]}]},  # no such point in the body
        {"points": [{"buyout_amount": ["min_value"]}]},
        {"points": ["min_size"]},
        {"order_id": ["invalid_order"]},
    ],
)
def test_leaves_with_no_input_counterpart_name_borzos_path(borzo: object) -> None:
    [(field, message)] = fields(borzo, create_layout())
    assert field is None
    leaf = errors.flatten(borzo)[0][0]
    assert errors.path_text(leaf) in message


def test_vehicle_of_a_booked_rate_points_at_the_rate_id() -> None:
    request = doc_request()
    options, _ = requests.parse_options(request)
    layout = requests.order_body(request, options, now=NOW, vehicle_from_rate=8).layout
    assert fields({"vehicle_type_id": ["invalid_vehicle_type"]}, layout)[0][0] == ("rateId",)


@pytest.mark.parametrize(
    ("borzo", "ours"),
    [
        ({"matter": ["max_length"]}, ("patch", "description")),
        (
            {"points": [None, {"taking_amount": ["max_value"]}]},
            ("patch", "cashOnDelivery", "amount"),
        ),
        ({"points": [None, {"note": ["max_length"]}]}, ("patch", "instructions")),
        ({"points": [{"required_start_datetime": ["cannot_be_past"]}]}, ("patch", "pickupAt")),
        ({"points": [None, {"required_finish_datetime": ["min_date"]}]}, ("patch", "deliverBy")),
        (
            {"points": [None, {"packages": [{"items_count": ["min_value"]}]}]},
            ("patch", "parcels", "0", "items", "0", "quantity"),
        ),
        ({"total_weight_kg": ["max_value"]}, ("patch", "parcels")),
        ({"order_id": ["invalid_order"]}, ("id",)),
        ({"points": [{"point_id": ["invalid_point"]}]}, None),
        ({"points": [None, {"address": ["required"]}]}, None),
    ],
)
def test_edit_paths(borzo: object, ours: tuple[str, ...] | None) -> None:
    order = fixture("borzo", "create_order_response")["order"]
    patch = ShipmentPatch(
        cash_on_delivery=Money(Decimal(1), "IDR"),
        parcels=(Parcel(items=(ParcelItem("Topi", 2),)),),
    )
    layout = requests.edit_body(1250032, order, None, patch, now=NOW).layout
    assert fields(borzo, layout)[0][0] == ours


def test_a_missing_order_is_not_found() -> None:
    answer = {
        "is_successful": False,
        "errors": ["invalid_parameters"],
        "parameter_errors": {"order_id": ["invalid_order"]},
    }
    code, _, found = errors.rejection(answer, None)
    assert code == ErrorCode.NOT_FOUND
    assert [(e.code, e.field) for e in found] == [(ErrorCode.NOT_FOUND, ("id",))]


def test_a_point_no_longer_editable_is_invalid_state() -> None:
    answer = {"errors": ["invalid_parameters"], "parameter_errors": {"matter": ["not_editable"]}}
    assert errors.rejection(answer, None)[0] == ErrorCode.INVALID_STATE


EXPECTED_CODES = {
    "unexpected_error": ErrorCode.CARRIER_UNAVAILABLE,
    "invalid_api_version": ErrorCode.INTERNAL,
    "required_api_upgrade": ErrorCode.INTERNAL,
    "requests_limit_exceeded": ErrorCode.RATE_LIMITED,
    "required_auth_token": ErrorCode.CARRIER_AUTH,
    "invalid_auth_token": ErrorCode.CARRIER_AUTH,
    "required_method_get": ErrorCode.INTERNAL,
    "required_method_post": ErrorCode.INTERNAL,
    "invalid_post_json": ErrorCode.INTERNAL,
    "invalid_parameters": ErrorCode.VALIDATION,
    "unapproved_contract": ErrorCode.CARRIER_AUTH,
    "service_unavailable": ErrorCode.CARRIER_UNAVAILABLE,
    "invalid_api_method": ErrorCode.INTERNAL,
    "buyout_not_allowed": ErrorCode.UNSUPPORTED,
    "insufficient_balance_for_buyout": ErrorCode.VALIDATION,
    "order_cannot_be_edited": ErrorCode.INVALID_STATE,
    "order_cannot_be_canceled": ErrorCode.INVALID_STATE,
    "insufficient_balance": ErrorCode.VALIDATION,
    "buyout_amount_limit_exceeded": ErrorCode.VALIDATION,
    "route_not_found": ErrorCode.VALIDATION,
    "total_payment_amount_limit_exceeded": ErrorCode.VALIDATION,
    "order_is_duplicate": ErrorCode.DUPLICATE,
    "insufficient_funds": ErrorCode.VALIDATION,
    "card_payment_failed": ErrorCode.VALIDATION,
    "impossible_delivery_fee_calculation": ErrorCode.CARRIER_UNAVAILABLE,
    "tax_retension_limit": ErrorCode.VALIDATION,
}


def test_the_table_covers_every_documented_request_error() -> None:
    assert set(errors.REQUEST_ERRORS) == set(EXPECTED_CODES)


@pytest.mark.parametrize(("borzo", "ours"), EXPECTED_CODES.items())
def test_request_error_codes(borzo: str, ours: ErrorCode) -> None:
    code, message, _ = errors.rejection({"is_successful": False, "errors": [borzo]}, None)
    assert code == ours
    assert borzo in message


def test_an_unknown_error_code_is_validation_and_named() -> None:
    code, message, _ = errors.rejection({"errors": ["brand_new_error"]}, None)
    assert code == ErrorCode.VALIDATION
    assert "brand_new_error" in message


def test_the_code_to_act_on_first_wins() -> None:
    answer = {"errors": ["invalid_parameters", "requests_limit_exceeded"]}
    assert errors.rejection(answer, None)[0] == ErrorCode.RATE_LIMITED
    answer = {"errors": ["order_is_duplicate", "invalid_auth_token"]}
    assert errors.rejection(answer, None)[0] == ErrorCode.CARRIER_AUTH


def test_payment_refusals_point_at_the_payment_option_of_a_booking() -> None:
    layout = create_layout()
    _, _, found = errors.rejection({"errors": ["insufficient_funds"]}, layout)
    assert [e.field for e in found] == [(*OPTIONS, "payment_method")]
    _, _, found = errors.rejection({"errors": ["insufficient_funds"]}, None)
    assert found == []


def test_flatten_reads_codes_objects_lists_and_nulls() -> None:
    tree = {"a": ["x", "y"], "b": [None, {"c": ["z"]}, ["w"]], "d": None, "e": "v"}
    assert errors.flatten(tree) == [
        (("a",), "x"),
        (("a",), "y"),
        (("b", 1, "c"), "z"),
        (("b", 2), "w"),
        (("e",), "v"),
    ]
    assert errors.flatten(None) == []


def test_warnings_name_our_fields_where_they_can() -> None:
    tree = {
        "points": [{"contact_person": {"phone": ["required"]}}],
        "promo_code": ["invalid_value"],
    }
    assert errors.warnings(tree, with_layout()) == [
        "shipment.origin.phone: required",
        "promo_code: invalid_value",
    ]


def with_layout() -> requests.Layout:
    request = with_options({})
    options, _ = requests.parse_options(request)
    return requests.order_body(request, options, now=NOW).layout
