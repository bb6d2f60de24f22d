"""locations, province, portCodes, portCode, portCodeFor, cleanAddress: through the cache.

Every answer is read through a CachedLoader (TTL, single flight across processes,
stale copy when the carrier is down), keyed by carrier and question.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from aiodataloader import DataLoader
from pydantic import TypeAdapter

from shipgraph.cache.loader import CachedLoader
from shipgraph.carriers.base import CarrierBase, CarrierError
from shipgraph.domain import (
    CleanedAddress,
    ErrorCode,
    Location,
    LocationLevel,
    PortCode,
)
from shipgraph.resolvers.errors import api_error, from_carrier_error
from shipgraph.resolvers.validation import text_problem

V = TypeVar("V")

_locations = TypeAdapter(list[Location])
_port_codes = TypeAdapter(list[PortCode])
_port_code = TypeAdapter(PortCode | None)
_location = TypeAdapter(Location | None)
_cleaned = TypeAdapter(CleanedAddress | None)

CHILD_LEVEL = {
    LocationLevel.PROVINCE: LocationLevel.MUNICIPALITY,
    LocationLevel.MUNICIPALITY: LocationLevel.BARANGAY,
}


class Places:
    """One per request: the cache is shared, the children loader is per request."""

    def __init__(self, carrier: CarrierBase, cache: CachedLoader) -> None:
        self._carrier = carrier
        self._cache = cache
        self._code = carrier.info.code
        self.children = DataLoader(self._load_children)

    async def _cached(
        self, key: str, adapter: TypeAdapter[V], load: Callable[[], Awaitable[V]]
    ) -> V:
        async def load_bytes() -> bytes:
            return adapter.dump_json(await load())

        try:
            raw = await self._cache.get(f"places:{self._code.value}:{key}", load_bytes)
        except CarrierError as error:
            raise from_carrier_error(error) from None
        return adapter.validate_json(raw)

    async def level(self, level: LocationLevel, parent_id: str | None) -> list[Location]:
        key = f"{level.value}:{parent_id or ''}"
        return await self._cached(
            key, _locations, lambda: self._carrier.locations(level, parent_id)
        )

    async def under(self, parent_id: str | None) -> list[Location]:
        """Provinces without a parent; else the places one level below the parent.
        Entrego's ids are plain numbers, so a parent that is not a province is taken
        as a municipality."""
        if parent_id is None:
            return await self.level(LocationLevel.PROVINCE, None)
        bounded(parent_id, "parentId")
        provinces = await self.level(LocationLevel.PROVINCE, None)
        if any(province.id == parent_id for province in provinces):
            return await self.level(LocationLevel.MUNICIPALITY, parent_id)
        return await self.level(LocationLevel.BARANGAY, parent_id)

    async def _load_children(self, parents: Sequence[Location]) -> list[list[Location]]:
        async def children(parent: Location) -> list[Location]:
            if parent.level not in CHILD_LEVEL:
                return []
            return await self.level(CHILD_LEVEL[parent.level], parent.id)

        return list(await asyncio.gather(*(children(parent) for parent in parents)))

    async def port_codes(self, island: str | None) -> list[PortCode]:
        bounded(island, "island")
        key = f"ports:{(island or '').lower()}"
        return await self._cached(key, _port_codes, lambda: self._carrier.port_codes(island))

    async def port_code(self, code: str) -> PortCode | None:
        key = f"port:{code.lower()}"
        return await self._cached(key, _port_code, lambda: self._carrier.port_code(code))

    async def province(self, iso_code: str | None, name: str | None) -> Location | None:
        """By ISO code or by name: exactly one of them."""
        if (iso_code is None) == (name is None):
            raise api_error(ErrorCode.VALIDATION, "give exactly one of isoCode and name")
        if iso_code is not None:
            iso = required(iso_code, "isoCode")
            key = f"province:iso:{iso.lower()}"
            return await self._cached(key, _location, lambda: self._carrier.province(iso, None))
        wanted = required(name or "", "name")
        key = f"province:name:{' '.join(wanted.lower().split())}"
        return await self._cached(key, _location, lambda: self._carrier.province(None, wanted))

    async def port_code_for(
        self, province: str, city: str, barangay: str | None
    ) -> PortCode | None:
        bounded(barangay, "barangay")
        key = f"cluster:{province.lower()}|{city.lower()}|{(barangay or '').lower()}"
        return await self._cached(
            key, _port_code, lambda: self._carrier.port_code_for(province, city, barangay)
        )

    async def clean_address(self, address: str) -> CleanedAddress | None:
        key = f"cleanup:{' '.join(address.lower().split())}"
        return await self._cached(key, _cleaned, lambda: self._carrier.clean_address(address))


def matching(locations: list[Location], search: str | None) -> list[Location]:
    """Places whose name contains ``search``, case-insensitively."""
    if not search:
        return locations
    wanted = search.casefold()
    return [location for location in locations if wanted in location.name.casefold()]


MAX_PLACE_TEXT = 500
"""A one-line address or a place's name; nothing longer is sent to a carrier."""


def bounded(value: str | None, name: str) -> None:
    """A VALIDATION error unless ``value`` is short text: it goes into a carrier's URL."""
    problem = None if value is None else text_problem(value, MAX_PLACE_TEXT)
    if problem is not None:
        raise api_error(ErrorCode.VALIDATION, f"{name}: {problem}")


def required(value: str, name: str) -> str:
    if not value.strip():
        raise api_error(ErrorCode.VALIDATION, f"{name} must not be empty")
    bounded(value, name)
    return value.strip()
