"""How carrier updates merge into a shipment: dedupe, order, no regression."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from shipgraph.domain import (
    CarrierCode,
    Courier,
    ItemUpdate,
    Money,
    Parcel,
    ParcelItem,
    ShipmentPatch,
    ShipmentStatus,
    TrackingLog,
    TrackingUpdate,
    apply_patch,
    apply_update,
    may_move,
)
from tests.support.builders import T0, shipment

S = ShipmentStatus


_ids = itertools.count()


def update(status: ShipmentStatus | None, minutes: int = 0, **extra: object) -> TrackingUpdate:
    """A distinct event each call (use the same object twice for a replay)."""
    log = carrier_status = None
    if status is not None:
        carrier_status = status.value.lower()
        log = TrackingLog(status, carrier_status, T0 + timedelta(minutes=minutes))
    return TrackingUpdate(
        carrier=CarrierCode.ENVIO,
        event_id=f"e{next(_ids)}",
        status=status,
        carrier_status=carrier_status,
        log=log,
        **extra,  # type: ignore[arg-type]
    )


def test_a_new_status_applies_and_makes_an_event() -> None:
    merged, event = apply_update(shipment(), update(S.PICKED_UP, 5), T0)
    assert merged.status == S.PICKED_UP
    assert merged.carrier_status == "picked_up"
    assert event is not None
    assert event.previous_status == S.CREATED
    assert event.log == merged.tracking_logs[0]
    assert event.occurred_at == T0 + timedelta(minutes=5)


def test_the_same_event_twice_applies_once() -> None:
    picked_up = update(S.PICKED_UP, 5)
    once, _ = apply_update(shipment(), picked_up, T0)
    twice, event = apply_update(once, picked_up, T0)
    assert event is None
    assert twice == once
    assert len(twice.tracking_logs) == 1


def test_a_late_earlier_event_keeps_its_log_not_its_status() -> None:
    delivered, _ = apply_update(shipment(), update(S.DELIVERED, 60), T0)
    late, event = apply_update(delivered, update(S.PICKED_UP, 10), T0)
    assert late.status == S.DELIVERED
    assert [log.status for log in late.tracking_logs] == [S.DELIVERED, S.PICKED_UP]
    assert event is not None  # the log is news even if the status is not


def test_no_regression_below_the_furthest_stage_reached() -> None:
    out, _ = apply_update(shipment(), update(S.OUT_FOR_DELIVERY, 30), T0)
    late, _ = apply_update(out, update(S.PICKUP_SCHEDULED, 1), T0)
    assert late.status == S.OUT_FOR_DELIVERY


def test_redelivery_loop_moves_sideways() -> None:
    s = shipment(status=S.OUT_FOR_DELIVERY)
    for status in (S.DELIVERY_FAILED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED):
        s, _ = apply_update(s, update(status, len(s.tracking_logs) + 1), T0)
        assert s.status == status


@pytest.mark.parametrize("final", [S.DELIVERED, S.RETURNED, S.CANCELLED, S.LOST])
def test_final_statuses_stay(final: ShipmentStatus) -> None:
    done = shipment(status=final)
    for status in (S.IN_TRANSIT, S.RETURNED, S.EXCEPTION, S.UNKNOWN, S.CANCELLED):
        assert not may_move(done, status)


def test_exception_applies_then_yields_to_progress() -> None:
    s, _ = apply_update(shipment(status=S.IN_TRANSIT), update(S.EXCEPTION, 1), T0)
    assert s.status == S.EXCEPTION
    s, _ = apply_update(s, update(S.OUT_FOR_DELIVERY, 2), T0)
    assert s.status == S.OUT_FOR_DELIVERY


def test_cancel_applies_from_any_unfinished_status() -> None:
    for status in (S.CREATED, S.PICKUP_SCHEDULED, S.RETURNING, S.EXCEPTION):
        assert may_move(shipment(status=status), S.CANCELLED)


def test_logs_stay_newest_first_whatever_the_arrival_order() -> None:
    s = shipment()
    for minutes, status in ((30, S.IN_TRANSIT), (10, S.PICKUP_SCHEDULED), (20, S.PICKED_UP)):
        s, _ = apply_update(s, update(status, minutes), T0)
    assert [log.occurred_at for log in s.tracking_logs] == [
        T0 + timedelta(minutes=m) for m in (30, 20, 10)
    ]
    assert s.status == S.IN_TRANSIT


def test_logs_of_the_same_instant_stay_newest_first() -> None:
    s = shipment()
    for status in (S.PICKUP_SCHEDULED, S.PICKED_UP, S.IN_TRANSIT):
        s, _ = apply_update(s, update(status, 5), T0)
    assert [log.status for log in s.tracking_logs[:3]] == [
        S.IN_TRANSIT,
        S.PICKED_UP,
        S.PICKUP_SCHEDULED,
    ]


def test_courier_only_update() -> None:
    courier = Courier(name="Usep", phone="62", vehicle="B 1")
    s, event = apply_update(shipment(), update(None, courier=courier), T0)
    assert s.courier == courier and s.status == S.CREATED
    assert event is not None and event.log is None


def test_nothing_new_is_no_change() -> None:
    s = shipment(courier=Courier(name="Usep"))
    same, event = apply_update(s, update(None, courier=Courier(name="Usep")), T0)
    assert event is None and same is s


def test_item_update_changes_the_matching_item() -> None:
    items = (ParcelItem(name="Air", quantity=1, sku="A1"), ParcelItem(name="Roti", quantity=3))
    s = shipment(parcels=(Parcel(items=items),))
    s, _ = apply_update(s, update(None, item=ItemUpdate(name="Air", quantity=2, sku="A1")), T0)
    assert [i.quantity for i in s.parcels[0].items] == [2, 3]
    s, _ = apply_update(s, update(None, item=ItemUpdate(name="Roti", quantity=4)), T0)
    assert [i.quantity for i in s.parcels[0].items] == [2, 4]


def test_item_update_for_an_unknown_item_adds_it() -> None:
    s, _ = apply_update(shipment(), update(None, item=ItemUpdate(name="New", quantity=1)), T0)
    assert s.parcels == (Parcel(items=(ParcelItem(name="New", quantity=1),)),)


def test_remembered_events_are_bounded() -> None:
    s = shipment()
    for minute in range(600):
        s, _ = apply_update(s, update((S.IN_TRANSIT, S.AT_HUB)[minute % 2], minute), T0)
    assert len(s.applied_event_ids) == 500


def test_patch_merges_given_fields_only() -> None:
    s = shipment(description="old", cash_on_delivery=Money(Decimal(5), "IDR"))
    patched = apply_patch(s, ShipmentPatch(instructions="call first"), T0)
    assert patched.description == "old" and patched.instructions == "call first"
    zero = apply_patch(s, ShipmentPatch(cash_on_delivery=Money(Decimal(0), "IDR")), T0)
    assert zero.cash_on_delivery is None
    when = T0 + timedelta(days=1)
    dated = apply_patch(s, ShipmentPatch(pickup_at=when, deliver_by=when), T0)
    assert dated.estimated_pickup_at == when and dated.estimated_delivery_at == when


def test_an_update_without_carrier_status_keeps_the_known_one() -> None:
    bare = TrackingUpdate(carrier=CarrierCode.ENVIO, event_id="x", status=S.PICKED_UP)
    merged, _ = apply_update(shipment(carrier_status="new"), bare, T0)
    assert merged.status == S.PICKED_UP and merged.carrier_status == "new"


def test_a_repeat_of_the_same_status_without_a_message_is_not_a_new_log() -> None:
    s, _ = apply_update(shipment(), update(S.PICKED_UP, 5), T0)
    echo, event = apply_update(s, update(S.PICKED_UP, 6), T0)
    assert len(echo.tracking_logs) == 1
    assert event is None


def test_a_repeat_with_its_own_message_is_kept() -> None:
    failed = TrackingUpdate(
        carrier=CarrierCode.ENVIO,
        event_id="f1",
        status=S.PICKUP_FAILED,
        log=TrackingLog(S.PICKUP_FAILED, "picked_up_failed", T0, message="not ready"),
    )
    again = replace(
        failed, event_id="f2", log=replace(failed.log, occurred_at=T0 + timedelta(hours=2))
    )  # type: ignore[arg-type]
    s, _ = apply_update(shipment(), failed, T0)
    s, _ = apply_update(s, again, T0)
    assert len(s.tracking_logs) == 2


def test_a_finer_carrier_status_of_the_same_status_is_kept() -> None:
    def event(carrier_status: str, minutes: int) -> TrackingUpdate:
        log = TrackingLog(S.PICKUP_SCHEDULED, carrier_status, T0 + timedelta(minutes=minutes))
        return TrackingUpdate(
            carrier=CarrierCode.BORZO,
            event_id=carrier_status,
            status=S.PICKUP_SCHEDULED,
            carrier_status=carrier_status,
            log=log,
        )

    s, _ = apply_update(shipment(), event("courier_assigned", 1), T0)
    s, _ = apply_update(s, event("courier_at_pickup", 3), T0)
    assert (s.status, s.carrier_status) == (S.PICKUP_SCHEDULED, "courier_at_pickup")
    late, _ = apply_update(s, event("courier_departed", 2), T0)
    assert late.carrier_status == "courier_at_pickup"
    assert len(late.tracking_logs) == 3


# --- within one stage, the newest event wins -------------------------------------


def test_an_older_event_of_the_same_stage_keeps_its_log_not_the_status() -> None:
    # Envio: `resend` (IN_TRANSIT) at t400, then a late `delivery_failed` at t300.
    s, _ = apply_update(shipment(status=S.OUT_FOR_DELIVERY), update(S.IN_TRANSIT, 400), T0)
    late, event = apply_update(s, update(S.DELIVERY_FAILED, 300), T0)
    assert late.status == S.IN_TRANSIT
    assert late.carrier_status == "in_transit"
    assert [log.status for log in late.tracking_logs] == [S.IN_TRANSIT, S.DELIVERY_FAILED]
    assert event is not None  # the log is news even if the status is not


def test_a_newer_event_of_the_same_stage_moves_the_status() -> None:
    s, _ = apply_update(shipment(status=S.OUT_FOR_DELIVERY), update(S.DELIVERY_FAILED, 300), T0)
    s, _ = apply_update(s, update(S.IN_TRANSIT, 400), T0)
    assert s.status == S.IN_TRANSIT


def test_events_of_one_stage_in_any_arrival_order_end_on_the_newest() -> None:
    stage = [(100, S.IN_TRANSIT), (200, S.OUT_FOR_DELIVERY), (300, S.DELIVERY_FAILED)]
    for order in itertools.permutations(stage):
        s = shipment(status=S.PICKED_UP)
        for minutes, status in order:
            s, _ = apply_update(s, update(status, minutes), T0)
        assert s.status == S.DELIVERY_FAILED, order
        assert len(s.tracking_logs) == 3


def test_an_older_event_of_a_later_stage_still_moves_forwards() -> None:
    s, _ = apply_update(shipment(), update(S.IN_TRANSIT, 400), T0)
    s, _ = apply_update(s, update(S.DELIVERED, 300), T0)
    assert s.status == S.DELIVERED


def test_an_update_without_a_time_moves_within_the_stage() -> None:
    s, _ = apply_update(shipment(status=S.OUT_FOR_DELIVERY), update(S.IN_TRANSIT, 400), T0)
    read = TrackingUpdate(carrier=CarrierCode.ENVIO, event_id="read-1", status=S.DELIVERY_FAILED)
    s, _ = apply_update(s, read, T0)
    assert s.status == S.DELIVERY_FAILED


def test_may_move_within_a_stage_compares_the_carrier_times() -> None:
    s, _ = apply_update(shipment(status=S.PICKED_UP), update(S.IN_TRANSIT, 400), T0)
    assert not may_move(s, S.DELIVERY_FAILED, T0 + timedelta(minutes=300))
    assert may_move(s, S.DELIVERY_FAILED, T0 + timedelta(minutes=400))
    assert may_move(s, S.DELIVERY_FAILED)


def test_a_log_read_again_with_less_said_of_it_is_not_a_new_entry() -> None:
    """A carrier whose log rows carry no status (Envio) names the newest row's status
    only while it is the newest: read again later, the same row has none."""
    at = T0 + timedelta(minutes=5)
    labelled = TrackingLog(S.IN_TRANSIT, "on_transit", at, message="Berhasil dipickup")
    first = TrackingUpdate(carrier=CarrierCode.ENVIO, event_id="p1", logs=(labelled,))
    s, _ = apply_update(shipment(), first, T0)
    bare = TrackingLog(S.UNKNOWN, "", at, message="Berhasil dipickup")
    newer = TrackingLog(S.AT_HUB, "Console", at + timedelta(hours=1), message="Di hub")
    second = TrackingUpdate(carrier=CarrierCode.ENVIO, event_id="p2", logs=(newer, bare))
    s, _ = apply_update(s, second, T0)
    assert s.tracking_logs == (newer, labelled)
    other = TrackingLog(S.UNKNOWN, "", at, message="Another row, same minute")
    third = TrackingUpdate(carrier=CarrierCode.ENVIO, event_id="p3", logs=(other,))
    s, _ = apply_update(s, third, T0)
    assert other in s.tracking_logs  # another message is another row
