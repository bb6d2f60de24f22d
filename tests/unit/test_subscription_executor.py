"""Subscription events: one execution per distinct subscription and event, shared by
its subscribers; and a subfield memo of each event's own, so that a long-lived
subscription does not keep every past event's field lists alive."""

from __future__ import annotations

import inspect
from typing import Any

from graphql import parse

from shipgraph.domain import ShipmentEvent
from shipgraph.schema import build_schema
from shipgraph.schema.execution import SubscriptionExecutor
from tests.support.builders import T0, shipment

WATCH = "subscription W($id: ID) { shipmentUpdated(id: $id) { shipment { id status } } }"


def subscription(variables: dict[str, Any] | None = None) -> SubscriptionExecutor:
    schema = build_schema()
    assert schema.execution_context_class is SubscriptionExecutor
    executor = SubscriptionExecutor.build(
        schema._schema, parse(WATCH), raw_variable_values=variables
    )
    assert isinstance(executor, SubscriptionExecutor)
    return executor


async def run(executor: SubscriptionExecutor, payload: object) -> Any:
    result = executor.build_per_event_executor(payload).execute_operation(False)
    return await result if inspect.isawaitable(result) else result


def event() -> ShipmentEvent:
    return ShipmentEvent(shipment=shipment(), occurred_at=T0)


async def test_subscribers_of_the_same_subscription_share_one_execution() -> None:
    document = parse(WATCH)
    schema = build_schema()._schema
    first, second = (SubscriptionExecutor.build(schema, document) for _ in range(2))
    assert isinstance(first, SubscriptionExecutor) and isinstance(second, SubscriptionExecutor)
    same = event()
    one, other = await run(first, same), await run(second, same)
    assert one is other
    assert one.data == {
        "shipmentUpdated": {"shipment": {"id": same.shipment.id, "status": "CREATED"}}
    }


async def test_other_events_and_other_variables_execute_again() -> None:
    document = parse(WATCH)
    schema = build_schema()._schema
    plain = SubscriptionExecutor.build(schema, document)
    narrowed = SubscriptionExecutor.build(schema, document, raw_variable_values={"id": "shp_1"})
    assert isinstance(plain, SubscriptionExecutor) and isinstance(narrowed, SubscriptionExecutor)
    same = event()
    assert await run(plain, same) is not await run(narrowed, same)
    assert await run(plain, same) is not await run(plain, event())


def test_events_do_not_share_the_subscriptions_memo() -> None:
    executor = subscription()
    first = executor.build_per_event_executor(event())
    second = executor.build_per_event_executor(event())
    memos = {id(executor._relevant_sub_fields), id(first._relevant_sub_fields)}
    assert len(memos | {id(second._relevant_sub_fields)}) == 3
