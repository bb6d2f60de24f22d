"""The executor the schema runs operations with."""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class SubscriptionExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with one fix for long-lived subscriptions.

    graphql-core 3.3's per-event executor is a shallow copy that shares the
    subscription's memo of collected subfields. The memo is keyed by lists each event
    builds anew, so it never hits and keeps every event's lists alive: memory grew by
    about 4.5 KB per subscriber per event, and garbage collection pauses with it
    (found by bench/live.py). Each event gets a memo of its own.
    """

    def build_per_event_executor(self, payload: Any) -> SubscriptionExecutor:
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, SubscriptionExecutor)
        executor._relevant_sub_fields = {}
        return executor
