"""Bounds on what a caller may send: money amounts, the Decimal scalar, free text,
carrierOptions, tracking numbers and cursors. Each refusal is a value or a coded
error, never an exception of another kind."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from strawberry.exceptions import StrawberryInputCoercionError

from shipgraph.carriers.entrego.auth import TOKEN_LIFETIME, expiry
from shipgraph.domain import (
    Address,
    Money,
    Parcel,
    ParcelItem,
    ShipmentPatch,
    ShipmentRequest,
    money_amount_problem,
)
from shipgraph.resolvers.validation import (
    tracking_number_problem,
    validate_patch,
    validate_request,
)
from shipgraph.schema.scalars import _parse_decimal
from shipgraph.store.base import InvalidCursor
from shipgraph.store.cursors import decode_cursor, encode_cursor, position

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def short(value: object) -> str:
    """A readable test id for a value that may be 900 000 characters long."""
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:16]}...({len(text)})"


@pytest.mark.parametrize(
    "amount", ["0", "12500", "12500.00", "0.0001", "1E+12", "1000000000000", "100.10000"]
)
def test_sane_amounts(amount: str) -> None:
    assert money_amount_problem(Decimal(amount)) is None


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("-1", "must not be negative"),
        ("1000000000000.01", "must be at most 1,000,000,000,000"),
        ("1E+500000", "must be at most 1,000,000,000,000"),
        ("1.00001", "must have at most 4 decimal places"),
        ("1E-500000", "must have at most 4 decimal places"),
        ("1.00000000000000000000000000001", "must have at most 4 decimal places"),
        ("NaN", "must be a finite number"),
        ("-Infinity", "must be a finite number"),
    ],
)
def test_absurd_amounts(amount: str, problem: str) -> None:
    assert money_amount_problem(Decimal(amount)) == problem


@pytest.mark.parametrize("value", ["12500.00", "-5.5", "0", 12, 1.5, "1E+40", "1E-40", " 7 "])
def test_the_decimal_scalar_reads_numbers(value: object) -> None:
    assert _parse_decimal(value) == Decimal(str(value))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1E+500000", "must lie between 1E-40 and 1E.40"),
        ("1E+41", "must lie between 1E-40 and 1E.40"),
        ("1E-41", "must lie between 1E-40 and 1E.40"),
        ("0E+99", "must lie between 1E-40 and 1E.40"),
        (1e300, "must lie between 1E-40 and 1E.40"),
        ("1" * 41, "at most 40 characters"),
        ("9" * 5000, "at most 40 characters"),
        (10**60, "at most 40 digits"),
        ("NaN", "finite"),
        ("abc", "a number"),
        (True, "a string"),
        (None, "a string"),
    ],
    ids=short,
)
def test_the_decimal_scalar_refuses_absurd_values(value: object, message: str) -> None:
    with pytest.raises(StrawberryInputCoercionError, match=message):
        _parse_decimal(value)


def request(**changes: Any) -> ShipmentRequest:
    item = ParcelItem(name="Air Mineral", quantity=1, unit_price=Money(Decimal(12500), "IDR"))
    base = ShipmentRequest(
        reference="SO-1",
        origin=Address(line1="Jl. Raya Perancis 17", country_code="ID", name="Budi"),
        destination=Address(line1="Jl. Pengadegan Utara 1", country_code="ID"),
        parcels=(Parcel(weight_kg=1.2, items=(item,)),),
        pickup_at=NOW + timedelta(days=1),
    )
    return replace(base, **changes)


def problems(errors: list[Any]) -> dict[tuple[str, ...], str]:
    return {tuple(error.field): error.message for error in errors}


def test_an_ordinary_request_passes() -> None:
    assert validate_request(request(), NOW) == []


def test_every_money_input_is_bounded_in_one_place() -> None:
    huge = Money(Decimal("1E+20"), "IDR")
    fine = Money(Decimal("1.00001"), "IDR")
    item = ParcelItem(name="x", quantity=1, unit_price=huge)
    found = problems(
        validate_request(
            request(cash_on_delivery=huge, declared_value=fine, parcels=(Parcel(items=(item,)),)),
            NOW,
        )
    )
    assert found == {
        ("shipment", "cashOnDelivery", "amount"): "must be at most 1,000,000,000,000",
        ("shipment", "declaredValue", "amount"): "must have at most 4 decimal places",
        ("shipment", "parcels", "0", "items", "0", "unitPrice", "amount"): (
            "must be at most 1,000,000,000,000"
        ),
    }
    patch = ShipmentPatch(cash_on_delivery=huge)
    assert problems(validate_patch(patch, NOW)) == {
        ("patch", "cashOnDelivery", "amount"): "must be at most 1,000,000,000,000"
    }


def test_free_text_is_bounded_at_its_field() -> None:
    origin = Address(line1="l" * 351, country_code="ID", name="n" * 900_000, phone="6\x0081")
    item = ParcelItem(name="x" * 256, quantity=1, sku="a\x00")
    found = problems(
        validate_request(
            request(
                reference="r" * 101,
                description="d" * 5001,
                instructions="i\x07",
                origin=origin,
                parcels=(Parcel(description="p" * 1001, items=(item,)),),
            ),
            NOW,
        )
    )
    assert found == {
        ("shipment", "reference"): "at most 100 characters",
        ("shipment", "description"): "at most 5000 characters",
        ("shipment", "instructions"): "must not contain control characters",
        ("shipment", "origin", "line1"): "at most 350 characters",
        ("shipment", "origin", "name"): "at most 200 characters",
        ("shipment", "origin", "phone"): "must not contain control characters",
        ("shipment", "parcels", "0", "description"): "at most 1000 characters",
        ("shipment", "parcels", "0", "items", "0", "name"): "at most 255 characters",
        ("shipment", "parcels", "0", "items", "0", "sku"): "must not contain control characters",
    }
    assert validate_request(request(instructions="line one\nline two\tend"), NOW) == []


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ENVIO": nested(900)}, "must not nest deeper than 8 levels"),
        ({"BORZO": {f"k{i}": "x" * 100 for i in range(300)}}, "at most 20000 characters as JSON"),
        ({"ENVIO": {"x": float("inf")}}, "must hold finite numbers only"),
    ],
)
def test_carrier_options_are_bounded(options: dict[str, Any], message: str) -> None:
    found = problems(validate_request(request(carrier_options=options), NOW))
    assert found == {("shipment", "carrierOptions"): message}


def test_ordinary_carrier_options_pass() -> None:
    options = {"BORZO": {"vehicle_type_id": 8, "points": [{"note": "call first"}]}}
    assert validate_request(request(carrier_options=options), NOW) == []
    unknown = problems(validate_request(request(carrier_options={"X" * 500: {}}), NOW))
    assert list(unknown) == [("shipment", "carrierOptions", "X" * 40)]


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("S0816613", None),
        ("0031-123456789010", None),
        ("9" * 64, None),
        ("", "trackingNumber must not be empty"),
        ("9" * 65, "trackingNumber must be at most 64 characters"),
        ("A" * 900_000, "trackingNumber must be at most 64 characters"),
        ("AB\x00CD", "trackingNumber must not contain control characters"),
        ("AB\u202eCD", "trackingNumber must not contain control characters"),
    ],
    ids=short,
)
def test_tracking_numbers(number: str, problem: str | None) -> None:
    assert tracking_number_problem(number) == problem


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_our_cursors_round_trip() -> None:
    pos = position(12345, "shp_0123456789abcdef01234567")
    assert decode_cursor(encode_cursor(pos)) == pos


@pytest.mark.parametrize(
    "cursor",
    [
        b64(b"[" * 5000 + b"]" * 5000),
        b64(b"[" + b"9" * 5000 + b',"x"]'),
        b64(b'[1e999,"x"]'),
        b64(b"\xff\xfe"),
        b64(b'[-1,"x"]'),
        b64(b'[true,"x"]'),
        "!!!",
        "A" * 900_000,
    ],
    ids=short,
)
def test_anything_else_is_an_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)


@pytest.mark.parametrize(
    "claims",
    [b"[" * 5000 + b"]" * 5000, b'{"exp": ' + b"9" * 5000 + b"}", b'{"exp": 1e999}'],
    ids=["deep", "long-number", "infinite"],
)
def test_a_hostile_entrego_token_lives_the_documented_24_hours(claims: bytes) -> None:
    token = f"header.{b64(claims)}.signature"
    assert expiry(token, NOW) == NOW + TOKEN_LIFETIME


def test_measures_are_bounded() -> None:
    item = ParcelItem(name="x", quantity=1e308, weight_kg=float("inf"))
    parcel = Parcel(
        weight_kg=1e308,
        length_cm=10_001,
        width_cm=-1,
        height_cm=5,
        items=(item,),
        volumetric_weight_kg=float("nan"),
    )
    found = problems(validate_request(request(parcels=(parcel,)), NOW))
    assert found == {
        ("shipment", "parcels", "0", "weightKg"): "must be at most 50000",
        ("shipment", "parcels", "0", "volumetricWeightKg"): "must be greater than 0",
        ("shipment", "parcels", "0", "lengthCm"): "must be at most 10000",
        ("shipment", "parcels", "0", "widthCm"): "must be greater than 0",
        ("shipment", "parcels", "0", "items", "0", "quantity"): "must be at most 1e+06",
        ("shipment", "parcels", "0", "items", "0", "weightKg"): "must be greater than 0",
    }
