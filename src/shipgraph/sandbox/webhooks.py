"""Webhook delivery for the carrier simulators.

Carrier-agnostic: callers hand over a URL, headers and the raw body. Deliveries to
one destination go out one after another in enqueue order (a later event never
overtakes an earlier one that is still being retried); a failed attempt (non-2xx
or connection error) is retried after each of ``retry_delays``. Every attempt is
recorded for the simulator's control API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx


@dataclass(frozen=True)
class DeliveryAttempt:
    delivery_id: int
    event: str
    url: str
    body: bytes
    attempt: int
    status_code: int | None
    error: str | None
    sent_at: datetime

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def to_json(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "event": self.event,
            "url": self.url,
            "body": _decode(self.body),
            "attempt": self.attempt,
            "status_code": self.status_code,
            "error": self.error,
            "ok": self.ok,
            "sent_at": self.sent_at.isoformat(),
        }


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")


@dataclass(eq=False)
class Delivery:
    id: int
    event: str
    url: str
    body: bytes
    headers: dict[str, str]
    done: asyncio.Future[None]
    attempts: list[DeliveryAttempt] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].ok

    async def wait(self) -> list[DeliveryAttempt]:
        """Every attempt of this delivery, once it succeeded or ran out of retries."""
        await asyncio.shield(self.done)
        return list(self.attempts)


class WebhookSender:
    def __init__(
        self,
        *,
        retry_delays: Sequence[float] = (0.5, 2.0, 5.0),
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.retry_delays = tuple(retry_delays)
        self.timeout_s = timeout_s
        self.attempts: list[DeliveryAttempt] = []
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._queues: dict[str, asyncio.Queue[Delivery]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._pending: set[Delivery] = set()
        self._next_id = 1

    def enqueue(
        self,
        url: str,
        body: bytes,
        *,
        event: str,
        headers: Mapping[str, str] | None = None,
    ) -> Delivery:
        """Queue a POST of ``body`` to ``url``; await ``Delivery.wait()`` for the outcome."""
        loop = asyncio.get_running_loop()
        delivery = Delivery(
            id=self._next_id,
            event=event,
            url=url,
            body=body,
            headers={"Content-Type": "application/json", **(headers or {})},
            done=loop.create_future(),
        )
        self._next_id += 1
        self._pending.add(delivery)
        self._queue_for(url).put_nowait(delivery)
        return delivery

    async def wait_idle(self) -> None:
        """Return once every queued delivery has finished (delivered or given up)."""
        while self._pending:
            await asyncio.gather(*(d.wait() for d in list(self._pending)))

    async def reset(self) -> None:
        """Drop queued deliveries and the attempt record."""
        await self._stop_workers()
        self.attempts.clear()
        self._next_id = 1

    async def aclose(self) -> None:
        await self._stop_workers()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _queue_for(self, url: str) -> asyncio.Queue[Delivery]:
        queue = self._queues.get(url)
        if queue is None:
            queue = self._queues[url] = asyncio.Queue()
            self._workers[url] = asyncio.create_task(self._work(queue))
        return queue

    async def _work(self, queue: asyncio.Queue[Delivery]) -> None:
        while True:
            delivery = await queue.get()
            try:
                await self._deliver(delivery)
            finally:
                self._finish(delivery)

    async def _deliver(self, delivery: Delivery) -> None:
        delays = (*self.retry_delays, None)
        for number, delay in enumerate(delays, start=1):
            attempt = await self._attempt(delivery, number)
            delivery.attempts.append(attempt)
            self.attempts.append(attempt)
            if attempt.ok or delay is None:
                return
            await asyncio.sleep(delay)

    async def _attempt(self, delivery: Delivery, number: int) -> DeliveryAttempt:
        status: int | None = None
        error: str | None = None
        sent_at = datetime.now(UTC)
        try:
            response = await self._http().post(
                delivery.url, content=delivery.body, headers=delivery.headers
            )
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        return DeliveryAttempt(
            delivery_id=delivery.id,
            event=delivery.event,
            url=delivery.url,
            body=delivery.body,
            attempt=number,
            status_code=status,
            error=error,
            sent_at=sent_at,
        )

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_s, transport=self._transport)
        return self._client

    def _finish(self, delivery: Delivery) -> None:
        self._pending.discard(delivery)
        if not delivery.done.done():
            delivery.done.set_result(None)

    async def _stop_workers(self) -> None:
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers.clear()
        self._queues.clear()
        for delivery in list(self._pending):
            self._finish(delivery)
