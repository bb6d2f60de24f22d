"""The Redis store (redis-py asyncio): shared by every gateway process.

Keys (``P`` is the prefix, "shipgraph" by default):

- ``P:shipment:<id>``: string, the shipment's JSON (codec).
- ``P:tenant:<tenant>:shipments``: sorted set, all scores 0, members the listing
  positions ``<created_at µs, 18 digits>:<id>`` (see cursors), ranged by lex.
- ``P:carrier:<carrier>:<carrier shipment id>``: string, the shipment id.
- ``P:tracking:<carrier>:<tracking number>``: string, the shipment id.
- ``P:idem:<tenant, %-escaped>:<key>``: string, JSON {state, hash, shipment_id}; TTL.
- ``P:orphans:<carrier>:id:<carrier shipment id>`` and
  ``P:orphans:<carrier>:tn:<tracking number>``: sorted set of encoded updates scored
  by arrival sequence; TTL 7 days, renewed by each add.
- ``P:orphans:seq``: counter giving orphans their arrival sequence.
- ``P:active:<carrier>``: sorted set, members the ids of the carrier's shipments
  whose status is not terminal, scored by when each was last fresh (ms since the
  Unix epoch): its updated_at, or the time a poller claimed it. ``claim_due``
  takes the members scored at or before ``now - interval`` and re-scores them
  ``now`` in one script: that score is the poll lease every process shares.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shipgraph.codec import stamp_version
from shipgraph.domain import CarrierCode, Shipment, TrackingUpdate
from shipgraph.redis_pool import PoolExhausted, connect
from shipgraph.store._common import (
    IN_PROGRESS_TTL_S,
    LIST_BATCH,
    ORPHAN_TTL_S,
    RETRY_AFTER_S,
    IdempotencyRecord,
    active_key,
    active_moves,
    carrier_id_key,
    carrier_key,
    check_claim,
    check_first,
    fresh_ms,
    idempotency_key,
    is_active,
    lookup_keys,
    make_page,
    next_version,
    oldest_first_once,
    orphan_keys,
    owned,
    owned_batch,
    read_shipment,
    readable_shipment,
    readable_update,
    reindex,
    tracking_key,
    update_in_turn,
    write_shipment,
    write_update,
)
from shipgraph.store._keyed_lock import KeyedLocks
from shipgraph.store.base import (
    IDEMPOTENCY_TTL_S,
    DuplicateShipment,
    IdempotencyResult,
    IdempotencyState,
    Mutator,
    ShipmentFilter,
    ShipmentNotFound,
    ShipmentPage,
    StoreBusy,
    StoreError,
    StoreUnavailable,
)
from shipgraph.store.cursors import listing_bounds, position_of

P = ParamSpec("P")
R = TypeVar("R")


# KEYS: shipment, tenant listing, carrier's active index, carrier key, other lookup keys.
# ARGV: shipment JSON, listing position, shipment id, fresh ms ('' when not active).
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'id' end
if redis.call('EXISTS', KEYS[4]) == 1 then return 'carrier' end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3]) end
for i = 4, #KEYS do redis.call('SET', KEYS[i], ARGV[3]) end
return 'ok'
"""

# KEYS: a carrier's active index. ARGV: due ms (fresh at or before), now ms, limit.
# Selecting and re-scoring in one script is what makes the claim a lease.
_CLAIM_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], 'GT', ARGV[2], id) end
return ids
"""

# KEYS: idempotency key. ARGV: shipment id, ttl seconds, completed state.
# Keeps the reservation's hash; a reservation that expired meanwhile leaves none.
_COMPLETE = """
local raw = redis.call('GET', KEYS[1])
local hash = cjson.null
if raw then hash = cjson.decode(raw)['hash'] end
local record = {state = ARGV[3], hash = hash, shipment_id = ARGV[1]}
redis.call('SET', KEYS[1], cjson.encode(record), 'EX', ARGV[2])
return 1
"""

# KEYS: sequence counter, orphan keys. ARGV: encoded update, ttl seconds.
_ADD_ORPHAN = """
local seq = redis.call('INCR', KEYS[1])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], 'NX', seq, ARGV[1])
  redis.call('EXPIRE', KEYS[i], ARGV[2])
end
return seq
"""

# KEYS: orphan keys. Returns and deletes them all: member, score, member, score...
_TAKE_ORPHANS = """
local taken = {}
for _, key in ipairs(KEYS) do
  for _, item in ipairs(redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')) do
    taken[#taken + 1] = item
  end
  redis.call('DEL', key)
end
return taken
"""


def _reachable(method: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Turn Redis connection failures into StoreUnavailable (callers answer 503)."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except PoolExhausted as exc:
            raise StoreBusy(str(exc), RETRY_AFTER_S) from exc
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    return wrapper


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisShipmentStore:
    def __init__(
        self,
        client: Redis,
        prefix: str = "shipgraph",
        in_progress_ttl_s: float = IN_PROGRESS_TTL_S,
        *,
        owns_client: bool = False,
    ) -> None:
        """``aclose`` closes the client only when ``owns_client`` (as from_url's is)."""
        self._client = client
        self._prefix = prefix
        self._in_progress_ttl_s = in_progress_ttl_s
        self._owns_client = owns_client
        self._updating = KeyedLocks()
        self._create = client.register_script(_CREATE)
        self._complete = client.register_script(_COMPLETE)
        self._add_orphan = client.register_script(_ADD_ORPHAN)
        self._take_orphans = client.register_script(_TAKE_ORPHANS)
        self._claim_due = client.register_script(_CLAIM_DUE)

    @classmethod
    def from_url(
        cls,
        url: str,
        prefix: str = "shipgraph",
        *,
        in_progress_ttl_s: float = IN_PROGRESS_TTL_S,
        **client_options: Any,
    ) -> RedisShipmentStore:
        """A store on its own client (``client_options`` go to ``redis_pool.connect``)."""
        client = connect(url, **client_options)
        return cls(client, prefix, in_progress_ttl_s, owns_client=True)

    @property
    def client(self) -> Redis:
        """The Redis client (with its pool) the store talks through."""
        return self._client

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

    def _doc_key(self, shipment_id: str) -> str:
        return self._key("shipment", shipment_id)

    def _listing_key(self, tenant: str) -> str:
        return self._key("tenant", tenant, "shipments")

    # --- shipments ---------------------------------------------------------------

    @_reachable
    async def create(self, shipment: Shipment) -> Shipment:
        stored = replace(shipment, version=1)
        carrier = carrier_key(stored)
        others = sorted(lookup_keys(stored) - {carrier})
        keys = [self._doc_key(stored.id), self._listing_key(stored.tenant)]
        keys += [self._key(key) for key in (active_key(stored.carrier), carrier, *others)]
        fresh = str(fresh_ms(stored.updated_at)) if is_active(stored) else ""
        args: list[bytes | str] = [write_shipment(stored), position_of(stored), stored.id, fresh]
        outcome = _text(await self._create(keys=keys, args=args))
        if outcome != "ok":
            raise DuplicateShipment(f"{outcome} taken: {stored.id}")
        return stored

    @_reachable
    async def get(self, tenant: str, shipment_id: str) -> Shipment | None:
        return owned(tenant, shipment_id, await self._client.get(self._doc_key(shipment_id)))

    @_reachable
    async def get_many(self, tenant: str, shipment_ids: Sequence[str]) -> list[Shipment | None]:
        if not shipment_ids:
            return []
        raws = await self._client.mget([self._doc_key(i) for i in shipment_ids])
        return owned_batch(tenant, shipment_ids, raws)

    @_reachable
    async def versions(self, tenant: str, shipment_ids: Sequence[str]) -> list[int | None]:
        if not shipment_ids:
            return []
        raws = await self._client.mget([self._doc_key(i) for i in shipment_ids])
        return [None if raw is None else stamp_version(raw, tenant) for raw in raws]

    async def find_by_carrier_id(
        self, carrier: CarrierCode, carrier_shipment_id: str
    ) -> Shipment | None:
        return await self._find(self._key(carrier_id_key(carrier, carrier_shipment_id)))

    async def find_by_tracking_number(
        self, carrier: CarrierCode, tracking_number: str
    ) -> Shipment | None:
        return await self._find(self._key(tracking_key(carrier, tracking_number)))

    @_reachable
    async def _find(self, lookup_key: str) -> Shipment | None:
        shipment_id = await self._client.get(lookup_key)
        if shipment_id is None:
            return None
        raw = await self._client.get(self._doc_key(_text(shipment_id)))
        return read_shipment(_text(shipment_id), raw) if raw is not None else None

    @_reachable
    async def update(self, tenant: str, shipment_id: str, mutate: Mutator) -> Shipment:
        async def attempt() -> Shipment | None:
            async with self._client.pipeline(transaction=True) as pipe:
                try:
                    return await self._try_update(pipe, tenant, shipment_id, mutate)
                except WatchError:
                    return None

        return await update_in_turn(self._updating, shipment_id, attempt)

    async def _try_update(
        self, pipe: Pipeline, tenant: str, shipment_id: str, mutate: Mutator
    ) -> Shipment:
        """One compare-and-set attempt; WatchError when someone wrote first."""
        doc_key = self._doc_key(shipment_id)
        await pipe.watch(doc_key)
        current = owned(tenant, shipment_id, await pipe.get(doc_key))
        if current is None:
            raise ShipmentNotFound(shipment_id)
        stored = next_version(current, mutate(current))
        if stored is None:
            return current
        encoded = write_shipment(stored)
        added, dropped = reindex(current, stored, await self._owners(pipe, current, stored))
        pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        pipe.set(doc_key, encoded)
        for key in added:
            pipe.set(self._key(key), shipment_id)
        if dropped:
            pipe.delete(*(self._key(key) for key in dropped))
        keep, gone = active_moves(current, stored)
        for carrier in gone:
            pipe.zrem(self._key(active_key(carrier)), shipment_id)
        if keep is not None:
            fresh = {shipment_id: fresh_ms(stored.updated_at)}
            pipe.zadd(self._key(active_key(keep)), fresh, gt=True)
        await pipe.execute()
        return stored

    async def _owners(self, pipe: Pipeline, old: Shipment, new: Shipment) -> dict[str, str | None]:
        """Watch the lookup keys an update moves, and read whom they point at."""
        keys = sorted(lookup_keys(old) ^ lookup_keys(new))
        if not keys:
            return {}
        await pipe.watch(*(self._key(key) for key in keys))
        owners = await pipe.mget([self._key(key) for key in keys])
        return {k: _text(o) if o is not None else None for k, o in zip(keys, owners, strict=True)}

    @_reachable
    async def list(
        self,
        tenant: str,
        first: int,
        after: str | None = None,
        filter: ShipmentFilter | None = None,
    ) -> ShipmentPage:
        check_first(first)
        created_after = filter.created_after if filter else None
        created_before = filter.created_before if filter else None
        upper, lower = listing_bounds(after, created_after, created_before)
        batch = first + 1 if filter is None else max(first + 1, LIST_BATCH)
        found: list[tuple[str, Shipment]] = []
        while len(found) <= first:
            positions = await self._client.zrevrangebylex(
                self._listing_key(tenant),
                "+" if upper is None else f"({upper}",
                "-" if lower is None else f"[{lower}",
                start=0,
                num=batch,
            )
            if not positions:
                break
            found += await self._matching(tenant, [_text(p) for p in positions], filter)
            if len(positions) < batch:
                break
            upper = _text(positions[-1])
        return make_page(found[: first + 1], first)

    async def _matching(
        self, tenant: str, positions: builtins.list[str], filter: ShipmentFilter | None
    ) -> builtins.list[tuple[str, Shipment]]:
        ids = [p.partition(":")[2] for p in positions]
        raws = await self._client.mget([self._doc_key(i) for i in ids])
        found = []
        for pos, shipment_id, raw in zip(positions, ids, raws, strict=True):
            # An unreadable record is logged and left out: one must not hide the rest.
            shipment = readable_shipment(shipment_id, raw) if raw is not None else None
            if shipment is None or shipment.tenant != tenant:
                continue
            if filter is None or filter.matches(shipment):
                found.append((pos, shipment))
        return found

    # --- tracking polls ----------------------------------------------------------

    @_reachable
    async def claim_due(
        self, carrier: CarrierCode, *, now: datetime, interval_s: float, limit: int
    ) -> builtins.list[Shipment]:
        check_claim(limit, interval_s)
        if limit == 0:
            return []
        now_ms = fresh_ms(now)
        due_ms = now_ms - int(interval_s * 1000)
        index = self._key(active_key(carrier))
        ids = await self._claim_due(keys=[index], args=[due_ms, now_ms, limit])
        if not ids:
            return []
        claimed = [_text(i) for i in ids]
        raws = await self._client.mget([self._doc_key(i) for i in claimed])
        found = [
            readable_shipment(shipment_id, raw)  # an unreadable one is logged and skipped
            for shipment_id, raw in zip(claimed, raws, strict=True)
            if raw is not None
        ]
        return [shipment for shipment in found if shipment is not None]

    # --- idempotency -------------------------------------------------------------

    @_reachable
    async def reserve_idempotency(
        self, tenant: str, key: str, request_hash: str, ttl_s: int = IDEMPOTENCY_TTL_S
    ) -> IdempotencyResult:
        name = self._key(idempotency_key(tenant, key))
        record = IdempotencyRecord(completed=False, request_hash=request_hash).encode()
        ttl_ms = max(1, int(min(self._in_progress_ttl_s, ttl_s) * 1000))
        for _ in range(3):  # the held key may expire between SET and GET
            if await self._client.set(name, record, px=ttl_ms, nx=True):
                return IdempotencyResult(IdempotencyState.RESERVED)
            held = await self._client.get(name)
            if held is not None:
                return IdempotencyRecord.decode(held).answer(request_hash)
        raise StoreError(f"idempotency key {key!r} keeps expiring")

    @_reachable
    async def complete_idempotency(
        self, tenant: str, key: str, shipment_id: str, ttl_s: int = IDEMPOTENCY_TTL_S
    ) -> None:
        name = self._key(idempotency_key(tenant, key))
        state = IdempotencyState.COMPLETED.value
        await self._complete(keys=[name], args=[shipment_id, ttl_s, state])

    @_reachable
    async def release_idempotency(self, tenant: str, key: str) -> None:
        await self._client.delete(self._key(idempotency_key(tenant, key)))

    # --- orphans -----------------------------------------------------------------

    @_reachable
    async def add_orphan(self, update: TrackingUpdate) -> None:
        keys = [self._key(key) for key in orphan_keys(update)]
        if keys:
            counter = self._key("orphans", "seq")
            await self._add_orphan(keys=[counter, *keys], args=[write_update(update), ORPHAN_TTL_S])

    @_reachable
    async def take_orphans(
        self, carrier: CarrierCode, carrier_shipment_id: str | None, tracking_number: str | None
    ) -> builtins.list[TrackingUpdate]:
        probe = TrackingUpdate(carrier, "", carrier_shipment_id, tracking_number)
        keys = [self._key(key) for key in orphan_keys(probe)]
        if not keys:
            return []
        flat = await self._take_orphans(keys=keys)
        taken = [(raw, float(seq)) for raw, seq in zip(flat[::2], flat[1::2], strict=True)]
        readable = [(raw, seq, readable_update(raw)) for raw, seq in taken]
        kept = [(raw, seq, update) for raw, seq, update in readable if update is not None]
        entries = [(seq, update) for _, seq, update in kept]
        await self._forget_elsewhere(keys, [raw for raw, _, _ in kept], entries)
        return oldest_first_once(entries)

    async def _forget_elsewhere(
        self,
        taken_keys: builtins.list[str],
        raws: builtins.list[bytes],
        entries: builtins.list[tuple[float, TrackingUpdate]],
    ) -> None:
        """Drop the taken updates' copies under their other key, if that was not taken."""
        async with self._client.pipeline(transaction=False) as pipe:
            for raw, (_, update) in zip(raws, entries, strict=True):
                for key in orphan_keys(update):
                    if self._key(key) not in taken_keys:
                        pipe.zrem(self._key(key), raw)
            if len(pipe):
                await pipe.execute()

    # --- lifecycle ---------------------------------------------------------------

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError):
            return False

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()
