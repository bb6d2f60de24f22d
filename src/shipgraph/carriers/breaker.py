"""A circuit breaker per carrier, shared by every gateway process through Redis.

purgatory keeps the state machine: closed, opened after ``threshold`` failures in a
row, half-opened ``reset_s`` later to let a probe through, closed again on a success
or re-opened on a failure. While half-open, one call at a time is the probe (a
lease of ``reset_s`` in Redis, or in memory); the others are refused until it ends.
purgatory's own Redis repository pins redis<6, so the state lives in one hash per
carrier through the redis-py client the gateway already uses.

A breaker must never turn a Redis outage into a carrier outage: while Redis cannot
be reached the breaker keeps its state in this process's memory.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from purgatory import AsyncCircuitBreakerFactory, AsyncInMemoryUnitOfWork, ContextChanged
from purgatory.domain.model import CLOSED, HALF_OPENED, OPENED, Context, OpenedState
from purgatory.service._async.circuitbreaker import AsyncCircuitBreaker
from purgatory.service._async.repository import AsyncAbstractRepository
from purgatory.service._async.unit_of_work import AsyncAbstractUnitOfWork
from purgatory.typing import StateName
from redis.asyncio import Redis
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from shipgraph.carriers.base import CarrierError
from shipgraph.domain import CarrierCode, ErrorCode
from shipgraph.observability import CARRIER_CIRCUIT_OPEN, get_logger

log = get_logger("shipgraph.carriers.breaker")

DEFAULT_PREFIX = "shipgraph:breaker"
_STATES: dict[str, StateName] = {"closed": CLOSED, "opened": OPENED, "half-opened": HALF_OPENED}

# KEYS: the breaker's hash. ARGV: now (s since the epoch). Counting and deciding in
# one step: calls that fail together (a carrier that hangs times them all out at
# once) each see the count the others left, so the threshold is crossed exactly once.
_FAIL = """
local count = redis.call('HINCRBY', KEYS[1], 'failure_count', 1)
local threshold = tonumber(redis.call('HGET', KEYS[1], 'threshold'))
if threshold and count >= threshold and redis.call('HGET', KEYS[1], 'state') == 'closed' then
  redis.call('HSET', KEYS[1], 'state', 'opened', 'opened_at', ARGV[1])
  return 1
end
return 0
"""


class RedisBreakerRepository(AsyncAbstractRepository):
    """purgatory's repository as one Redis hash per breaker:
    ``<prefix>:<name>`` = {threshold, ttl, state, opened_at, failure_count}."""

    def __init__(self, client: Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._client = client
        self._prefix = prefix
        self._fail = client.register_script(_FAIL)
        self.messages = []

    def _key(self, name: str) -> str:
        return f"{self._prefix}:{name}"

    async def get(self, name: str) -> Context | None:
        fields: dict[Any, Any] = await self._client.hgetall(self._key(name))
        data = {_text(k): _text(v) for k, v in fields.items()}
        if "threshold" not in data:
            return None
        opened_at = data.get("opened_at", "")
        return Context(
            name,
            threshold=int(data["threshold"]),
            ttl=float(data["ttl"]),
            state=_STATES.get(data.get("state", ""), "closed"),
            failure_count=int(data.get("failure_count", "0")),
            opened_at=float(opened_at) if opened_at else None,
        )

    async def register(self, context: Context) -> None:
        await self._client.hset(
            self._key(context.name),
            mapping={
                "threshold": context.threshold,
                "ttl": context.ttl,
                "state": context.state,
                "opened_at": "" if context.opened_at is None else context.opened_at,
                "failure_count": 0,
            },
        )

    async def update_state(self, name: str, state: str, opened_at: float | None) -> None:
        mapping: dict[FieldT, EncodableT] = {
            "state": state,
            "opened_at": "" if opened_at is None else opened_at,
        }
        await self._client.hset(self._key(name), mapping=mapping)

    async def inc_failures(self, name: str, failure_count: int) -> None:
        """``failure_count`` is what one call saw; the hash counts them all."""
        if await self._fail(keys=[self._key(name)], args=[time.time()]):
            CARRIER_CIRCUIT_OPEN.labels(name).set(1)
            log.warning("circuit opened", carrier=name)

    async def reset_failure(self, name: str) -> None:
        await self._client.hset(self._key(name), "failure_count", 0)


class RedisBreakerUnitOfWork(AsyncAbstractUnitOfWork):
    def __init__(self, client: Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self.contexts = RedisBreakerRepository(client, prefix)

    async def commit(self) -> None:
        """Every write is one Redis command; nothing to commit."""

    async def rollback(self) -> None:
        """Nothing to roll back."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


_RECORDING: set[asyncio.Future[None]] = set()


class Admission:
    """One admitted call; ``done`` records how it went."""

    def __init__(self, breaker: CarrierBreaker, *, probe: bool) -> None:
        self._breaker = breaker
        self._probe = probe

    async def done(self, failed: bool) -> None:
        # Shielded: a call cancelled again while reporting (its deadline, its client
        # gone) still counts, or a carrier that hangs would never open its breaker.
        recording = asyncio.ensure_future(self._record(failed))
        _RECORDING.add(recording)  # the loop keeps only weak references to tasks
        recording.add_done_callback(_RECORDING.discard)
        await asyncio.shield(recording)

    async def _record(self, failed: bool) -> None:
        # On the state as it is now, not as it was when the call was admitted: calls
        # that ended meanwhile (here or in another process) have moved it on.
        circuit = await self._breaker.current()
        context = circuit.context
        if context.state == HALF_OPENED and not self._probe:
            # Admitted before the breaker opened: the probe alone decides now.
            return
        if failed:
            context.handle_exception(_CarrierFailed())
        else:
            context.handle_end_request()
        await self._breaker.persist(circuit)
        if self._probe:
            await self._breaker.release_probe()


class _CarrierFailed(Exception):
    """What purgatory is told a failed call raised."""


class CarrierBreaker:
    """The CallGuard of one carrier."""

    def __init__(
        self,
        carrier: CarrierCode,
        *,
        threshold: int,
        reset_s: float,
        client: Redis | None = None,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        self.carrier = carrier
        self.reset_s = reset_s
        self._name = carrier.value
        self._client = client
        self._probe_key = f"{prefix}:{carrier.value}:probe"
        self._probe_until = 0.0
        """This process's probe lease (monotonic), used while Redis is unreachable."""
        self._local = AsyncCircuitBreakerFactory(threshold, reset_s, uow=AsyncInMemoryUnitOfWork())
        self._shared = (
            None
            if client is None
            else AsyncCircuitBreakerFactory(
                threshold, reset_s, uow=RedisBreakerUnitOfWork(client, prefix)
            )
        )

    async def admit(self) -> Admission:
        circuit = await self._circuit()
        try:
            circuit.context.handle_new_request()
        except OpenedState:
            retry_in = circuit.context.ttl - (time.time() - (circuit.context.opened_at or 0))
            message = (
                f"{self._name} is failing; calls are paused for {max(retry_in, 0):.0f} s "
                "(circuit open)"
            )
            raise CarrierError(self.carrier, ErrorCode.CARRIER_UNAVAILABLE, message) from None
        await self.persist(circuit)
        if circuit.context.state != HALF_OPENED:
            return Admission(self, probe=False)
        # Opened past its reset time: one call decides whether the carrier is back.
        if not await self._claim_probe():
            message = f"{self._name} was failing; one call is checking it now (circuit half-open)"
            raise CarrierError(self.carrier, ErrorCode.CARRIER_UNAVAILABLE, message)
        return Admission(self, probe=True)

    async def _claim_probe(self) -> bool:
        if self._client is not None:
            try:
                lease_ms = max(1, int(self.reset_s * 1000))
                return bool(await self._client.set(self._probe_key, 1, nx=True, px=lease_ms))
            except (RedisError, OSError) as exc:
                log.warning("breaker probe lease unreachable", carrier=self._name, error=str(exc))
        now = time.monotonic()
        if now < self._probe_until:
            return False
        self._probe_until = now + self.reset_s
        return True

    async def release_probe(self) -> None:
        self._probe_until = 0.0
        if self._client is not None:
            try:
                await self._client.delete(self._probe_key)
            except (RedisError, OSError) as exc:
                log.warning("breaker probe lease not released", carrier=self._name, error=str(exc))

    async def healthy(self) -> bool:
        context = (await self._circuit()).context
        if context.state != OPENED:
            return True
        return time.time() >= (context.opened_at or 0) + context.ttl

    async def current(self) -> AsyncCircuitBreaker:
        """The circuit as it stands now."""
        return await self._circuit()

    async def _circuit(self) -> AsyncCircuitBreaker:
        if self._shared is not None:
            try:
                return await self._shared.get_breaker(self._name)
            except (RedisError, OSError) as exc:
                log.warning("breaker state unreachable", carrier=self._name, error=str(exc))
        return await self._local.get_breaker(self._name)

    async def persist(self, circuit: AsyncCircuitBreaker) -> None:
        """Write what changed (state, failure count) where the state lives."""
        context = circuit.context
        CARRIER_CIRCUIT_OPEN.labels(self._name).set(1 if context.state == OPENED else 0)
        try:
            while context.messages:
                message = context.messages.pop(0)
                if isinstance(message, ContextChanged):
                    log.warning("circuit " + message.state, carrier=self._name)
                await circuit.messagebus.handle(message, circuit.uow)
        except (RedisError, OSError) as exc:
            context.messages.clear()
            log.warning("breaker state not saved", carrier=self._name, error=str(exc))
