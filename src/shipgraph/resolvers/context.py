"""What a resolver gets: the process's services and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from redis.asyncio import Redis

from shipgraph.cache.base import Cache
from shipgraph.cache.loader import CachedLoader
from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.registry import CarrierRegistry
from shipgraph.config import Settings
from shipgraph.domain import Capability, CarrierCode
from shipgraph.events.base import EventBus
from shipgraph.events.courier import CourierWatch
from shipgraph.events.ingest import ShipmentUpdater
from shipgraph.events.poller import TrackingPoller
from shipgraph.resolvers.errors import from_carrier_error
from shipgraph.resolvers.loaders import Loaders
from shipgraph.resolvers.places import Places
from shipgraph.resolvers.uncertain import UncertainBookings
from shipgraph.store.base import PageRead, ShipmentStore


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """One per process: built at start-up, closed at shutdown."""

    settings: Settings
    store: ShipmentStore
    bus: EventBus
    registry: CarrierRegistry
    cache: Cache
    redis: Redis | None = None
    """The process's one Redis client (the cache, bus, breakers and Borzo's budget use
    it), if any."""
    clock: Callable[[], datetime] = utc_now

    @cached_property
    def courier_watch(self) -> CourierWatch:
        def transient(error: Exception) -> bool:
            return isinstance(error, CarrierError) and error.retryable

        return CourierWatch(self.settings.courier_poll_s, is_transient=transient)

    @cached_property
    def places_cache(self) -> CachedLoader:
        ttl_s = self.settings.location_cache_ttl_s
        return CachedLoader(self.cache, ttl_s=ttl_s, stale_ttl_s=7 * ttl_s)

    @cached_property
    def uncertain_bookings(self) -> UncertainBookings:
        return UncertainBookings(self.store)

    @cached_property
    def updater(self) -> ShipmentUpdater:
        return ShipmentUpdater(self.store, self.bus, self.clock)

    @cached_property
    def poller(self) -> TrackingPoller:
        return TrackingPoller(self.store, self.registry, self.updater, self.settings.poll_s)

    def tenant_for(self, authorization: str | None) -> str | None:
        """The tenant of ``Bearer <key>``, or None for no or an unknown key."""
        return self.authenticate(authorization).tenant

    def authenticate(self, authorization: str | None) -> Authentication:
        """Who ``authorization`` (``Bearer <key>``) is, or why it is nobody."""
        if authorization is None or not authorization.strip():
            return Authentication(None, Refusal.MISSING)
        scheme, _, key = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return Authentication(None, Refusal.MALFORMED)
        tenant = self.settings.api_keys.get(key.strip())
        return Authentication(tenant, None if tenant is not None else Refusal.UNKNOWN)


class Refusal(StrEnum):
    """Why a request is nobody's. The code stays UNAUTHENTICATED for all of them;
    the message tells a missing key from a wrong one, so a new user knows which
    to fix (it never repeats the key)."""

    MISSING = "missing API key"
    MALFORMED = "malformed Authorization: it must be Bearer <api key>"
    UNKNOWN = "unknown API key: check the key, or ask for one"


@dataclass(frozen=True)
class Authentication:
    tenant: str | None
    refusal: Refusal | None

    def message(self, how: str) -> str:
        """The refusal with ``how`` to send a key (HTTP header or connection_init)."""
        if self.refusal is Refusal.MISSING:
            return f"{self.refusal}: send {how}"
        return str(self.refusal)


@dataclass
class RequestContext:
    """Strawberry's context: per HTTP request, or per WebSocket connection."""

    services: Services
    tenant: str | None
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    _loaders: Loaders | None = field(default=None, repr=False)
    _places: dict[CarrierCode, Places] = field(default_factory=dict, repr=False)
    listed: list[PageRead | None] = field(default_factory=list, repr=False)
    """What each shipments listing of the request read (None: one the response
    cache cannot check later)."""

    @property
    def loaders(self) -> Loaders:
        """Per request. A WebSocket connection builds fresh ones per event (see
        fresh_loaders): a cache that lived as long as the connection would go stale."""
        if self._loaders is None:
            self._loaders = Loaders(self.services.store, self.tenant or "")
        return self._loaders

    def fresh_loaders(self) -> None:
        self._loaders = None
        self._places.clear()

    def places(self, code: CarrierCode, capability: Capability) -> Places:
        """The carrier's places for this request, or a GraphQL error saying why not."""
        if code not in self._places:
            try:
                carrier = self.services.registry.get(code, capability)
            except CarrierError as error:
                raise from_carrier_error(error) from None
            self._places[code] = Places(carrier, self.services.places_cache)
        return self._places[code]
