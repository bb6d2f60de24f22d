"""Tracking polls: for carriers without webhooks, and for the webhooks that never came.

Every ``interval_s`` the poller asks the store for the due shipments of each enabled
carrier that can TRACK (``ShipmentStore.claim_due``: shipments nothing has been heard
of for an interval, claimed under a lease every process on the same store shares, so
each is polled once per interval by one of them) and refreshes each from its carrier
as ``ShipmentService.refresh`` does: the updater stores what changed and publishes it
to subscribers like a webhook would.

A round polls each carrier's backlog in batches, at most ``concurrency`` calls at a
time per carrier. A carrier whose circuit breaker is open is skipped, and one that
fails with a retryable error gets no further batch that round: what it did not poll
stays due. Failures are logged once per carrier per round. Nothing but cancellation
ends the loop; a store that is down just makes it wait for the next round.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from shipgraph.carriers.base import CarrierBase, CarrierError
from shipgraph.carriers.registry import CarrierRegistry
from shipgraph.domain import Capability, CarrierCode, Shipment
from shipgraph.events.ingest import ShipmentUpdater
from shipgraph.observability import get_logger
from shipgraph.store.base import ShipmentStore, StoreUnavailable

log = get_logger("shipgraph.events.poller")

POLL_BATCH = 50
"""Shipments claimed at once: what a crashed process leaves undone for an interval."""
POLL_CONCURRENCY = 8
"""Calls in flight per carrier, so a big backlog cannot flood one."""


@dataclass
class RoundStats:
    """What one round did, per carrier (for logs and tests)."""

    polled: dict[CarrierCode, int] = field(default_factory=dict)
    changed: dict[CarrierCode, int] = field(default_factory=dict)
    failed: dict[CarrierCode, int] = field(default_factory=dict)
    skipped: set[CarrierCode] = field(default_factory=set)
    """Carriers not polled at all: breaker open, or the store could not be reached."""

    def count(self, into: dict[CarrierCode, int], code: CarrierCode, n: int) -> None:
        if n:
            into[code] = into.get(code, 0) + n


class TrackingPoller:
    def __init__(
        self,
        store: ShipmentStore,
        registry: CarrierRegistry,
        updater: ShipmentUpdater,
        interval_s: float,
        *,
        lease_clock: Callable[[], datetime] | None = None,
        batch: int = POLL_BATCH,
        concurrency: int = POLL_CONCURRENCY,
    ) -> None:
        """``interval_s`` 0 disables it: ``start`` then starts nothing. Leases are
        taken and judged by ``lease_clock``; None (in production) is the database's
        clock, which every process agrees on."""
        self._store = store
        self._registry = registry
        self._updater = updater
        self._interval_s = interval_s
        self._lease_clock = lease_clock
        self._batch = batch
        self._concurrency = concurrency
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._interval_s > 0 and not self.running:
            self._task = asyncio.create_task(self._run(), name="tracking-poller")

    async def aclose(self) -> None:
        """Stop, cancelling the calls in flight (what they did not finish stays due)."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        await asyncio.wait([task])  # unlike awaiting it, never swallows our own cancel

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # a bug must not end tracking for every shipment
                log.exception("tracking poll round failed")
            await asyncio.sleep(self._interval_s)

    async def run_once(self) -> RoundStats:
        """One round: every trackable carrier's due shipments, carriers side by side."""
        stats = RoundStats()
        codes = self._registry.with_capability(Capability.TRACK)
        outcomes = await asyncio.gather(
            *(self._poll_carrier(code, stats) for code in codes), return_exceptions=True
        )
        down = False
        for code, outcome in zip(codes, outcomes, strict=True):
            if isinstance(outcome, StoreUnavailable):
                stats.skipped.add(code)
                down = True
            elif isinstance(outcome, Exception):
                stats.skipped.add(code)
                log.error("tracking poll failed", carrier=code.value, exc_info=outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
        if down:
            log.warning("tracking poll: store unavailable", retry_in_s=self._interval_s)
        return stats

    async def _poll_carrier(self, code: CarrierCode, stats: RoundStats) -> None:
        carrier = self._registry.get(code, Capability.TRACK)
        if not await self._registry.healthy(code):
            stats.skipped.add(code)
            log.warning("tracking poll skipped: circuit open", carrier=code.value)
            return
        gate = asyncio.Semaphore(self._concurrency)
        failures: list[Exception] = []
        down: StoreUnavailable | None = None
        while down is None:
            now = self._lease_clock() if self._lease_clock is not None else None
            batch = await self._store.claim_due(
                code, now=now, interval_s=self._interval_s, limit=self._batch
            )
            results = await asyncio.gather(*(self._poll(carrier, s, gate) for s in batch))
            stats.count(stats.polled, code, len(batch))
            stats.count(stats.changed, code, sum(r is True for r in results))
            for result in results:
                if isinstance(result, StoreUnavailable):
                    down = result
                elif isinstance(result, Exception):
                    failures.append(result)
            if len(batch) < self._batch or any(_retryable(e) for e in failures):
                break
        if failures:
            stats.count(stats.failed, code, len(failures))
            _report(code, failures)
        if down is not None:
            raise down

    async def _poll(
        self, carrier: CarrierBase, shipment: Shipment, gate: asyncio.Semaphore
    ) -> bool | Exception:
        """True when the carrier told us something new; the error when it failed."""
        async with gate:
            try:
                update = await carrier.refresh(shipment)
                _, changed = await self._updater.apply(shipment, update)
            except Exception as error:  # reported once per carrier, by _poll_carrier
                return error
            return changed


def _retryable(error: Exception) -> bool:
    return isinstance(error, CarrierError) and error.retryable


def _report(code: CarrierCode, failures: list[Exception]) -> None:
    first = failures[0]
    if isinstance(first, CarrierError):
        log.warning(
            "tracking poll failed",
            carrier=code.value,
            code=first.code.value,
            error=first.message,
            failures=len(failures),
        )
    else:
        log.error(
            "tracking poll failed", carrier=code.value, failures=len(failures), exc_info=first
        )
