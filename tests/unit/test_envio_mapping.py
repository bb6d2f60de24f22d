"""Envio request/answer mapping, fed the document's own examples."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import httpx
import pytest

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.envio import mapping
from shipgraph.carriers.envio.adapter import EnvioCarrier
from shipgraph.domain import Address, ErrorCode, Money, Parcel, ParcelItem, ShipmentStatus
from tests.support.builders import doc_request
from tests.support.fixtures import fixture


def test_create_body_is_the_documents_example() -> None:
    built = mapping.create_body(doc_request(), {})
    assert built.body == fixture("envio", "create_request")
    assert built.item_origins == ((0, 0),)


def test_pickup_name_option_overrides_company() -> None:
    built = mapping.create_body(doc_request(), {"pickupName": "DC Jakarta"})
    assert built.body["pickup_address"]["name"] == "DC Jakarta"
    assert "name" not in built.body["recipient"]


@pytest.mark.parametrize("name", [5, {"name": "DC Jakarta"}, ["DC Jakarta"], "  ", True])
def test_a_pickup_name_that_is_no_string_is_refused_at_its_option(name: object) -> None:
    """pickup_address.name is a String (Shipment Creating > Request)."""
    errors = mapping.option_errors({"pickupName": name})
    assert [e.field for e in errors] == [("shipment", "carrierOptions", "ENVIO", "pickupName")]


def test_no_pickup_name_or_a_name_is_fine() -> None:
    assert mapping.option_errors({}) == mapping.option_errors({"pickupName": "DC Jakarta"}) == []


def test_without_cod_sends_zero_as_the_document_asks() -> None:
    built = mapping.create_body(doc_request(cash_on_delivery=None), {})
    assert built.body["cod_value"] == 0


def test_parcel_without_items_is_sent_as_one_item() -> None:
    parcels = (Parcel(weight_kg=2.5, length_cm=30, description="Sepatu"), Parcel())
    built = mapping.create_body(doc_request(parcels=parcels, description="Shoes"), {})
    assert built.body["items"] == [
        {"item_name": "Sepatu", "quantity": 1, "weight": 2.5, "long": 30},
        {"item_name": "Shoes", "quantity": 1},
    ]
    assert built.item_origins == ((0, None), (1, None))


def test_several_items_share_no_parcel_dimensions() -> None:
    items = (ParcelItem(name="a", quantity=2), ParcelItem(name="b", quantity=1, sku="B"))
    built = mapping.create_body(doc_request(parcels=(Parcel(length_cm=5, items=items),)), {})
    assert built.body["items"] == [
        {"item_name": "a", "quantity": 2},
        {"item_name": "b", "quantity": 1, "item_code": "B"},
    ]


def test_address_line2_joins_line1() -> None:
    origin = Address(line1="Jl. A 1", line2="Blok C", country_code="ID", name="n", phone="1")
    body = mapping.create_body(doc_request(origin=origin), {}).body
    assert body["pickup_address"]["address"] == "Jl. A 1, Blok C"


def test_the_postal_code_ends_the_address_as_in_the_documents_example() -> None:
    example = fixture("envio", "create_request")["pickup_address"]["address"]
    origin = replace(
        doc_request().origin,
        line1=example.removesuffix(" 15212"),
        postal_code="15212",
    )
    body = mapping.create_body(doc_request(origin=origin), {}).body
    assert body["pickup_address"]["address"] == example
    told_twice = replace(origin, line1=example)
    body = mapping.create_body(doc_request(origin=told_twice), {}).body
    assert body["pickup_address"]["address"] == example


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"origin": Address(line1="x", country_code="ID", phone="1")}, ("origin", "name")),
        (
            {"destination": Address(line1="x", country_code="ID", name="n")},
            ("destination", "phone"),
        ),
        ({"pickup_at": None}, ("pickupAt",)),
        ({"deliver_by": None}, ("deliverBy",)),
        ({"cash_on_delivery": Money(Decimal(5), "PHP")}, ("cashOnDelivery", "currency")),
        ({"parcels": ()}, ("parcels",)),
        (
            {"destination": replace(doc_request().destination, country_code="PH")},
            ("destination", "countryCode"),
        ),
        ({"origin": replace(doc_request().origin, country_code="MY")}, ("origin", "countryCode")),
    ],
)
def test_what_envio_requires_is_checked_first(
    changes: dict[str, object], path: tuple[str, ...]
) -> None:
    errors = mapping.validate_request(doc_request(**changes))
    assert [e.field for e in errors] == [("shipment", *path)]
    assert all(e.code == ErrorCode.VALIDATION for e in errors)


def test_an_item_priced_in_another_currency_is_refused_at_its_price() -> None:
    """Shipment Creating > Request: unit_price is a bare number, read as rupiah."""
    item = ParcelItem(name="Air Mineral 300 ML", quantity=1, unit_price=Money(Decimal(1), "USD"))
    parcels = (Parcel(), Parcel(items=(item,)))
    errors = mapping.validate_request(doc_request(parcels=parcels))
    assert [e.field for e in errors] == [
        ("shipment", "parcels", "1", "items", "0", "unitPrice", "currency")
    ]
    assert errors[0].code == ErrorCode.VALIDATION


def test_document_request_is_valid() -> None:
    assert mapping.validate_request(doc_request()) == []


TRACKING = {
    "new": ShipmentStatus.CREATED,
    "on_pickup": ShipmentStatus.PICKUP_SCHEDULED,
    "on_transit": ShipmentStatus.IN_TRANSIT,
    "Console": ShipmentStatus.AT_HUB,
    "on_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "delivered": ShipmentStatus.DELIVERED,
    "disputed": ShipmentStatus.DELIVERY_FAILED,
    # The callbacks' words, for the shipments the tracking list has no status for.
    "cancelled": ShipmentStatus.CANCELLED,
    "returned": ShipmentStatus.RETURNED,
}
WEBHOOK = {
    "manifested": ShipmentStatus.PICKUP_SCHEDULED,
    "picked_up": ShipmentStatus.PICKED_UP,
    "picked_up_failed": ShipmentStatus.PICKUP_FAILED,
    "delivered": ShipmentStatus.DELIVERED,
    "delivery_failed": ShipmentStatus.DELIVERY_FAILED,
    "resend": ShipmentStatus.IN_TRANSIT,
    "cancelled": ShipmentStatus.CANCELLED,
    "returned": ShipmentStatus.RETURNED,
}


@pytest.mark.parametrize(("value", "status"), TRACKING.items())
def test_tracking_status_table(value: str, status: ShipmentStatus) -> None:
    assert mapping.TRACKING_STATUS[value] == status


@pytest.mark.parametrize(("value", "status"), WEBHOOK.items())
def test_webhook_status_table(value: str, status: ShipmentStatus) -> None:
    assert mapping.WEBHOOK_STATUS[value] == status


def test_tables_list_exactly_these_values() -> None:
    assert sorted(mapping.TRACKING_STATUS.values()) == sorted(TRACKING)
    assert sorted(mapping.WEBHOOK_STATUS.values()) == sorted(WEBHOOK)


def test_unlisted_value_is_unknown() -> None:
    assert mapping.TRACKING_STATUS["ON_DELIVERY"] == ShipmentStatus.UNKNOWN
    assert mapping.WEBHOOK_STATUS["lost_in_space"] == ShipmentStatus.UNKNOWN


def test_tracking_logs_of_the_documents_example() -> None:
    logs = mapping.tracking_logs(fixture("envio", "tracking_response")["data"])
    assert len(logs) == 6
    assert [log.occurred_at for log in logs] == sorted(
        (log.occurred_at for log in logs), reverse=True
    )
    newest = logs[0]
    assert newest.status == ShipmentStatus.DELIVERED
    assert newest.carrier_status == "delivered"
    assert newest.message == "Pengiriman telah selesai, diterima oleh (Robert)"
    assert newest.location is not None and newest.location.latitude == pytest.approx(-6.2999841)
    assert all(log.status == ShipmentStatus.UNKNOWN for log in logs[1:])
    assert logs[-1].message == "Satrio membuat order pengiriman"
    assert logs[-1].location is None  # 0, 0 means unknown in the document


@pytest.mark.parametrize(
    ("envio", "ours"),
    [
        ("ref_code", ("shipment", "reference")),
        ("cod_value", ("shipment", "cashOnDelivery", "amount")),
        ("eta_at", ("shipment", "deliverBy")),
        ("etd_at", ("shipment", "pickupAt")),
        ("recipient.phone_number", ("shipment", "destination", "phone")),
        ("recipient.contact_person", ("shipment", "destination", "name")),
        ("pickup_address.name", ("shipment", "origin", "company")),
        ("pickup_address.regency", ("shipment", "origin", "city")),
        ("items.0.item_name", ("shipment", "parcels", "0", "items", "0", "name")),
        ("items.1.quantity", ("shipment", "parcels", "1", "items", "0", "quantity")),
        ("items.1.long", ("shipment", "parcels", "1", "lengthCm")),
        ("items.2.item_name", ("shipment", "parcels", "2")),
        ("items.9.item_name", None),
        ("recipient.shoe_size", None),
        ("something", None),
    ],
)
def test_error_paths_map_to_input_paths(envio: str, ours: tuple[str, ...] | None) -> None:
    origins = ((0, 0), (1, 0), (2, None))
    assert mapping.input_path(envio, origins) == ours


def test_field_errors_of_a_422_body() -> None:
    errors = mapping.field_errors(
        {"recipient.phone_number": ["is required"], "ref_code": ["has already been taken"]},
        ((0, 0),),
    )
    assert [(e.code, e.field) for e in errors] == [
        (ErrorCode.VALIDATION, ("shipment", "destination", "phone")),
        (ErrorCode.DUPLICATE, ("shipment", "reference")),
    ]
    assert errors[0].message == "recipient.phone_number is required"


def test_field_errors_ignores_a_body_without_errors() -> None:
    assert mapping.field_errors(None) == []
    assert mapping.field_errors(["x"]) == []


def test_cod_money() -> None:
    assert mapping.cod_money(23000) == Money(Decimal("23000"), "IDR")
    assert mapping.cod_money(0) is None
    assert mapping.cod_money("abc") is None
    assert mapping.cod_money(True) is None


def test_unit_price_keeps_sen() -> None:
    item = ParcelItem(name="x", quantity=1, unit_price=Money(Decimal("12500.50"), "IDR"))
    request = doc_request(parcels=(Parcel(items=(item,)),))
    assert mapping.create_body(request, {}).body["items"][0]["unit_price"] == 12500.5


async def test_a_bad_pickup_name_is_refused_before_envio_is_called() -> None:
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500)

    envio = EnvioCarrier(
        base_url="http://envio.test",
        api_key="key",
        webhook_token=None,
        timeout_s=1,
        transport=httpx.MockTransport(answer),
    )
    request = doc_request(carrier_options={"ENVIO": {"pickupName": 5}})
    with pytest.raises(CarrierError) as refused:
        await envio.create(request)
    assert refused.value.code == ErrorCode.VALIDATION
    assert [e.field for e in refused.value.field_errors] == [
        ("shipment", "carrierOptions", "ENVIO", "pickupName")
    ]
    assert calls == []
