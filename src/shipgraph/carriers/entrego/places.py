"""Reading the Location API and address clean-up answers (entrego.txt, "Location API").

The document gives URLs but no response shapes except the clean-up's. We assume (and
the sandbox serves) a JSON list of objects, and accept the list bare or wrapped in
``data`` / ``content`` / ``items``, each object naming itself with ``id`` or
``<level>Id`` and ``name`` or ``<level>Name``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shipgraph.carriers.entrego.mapping import CARRIER
from shipgraph.domain import CleanedAddress, Location, LocationLevel, PortCode

_WRAPPERS = ("data", "content", "items", "result", "results")
# Extra key prefixes per level: a municipality may be called a city.
_PREFIXES: dict[LocationLevel, tuple[str, ...]] = {
    LocationLevel.PROVINCE: ("province",),
    LocationLevel.MUNICIPALITY: ("municipality", "city"),
    LocationLevel.BARANGAY: ("barangay",),
}


def entries(body: Any) -> list[dict[str, Any]]:
    """The objects of a list answer, bare or wrapped; one object counts as a list of one."""
    if isinstance(body, dict):
        for key in _WRAPPERS:
            if key in body:
                return entries(body[key])
        return [body] if body else []
    if isinstance(body, list):
        return [entry for entry in body if isinstance(entry, dict)]
    return []


def _first(entry: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def locations(body: Any, level: LocationLevel, parent_id: str | None) -> list[Location]:
    prefixes = _PREFIXES[level]
    id_keys = ("id", *(f"{p}Id" for p in prefixes), *(f"{p}_id" for p in prefixes))
    name_keys = ("name", *(f"{p}Name" for p in prefixes), *(f"{p}_name" for p in prefixes))
    iso_keys = ("isoCode", "iso", "iso_code", "provinceIsoCode")
    found = []
    for entry in entries(body):
        place_id, name = _first(entry, id_keys), _first(entry, name_keys)
        if place_id is None or name is None:
            continue
        iso = _first(entry, iso_keys) if level == LocationLevel.PROVINCE else None
        found.append(Location(place_id, CARRIER, level, name, iso, parent_id))
    return found


def port_code(entry: Mapping[str, Any]) -> PortCode | None:
    code = _first(entry, ("portCode", "code", "port_code", "clusterCode"))
    if code is None:
        return None
    name = _first(entry, ("name", "portCodeName", "portName", "description", "clusterName"))
    island = _first(entry, ("island", "islandName", "island_name"))
    cluster = _first(entry, ("barangayCluster", "barangay_cluster"))
    return PortCode(code=code, name=name, island=island, barangay_cluster=cluster)


def port_codes(body: Any) -> list[PortCode]:
    return [code for entry in entries(body) if (code := port_code(entry)) is not None]


def province(body: Any) -> Location | None:
    """The first province of a by-ISO or by-name answer (one object or a list)."""
    found = locations(body, LocationLevel.PROVINCE, None)
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class Cluster:
    """A barangay-cluster answer: the port code an order's portCode / pickupPortCode
    takes, and the barangay cluster (given when a barangay was asked)."""

    port_code: str | None
    barangay_cluster: str | None


def cluster(body: Any) -> Cluster | None:
    """The first barangay-cluster entry (shape assumed: {portCode, barangayCluster})."""
    for entry in entries(body):
        found = Cluster(
            port_code=_first(entry, ("portCode", "code", "port_code")),
            barangay_cluster=_first(entry, ("barangayCluster", "barangay_cluster", "clusterCode")),
        )
        if found != Cluster(None, None):
            return found
    return None


def cleaned_address(body: Any) -> CleanedAddress | None:
    if not isinstance(body, dict):
        return None
    cleaned = CleanedAddress(
        province_id=_first(body, ("provinceId",)),
        province_name=_first(body, ("provinceName",)),
        city_id=_first(body, ("cityId",)),
        city_name=_first(body, ("cityName",)),
    )
    return None if cleaned == CleanedAddress() else cleaned
