"""Every status Borzo's simulator can send maps to a known status, read from the
simulator's own tables, and the simulator's steps reach no status outside them."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from shipgraph.carriers.borzo import mapping
from shipgraph.domain import ShipmentStatus
from shipgraph.sandbox.borzo.lifecycle import STEPS, StepInput
from shipgraph.sandbox.borzo.model import DELIVERY_STATUSES, ORDER_STATUSES, Order
from shipgraph.sandbox.borzo.state import BorzoSandboxState
from shipgraph.sandbox.webhooks import Delivery as Dispatch
from tests.support.fixtures import FIXTURES, fixture


@pytest.mark.parametrize("value", ORDER_STATUSES)
def test_every_simulated_order_status_is_mapped(value: str) -> None:
    assert mapping.ORDER_STATUS[value] != ShipmentStatus.UNKNOWN


@pytest.mark.parametrize("value", DELIVERY_STATUSES)
def test_every_simulated_delivery_status_is_mapped(value: str) -> None:
    assert mapping.DELIVERY_STATUS[value] != ShipmentStatus.UNKNOWN


def test_the_tables_map_exactly_what_the_simulator_knows() -> None:
    assert sorted(mapping.ORDER_STATUS.values()) == sorted(ORDER_STATUSES)
    assert sorted(mapping.DELIVERY_STATUS.values()) == sorted(DELIVERY_STATUSES)


# --- the document's examples ---------------------------------------------------------------


def document_orders() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every order in the document's examples (answers and the order callback)."""
    for path in sorted((FIXTURES / "borzo").glob("*.json")):
        data = fixture("borzo", path.stem)
        if not isinstance(data, dict):
            continue
        listed = data.get("orders") or ([data["order"]] if "order" in data else [])
        for index, order in enumerate(listed):
            yield f"{path.stem}[{index}]", order


DOCUMENT_ORDERS = dict(document_orders())


def test_the_examples_hold_orders() -> None:
    assert {"create_order_response[0]", "orders_response[1]", "callback_order_created[0]"} <= set(
        DOCUMENT_ORDERS
    )


@pytest.mark.parametrize("name", DOCUMENT_ORDERS)
def test_every_status_in_the_documents_examples_is_mapped(name: str) -> None:
    order = DOCUMENT_ORDERS[name]
    if order["status"] is not None:  # null in the calculate-order answer
        assert mapping.ORDER_STATUS[order["status"]] != ShipmentStatus.UNKNOWN
    for point in order["points"]:
        if point["delivery"] is not None:
            assert mapping.DELIVERY_STATUS[point["delivery"]["status"]] != ShipmentStatus.UNKNOWN
    state = mapping.order_state(order)
    assert state is not None and state.status != ShipmentStatus.UNKNOWN


def test_the_documents_delivery_callback_status_is_mapped() -> None:
    delivery = fixture("borzo", "callback_delivery_created")["delivery"]
    assert mapping.DELIVERY_STATUS[delivery["status"]] == ShipmentStatus.OUT_FOR_DELIVERY


@pytest.mark.parametrize(
    ("delivery", "status"),
    [
        ("reattempt_planned", ShipmentStatus.DELIVERY_FAILED),
        ("reattempt_courier_assigned", ShipmentStatus.PICKUP_SCHEDULED),
        ("reattempt_courier_departed", ShipmentStatus.PICKUP_SCHEDULED),
        ("reattempt_courier_picked_up", ShipmentStatus.OUT_FOR_DELIVERY),
        ("reattempt_finished", ShipmentStatus.DELIVERED),
    ],
)
def test_a_reattempt_in_the_documents_listed_order(delivery: str, status: ShipmentStatus) -> None:
    order = copy.deepcopy(fixture("borzo", "orders_response")["orders"][0])
    order["status"] = "active"
    order["points"][-1]["delivery"] = {"status": delivery}
    assert mapping.order_state(order) == mapping.OrderState(status, delivery)


def test_an_active_order_without_deliveries_has_a_courier_on_the_way_to_pick_up() -> None:
    order = copy.deepcopy(fixture("borzo", "create_order_response")["order"])
    order["status"] = order["status_description"] = "active"
    for point in order["points"]:
        point["delivery"] = None
    assert mapping.order_state(order) == mapping.OrderState(
        ShipmentStatus.PICKUP_SCHEDULED, "active"
    )


# --- what the simulator's steps reach -----------------------------------------------------

PICKUP = fixture("borzo", "create_order_request")["points"][0]["address"]
DROP = fixture("borzo", "create_order_request")["points"][1]["address"]


def body(drops: int) -> dict[str, Any]:
    def point(address: str) -> dict[str, Any]:
        return {"address": address, "contact_person": {"phone": "6288800000001"}}

    return {"matter": "Documents", "points": [point(PICKUP), *[point(DROP)] * drops]}


def sent_statuses(callback: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, value) of every status a callback body carries."""
    if "delivery" in callback:
        yield "delivery", callback["delivery"]["status"]
        return
    yield "order", callback["order"]["status"]
    for point in callback["order"]["points"]:
        if point["delivery"] is not None:
            yield "delivery", point["delivery"]["status"]


async def test_every_step_sends_only_statuses_the_simulator_lists() -> None:
    """Every change of an order sends callbacks, so their statuses are all it sends."""
    state = BorzoSandboxState(auth_token="t")
    sent: list[dict[str, Any]] = []
    send = state._callback

    def record(order: Order, event: str, callback: dict[str, Any]) -> Dispatch | None:
        sent.append(copy.deepcopy(callback))
        return send(order, event, callback)

    state._callback = record  # type: ignore[method-assign]
    steps_taken: set[str] = set()

    async def run(order: Order, *steps: str | None) -> None:
        for step in steps:
            _, name, _ = await state.advance(str(order.order_id), step, StepInput())
            steps_taken.add(name)

    happy = await state.create(body(1))
    await run(happy, *[None] * 9)  # new ... finished, completed
    assert happy.status == "completed"

    twice = await state.create(body(2))
    await run(twice, *[None] * 7, "return_planned", *[None] * 5)  # ... the second: active
    await run(twice, "reattempt_planned", *[None] * 5)  # ... reattempt_finished, completed
    assert twice.status == "completed"

    held = await state.create(body(1))
    await run(held, None, "delayed", None, None, "reactivated", None, "canceled")

    called_off = await state.create(body(1))
    await state.cancel({"order_id": called_off.order_id})

    edited = await state.create(body(2))
    kept = [{"point_id": point.point_id} for point in edited.points[:2]]
    await state.edit({"order_id": edited.order_id, "points": kept})

    assert steps_taken == set(STEPS), set(STEPS) - steps_taken
    seen = {pair for callback in sent for pair in sent_statuses(callback)}
    assert {value for kind, value in seen if kind == "order"} <= set(ORDER_STATUSES)
    assert {value for kind, value in seen if kind == "delivery"} <= set(DELIVERY_STATUSES)
    # Reached: all but the document's drafts, which only its Personal cabinet makes.
    listed = {("order", value) for value in ORDER_STATUSES}
    listed |= {("delivery", value) for value in DELIVERY_STATUSES}
    assert listed - seen == {("order", "draft"), ("delivery", "draft"), ("delivery", "invalid")}
