"""Deterministic prices with the document's fee breakdown.

The document publishes no tariff; these rates are the simulator's own, chosen so that its
example (a motorbike between its two example addresses, 15.9 km) costs "15000.00".
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from shipgraph.sandbox.borzo.geo import distance_km
from shipgraph.sandbox.borzo.model import ZERO, Order, Prices


@dataclass(frozen=True)
class Vehicle:
    base_fee: int
    per_km: int
    included_kg: int
    max_kg: int
    per_extra_kg: int


# The document's vehicle types: 1 car/SUV/pickup (<500 kg), 2 minivan (<700 kg),
# 3 van (<1000 kg), 7 car, 8 motorbike (the default, as in every example).
VEHICLES: dict[int, Vehicle] = {
    1: Vehicle(40_000, 3_500, 100, 500, 500),
    2: Vehicle(60_000, 4_500, 200, 700, 500),
    3: Vehicle(90_000, 6_000, 300, 1_000, 500),
    7: Vehicle(25_000, 2_500, 20, 200, 1_000),
    8: Vehicle(7_000, 500, 5, 20, 1_000),
}
DEFAULT_LEG_KM = 5.0
"""A leg with an end whose location is unknown (calculating an incomplete order)."""
LOADER_FEE = Decimal(25_000)
INSURANCE_RATE = Decimal("0.005")
MONEY_TRANSFER_RATE = Decimal("0.01")
COD_RATE = Decimal("0.025")
COD_MIN_FEE = Decimal(3_600)
RETURN_RATE = Decimal("0.5")
PROMO_CODES: dict[str, Decimal] = {"FIRST_ORDER": Decimal(3_000)}


def rupiah(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def route_km(order: Order) -> float:
    positions = [point.position for point in order.points]
    return sum(
        distance_km(a, b) if a is not None and b is not None else DEFAULT_LEG_KM
        for a, b in itertools.pairwise(positions)
    )


def price(order: Order) -> Prices:
    vehicle = VEHICLES.get(order.vehicle_type_id, VEHICLES[8])
    delivery = Decimal(vehicle.base_fee + vehicle.per_km * math.ceil(route_km(order) - 1e-9))
    extra_kg = max(0, order.total_weight_kg - vehicle.included_kg)
    weight = Decimal(extra_kg * vehicle.per_extra_kg)
    insurance = rupiah(order.insurance_amount * INSURANCE_RATE)
    loading = LOADER_FEE * order.loaders_count
    taking = sum((p.taking_amount for p in order.points), ZERO)
    buyout = sum((p.buyout_amount for p in order.points), ZERO)
    cod_points = [p for p in order.points if p.is_cod_cash_voucher_required]
    cod_taking = sum((p.taking_amount for p in cod_points), ZERO)
    transfer = rupiah(max(ZERO, taking - cod_taking - buyout) * MONEY_TRANSFER_RATE)
    cod = sum((max(COD_MIN_FEE, rupiah(p.taking_amount * COD_RATE)) for p in cod_points), ZERO)
    returning = rupiah(delivery * RETURN_RATE) if order.is_return_required else ZERO
    promo = PROMO_CODES.get(order.promo_code or "")
    discount = min(promo, delivery) if promo is not None else ZERO
    waiting = ZERO
    total = delivery + weight + insurance + loading + transfer + cod + returning + waiting
    return Prices(
        payment_amount=total - discount,
        delivery_fee_amount=delivery,
        weight_fee_amount=weight,
        insurance_amount=order.insurance_amount,
        insurance_fee_amount=insurance,
        loading_fee_amount=loading,
        money_transfer_fee_amount=transfer,
        promo_code_discount_amount=discount,
        backpayment_amount=max(ZERO, taking - buyout),
        cod_fee_amount=cod,
        return_fee_amount=returning,
        waiting_fee_amount=waiting,
        applied_promo_code=order.promo_code if promo is not None else None,
    )
