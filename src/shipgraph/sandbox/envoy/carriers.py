"""The carriers the simulated aggregator quotes for, their services and their prices.

Amounts are integers in the currency's minor unit, the exponent being ISO 4217's
(USD/EUR/GBP/PHP 2, JPY/KRW 0, BHD 3; IDR 2 as ISO says). Each carrier quotes in its own
currency except UPS, which honours ``options.shipping.currency_code`` (the document:
"Only supported with some carriers. Defaults to USD"), so a client must compare rates
per currency. Fixed FX rates keep every quote deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

EXPONENTS = {"USD": 2, "EUR": 2, "GBP": 2, "AUD": 2, "CAD": 2, "IDR": 2, "PHP": 2}
EXPONENTS |= {"JPY": 0, "KRW": 0}
EXPONENTS["BHD"] = 3
USD_TO = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "AUD": Decimal("1.52"),
    "CAD": Decimal("1.36"),
    "IDR": Decimal("16250"),
    "PHP": Decimal("58"),
    "JPY": Decimal("151"),
    "KRW": Decimal("1370"),
    "BHD": Decimal("0.376"),
}


def minor_units(usd: Decimal, currency: str) -> int:
    """``usd`` converted to ``currency`` and rounded to its minor unit."""
    amount = usd * USD_TO[currency] * (Decimal(10) ** EXPONENTS[currency])
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    handle: str
    delivery_days: int
    multiplier: Decimal
    guaranteed: bool


@dataclass(frozen=True)
class Carrier:
    id: str
    name: str
    handle: str
    currency: str | None
    """The currency it quotes in; None = the requested one (default USD)."""
    base_usd: Decimal
    per_kg_usd: Decimal
    services: tuple[Service, ...]
    never_to: frozenset[str] = frozenset()
    """Destination countries it never serves (answered with ``rates_unavailable``)."""
    label_formats: frozenset[str] = frozenset({"pdf", "png", "zpl"})
    multi_package: bool = True
    """False: it takes one package per shipment (Shipment Model, packages: "only certain
    carriers and services support multi package shipments, others require one package
    per shipment")."""

    def resource(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "handle": self.handle}


def _svc(sid: str, name: str, handle: str, days: int, mult: str, guaranteed: bool) -> Service:
    return Service(f"cs_{sid}", name, handle, days, Decimal(mult), guaranteed)


CARRIERS: tuple[Carrier, ...] = (
    Carrier(
        id="car_2iBgUOHPuWh0Hvjc81euqKXTW5N",
        name="UPS",
        handle="ups",
        currency=None,
        base_usd=Decimal("7.50"),
        per_kg_usd=Decimal("1.80"),
        services=(
            _svc("2iBgUNbKrgj7uVrsSiiF5ZhTelp", "Express", "express", 1, "2.2", True),
            _svc("2iBgUPq1Lk3fGv0sV8nZtQeYwXa", "Ground", "ground", 4, "1.0", False),
        ),
    ),
    Carrier(
        id="car_2iBgUQd7FhR0mKs2wLyXc9VbNpT",
        name="DHL Express",
        handle="dhl_express",
        currency="EUR",
        base_usd=Decimal("9.00"),
        per_kg_usd=Decimal("2.10"),
        services=(
            _svc(
                "2iBgURs4GjT1nLt3xMzYd0WcOqU",
                "Express Worldwide",
                "express_worldwide",
                2,
                "1.9",
                True,
            ),
            _svc(
                "2iBgUSt5HkU2oMu4yNaZe1XdPrV", "Economy Select", "economy_select", 5, "1.1", False
            ),
        ),
    ),
    Carrier(
        id="car_2iBgUTu6IlV3pNv5zObAf2YeQsW",
        name="Yamato Transport",
        handle="yamato",
        currency="JPY",
        base_usd=Decimal("6.00"),
        per_kg_usd=Decimal("1.50"),
        services=(_svc("2iBgUUv7JmW4qOw6aPcBg3ZfRtX", "TA-Q-BIN", "ta_q_bin", 3, "1.0", False),),
        label_formats=frozenset({"pdf", "png"}),
        multi_package=False,
    ),
    Carrier(
        id="car_2iBgUVw8KnX5rPx7bQdCh4AgSuY",
        name="Aramex",
        handle="aramex",
        currency="BHD",
        base_usd=Decimal("8.00"),
        per_kg_usd=Decimal("2.40"),
        services=(
            _svc(
                "2iBgUWx9LoY6sQy8cReDi5BhTvZ",
                "Priority Parcel Express",
                "priority_express",
                3,
                "1.6",
                False,
            ),
        ),
        never_to=frozenset({"US", "CA"}),
    ),
)
BY_HANDLE = {c.handle: c for c in CARRIERS}


def chargeable_kg(packages: list[dict[str, Any]]) -> Decimal:
    """Sum over packages of max(mass, volumetric mass at 5000 cm3/kg), at least 0.1 kg."""
    total = Decimal(0)
    for package in packages:
        g = package["geometry"]
        mass = Decimal(g["mass"]) / 1000
        dims = (g.get("length"), g.get("width"), g.get("height"))
        volumetric = Decimal(0)
        if all(isinstance(d, int) for d in dims):
            volumetric = Decimal(dims[0] * dims[1] * dims[2]) / Decimal(5_000_000)
        total += max(mass, volumetric)
    return max(total, Decimal("0.1"))


def quote(
    carrier: Carrier,
    service: Service,
    *,
    kg: Decimal,
    international: bool,
    currency: str,
    ship_date: datetime,
) -> dict[str, Any]:
    """The rate body (without ``id``) for one service."""
    usd = (carrier.base_usd + carrier.per_kg_usd * kg) * service.multiplier
    days = service.delivery_days
    if international:
        usd = usd * Decimal("1.8") + Decimal("12")
        days += 2
    delivery = ship_date + timedelta(days=days)
    guaranteed = delivery + timedelta(days=1) if service.guaranteed else None
    return {
        "carrier": carrier.resource(),
        "carrier_service": {"id": service.id, "name": service.name, "handle": service.handle},
        "carrier_account": None,
        "rate": minor_units(usd, currency),
        "currency_code": currency,
        "delivery_days": days,
        "ship_date": stamp(ship_date),
        "delivery_date": stamp(delivery),
        "guaranteed_delivery_date": stamp(guaranteed) if guaranteed else None,
    }


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
