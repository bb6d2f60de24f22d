"""Envoy money: integer amounts in the currency's smallest unit ("rate": 1650,
"currency_code": "USD" is USD 16.50; insurance "value" likewise).

Minor-unit exponents are ISO 4217's (the SIX maintenance agency's list, column
"Minor unit"). Currencies not listed here have 2, as most of the list does.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"  # ISO 4217: 0
_THREE = "BHD IQD JOD KWD LYD OMR TND"  # ISO 4217: 3
_FOUR = "CLF UYW"  # ISO 4217: 4

EXPONENTS: dict[str, int] = {
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}
DEFAULT_EXPONENT = 2


def exponent(currency: str) -> int:
    return EXPONENTS.get(currency.upper(), DEFAULT_EXPONENT)


def from_minor(value: int, currency: str) -> Decimal:
    """1234 JPY -> 1234, 1234 USD -> 12.34, 1234 KWD -> 1.234."""
    return Decimal(value).scaleb(-exponent(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """The amount in the currency's smallest unit, rounded half up."""
    return int(amount.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


MAX_MINOR = 10**17
"""Minor units beyond this are nobody's price (10^15 in major units of a 2-digit
currency, as the shared amount reader allows)."""


def minor_int(value: object) -> int | None:
    """A JSON integer (or an integral float) amount within MAX_MINOR, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and abs(value) <= MAX_MINOR:
        return value
    return None
