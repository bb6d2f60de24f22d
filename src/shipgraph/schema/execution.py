"""The executor the schema runs operations with."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, cast

from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

SHARED_RESULTS_KEPT = 256


@dataclass(frozen=True, slots=True)
class _Shared:
    payload: Any
    """Kept alive with its result, so that its id cannot be reused meanwhile."""
    result: ExecutionResult | asyncio.Future[ExecutionResult]


_shared: OrderedDict[tuple[int, int, str], _Shared] = OrderedDict()


class SubscriptionExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with two changes for subscriptions.

    - One event, one execution per distinct subscription. The event bus hands the
      same event object to every local subscriber of a tenant, and the result of a
      subscription's selection depends only on that event, the document and the
      variables; so subscribers with the same document and variables share one
      execution instead of repeating it (1 000 subscribers, one execution).
    - graphql-core 3.3's per-event executor is a shallow copy that shares the
      subscription's memo of collected subfields. The memo is keyed by lists each
      event builds anew, so it never hits and kept every event's lists alive: memory
      grew by about 4.5 KB per subscriber per event, and garbage collection pauses
      with it (found by bench/live.py). Each event gets a memo of its own.
    """

    _event_key: tuple[int, int, str] | None = None
    _variables_key: str | None = None
    """The subscription's variables as a key, made once, not once per event."""

    def build_per_event_executor(self, payload: Any) -> SubscriptionExecutor:
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, SubscriptionExecutor)
        executor._relevant_sub_fields = {}
        if self._variables_key is None:
            coerced = self.variable_values.coerced
            self._variables_key = json.dumps(coerced, sort_keys=True, default=repr)
        executor._event_key = (id(payload), id(self.operation), self._variables_key)
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        key = self._event_key
        if key is None:
            return super().execute_operation(serially)
        shared = _shared.get(key)
        if shared is not None and shared.payload is self.root_value:
            return _result_of(shared.result)
        executed = super().execute_operation(serially)
        result: ExecutionResult | asyncio.Future[ExecutionResult]
        if self.is_awaitable(executed):
            result = asyncio.ensure_future(cast(Awaitable[ExecutionResult], executed))
        else:
            result = cast(ExecutionResult, executed)  # a subscription has no @defer
        _shared[key] = _Shared(self.root_value, result)
        if len(_shared) > SHARED_RESULTS_KEPT:
            _shared.popitem(last=False)
        return _result_of(result)


def _result_of(
    result: ExecutionResult | asyncio.Future[ExecutionResult],
) -> ExecutionResult | Awaitable[ExecutionResult]:
    """A subscriber that goes away while waiting must not cancel the others' result."""
    return asyncio.shield(result) if isinstance(result, asyncio.Future) else result
