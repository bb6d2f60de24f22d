"""The Redis pub/sub event bus: one channel per tenant, one pub/sub connection per bus.

Every subscriber of the bus shares a single Redis connection in subscribed mode:

* a *reader* task owns that connection's input and its (re)connection. It fans each
  message out to the local subscriptions of the channel (bounded buffers, see
  ``LocalFanout``), activates new subscriptions, and after a reconnect re-sends the
  whole wanted state (SUBSCRIBE of every channel with local subscribers);
* a *writer* task sends the SUBSCRIBE / UNSUBSCRIBE / PING commands the subscribers
  queue, in order, only while the connection is up and resynchronised.

A channel is SUBSCRIBEd with its first local subscriber and UNSUBSCRIBEd with its
last. Entering ``subscribe()`` queues (if needed) the SUBSCRIBE, then a PING with a
token unique to the subscription; the reader activates the subscription when that
PING's reply arrives. Redis answers in order, so by then the SUBSCRIBE is confirmed
and every message published before it has been read: the subscription receives
exactly what is published after it was entered.

Leaving a subscription is synchronous bookkeeping (and a queued UNSUBSCRIBE), so it
cannot be interrupted half-way by a cancellation.

Reconnection is done here rather than left to redis-py's ``PubSub``: PubSub's
``on_connect`` callback re-subscribes its ``channels``, but it clears the pending
unsubscriptions first and so also re-subscribes a channel whose UNSUBSCRIBE was in
flight when the connection dropped; and its automatic reconnect inside a read could
race with a command sent from another task. Events published while Redis is down
are lost (at most once: the store is the truth).
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from shipgraph.codec import decode_event, encode_event
from shipgraph.domain import ShipmentEvent
from shipgraph.events.memory import LocalFanout, LocalSubscription
from shipgraph.redis_pool import connect

logger = logging.getLogger("shipgraph.events")

READER_TASK_NAME = "shipgraph-events-reader"
WRITER_TASK_NAME = "shipgraph-events-writer"

_RECONNECT_MIN_DELAY = 0.05
_RECONNECT_MAX_DELAY = 5.0

Command = tuple[bytes, ...]


class _Connection(Protocol):
    """The part of redis.asyncio's Connection the bus uses (it is not typed)."""

    @property
    def is_connected(self) -> bool: ...

    async def connect(self) -> None: ...

    async def disconnect(self, nowait: bool = False) -> None: ...

    async def read_response(
        self,
        disable_decoding: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 (redis-py's signature)
        *,
        disconnect_on_error: bool = True,
        push_request: bool | None = False,
    ) -> Any: ...

    async def send_packed_command(
        self, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None: ...

    def pack_commands(self, commands: Iterable[Iterable[bytes]]) -> list[bytes]: ...


class RedisEventBus:
    """EventBus over Redis pub/sub, shared by every process using the same Redis.

    ``subscribe_timeout``: how long entering ``subscribe()`` waits for Redis to
    confirm the subscription (TimeoutError after that; None waits for ever).
    ``close_client``: ``aclose()`` also closes the client (``from_url`` sets it).
    """

    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str = "shipgraph",
        *,
        subscribe_timeout: float | None = 10.0,
        close_client: bool = False,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._channel_prefix = f"{prefix}:events:".encode()
        self._subscribe_timeout = subscribe_timeout
        self._close_client = close_client
        self._fanout: LocalFanout[bytes] = LocalFanout()
        # Subscriptions waiting for their PING barrier, by token.
        self._pending: dict[bytes, tuple[LocalSubscription, asyncio.Future[None]]] = {}
        self._commands: list[Command] = []
        self._conn: _Connection | None = None
        self._io_lock = asyncio.Lock()
        self._ready = asyncio.Event()  # connected, and the wanted state was sent
        self._wake_writer = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    def from_url(cls, url: str, prefix: str = "shipgraph", **kwargs: Any) -> RedisEventBus:
        """A bus over its own client for ``url``; ``aclose()`` closes that client."""
        client = connect(url)
        return cls(client, prefix, close_client=True, **kwargs)

    def channel(self, tenant: str) -> str:
        """The Redis channel carrying the events of one tenant."""
        return f"{self._prefix}:events:{tenant}"

    # --- EventBus --------------------------------------------------------------

    async def publish(self, event: ShipmentEvent) -> None:
        if self._closed:
            raise RuntimeError("event bus is closed")
        await self._client.publish(self.channel(event.shipment.tenant), encode_event(event))

    @asynccontextmanager
    async def subscribe(self, tenant: str) -> AsyncIterator[AsyncIterator[ShipmentEvent]]:
        if self._closed:
            raise RuntimeError("event bus is closed")
        self._start()
        channel = self.channel(tenant).encode()
        subscription = LocalSubscription()
        token = b"shipgraph-subscribe-" + uuid.uuid4().hex.encode()
        confirmed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._fanout.add(channel, subscription):
            self._enqueue((b"SUBSCRIBE", channel))
        self._pending[token] = (subscription, confirmed)
        self._enqueue((b"PING", token))
        try:
            async with asyncio.timeout(self._subscribe_timeout):
                await confirmed
            yield subscription
        finally:
            self._leave(channel, subscription, token)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake_writer.set()
        pending = {task for task in (self._reader, self._writer) if task is not None}
        while pending:
            # Cancel again if a cancellation was swallowed: on Python 3.11,
            # asyncio.wait_for (redis-py uses it for socket writes) can lose one.
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=0.5)
        self._reader = self._writer = None
        for _, confirmed in self._pending.values():
            if not confirmed.done():
                confirmed.set_exception(RuntimeError("event bus is closed"))
        self._pending.clear()
        self._commands.clear()
        self._fanout.close_all()
        conn, self._conn = self._conn, None
        if conn is not None:
            # Closing the connection drops its subscriptions on the server.
            await conn.disconnect(nowait=True)
            await self._client.connection_pool.release(cast(Any, conn))
        if self._close_client:
            await self._client.aclose()

    # --- introspection ----------------------------------------------------------

    def subscriber_count(self, tenant: str | None = None) -> int:
        """Local subscriptions currently registered (of one tenant, or of all)."""
        return self._fanout.count(None if tenant is None else self.channel(tenant).encode())

    def channels(self) -> list[str]:
        """The channels this bus wants subscribed (those with local subscribers)."""
        return [channel.decode() for channel in self._fanout.subscribed_keys()]

    # --- subscriptions ----------------------------------------------------------

    def _start(self) -> None:
        # (Re)start the tasks; they only end on aclose(), unless by a bug.
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_loop(), name=READER_TASK_NAME)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(), name=WRITER_TASK_NAME)

    def _leave(self, channel: bytes, subscription: LocalSubscription, token: bytes) -> None:
        """Forget a subscription; synchronous, so a cancellation cannot split it."""
        self._pending.pop(token, None)
        subscription.close()
        if self._fanout.remove(channel, subscription):
            self._enqueue((b"UNSUBSCRIBE", channel))

    def _enqueue(self, command: Command) -> None:
        if self._closed:
            return
        self._commands.append(command)
        self._wake_writer.set()

    # --- writer ------------------------------------------------------------------

    async def _write_loop(self) -> None:
        while not self._closed:
            await self._wake_writer.wait()
            self._wake_writer.clear()
            async with self._io_lock:
                conn = self._conn
                if not self._commands or not self._ready.is_set() or conn is None:
                    continue  # the reader re-sends the wanted state once connected
                if not conn.is_connected:
                    continue
                batch, self._commands = self._commands, []
                try:
                    await conn.send_packed_command(conn.pack_commands(batch), check_health=False)
                except (RedisError, OSError) as exc:
                    # The connection is closed by the failed send; the reader sees it,
                    # reconnects and re-sends the whole wanted state.
                    logger.warning("event bus: sending to Redis failed: %s", exc)
                except Exception:
                    logger.exception("event bus: sending to Redis failed")

    # --- reader ------------------------------------------------------------------

    async def _read_loop(self) -> None:
        delay = _RECONNECT_MIN_DELAY
        while not self._closed:
            if not self._ready.is_set():
                try:
                    await self._connect()
                except Exception as exc:
                    logger.warning(
                        "event bus: cannot reach Redis (%s); retrying in %.2f s", exc, delay
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, _RECONNECT_MAX_DELAY)
                    continue
                delay = _RECONNECT_MIN_DELAY
            conn = self._conn
            if conn is None or self._closed:
                return
            try:
                response = await conn.read_response(
                    disable_decoding=True, timeout=math.inf, push_request=True
                )
            except ResponseError as exc:
                logger.warning("event bus: Redis error on the pub/sub connection: %s", exc)
                continue
            except (RedisError, OSError) as exc:
                self._ready.clear()
                logger.warning("event bus: pub/sub connection lost (%s); reconnecting", exc)
                continue
            try:
                self._handle(response)
            except Exception:
                logger.exception("event bus: failed to handle a pub/sub message")
            # Let subscribers drain their buffers between messages of a burst.
            await asyncio.sleep(0)

    async def _connect(self) -> None:
        """(Re)connect and send the wanted state: every channel, every pending PING."""
        async with self._io_lock:
            self._ready.clear()
            if self._conn is None:
                pool: Any = self._client.connection_pool  # its methods are untyped
                self._conn = cast(_Connection, await pool.get_connection())
            else:
                await self._conn.disconnect(nowait=True)
                await self._conn.connect()
            conn = self._conn
            # Queued commands were deltas against the old connection's state.
            self._commands = []
            commands: list[Command] = []
            channels = self._fanout.subscribed_keys()
            if channels:
                commands.append((b"SUBSCRIBE", *channels))
            commands.extend((b"PING", token) for token in self._pending)
            if commands:
                await conn.send_packed_command(conn.pack_commands(commands), check_health=False)
            self._ready.set()
        self._wake_writer.set()

    def _handle(self, response: Any) -> None:
        if isinstance(response, bytes):
            # PING's reply when the connection is subscribed to nothing.
            self._on_pong(response)
            return
        if not isinstance(response, Sequence) or isinstance(response, str) or not response:
            return
        kind = response[0]
        if kind == b"message" and len(response) >= 3:
            self._on_message(response[1], response[2])
        elif kind == b"pong" and len(response) >= 2:
            self._on_pong(response[1])
        # subscribe / unsubscribe confirmations need nothing: the PING barrier that
        # follows a SUBSCRIBE is what activates subscriptions.

    def _on_pong(self, token: Any) -> None:
        entry = self._pending.pop(token, None) if isinstance(token, bytes) else None
        if entry is None:
            return
        subscription, confirmed = entry
        subscription.active = True
        if not confirmed.done():
            confirmed.set_result(None)

    def _on_message(self, channel: Any, data: Any) -> None:
        if not isinstance(channel, bytes) or not self._fanout.has_active(channel):
            return
        try:
            event = decode_event(data)
        except Exception as exc:
            detail = " ".join(str(exc).split())[:300]  # one line, bounded
            logger.warning(
                "event bus: skipping undecodable message on %r (%d bytes): %s",
                channel,
                len(data) if isinstance(data, bytes | str) else -1,
                detail,
            )
            return
        tenant = channel.removeprefix(self._channel_prefix).decode(errors="replace")
        if event.shipment.tenant != tenant:
            logger.warning(
                "event bus: skipping an event of tenant %r published on %r",
                event.shipment.tenant,
                channel,
            )
            return
        if self._fanout.deliver(channel, event):
            self._enqueue((b"UNSUBSCRIBE", channel))


def from_url(url: str, prefix: str = "shipgraph", **kwargs: Any) -> RedisEventBus:
    """A RedisEventBus with its own client for ``url``; ``aclose()`` closes it."""
    return RedisEventBus.from_url(url, prefix, **kwargs)
