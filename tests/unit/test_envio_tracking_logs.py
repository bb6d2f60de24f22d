"""Envio's tracking logs across polls: each log of the answer once in the timeline.

Envio's log entries carry no status (envio.md "Shipment Tracking"): the newest takes the
shipment's status. Read again once a newer entry exists, the same entry must not come
back as a second, UNKNOWN one beside the first.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from shipgraph.carriers.envio import mapping
from shipgraph.domain import Shipment, ShipmentStatus, apply_update
from tests.store.shipments import shipment
from tests.support.carriers import envio_answering as carrier
from tests.support.fixtures import fixture

S = ShipmentStatus
NOW = datetime(2023, 6, 10, tzinfo=UTC)
# The document's example answer, read as it grew: each status with the logs up to it.
STATUSES = ("new", "on_pickup", "on_transit", "Console", "on_delivery", "delivered")


def answer(status: str) -> dict[str, Any]:
    """The document's tracking example as it read while the shipment was ``status``."""
    data: dict[str, Any] = copy.deepcopy(fixture("envio", "tracking_response")["data"])
    data["status"] = status
    data["logs"] = data["logs"][len(STATUSES) - 1 - STATUSES.index(status) :]
    return data


def booked() -> Shipment:
    data = answer("new")
    return shipment("a", carrier_shipment_id=data["id"], tracking_number=data["code"])


async def polled(ours: Shipment, status: str) -> Shipment:
    update = await carrier(answer(status)).refresh(ours)
    merged, _ = apply_update(ours, update, NOW)
    return merged


def timeline(ours: Shipment) -> list[tuple[S, str, str | None]]:
    return [(log.status, log.carrier_status, log.message) for log in ours.tracking_logs]


async def test_each_log_is_in_the_timeline_once_after_a_poll_at_every_status() -> None:
    ours = booked()
    for status in STATUSES:
        ours = await polled(ours, status)
    assert timeline(ours) == [
        (S.DELIVERED, "delivered", "Pengiriman telah selesai, diterima oleh (Robert)"),
        (S.OUT_FOR_DELIVERY, "on_delivery", "Pengiriman dalam perjalanan menuju lokasi anda"),
        (S.AT_HUB, "Console", "Pengiriman telah dijadwalkan untuk menuju lokasi penerima"),
        (
            S.IN_TRANSIT,
            "on_transit",
            "Pengiriman anda berhasil dipickup, barang diterima di (BKI 01 - Chekpoint Bekasi)",
        ),
        (S.PICKUP_SCHEDULED, "on_pickup", "Paket telah dijadwalkan untuk dipickup"),
        (S.CREATED, "new", "Satrio membuat order pengiriman"),
    ]
    assert ours.status == S.DELIVERED


async def test_logs_first_read_after_newer_ones_have_no_status_and_stay_single() -> None:
    ours = await polled(booked(), "on_pickup")
    ours = await polled(ours, "Console")
    again = await polled(ours, "Console")
    assert [log.status for log in again.tracking_logs] == [
        S.AT_HUB,
        S.UNKNOWN,
        S.PICKUP_SCHEDULED,
        S.UNKNOWN,
    ]
    assert again.tracking_logs == ours.tracking_logs


def test_a_single_answer_still_names_its_newest_log_by_the_shipments_status() -> None:
    logs = mapping.tracking_logs(answer("Console"))
    assert [log.status for log in logs] == [S.AT_HUB, S.UNKNOWN, S.UNKNOWN, S.UNKNOWN]
    assert [log.carrier_status for log in logs] == ["Console", "", "", ""]
