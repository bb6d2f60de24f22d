# The document lists the Location API's paths but shows no response bodies, so these
# shapes are OUR assumption (kept stable; the adapter is written against them):
#   province     {"id": 43044, "name": "Metro Manila", "isoCode": "PH-00", "island": "LUZON"}
#   municipality {"id": 44738, "name": "Taguig", "provinceId": 43044, "portCode": "SOU"}
#   barangay     {"id": 4473801, "name": "Fort Bonifacio", "municipalityId": 44738}
#   port code    {"portCode": "SOU", "portName": "South Metro Manila Hub", "island": "LUZON"}
#   cluster      {"provinceName", "cityName", "barangayName" (null without one),
#                 "portCode", "barangayCluster" (null without a barangay)}
"""The Location API's data, address clean-up included (no state: places never change)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from shipgraph.sandbox.entrego.geo_data import (
    FIRST_OTHER_PROVINCE_ID,
    GENERATED_BARANGAYS,
    GENERATED_MUNICIPALITIES,
    METRO_MANILA,
    METRO_MANILA_FIRST_CITY_ID,
    METRO_MANILA_ID,
    METRO_MANILA_PORTS,
    PROVINCES,
    REAL_BARANGAYS,
    REAL_MUNICIPALITIES,
)


@dataclass(frozen=True)
class Province:
    id: int
    name: str
    iso_code: str
    island: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "isoCode": self.iso_code, "island": self.island}


@dataclass(frozen=True)
class Municipality:
    id: int
    name: str
    province: Province
    port_code: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "provinceId": self.province.id,
            "portCode": self.port_code,
        }


@dataclass(frozen=True)
class Barangay:
    id: int
    name: str
    municipality: Municipality
    cluster: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "municipalityId": self.municipality.id}


@dataclass(frozen=True)
class Port:
    code: str
    name: str
    island: str

    def to_json(self) -> dict[str, Any]:
        return {"portCode": self.code, "portName": self.name, "island": self.island}


def key(name: str) -> str:
    """Names compare case- and space-insensitively."""
    return " ".join(name.split()).casefold()


def _pick(names: tuple[str, ...], seed: str, count: int) -> list[str]:
    """``count`` distinct names chosen by a stable hash of ``seed``."""
    return sorted(names, key=lambda name: hashlib.sha256(f"{seed}/{name}".encode()).digest())[
        :count
    ]


def _build() -> tuple[list[Province], list[Municipality], list[Barangay], list[Port]]:
    provinces: list[Province] = []
    municipalities: list[Municipality] = []
    barangays: list[Barangay] = []
    ports: list[Port] = []
    metro_ports = {city: code for code, _, cities in METRO_MANILA_PORTS for city in cities}
    for index, (iso, name, island) in enumerate(PROVINCES):
        if name == METRO_MANILA:
            province = Province(METRO_MANILA_ID, name, iso, island)
            ports += [Port(code, hub, island) for code, hub, _ in METRO_MANILA_PORTS]
            first_city_id = METRO_MANILA_FIRST_CITY_ID
        else:
            province = Province(FIRST_OTHER_PROVINCE_ID + index, name, iso, island)
            ports.append(Port(iso.removeprefix("PH-"), f"{name} Hub", island))
            first_city_id = 45000 + index * 10
        provinces.append(province)
        names = REAL_MUNICIPALITIES.get(name) or _pick(GENERATED_MUNICIPALITIES, name, 3)
        for offset, city in enumerate(names):
            port = metro_ports.get(city, iso.removeprefix("PH-"))
            municipality = Municipality(first_city_id + offset, city, province, port)
            municipalities.append(municipality)
            seed = f"{name}/{city}"
            places = REAL_BARANGAYS.get(city) or _pick(GENERATED_BARANGAYS, seed, 4)
            for number, place in enumerate(places, start=1):
                cluster = f"{port}-{municipality.id % 100:02d}{1 + (number - 1) // 2}"
                barangays.append(
                    Barangay(municipality.id * 100 + number, place, municipality, cluster)
                )
    return provinces, municipalities, barangays, ports


PROVINCE_LIST, MUNICIPALITY_LIST, BARANGAY_LIST, PORT_LIST = _build()
_BY_ISO = {p.iso_code.casefold(): p for p in PROVINCE_LIST}
_BY_NAME = {key(p.name): p for p in PROVINCE_LIST}


def province_by_id(raw: str) -> Province | None:
    return next((p for p in PROVINCE_LIST if str(p.id) == raw), None)


def province_by_iso(iso: str) -> Province | None:
    return _BY_ISO.get(iso.strip().casefold())


def province_by_name(name: str) -> Province | None:
    return _BY_NAME.get(key(name))


def municipalities_of(province: Province) -> list[Municipality]:
    return [m for m in MUNICIPALITY_LIST if m.province == province]


def municipality_by_id(raw: str) -> Municipality | None:
    return next((m for m in MUNICIPALITY_LIST if str(m.id) == raw), None)


def barangays_of(municipality: Municipality) -> list[Barangay]:
    return [b for b in BARANGAY_LIST if b.municipality == municipality]


def port_by_code(code: str) -> Port | None:
    return next((p for p in PORT_LIST if p.code.casefold() == code.strip().casefold()), None)


def ports_on(island: str) -> list[Port]:
    return [p for p in PORT_LIST if p.island.casefold() == key(island)]


def cluster(province_name: str, city_name: str, barangay_name: str | None) -> dict[str, Any] | None:
    province = province_by_name(province_name)
    if province is None:
        return None
    city = next((m for m in municipalities_of(province) if key(m.name) == key(city_name)), None)
    if city is None:
        return None
    answer: dict[str, Any] = {
        "provinceName": province.name,
        "cityName": city.name,
        "barangayName": None,
        "portCode": city.port_code,
        "barangayCluster": None,
    }
    if barangay_name is None:
        return answer
    place = next((b for b in barangays_of(city) if key(b.name) == key(barangay_name)), None)
    if place is None:
        return None
    return {**answer, "barangayName": place.name, "barangayCluster": place.cluster}


def _find(name: str, text: str) -> re.Match[str] | None:
    return re.search(rf"(?<![\w-]){re.escape(key(name))}(?![\w-])", text)


def cleanup(address: str) -> dict[str, Any]:
    """Split a long address into province and city (the longest names found win; a city
    found without its province names its province). Parts not found are null: the
    document shows only the fully resolved answer, so that shape is OUR assumption."""
    text = key(address)
    province: Province | None = None
    for candidate in sorted(PROVINCE_LIST, key=lambda p: -len(p.name)):
        match = _find(candidate.name, text)
        # "Quezon" inside "Quezon City" names the city, not the province.
        if match and not text[match.end() :].startswith(" city"):
            province = candidate
            # "Manila" inside "Metro Manila" names the province, not the city.
            text = text[: match.start()] + " " * len(match.group()) + text[match.end() :]
            break
    cities = municipalities_of(province) if province else MUNICIPALITY_LIST
    city = next(
        (m for m in sorted(cities, key=lambda m: -len(m.name)) if _find(m.name, text)), None
    )
    if city is not None and province is None:
        province = city.province
    return {
        "provinceId": province.id if province else None,
        "cityId": city.id if city else None,
        "provinceName": province.name if province else None,
        "cityName": city.name if city else None,
    }
