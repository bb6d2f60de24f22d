"""Borzo request bodies, fed the document's examples where our input can express them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from shipgraph.carriers.borzo import requests
from shipgraph.domain import (
    Address,
    ErrorCode,
    GeoPoint,
    Money,
    Parcel,
    ParcelItem,
    ShipmentPatch,
    ShipmentRequest,
)
from tests.support.fixtures import fixture

PICKUP_LINE = (
    "JL. Jawa, Blok J1 No. 31, Komplek Nusaloka, Tangerang, Rw. Mekar Jaya, Serpong, "
    "Kota Tangerang Selatan, Banten 15310"
)
DROP_LINE = (
    "Jl. Raya Ragunan No.39, RT.1/RW.2, Ps. Minggu, Kota Jakarta Selatan, "
    "Daerah Khusus Ibukota Jakarta 12540"
)
# Parameter data types > phone, as the API keeps it (E.164).
PHONE = "+6288800000001"
WIB = "+07:00"
# The document's orders are made at this moment (create-order example 1's created_datetime).
NOW = datetime.fromisoformat("2024-12-04T00:21:48+07:00")


def doc_request(*, phones: bool = True, **changes: Any) -> ShipmentRequest:
    """The shipment the document's create-order example 1 books."""
    values: dict[str, Any] = {
        "reference": "SO-1",
        "origin": Address(line1=PICKUP_LINE, country_code="ID", phone=PHONE if phones else None),
        "destination": Address(line1=DROP_LINE, country_code="ID", phone=PHONE if phones else None),
        "parcels": (),
        "description": "Documents",
    }
    values.update(changes)
    return ShipmentRequest(**values)


def with_options(options: dict[str, Any], **changes: Any) -> ShipmentRequest:
    return doc_request(carrier_options={"BORZO": options}, **changes)


def build(request: ShipmentRequest, vehicle: int | None = None) -> requests.Built:
    options, errors = requests.parse_options(request)
    assert errors == []
    return requests.order_body(request, options, now=NOW, vehicle_from_rate=vehicle)


# --- the document's bodies ------------------------------------------------------------


def test_create_body_is_the_documents_example() -> None:
    assert build(doc_request()).body == fixture("borzo", "create_order_request")


def test_quote_body_is_the_documents_calculate_example() -> None:
    assert build(doc_request(phones=False)).body == fixture("borzo", "calculate_order_request")


def test_bank_card_body_is_the_documents_example_2() -> None:
    request = with_options({"payment_method": "bank_card", "bank_card_id": 80})
    assert build(request).body == fixture("borzo", "create_order_bank_card_request")


def test_cod_body_is_the_documents_cod_example_with_money_as_a_string() -> None:
    request = doc_request(cash_on_delivery=Money(Decimal(100), "IDR"))
    expected = fixture("borzo", "create_order_cod_request")
    # The example writes 100.00 as a JSON number; "money" is a JSON string per the
    # document's parameter data types.
    expected["points"][1]["taking_amount"] = "100.00"
    assert build(request).body == expected


# --- what else our input carries ------------------------------------------------------


def test_full_request_body() -> None:
    request = doc_request(
        origin=Address(
            line1="Jl. A 1",
            line2="Blok C",
            city="Tangerang",
            province="Banten",
            postal_code="15310",
            country_code="ID",
            name="Gudang",
            phone="+628111111111",
            coordinates=GeoPoint(-6.3037234, 106.6886525),
        ),
        parcels=(
            Parcel(
                weight_kg=1.2,
                items=(
                    ParcelItem(
                        name="Payung",
                        quantity=2,
                        sku="140012",
                        unit_price=Money(Decimal("30000"), "IDR"),
                    ),
                    ParcelItem(name="Topi", quantity=1.5),
                ),
            ),
            Parcel(weight_kg=0.5, description="Kardus"),
        ),
        declared_value=Money(Decimal("250000.5"), "IDR"),
        pickup_at=datetime.fromisoformat("2024-12-04T00:51:48.123+07:00"),
        deliver_by=datetime.fromisoformat("2024-12-03T19:21:48+00:00"),
        instructions="Ring twice",
    )
    built = build(request)
    body = built.body
    assert body["total_weight_kg"] == 2
    assert body["insurance_amount"] == "250000.50"
    pickup, drop = body["points"]
    assert pickup == {
        "address": "Jl. A 1, Blok C, Tangerang, Banten, 15310",
        "contact_person": {"name": "Gudang", "phone": "628111111111"},
        "latitude": "-6.3037234",
        "longitude": "106.6886525",
        "required_start_datetime": "2024-12-04T00:51:48+07:00",
        "required_finish_datetime": "2024-12-04T01:21:48+07:00",
    }
    assert drop["required_start_datetime"] == "2024-12-04T01:21:48+07:00"
    assert drop["required_finish_datetime"] == "2024-12-03T19:21:48+00:00"
    assert drop["note"] == "Ring twice"
    assert drop["packages"] == [
        {
            "ware_code": "140012",
            "description": "Payung",
            "items_count": 2,
            "item_payment_amount": "30000.00",
        },
        {"description": "Topi", "items_count": 1.5},
        {"description": "Kardus", "items_count": 1},
    ]
    assert built.layout.packages == ((0, 0), (0, 1), (1, None))


def test_area_names_already_in_line1_are_not_repeated() -> None:
    address = Address(line1=DROP_LINE, city="Kota Jakarta Selatan", country_code="ID")
    assert requests.address_line(address) == DROP_LINE


def test_weight_from_items_when_the_parcel_has_none() -> None:
    parcel = Parcel(items=(ParcelItem(name="a", quantity=3, weight_kg=0.4),))
    assert requests.total_weight_kg((parcel,)) == 2
    assert requests.total_weight_kg((Parcel(),)) is None


def test_options_and_extra_stops_between_origin_and_destination() -> None:
    stop = {
        "line1": "Jl. Stop 2",
        "phone": "0812 1111 2222",
        "name": "Budi",
        "instructions": "Gate B",
    }
    request = with_options(
        {
            "vehicle_type_id": 7,
            "loaders_count": 2,
            "is_motobox_required": True,
            "is_thermobox_required": False,
            "payment_method": "cash",
            "points": [
                {
                    "line1": "Jl. Stop 1",
                    "phone": "6281333334444",
                    "latitude": -6.2,
                    "longitude": 106,
                },
                stop,
            ],
        }
    )
    built = build(request)
    body = built.body
    assert {k: body[k] for k in ("vehicle_type_id", "loaders_count", "payment_method")} == {
        "vehicle_type_id": 7,
        "loaders_count": 2,
        "payment_method": "cash",
    }
    assert body["is_motobox_required"] is True and body["is_thermobox_required"] is False
    addresses = [point["address"] for point in body["points"]]
    assert addresses == [PICKUP_LINE, "Jl. Stop 1", "Jl. Stop 2", DROP_LINE]
    assert (body["points"][1]["latitude"], body["points"][1]["longitude"]) == ("-6.2", "106")
    assert body["points"][2]["note"] == "Gate B"
    assert body["points"][1]["contact_person"] == {"phone": "6281333334444"}
    assert body["points"][2]["contact_person"] == {"name": "Budi", "phone": "6281211112222"}
    roles = [slot.role for slot in built.layout.points]
    assert roles == ["pickup", "stop", "stop", "destination"]


def test_rate_vehicle_wins_over_the_option() -> None:
    built = build(with_options({"vehicle_type_id": 7}), vehicle=8)
    assert built.body["vehicle_type_id"] == 8
    assert built.layout.vehicle_from_rate


# --- checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"description": None}, ("description",)),
        ({"description": "  "}, ("description",)),
        ({"origin": Address(line1="x", country_code="ID")}, ("origin", "phone")),
        ({"destination": Address(line1="x", country_code="PH", phone="1")}, None),
        ({"cash_on_delivery": Money(Decimal(5), "PHP")}, ("cashOnDelivery", "currency")),
        ({"declared_value": Money(Decimal(5), "USD")}, ("declaredValue", "currency")),
        (
            {
                "parcels": (
                    Parcel(items=(ParcelItem("a", 1, unit_price=Money(Decimal(1), "USD")),)),
                )
            },
            ("parcels", "0", "items", "0", "unitPrice", "currency"),
        ),
    ],
)
def test_booking_checks(changes: dict[str, Any], path: tuple[str, ...] | None) -> None:
    errors = requests.check_request(doc_request(**changes), booking=True)
    expected = path or ("destination", "countryCode")
    assert [e.field for e in errors] == [("shipment", *expected)]
    assert all(e.code == ErrorCode.VALIDATION for e in errors)


def test_a_quote_needs_neither_phones_nor_description() -> None:
    request = doc_request(phones=False, description=None)
    assert requests.check_request(request, booking=False) == []
    assert requests.check_request(doc_request(), booking=True) == []


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ("motorbike", ()),
        ({"vehicle_type_id": "8"}, ("vehicle_type_id",)),
        ({"vehicle_type_id": True}, ("vehicle_type_id",)),
        ({"loaders_count": 12}, ("loaders_count",)),
        ({"is_motobox_required": "yes"}, ("is_motobox_required",)),
        ({"payment_method": "crypto"}, ("payment_method",)),
        ({"payment_method": "bank_card"}, ("bank_card_id",)),
        ({"promo_code": "X"}, ("promo_code",)),
        ({"points": {"line1": "x"}}, ("points",)),
        ({"points": ["x"]}, ("points", "0")),
        ({"points": [{"phone": "1"}]}, ("points", "0", "line1")),
        ({"points": [{"line1": "x", "floor": 2}]}, ("points", "0", "floor")),
        ({"points": [{"line1": "x", "countryCode": "PH"}]}, ("points", "0", "countryCode")),
        ({"points": [{"line1": "x", "latitude": 1}]}, ("points", "0", "longitude")),
        ({"points": [{"line1": "x", "latitude": 91, "longitude": 0}]}, ("points", "0", "latitude")),
        ({"points": [{"line1": 5}]}, ("points", "0", "line1")),
        ({"points": [{"line1": "x", "phone": "0812"}]}, ("points", "0", "phone")),
        ({"points": [{"line1": "x", "phone": "😀" * 10_000}]}, ("points", "0", "phone")),
        ({"points": [{"line1": "x", "phone": "+63 917 555 1234x"}]}, ("points", "0", "phone")),
    ],
)
def test_option_checks(options: object, path: tuple[str, ...]) -> None:
    request = doc_request(carrier_options={"BORZO": options})
    _, errors = requests.parse_options(request)
    assert [e.field for e in errors][:1] == [("shipment", "carrierOptions", "BORZO", *path)]


def test_extra_stops_need_a_phone_to_book() -> None:
    options, _ = requests.parse_options(with_options({"points": [{"line1": "x"}]}))
    errors = requests.check_stops(options)
    assert [e.field for e in errors] == [
        ("shipment", "carrierOptions", "BORZO", "points", "0", "phone")
    ]


def test_other_carriers_options_are_ignored() -> None:
    options, errors = requests.parse_options(doc_request(carrier_options={"ENVIO": {"x": 1}}))
    assert errors == [] and options == requests.Options()


# --- edit-order -------------------------------------------------------------------------


def current(name: str = "create_order_response") -> dict[str, Any]:
    order: dict[str, Any] = fixture("borzo", name)["order"]
    return order


def test_description_edit_is_example_1_with_every_point_kept_as_in_example_3() -> None:
    built = requests.edit_body(
        1250032, current(), None, ShipmentPatch(description="Flowers"), now=NOW
    )
    example_1 = fixture("borzo", "edit_order_matter_request")
    del example_1["backpayment_details"]  # nothing of ours sets it
    example_3 = fixture("borzo", "edit_order_remove_point_request")
    assert built.body == {**example_1, "points": example_3["points"]}


def test_time_edit_matches_example_2_on_the_points_it_keeps() -> None:
    patch = ShipmentPatch(
        pickup_at=datetime.fromisoformat("2024-12-04T00:51:48+07:00"),
        deliver_by=datetime.fromisoformat("2024-12-04T02:21:48+07:00"),
    )
    body = requests.edit_body(1250032, current(), None, patch, now=NOW).body
    example = fixture("borzo", "edit_order_add_point_request")
    assert (
        body["points"][1]["required_finish_datetime"]
        == (example["points"][1]["required_finish_datetime"])
    )
    # Both ends of each window, as the example sends them.
    assert body["points"] == [
        {
            "point_id": 202685,
            "required_start_datetime": "2024-12-04T00:51:48+07:00",
            "required_finish_datetime": "2024-12-04T01:21:48+07:00",
        },
        {
            "point_id": 202686,
            "required_start_datetime": example["points"][1]["required_start_datetime"],
            "required_finish_datetime": "2024-12-04T02:21:48+07:00",
        },
    ]


def test_cod_edit_like_example_5_on_the_destination() -> None:
    order = current("edit_order_add_point_response")  # three points
    patch = ShipmentPatch(cash_on_delivery=Money(Decimal("42000"), "IDR"), instructions="Call")
    body = requests.edit_body(1250032, order, 202686, patch, now=NOW).body
    example = fixture("borzo", "edit_order_cod_request")
    assert [p["point_id"] for p in body["points"]] == [p["point_id"] for p in example["points"]]
    assert body["points"][1] == {
        "point_id": 202686,
        "is_cod_cash_voucher_required": True,
        "taking_amount": "42000.00",
        "note": "Call",
    }
    assert body["points"][2] == {"point_id": 202687}


def test_zero_cod_removes_it_as_example_5_does() -> None:
    patch = ShipmentPatch(cash_on_delivery=Money(Decimal(0), "IDR"))
    body = requests.edit_body(1250032, current(), None, patch, now=NOW).body
    assert body["points"][1] == {
        "point_id": 202686,
        "is_cod_cash_voucher_required": False,
        "taking_amount": "0.00",
    }


def test_every_package_is_kept_by_id_unless_the_parcels_are_replaced() -> None:
    order = current("edit_order_packages_response")
    body = requests.edit_body(1250032, order, None, ShipmentPatch(description="x"), now=NOW).body
    assert body["points"] == [
        {"point_id": 202685, "packages": [{"order_package_id": 3632252}]},
        {"point_id": 202686, "packages": [{"order_package_id": 3632253}]},
        {"point_id": 202687},
    ]
    parcels = (Parcel(weight_kg=3, items=(ParcelItem("Topi", 3, sku="100112"),)),)
    built = requests.edit_body(1250032, order, 202686, ShipmentPatch(parcels=parcels), now=NOW)
    assert built.body["total_weight_kg"] == 3
    assert built.body["points"][0] == {
        "point_id": 202685,
        "packages": [{"order_package_id": 3632252}],
    }
    assert built.body["points"][1] == {
        "point_id": 202686,
        "packages": [{"ware_code": "100112", "description": "Topi", "items_count": 3}],
    }
    assert built.layout.root == ("patch",)
    assert built.layout.packages == ((0, 0),)


def test_replacing_parcels_by_bare_ones_empties_the_destinations_packages() -> None:
    order = current("edit_order_packages_response")
    patch = ShipmentPatch(parcels=(Parcel(),))
    body = requests.edit_body(1250032, order, 202686, patch, now=NOW).body
    assert body["points"][1] == {"point_id": 202686, "packages": []}


def test_patch_checks() -> None:
    patch = ShipmentPatch(
        cash_on_delivery=Money(Decimal(1), "USD"),
        parcels=(Parcel(items=(ParcelItem("a", 1, unit_price=Money(Decimal(1), "SGD")),)),),
    )
    assert [e.field for e in requests.check_patch(patch)] == [
        ("patch", "cashOnDelivery", "currency"),
        ("patch", "parcels", "0", "items", "0", "unitPrice", "currency"),
    ]


def buyout_order() -> dict[str, Any]:
    """The document's order, booked as its goods buyout example: cash paid at the pick-up."""
    order = current()
    order["points"][0]["buyout_amount"] = "100.00"
    order["points"][1]["taking_amount"] = "100.00"
    return order


def test_a_cod_edit_of_a_buyout_order_sends_no_voucher() -> None:
    # Error codes: "cod_is_not_allowed_with_buyout"; the buyout use case sends taking_amount alone
    patch = ShipmentPatch(cash_on_delivery=Money(Decimal("150000"), "IDR"))
    body = requests.edit_body(1250032, buyout_order(), None, patch, now=NOW).body
    assert body["points"][1] == {"point_id": 202686, "taking_amount": "150000.00"}


def test_a_cod_edit_of_a_cash_remittance_order_sends_no_voucher() -> None:
    # Cash remittance: backpayment_details on the order, taking_amount alone on the point
    order = current()
    order["backpayment_details"] = "Sample bank details 111111111111"
    patch = ShipmentPatch(cash_on_delivery=Money(Decimal("100"), "IDR"))
    body = requests.edit_body(1250032, order, None, patch, now=NOW).body
    assert body["points"][1] == {"point_id": 202686, "taking_amount": "100.00"}


@pytest.mark.parametrize("details", [None, "", "  "])
def test_without_buyout_or_remittance_a_cod_edit_sends_the_voucher(details: object) -> None:
    order = current()
    order["backpayment_details"] = details
    patch = ShipmentPatch(cash_on_delivery=Money(Decimal("100"), "IDR"))
    body = requests.edit_body(1250032, order, None, patch, now=NOW).body
    assert body["points"][1]["is_cod_cash_voucher_required"] is True


def test_removing_cod_from_a_buyout_order_clears_the_voucher_as_example_5() -> None:
    patch = ShipmentPatch(cash_on_delivery=Money(Decimal(0), "IDR"))
    body = requests.edit_body(1250032, buyout_order(), None, patch, now=NOW).body
    assert body["points"][1] == {
        "point_id": 202686,
        "is_cod_cash_voucher_required": False,
        "taking_amount": "0.00",
    }


def test_the_documents_addresses_are_within_borzos_length() -> None:
    # PICKUP_LINE is the document's longest address, 128 characters
    assert requests.check_request(doc_request(), booking=True) == []


def test_an_address_line_over_350_characters_is_refused_before_borzo_is_asked() -> None:
    # Placing an order: address "Maximum length is 350 characters"; each part is within
    # its own limit, the line Borzo gets is not
    origin = Address(
        line1=PICKUP_LINE, line2="Blok " + "J" * 150, city="K" * 80, country_code="ID", phone=PHONE
    )
    assert len(requests.address_line(origin)) > requests.MAX_ADDRESS
    for booking in (True, False):
        [error] = requests.check_request(doc_request(origin=origin), booking=booking)
        assert error.field == ("shipment", "origin")
        assert "at most 350" in error.message


def test_an_address_line_of_350_characters_is_taken() -> None:
    destination = Address(line1="J" * 350, country_code="ID", phone=PHONE)
    assert requests.check_request(doc_request(destination=destination), booking=True) == []


def test_a_stops_address_over_350_characters_is_refused_at_the_stop() -> None:
    stop = {"line1": DROP_LINE, "line2": "L" * 200, "city": "C" * 100, "phone": PHONE}
    _, errors = requests.parse_options(doc_request(carrier_options={"BORZO": {"points": [stop]}}))
    assert [e.field for e in errors] == [("shipment", "carrierOptions", "BORZO", "points", "0")]
