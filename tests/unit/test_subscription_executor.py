"""Each subscription event executes with a subfield memo of its own, so a long-lived
subscription does not keep every past event's field lists alive."""

from __future__ import annotations

from graphql import parse

from shipgraph.schema import build_schema
from shipgraph.schema.execution import SubscriptionExecutor

WATCH = "subscription { shipmentUpdated { shipment { id status } previousStatus } }"


def test_events_do_not_share_the_subscriptions_memo() -> None:
    schema = build_schema()
    assert schema.execution_context_class is SubscriptionExecutor
    executor = SubscriptionExecutor.build(schema._schema, parse(WATCH))
    assert isinstance(executor, SubscriptionExecutor)
    first = executor.build_per_event_executor({"shipmentUpdated": None})
    second = executor.build_per_event_executor({"shipmentUpdated": None})
    memos = {id(executor._relevant_sub_fields), id(first._relevant_sub_fields)}
    assert len(memos | {id(second._relevant_sub_fields)}) == 3
