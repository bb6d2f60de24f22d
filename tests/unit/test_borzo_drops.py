"""Borzo multi-drop details through carrierOptions.BORZO: per-point cash, packages and
building details, goods buyout, cash remittance, notifications, return; fed the
document's use-case examples, then hostile values per field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shipgraph.carriers.borzo import errors, requests
from shipgraph.domain import ErrorCode, Money
from tests.support.fixtures import fixture
from tests.unit.test_borzo_requests import PHONE, build, doc_request, with_options

OPTIONS = ("shipment", "carrierOptions", "BORZO")
COD_100 = Money(Decimal(100), "IDR")


def as_strings(body: dict[str, Any]) -> dict[str, Any]:
    """The document's examples write money as JSON numbers (100.00); its data types say a
    money parameter is a JSON string."""
    for point in body["points"]:
        for key in ("taking_amount", "buyout_amount"):
            if key in point:
                point[key] = f"{Decimal(str(point[key])):.2f}"
    return body


def problems(options: dict[str, Any], **changes: Any) -> list[tuple[tuple[str, ...] | None, str]]:
    _, found = requests.parse_options(with_options(options, **changes))
    assert all(e.code == ErrorCode.VALIDATION for e in found)
    return [(e.field, e.message) for e in found]


# --- the document's use cases ------------------------------------------------------------


def test_goods_buyout_is_the_documents_example() -> None:
    request = with_options({"origin": {"buyoutAmount": 100}}, cash_on_delivery=COD_100)
    expected = as_strings(fixture("borzo", "create_order_buyout_request"))
    assert build(request).body == expected


def test_cash_remittance_is_the_documents_example() -> None:
    details = "Sample bank details 111111111111"
    request = with_options({"backpayment_details": details}, cash_on_delivery=COD_100)
    expected = as_strings(fixture("borzo", "create_order_cash_remittance_request"))
    assert build(request).body == expected


def test_multi_drop_with_its_own_cash_packages_and_building_details() -> None:
    stop = {
        "line1": "Jl. Stop 2",
        "name": "Ani",
        "phone": "6281234567890",
        "instructions": "Ring twice",
        "takingAmount": "25000.50",
        "buildingNumber": "B",
        "entranceNumber": "2",
        "intercomCode": "12#",
        "floorNumber": "3",
        "apartmentNumber": "3A",
        "packages": [
            {
                "wareCode": "SKU-1",
                "description": "Shoes",
                "itemsCount": 2,
                "itemPaymentAmount": 12500.25,
                "nomenclatureCode": "NC-1",
            }
        ],
    }
    request = with_options(
        {
            "points": [stop],
            "destination": {"floorNumber": "7", "apartmentNumber": "71"},
            "origin": {"buildingNumber": "Gudang 4"},
            "is_contact_person_notification_enabled": True,
            "is_return_required": True,
        },
        cash_on_delivery=COD_100,
    )
    built = build(request)
    body = built.body
    assert body["is_contact_person_notification_enabled"] is True
    assert body["is_return_required"] is True
    pickup, middle, last = body["points"]
    assert pickup["building_number"] == "Gudang 4"
    assert middle == {
        "address": "Jl. Stop 2",
        "contact_person": {"name": "Ani", "phone": "6281234567890"},
        "taking_amount": "25000.50",
        "building_number": "B",
        "entrance_number": "2",
        "intercom_code": "12#",
        "floor_number": "3",
        "apartment_number": "3A",
        "packages": [
            {
                "ware_code": "SKU-1",
                "description": "Shoes",
                "items_count": 2,
                "item_payment_amount": "12500.25",
                "nomenclature_code": "NC-1",
            }
        ],
        "note": "Ring twice",
        "is_cod_cash_voucher_required": True,
    }
    assert last["taking_amount"] == "100.00"
    assert (last["floor_number"], last["apartment_number"]) == ("7", "71")
    # Borzo's complaints about them come back at the input's paths.
    tree = {
        "points": [
            {"building_number": ["max_length"]},
            {"taking_amount": ["max_value"], "packages": [{"ware_code": ["max_length"]}]},
            {"floor_number": ["max_length"]},
        ]
    }
    assert sorted(e.field for e in errors.parameter_errors(tree, built.layout) if e.field) == [
        (*OPTIONS, "destination", "floorNumber"),
        (*OPTIONS, "origin", "buildingNumber"),
        (*OPTIONS, "points", "0", "packages", "0", "wareCode"),
        (*OPTIONS, "points", "0", "takingAmount"),
    ]


def test_a_detail_not_sent_has_no_input_counterpart() -> None:
    layout = build(doc_request()).layout
    [found] = errors.parameter_errors({"points": [{"buyout_amount": ["x"]}]}, layout)
    assert found.field is None


def test_stop_cash_needs_no_voucher_in_a_buyout_order() -> None:
    stop = {"line1": "Jl. Stop", "phone": PHONE, "takingAmount": 50}
    options = {"points": [stop], "origin": {"buyoutAmount": "150"}}
    request = with_options(options, cash_on_delivery=COD_100)
    body = build(request).body
    assert body["points"][0]["buyout_amount"] == "150.00"
    assert "is_cod_cash_voucher_required" not in body["points"][1]
    assert "is_cod_cash_voucher_required" not in body["points"][2]


# --- hostile values ------------------------------------------------------------------------

STOP = {"line1": "Jl. Stop", "phone": PHONE}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("takingAmount", -1),
        ("takingAmount", "1e3"),
        ("takingAmount", "12.345"),
        ("takingAmount", True),
        ("takingAmount", float("nan")),
        ("takingAmount", {"amount": 1}),
        ("takingAmount", "1000000000000"),
        ("buyoutAmount", "-0.01"),
        ("floorNumber", 3),
        ("apartmentNumber", "x" * 1001),
        ("intercomCode", ["1"]),
        ("packages", {"description": "x"}),
    ],
)
def test_hostile_stop_values_are_refused_at_their_path(key: str, value: Any) -> None:
    found = problems({"points": [{**STOP, key: value}]})
    assert [field for field, _ in found] == [(*OPTIONS, "points", "0", key)]


@pytest.mark.parametrize(
    ("package", "field"),
    [
        ({"wareCode": "x" * 256}, "wareCode"),
        ({"description": "x" * 1001}, "description"),
        ({"nomenclatureCode": 5}, "nomenclatureCode"),
        ({"itemsCount": -1}, "itemsCount"),
        ({"itemsCount": "2"}, "itemsCount"),
        ({"itemPaymentAmount": "free"}, "itemPaymentAmount"),
        ({"weight": 1}, "weight"),
    ],
)
def test_hostile_package_values(package: dict[str, Any], field: str) -> None:
    found = problems({"points": [{**STOP, "packages": [{"description": "ok"}, package]}]})
    assert [f for f, _ in found] == [(*OPTIONS, "points", "0", "packages", "1", field)]


def test_too_many_packages_and_a_non_object_package() -> None:
    found = problems({"points": [{**STOP, "packages": [{}] * 100}]})
    assert [f for f, _ in found] == [(*OPTIONS, "points", "0", "packages")]
    found = problems({"points": [{**STOP, "packages": ["box"]}]})
    assert [f for f, _ in found] == [(*OPTIONS, "points", "0", "packages", "0")]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"is_return_required": "yes"}, ("is_return_required",)),
        (
            {"is_contact_person_notification_enabled": 1},
            ("is_contact_person_notification_enabled",),
        ),
        ({"backpayment_details": ""}, ("backpayment_details",)),
        ({"backpayment_details": 111}, ("backpayment_details",)),
        ({"backpayment_details": "x" * 1001}, ("backpayment_details",)),
        ({"destination": {"takingAmount": 5}}, ("destination", "takingAmount")),
        ({"destination": {"buyoutAmount": 5}}, ("destination", "buyoutAmount")),
        ({"destination": {"packages": []}}, ("destination", "packages")),
        ({"destination": "3rd floor"}, ("destination",)),
        ({"origin": {"takingAmount": 5}}, ("origin", "takingAmount")),
        ({"origin": {"floorNumber": None, "lift": True}}, ("origin", "lift")),
        ({"payment_method": "bank_card"}, ("bank_card_id",)),
        ({"payment_method": "card"}, ("payment_method",)),
        ({"bank_card_id": "80"}, ("bank_card_id",)),
        ({"points": [STOP] * 98}, ("points",)),
    ],
)
def test_hostile_order_values(options: dict[str, Any], field: tuple[str, ...]) -> None:
    assert [f for f, _ in problems(options)] == [(*OPTIONS, *field)]


def test_buyout_may_not_exceed_the_cash_taken() -> None:
    [(field, message)] = problems({"origin": {"buyoutAmount": "100.01"}}, cash_on_delivery=COD_100)
    assert field == (*OPTIONS, "origin", "buyoutAmount")
    assert message == "the buyout total 100.01 exceeds the cash taken (100), as Borzo forbids"
    stop = {**STOP, "buyoutAmount": 61, "takingAmount": 10}
    found = problems({"points": [stop], "origin": {"buyoutAmount": 50}}, cash_on_delivery=COD_100)
    assert [f for f, _ in found] == [(*OPTIONS, "origin", "buyoutAmount")]
    stop = {**STOP, "buyoutAmount": 60, "takingAmount": 10}
    ok = problems({"points": [stop], "origin": {"buyoutAmount": 50}}, cash_on_delivery=COD_100)
    assert ok == []


def test_blank_building_details_are_left_out() -> None:
    request = with_options({"destination": {"floorNumber": "  "}})
    assert "floor_number" not in build(request).body["points"][-1]


def test_the_order_is_paid_at_the_one_point_asked_and_the_client_notified() -> None:
    # borzo.txt: is_order_payment_here "Money will be paid to the courier at the
    # address"; is_client_notification_enabled "Whether to send SMS notifications to
    # the client".
    options = {
        "is_client_notification_enabled": True,
        "destination": {"orderPaymentHere": True},
        "points": [{**STOP, "orderPaymentHere": False}],
    }
    body = build(with_options(options)).body
    assert body["is_client_notification_enabled"] is True
    assert [point.get("is_order_payment_here") for point in body["points"]] == [None, False, True]


def test_the_order_is_paid_at_one_point_only() -> None:
    # borzo.txt, order_payment_only_one_point: "Order payment can be specified only for
    # one point".
    options = {"origin": {"orderPaymentHere": True}, "destination": {"orderPaymentHere": True}}
    assert problems(options) == [
        ((*OPTIONS, "destination", "orderPaymentHere"),
         "only one point may be where the order is paid (orderPaymentHere)"),
    ]  # fmt: skip
    assert problems({"destination": {"orderPaymentHere": "yes"}}) == [
        ((*OPTIONS, "destination", "orderPaymentHere"), "must be true or false")
    ]
    assert problems({"is_client_notification_enabled": 1}) == [
        ((*OPTIONS, "is_client_notification_enabled"), "must be true or false")
    ]
