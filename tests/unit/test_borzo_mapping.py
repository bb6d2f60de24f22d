"""Borzo answers -> domain: status tables, the destination rule, couriers, values."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from shipgraph.carriers.borzo import mapping
from shipgraph.carriers.parsing import amount, parse_time
from shipgraph.domain import Courier, GeoPoint, Money, ShipmentStatus
from tests.support.fixtures import fixture

NOW = datetime(2024, 12, 4, 3, 0, tzinfo=UTC)

DELIVERY = {
    "draft": ShipmentStatus.DRAFT,
    "invalid": ShipmentStatus.DRAFT,
    "planned": ShipmentStatus.CREATED,
    "courier_assigned": ShipmentStatus.PICKUP_SCHEDULED,
    "courier_departed": ShipmentStatus.PICKUP_SCHEDULED,
    "courier_at_pickup": ShipmentStatus.PICKUP_SCHEDULED,
    "parcel_picked_up": ShipmentStatus.PICKED_UP,
    "active": ShipmentStatus.OUT_FOR_DELIVERY,
    "courier_arrived": ShipmentStatus.OUT_FOR_DELIVERY,
    "finished": ShipmentStatus.DELIVERED,
    "reattempt_finished": ShipmentStatus.DELIVERED,
    "canceled": ShipmentStatus.CANCELLED,
    "deleted": ShipmentStatus.CANCELLED,
    "delayed": ShipmentStatus.EXCEPTION,
    "return_planned": ShipmentStatus.RETURNING,
    "return_courier_assigned": ShipmentStatus.RETURNING,
    "return_courier_departed": ShipmentStatus.RETURNING,
    "return_courier_picked_up": ShipmentStatus.RETURNING,
    "return_finished": ShipmentStatus.RETURNED,
    "reattempt_planned": ShipmentStatus.DELIVERY_FAILED,
    "reattempt_courier_assigned": ShipmentStatus.PICKUP_SCHEDULED,
    "reattempt_courier_departed": ShipmentStatus.PICKUP_SCHEDULED,
    "reattempt_courier_picked_up": ShipmentStatus.OUT_FOR_DELIVERY,
}
ORDER = {
    "draft": ShipmentStatus.DRAFT,
    "new": ShipmentStatus.CREATED,
    "available": ShipmentStatus.CREATED,
    "reactivated": ShipmentStatus.CREATED,
    "active": ShipmentStatus.PICKUP_SCHEDULED,
    "completed": ShipmentStatus.DELIVERED,
    "canceled": ShipmentStatus.CANCELLED,
    "delayed": ShipmentStatus.EXCEPTION,
}


@pytest.mark.parametrize(("value", "status"), DELIVERY.items())
def test_delivery_status_table(value: str, status: ShipmentStatus) -> None:
    assert mapping.DELIVERY_STATUS[value] == status


@pytest.mark.parametrize(("value", "status"), ORDER.items())
def test_order_status_table(value: str, status: ShipmentStatus) -> None:
    assert mapping.ORDER_STATUS[value] == status


def test_tables_list_exactly_the_documented_values() -> None:
    assert sorted(mapping.DELIVERY_STATUS.values()) == sorted(DELIVERY)
    assert sorted(mapping.ORDER_STATUS.values()) == sorted(ORDER)


def test_unlisted_value_is_unknown() -> None:
    assert mapping.DELIVERY_STATUS["return_active"] == ShipmentStatus.UNKNOWN  # removed in 1.3
    assert mapping.ORDER_STATUS["Completed"] == ShipmentStatus.UNKNOWN


# --- the destination decides ----------------------------------------------------------


def order(name: str = "create_order_response") -> dict[str, Any]:
    found: dict[str, Any] = copy.deepcopy(fixture("borzo", name)["order"])
    return found


def set_delivery(data: dict[str, Any], index: int, status: str | None) -> None:
    data["points"][index]["delivery"] = None if status is None else {"status": status}


def test_the_destinations_delivery_decides() -> None:
    data = order()  # status available, destination delivery planned
    assert mapping.order_state(data) == mapping.OrderState(ShipmentStatus.CREATED, "planned")
    set_delivery(data, 1, "finished")
    data["status"] = "active"
    assert mapping.order_state(data) == mapping.OrderState(ShipmentStatus.DELIVERED, "finished")


def test_without_a_delivery_status_the_order_status_decides() -> None:
    data = order()
    set_delivery(data, 1, None)
    data["status"] = "active"
    # "A courier was assigned and is working on the order": the pickup may be ahead.
    assert mapping.order_state(data) == mapping.OrderState(
        ShipmentStatus.PICKUP_SCHEDULED, "active"
    )
    data["status"] = None
    assert mapping.order_state(data) is None


def test_a_canceled_order_is_cancelled_whatever_its_delivery_says() -> None:
    data = fixture("borzo", "cancel_order_response")["order"]
    assert data["points"][1]["delivery"] == {"status": "planned"}
    assert mapping.order_state(data) == mapping.OrderState(ShipmentStatus.CANCELLED, "canceled")


def test_the_destination_is_the_last_point_that_is_not_a_return() -> None:
    data = order("edit_order_add_point_response")  # three points
    set_delivery(data, 1, "finished")
    set_delivery(data, 2, "active")
    assert mapping.order_state(data) == mapping.OrderState(
        ShipmentStatus.OUT_FOR_DELIVERY, "active"
    )
    data["points"][2]["is_return_point"] = True
    assert mapping.order_state(data) == mapping.OrderState(ShipmentStatus.DELIVERED, "finished")
    # a known destination point id wins over the position
    data["points"][2]["is_return_point"] = False
    assert mapping.order_state(data, 202686).status == ShipmentStatus.DELIVERED  # type: ignore[union-attr]


def test_the_pickups_delivery_never_decides() -> None:
    data = order()
    data["points"] = data["points"][:1]
    set_delivery(data, 0, "finished")
    assert mapping.order_state(data) == mapping.OrderState(ShipmentStatus.CREATED, "available")


# --- views --------------------------------------------------------------------------------


def test_view_of_the_documents_listed_order() -> None:
    data = fixture("borzo", "orders_response")["orders"][0]
    view = mapping.order_view(data, None, NOW)
    assert view is not None
    assert (view.order_id, view.order_name) == (1250032, "50032")
    assert view.state == mapping.OrderState(ShipmentStatus.CREATED, "planned")
    assert view.log is not None
    assert view.log.occurred_at == datetime.fromisoformat("2024-12-04T00:21:48+07:00")
    assert view.log.message is None  # its status_description only repeats "available"
    assert view.courier is None
    assert view.delivered_at is None
    assert view.estimated_pickup_at == datetime.fromisoformat("2024-12-04T00:51:48+07:00")
    assert view.estimated_delivery_at == datetime.fromisoformat("2024-12-04T02:21:48+07:00")
    assert view.cash_on_delivery is None


def test_view_of_a_delivered_order() -> None:
    data = order()
    data["status"] = "completed"
    data["finish_datetime"] = "2024-12-04T02:30:00+07:00"
    data["points"][1]["courier_visit_datetime"] = "2024-12-04T02:10:00+07:00"
    data["points"][1]["checkin"] = {"recipient_full_name": "Ani", "recipient_position": None}
    data["points"][1]["taking_amount"] = "42000.00"
    data["courier"] = fixture("borzo", "courier_response")["courier"]
    set_delivery(data, 1, "finished")
    view = mapping.order_view(data, None, NOW)
    assert view is not None and view.log is not None
    visited = datetime.fromisoformat("2024-12-04T02:10:00+07:00")
    assert view.log.occurred_at == visited
    assert view.delivered_at == visited
    assert view.received_by == "Ani"
    assert view.cash_on_delivery == Money(Decimal("42000.00"), "IDR")
    assert view.courier == Courier(
        name="Name Surname",
        phone="6288800000001",
        vehicle="motorbike",
        location=GeoPoint(-6.2914558, 106.8322649),
        located_at=NOW,
    )


def test_a_state_the_order_dates_not_falls_back_to_now() -> None:
    data = order()
    set_delivery(data, 1, "courier_assigned")
    view = mapping.order_view(data, None, NOW)
    assert view is not None and view.log is not None
    assert view.log.occurred_at == NOW
    at = datetime(2024, 12, 4, 1, 0, tzinfo=UTC)
    event_view = mapping.order_view(data, at, NOW)
    assert event_view is not None and event_view.log is not None
    assert event_view.log.occurred_at == at


def test_courier_without_location() -> None:
    courier = {"name": "Budi", "surname": None, "middlename": "S", "phone": "62", "latitude": None}
    assert mapping.courier_of(courier, NOW, None) == Courier(name="Budi S", phone="62")
    assert mapping.courier_of(None, NOW, None) is None


def test_point_refs_for_later_edits() -> None:
    assert mapping.point_refs(order("edit_order_packages_response")) == [
        {"point_id": 202685, "role": "pickup", "package_ids": [3632252]},
        {"point_id": 202686, "role": "stop", "package_ids": [3632253]},
        {"point_id": 202687, "role": "destination", "package_ids": []},
    ]


# --- values ----------------------------------------------------------------------------


def test_timestamps_in_the_documents_format() -> None:
    wib = datetime.fromisoformat("2024-12-04T00:21:48.999+07:00")
    assert mapping.borzo_time(wib) == "2024-12-04T00:21:48+07:00"
    assert mapping.borzo_time(datetime(2024, 12, 3, 17, 21, 48)) == "2024-12-03T17:21:48+00:00"
    assert parse_time("2024-12-04T00:21:48+07:00") == wib.replace(microsecond=0)
    assert parse_time("2024-12-04T00:21:48") is None
    assert parse_time(None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("15000.00", "15000.00"), (30000.00, "30000.0"), ("-49", "-49"), (None, None), ("x", None)],
)
def test_money_values(value: object, expected: str | None) -> None:
    parsed = amount(value)
    assert (str(parsed) if parsed is not None else None) == expected


def test_money_and_coordinates_out() -> None:
    assert mapping.money_text(Decimal("23000")) == "23000.00"
    assert mapping.money_text(Decimal("0.005")) == "0.01"
    assert mapping.coordinate_text(-6.3037234) == "-6.3037234"
    assert mapping.coordinate_text(106.0) == "106"
    assert mapping.coordinate_text(-0.00000001) == "0"


def test_vehicle_names() -> None:
    assert [mapping.vehicle_name(v) for v in (1, 2, 3, 7, 8, 9, None)] == [
        "car_suv_pickup",
        "minivan",
        "van",
        "car",
        "motorbike",
        "vehicle_9",
        None,
    ]
