"""The contract's scalars: DateTime always with an offset, Decimal as an exact string,
JSON for carrier-specific passthrough; and Date, a calendar date."""

from __future__ import annotations

import decimal
from datetime import date, datetime

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition


def _shown(value: object) -> str:
    """The value as an error message may repeat it: a stranger's 900 KB is not echoed."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


def _serialize_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("refusing to serialize a datetime without an offset")
    return value.isoformat()


def _parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise StrawberryInputCoercionError(f"DateTime must be a string, got {_shown(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise StrawberryInputCoercionError(
            f"DateTime must be ISO 8601, e.g. 2023-07-27T15:40:20+07:00; got {_shown(value)}"
        ) from None
    if parsed.tzinfo is None:
        raise StrawberryInputCoercionError(
            f"DateTime needs an offset, e.g. 2023-07-27T15:40:20+07:00; got {_shown(value)}"
        )
    return parsed


MAX_DECIMAL_CHARS = 40
"""A Decimal's text: a money amount or a measure needs far fewer characters."""

MAX_DECIMAL_EXPONENT = 40
"""How far from the decimal point a Decimal's digits may reach, either way."""


def _parse_decimal(value: object) -> decimal.Decimal:
    """Bounded before anything else: a Decimal as long or as large as a stranger likes
    (``"1E+500000"``) is cheap to build but takes seconds to turn into an integer
    wherever a carrier needs one, with the event loop frozen meanwhile."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise StrawberryInputCoercionError(
            f'Decimal must be a string like "15000.00": {_shown(value)}'
        )
    if isinstance(value, int) and abs(value) >= 10**MAX_DECIMAL_CHARS:
        raise StrawberryInputCoercionError(f"Decimal must have at most {MAX_DECIMAL_CHARS} digits")
    text = str(value)
    if len(text) > MAX_DECIMAL_CHARS:
        raise StrawberryInputCoercionError(
            f"Decimal must be at most {MAX_DECIMAL_CHARS} characters long, got {len(text)}"
        )
    try:
        parsed = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise StrawberryInputCoercionError(
            f'Decimal must be a number as a string, e.g. "15000.00"; got {_shown(value)}'
        ) from None
    if not parsed.is_finite():
        raise StrawberryInputCoercionError(f"Decimal must be finite, got {_shown(value)}")
    exponent = parsed.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if not -MAX_DECIMAL_EXPONENT <= exponent <= parsed.adjusted() <= MAX_DECIMAL_EXPONENT:
        raise StrawberryInputCoercionError(
            f"Decimal must lie between 1E-{MAX_DECIMAL_EXPONENT} and 1E+{MAX_DECIMAL_EXPONENT}, "
            f"got {_shown(value)}"
        )
    return parsed


DateTimeScalar: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description=(
        "ISO 8601 date-time with offset, e.g. 2023-07-27T15:40:20+07:00. "
        "Always returned with an offset."
    ),
    serialize=_serialize_datetime,
    parse_value=_parse_datetime,
)

DecimalScalar: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description=(
        'Exact decimal number carried as a JSON string, e.g. "15000.00". Never a float. '
        "At most 40 characters, its digits between 1E-40 and 1E+40 (money amounts: "
        "0 to 1 000 000 000 000, at most 4 decimal places)."
    ),
    serialize=str,
    parse_value=_parse_decimal,
)


def _parse_date(value: object) -> date:
    if not isinstance(value, str):
        raise StrawberryInputCoercionError(f"Date must be a string, got {_shown(value)}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise StrawberryInputCoercionError(
            f"Date must be ISO 8601, e.g. 2027-05-31; got {_shown(value)}"
        ) from None


DateScalar: ScalarDefinition = strawberry.scalar(
    name="Date",
    description="ISO 8601 calendar date without a time, e.g. 2027-05-31.",
    serialize=date.isoformat,
    parse_value=_parse_date,
)


def _as_is(value: object) -> object:
    return value


JSONScalar: ScalarDefinition = strawberry.scalar(
    name="JSON",
    description="Free-form JSON, used only for carrier-specific passthrough data "
    "(ShipmentInput.carrierOptions).",
    specified_by_url=(
        "https://ecma-international.org/wp-content/uploads/ECMA-404_2nd_edition_december_2017.pdf"
    ),
    serialize=_as_is,
    parse_value=_as_is,
)
"""Strawberry's own JSON scalar, described as the contract describes it."""

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {
    datetime: DateTimeScalar,
    date: DateScalar,
    decimal.Decimal: DecimalScalar,
    JSON: JSONScalar,
}
