"""Entrego request bodies from domain input, against the document's examples."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from shipgraph.carriers.entrego.mapping import (
    FAILED_REASONS,
    ORDER_STATE,
    PH_TIME,
    PROVINCES,
    WEBHOOK_STATUS,
    province_name,
)
from shipgraph.carriers.entrego.requests import (
    check_ports,
    check_request,
    missing_ports,
    order_body,
    parse_options,
    patch_body,
    with_ports,
)
from shipgraph.domain import (
    Address,
    CarrierCode,
    ErrorCode,
    Money,
    Parcel,
    ServiceLevel,
    ShipmentPatch,
    ShipmentRequest,
    ShipmentStatus,
)
from tests.support.builders import shipment
from tests.support.fixtures import fixture

OPTIONS = ("shipment", "carrierOptions", "ENTREGO")


def doc_request(**changes: Any) -> ShipmentRequest:
    """The input the document's standard sales order example was made from."""
    values: dict[str, Any] = {
        "reference": "fc75d430-a6b4-40b8-ab60-dbf17b21ec0a",
        "origin": Address(
            line1="Pickup Address",
            country_code="PH",
            name="Pickup Name",
            phone="+639987654321",
            email="pickup.name@example.com",
            village="Test Barangay",
            city="Pickup City",
            province="Metro Manila",
            postal_code="123456",
        ),
        "destination": Address(
            line1="Recipient Address",
            country_code="PH",
            name="Recipient Name",
            phone="+639123456789",
            email="recipient.name@example.com",
            village="Test Barangay",
            city="Recipient City",
            province="metro manila",
            postal_code="123456",
        ),
        "parcels": (Parcel(weight_kg=1.5, width_cm=1.5, height_cm=4.5, length_cm=2.5),),
        "description": "SanDisk OTG USB 64GB",
        "cash_on_delivery": Money(Decimal("900"), "PHP"),
        "declared_value": Money(Decimal("900"), "PHP"),
        "deliver_by": datetime(2018, 9, 16, 10, 0, tzinfo=PH_TIME),
        "instructions": "Please beware of the dogs",
        "carrier_options": {
            "ENTREGO": {
                "trackingNumber": "0031-123456789010",
                "portCode": "BTN",
                "pickupPortCode": "ZMB",
                "packageType": "POUCH",
                "packageSize": "LARGE",
                "weightVolumetric": 2.3,
                "scheduledDeliveryDate": "2018-09-15",
                "serviceType": "FDY",
            }
        },
    }
    values.update(changes)
    return ShipmentRequest(**values)


def marketplace_request() -> ShipmentRequest:
    base = doc_request()
    options = {**base.carrier_options["ENTREGO"], "sellerReference": "ABC123"}
    for key in ("scheduledDeliveryDate", "serviceType"):
        options.pop(key)
    return replace(
        base,
        origin=replace(base.origin, phone="+639123456789"),
        cash_on_delivery=None,
        declared_value=Money(Decimal("0"), "PHP"),
        deliver_by=None,
        pickup_at=datetime.fromisoformat("2018-06-14T09:00:00+08:00"),
        carrier_options={"ENTREGO": options},
    )


def body_of(request: ShipmentRequest) -> dict[str, Any]:
    options, problems = parse_options(request)
    assert problems + check_request(request) == []
    return order_body(request, options)


def test_standard_order_equals_the_document_example() -> None:
    assert body_of(doc_request()) == fixture("entrego", "sales_order_request")


def test_marketplace_order_equals_the_document_example() -> None:
    request = marketplace_request()
    assert parse_options(request)[0].marketplace
    # The example's scheduledPickupDate is a pickup: its answer reads pickupType PICKUP.
    answer = fixture("entrego", "marketplace_order_response")
    expected = {**fixture("entrego", "marketplace_order_request"), "pickupType": "PICKUP"}
    assert body_of(request) == expected
    assert answer["pickupType"] == "PICKUP"


def test_a_marketplace_order_may_be_rtm_with_its_pickup_port() -> None:
    # Marketplace pickupPortCode: "Required if serviceType is RTM".
    request = marketplace_request()
    options = {**request.carrier_options["ENTREGO"], "serviceType": "RTM"}
    body = body_of(replace(request, carrier_options={"ENTREGO": options}))
    assert (body["serviceType"], body["pickupPortCode"]) == ("RTM", "ZMB")
    assert body_of(request)["serviceType"] == "MP"
    del options["pickupPortCode"]
    without_port = replace(request, carrier_options={"ENTREGO": options})
    problems = check_ports(parse_options(without_port)[0])
    assert [(p.field, p.code) for p in problems] == [
        ((*OPTIONS, "pickupPortCode"), ErrorCode.VALIDATION)
    ]


def test_looked_up_ports_fill_only_what_the_caller_left_out() -> None:
    options = parse_options(doc_request(carrier_options={"ENTREGO": {**FDY, "portCode": "BTN"}}))[0]
    assert missing_ports(options) == ["pickup"]
    filled = with_ports(options, {"recipient": "SOU", "pickup": "ZMB"})
    assert (filled.top["portCode"], filled.top["pickupPortCode"]) == ("BTN", "ZMB")
    rtm = parse_options(doc_request(carrier_options={"ENTREGO": {**POUCH, "serviceType": "RTM"}}))
    assert rtm[1] == [] and [p.field for p in check_ports(rtm[0])] == [(*OPTIONS, "pickupPortCode")]
    assert check_ports(with_ports(rtm[0], {"pickup": "ZMB"})) == []


def test_a_pickup_time_books_a_pickup() -> None:
    request = doc_request(pickup_at=datetime.fromisoformat("2018-06-14T09:00:00+08:00"))
    body = body_of(request)
    assert (body["pickupType"], body["scheduledPickupDate"]) == ("PICKUP", "2018-06-14")
    explicit = doc_request(
        pickup_at=request.pickup_at,
        carrier_options={"ENTREGO": {**FDY, "pickupType": "PICKUP"}},
    )
    assert body_of(explicit)["pickupType"] == "PICKUP"


def test_without_a_pickup_time_the_document_default_stands() -> None:
    # The document's standard example sends no pickupType; its answer reads DROP.
    assert "pickupType" not in body_of(doc_request())
    assert fixture("entrego", "sales_order_response")["pickupType"] == "DROP"


@pytest.mark.parametrize(
    ("options", "where"),
    [({"pickupType": "DROP"}, "pickupType"), ({"isBranchDropOff": True}, "isBranchDropOff")],
)
def test_a_drop_off_with_a_pickup_time_is_refused(options: dict[str, Any], where: str) -> None:
    request = doc_request(
        pickup_at=datetime.fromisoformat("2018-06-14T09:00:00+08:00"),
        carrier_options={"ENTREGO": {**FDY, **options}},
    )
    assert paths(request) == {(*OPTIONS, where): ErrorCode.VALIDATION}


def test_own_packaging_sends_a_null_size_and_express_maps() -> None:
    request = doc_request(
        service_level=ServiceLevel.EXPRESS,
        carrier_options={"ENTREGO": {"packageType": "OWN_PACKAGING", "serviceType": "RTN"}},
    )
    body = body_of(request)
    assert body["packageSize"] is None
    assert body["deliveryType"] == "EXPRESS"


def paths(request: ShipmentRequest) -> dict[tuple[str, ...] | None, ErrorCode]:
    problems = parse_options(request)[1] + check_request(request)
    assert all(p.carrier == CarrierCode.ENTREGO for p in problems)
    return {p.field: p.code for p in problems}


POUCH = {"packageType": "POUCH", "packageSize": "LARGE"}
FDY = {**POUCH, "serviceType": "FDY"}


@pytest.mark.parametrize(
    ("options", "where"),
    [
        ({"packageSize": "LARGE", "serviceType": "FDY"}, "packageType"),
        ({**FDY, "packageType": "CRATE"}, "packageType"),
        ({"packageType": "POUCH", "serviceType": "FDY"}, "packageSize"),
        ({**FDY, "packageType": "BOX", "packageSize": "EXTRA_LARGE"}, "packageSize"),
        ({**FDY, "packageType": "OWN_PACKAGING", "packageSize": "SMALL"}, "packageSize"),
        (POUCH, "serviceType"),
        ({**POUCH, "serviceType": "XYZ"}, "serviceType"),
        ({**FDY, "pickupType": "X"}, "pickupType"),
        ({**FDY, "colour": 1}, "colour"),
        ({**FDY, "scheduledDeliveryDate": "15/09/2018"}, "scheduledDeliveryDate"),
        ({**FDY, "sellerReference": "S1"}, "serviceType"),
        ({**POUCH, "sellerReference": "S1", "isBranchDelivery": True}, "isBranchDelivery"),
        ({**FDY, "deliveryBranchId": "7"}, "deliveryBranchId"),
        ({**FDY, "contactNumberMasked": "yes"}, "contactNumberMasked"),
    ],
)
def test_missing_or_invalid_options_are_validation_errors(
    options: dict[str, Any], where: str
) -> None:
    found = paths(doc_request(carrier_options={"ENTREGO": options}))
    assert found == {(*OPTIONS, where): ErrorCode.VALIDATION}


def test_no_options_at_all_names_every_required_option() -> None:
    found = paths(doc_request(carrier_options={}))
    assert set(found) == {(*OPTIONS, "packageType"), (*OPTIONS, "serviceType")}


def test_input_problems_point_at_the_input() -> None:
    request = doc_request(
        cash_on_delivery=Money(Decimal("10"), "IDR"),
        destination=replace(doc_request().destination, province="Jawa Barat", village=None),
        origin=replace(doc_request().origin, country_code="ID"),
        parcels=(Parcel(), Parcel()),
        service_level=ServiceLevel.SAME_DAY,
    )
    assert set(paths(request)) == {
        ("shipment", "cashOnDelivery", "currency"),
        ("shipment", "destination", "province"),
        ("shipment", "destination", "village"),
        ("shipment", "origin", "countryCode"),
        ("shipment", "parcels"),
        ("shipment", "serviceLevel"),
    }


def test_tables() -> None:
    assert WEBHOOK_STATUS["PICKUP_PENDING"] == ShipmentStatus.PICKUP_SCHEDULED
    assert WEBHOOK_STATUS["BAGGED"] == ShipmentStatus.AT_HUB
    assert WEBHOOK_STATUS["HANDOVER_TO_3PL"] == ShipmentStatus.IN_TRANSIT
    assert WEBHOOK_STATUS["DELIVERY_PENDING"] == ShipmentStatus.OUT_FOR_DELIVERY
    assert WEBHOOK_STATUS["DELIVERY_PENDING_RTC"] == ShipmentStatus.RETURNING
    assert WEBHOOK_STATUS["REJECTED_AND_RETURNED"] == ShipmentStatus.RETURNED
    assert WEBHOOK_STATUS["NOT_RECEIVED"] == ShipmentStatus.EXCEPTION
    assert WEBHOOK_STATUS["LOST"] == ShipmentStatus.LOST
    assert WEBHOOK_STATUS["TELEPORTED"] == ShipmentStatus.UNKNOWN
    assert len(WEBHOOK_STATUS.values()) == 21  # every Appendix C event
    assert ORDER_STATE["NEW"] == ShipmentStatus.CREATED
    assert len(FAILED_REASONS) == 25
    assert FAILED_REASONS["3F"] == "Customer address is incomplete"
    assert len(PROVINCES) == 82
    assert province_name("  negros   OCCIDENTAL ") == "Negros Occidental"
    assert province_name("Jawa Barat") is None
    # Appendix D pairs each name with its ISO code: "PH-NEC | Negros Occidental".
    assert province_name("ph-nec") == "Negros Occidental"
    assert province_name("PH-00") == "Metro Manila"
    assert province_name("PH-XXX") is None


# --- patches -----------------------------------------------------------------------


def booked_shipment(**changes: Any) -> Any:
    values: dict[str, Any] = {
        "carrier": CarrierCode.ENTREGO,
        "tracking_number": "0031-0987654321",
        "parcels": (Parcel(weight_kg=1.5, width_cm=None, height_cm=6.5, length_cm=2.5),),
        "instructions": "Ring twice",
        "carrier_data": {"sent": {"weightVolumetric": 2.3}},
    }
    values.update(changes)
    return shipment(**values)


def test_patch_is_always_conditional_on_the_known_old_values() -> None:
    patch = ShipmentPatch(
        parcels=(Parcel(weight_kg=1.5, width_cm=3.5, height_cm=4.5),),
        instructions="Leave at the gate",
        pickup_at=datetime.fromisoformat("2018-06-14T23:30:00+00:00"),
    )
    built = patch_body(booked_shipment(), patch)
    assert built.errors == []
    assert built.payload == {
        "width": {"oldValue": None, "newValue": 3.5, "realPatch": True},
        "height": {"oldValue": 6.5, "newValue": 4.5, "realPatch": True},
        "deliveryInstructions": {
            "oldValue": "Ring twice",
            "newValue": "Leave at the gate",
            "realPatch": True,
        },
        "scheduledPickupDate": {"oldValue": None, "newValue": "2018-06-15", "realPatch": True},
    }


def test_patch_old_value_falls_back_to_the_booked_value() -> None:
    current = booked_shipment(
        instructions=None, carrier_data={"sent": {"deliveryInstructions": "A"}}
    )
    built = patch_body(current, ShipmentPatch(instructions="B"))
    assert built.payload["deliveryInstructions"]["oldValue"] == "A"


def test_patch_of_two_parcels_is_refused() -> None:
    built = patch_body(booked_shipment(), ShipmentPatch(parcels=(Parcel(), Parcel())))
    assert [e.field for e in built.errors] == [("patch", "parcels")]


def test_a_parcels_volumetric_weight_is_sent_and_patched() -> None:
    # Appendix B lists weightVolumetric among the updatable parameters.
    base = doc_request()
    options = {k: v for k, v in base.carrier_options["ENTREGO"].items() if k != "weightVolumetric"}
    parcel = replace(base.parcels[0], volumetric_weight_kg=2.3)
    request = replace(base, parcels=(parcel,), carrier_options={"ENTREGO": options})
    assert body_of(request) == fixture("entrego", "sales_order_request")
    booked = booked_shipment(parcels=(Parcel(weight_kg=1.5, volumetric_weight_kg=2.3),))
    built = patch_body(booked, ShipmentPatch(parcels=(Parcel(volumetric_weight_kg=3.1),)))
    assert built.errors == []
    assert built.payload == {
        "weightVolumetric": {"oldValue": 2.3, "newValue": 3.1, "realPatch": True}
    }
    unknown = booked_shipment(parcels=(Parcel(weight_kg=1.5),))  # the booked value is the old
    built = patch_body(unknown, ShipmentPatch(parcels=(Parcel(volumetric_weight_kg=3.1),)))
    assert built.payload["weightVolumetric"]["oldValue"] == 2.3


def test_a_volumetric_weight_given_twice_is_refused() -> None:
    # The document's order has one weightVolumetric (2.3 in its example).
    base = doc_request()
    parcel = replace(base.parcels[0], volumetric_weight_kg=2.3)
    _, errors = parse_options(replace(base, parcels=(parcel,)))
    assert [(e.field, e.code) for e in errors] == [
        (("shipment", "carrierOptions", "ENTREGO", "weightVolumetric"), ErrorCode.VALIDATION)
    ]


def test_a_province_given_by_its_iso_code_is_sent_by_name() -> None:
    base = doc_request()
    destination = replace(base.destination, province="PH-00")
    request = replace(base, destination=destination)
    assert check_request(request) == []
    assert body_of(request)["recipient"]["province"] == "Metro Manila"
