"""A point's own Borzo details from carrierOptions.BORZO (camelCase, as the stops'
address fields): cash to take and to pay out, packages, and the building details of the
document's point model (building_number ... apartment_number), and whether the order's
price is paid to the courier there (is_order_payment_here).

Amounts are in the shipment's currency, IDR (Borzo's only one): a JSON number or a
decimal string such as "42000.00".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shipgraph.carriers.borzo.mapping import CARRIER, money_text
from shipgraph.domain import ErrorCode, FieldError

Path = tuple[str, ...]

# Ours, not the document's (it names no upper bound): well above any courier's cash.
MAX_MONEY = Decimal("1000000000000")
# The point model's texts; the document gives no length, the simulator's 1000 is ours too.
MAX_TEXT = 1000
TEXTS = {
    "buildingNumber": "building_number",
    "entranceNumber": "entrance_number",
    "intercomCode": "intercom_code",
    "floorNumber": "floor_number",
    "apartmentNumber": "apartment_number",
}
# Package parameters: (borzo key, maximum length) per the document.
PACKAGE_TEXTS = {
    "wareCode": ("ware_code", 255),
    "description": ("description", 1000),
    "nomenclatureCode": ("nomenclature_code", 255),
}
PACKAGE_FIELDS = frozenset({*PACKAGE_TEXTS, "itemsCount", "itemPaymentAmount"})
ORDER_PAYMENT_HERE = "orderPaymentHere"
MAX_PACKAGES = 99

_AMOUNT = re.compile(r"^\d{1,13}(\.\d{1,2})?$")


@dataclass(frozen=True, slots=True)
class PointDetails:
    """What one point carries besides its address; ``packages`` are Borzo package bodies."""

    taking_amount: Decimal | None = None
    buyout_amount: Decimal | None = None
    packages: tuple[dict[str, Any], ...] = ()
    texts: tuple[tuple[str, str], ...] = ()
    order_payment_here: bool | None = None
    """borzo.txt's is_order_payment_here: "Money will be paid to the courier at the
    address" (the order's own price, at one point only)."""

    def fields(self) -> dict[str, Any]:
        """The Borzo point parameters these details set."""
        out: dict[str, Any] = dict(self.texts)
        if self.order_payment_here is not None:
            out["is_order_payment_here"] = self.order_payment_here
        if self.taking_amount is not None:
            out["taking_amount"] = money_text(self.taking_amount)
        if self.buyout_amount is not None:
            out["buyout_amount"] = money_text(self.buyout_amount)
        if self.packages:
            out["packages"] = [dict(package) for package in self.packages]
        return out


def _error(path: Path, message: str) -> FieldError:
    return FieldError(ErrorCode.VALIDATION, message, path, CARRIER)


def parse_money(value: object, path: Path) -> tuple[Decimal | None, list[FieldError]]:
    """An IDR amount: not negative, at most two decimals, below MAX_MONEY."""
    text = None
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float) and value == value and abs(value) != float("inf"):
        text = repr(value)
    elif isinstance(value, str):
        text = value.strip()
    if text is None or not _AMOUNT.match(text):
        message = "must be an amount in IDR: a number from 0, with at most two decimals"
        return None, [_error(path, message)]
    amount = Decimal(text)
    if amount >= MAX_MONEY:
        return None, [_error(path, f"must be less than {MAX_MONEY} IDR")]
    return amount, []


def _text(value: object, path: Path, limit: int) -> tuple[str | None, list[FieldError]]:
    if not isinstance(value, str):
        return None, [_error(path, "must be a string")]
    if len(value) > limit:
        return None, [_error(path, f"must be at most {limit} characters")]
    return (value.strip() or None), []


Packages = tuple[dict[str, Any], ...]


def parse_packages(value: object, path: Path) -> tuple[Packages, list[FieldError]]:
    if not isinstance(value, list):
        return (), [_error(path, "must be a list of packages")]
    if len(value) > MAX_PACKAGES:
        return (), [_error(path, f"must hold at most {MAX_PACKAGES} packages")]
    found: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(value):
        here = (*path, str(index))
        if not isinstance(raw, dict):
            errors.append(_error(here, "must be a package object"))
            continue
        unknown = [key for key in raw if key not in PACKAGE_FIELDS]
        problems = [_error((*here, str(key)), "unknown field") for key in unknown]
        package: dict[str, Any] = {}
        for key, (borzo, limit) in PACKAGE_TEXTS.items():
            if raw.get(key) is not None:
                text, text_errors = _text(raw[key], (*here, key), limit)
                problems += text_errors
                if text is not None:
                    package[borzo] = text
        count = raw.get("itemsCount")
        if count is not None:
            number = isinstance(count, int | float) and not isinstance(count, bool)
            if number and 0 <= count <= 1_000_000:
                package["items_count"] = count
            else:
                message = "must be a number from 0 to 1000000"
                problems.append(_error((*here, "itemsCount"), message))
        if raw.get("itemPaymentAmount") is not None:
            where = (*here, "itemPaymentAmount")
            price, price_errors = parse_money(raw["itemPaymentAmount"], where)
            problems += price_errors
            if price is not None:
                package["item_payment_amount"] = money_text(price)
        errors += problems
        if not problems:
            found.append(package)
    return tuple(found), errors


def parse_details(
    raw: Mapping[str, Any], path: Path, allowed: frozenset[str]
) -> tuple[PointDetails, list[FieldError]]:
    """The detail keys of ``raw`` that ``allowed`` admits (the caller reports other keys)."""
    errors: list[FieldError] = []
    amounts: dict[str, Decimal | None] = {}
    for key in ("takingAmount", "buyoutAmount"):
        if key in allowed and raw.get(key) is not None:
            amounts[key], found = parse_money(raw[key], (*path, key))
            errors += found
    texts: list[tuple[str, str]] = []
    for key, borzo in TEXTS.items():
        if key in allowed and raw.get(key) is not None:
            text, found = _text(raw[key], (*path, key), MAX_TEXT)
            errors += found
            if text is not None:
                texts.append((borzo, text))
    packages: tuple[dict[str, Any], ...] = ()
    if "packages" in allowed and raw.get("packages") is not None:
        packages, found = parse_packages(raw["packages"], (*path, "packages"))
        errors += found
    paid_here = raw.get(ORDER_PAYMENT_HERE) if ORDER_PAYMENT_HERE in allowed else None
    if paid_here is not None and not isinstance(paid_here, bool):
        errors.append(_error((*path, ORDER_PAYMENT_HERE), "must be true or false"))
        paid_here = None
    details = PointDetails(
        taking_amount=amounts.get("takingAmount"),
        buyout_amount=amounts.get("buyoutAmount"),
        packages=packages,
        texts=tuple(texts),
        order_payment_here=paid_here,
    )
    return details, errors
