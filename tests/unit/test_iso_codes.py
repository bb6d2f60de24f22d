"""Country codes are checked against ISO 3166-1 alpha-2 and currencies against
ISO 4217 (pycountry's tables), wherever an address or an amount is input: a code of
the right shape that names nothing (XX, QQQ) is a VALIDATION error at its field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shipgraph.domain import (
    Address,
    ErrorCode,
    Money,
    Parcel,
    ParcelItem,
    ShipmentPatch,
    ShipmentRequest,
)
from shipgraph.resolvers.validation import (
    country_known,
    currency_known,
    validate_patch,
    validate_request,
)
from shipgraph.schema.inputs import AddressInput, MoneyInput

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def request(**changes: Any) -> ShipmentRequest:
    fields: dict[str, Any] = {
        "reference": "SO-1",
        "origin": Address(line1="Jl. Raya Perancis 17", country_code="ID"),
        "destination": Address(line1="Jl. Pengadegan Utara 1", country_code="ID"),
        "parcels": (Parcel(weight_kg=1.2),),
        "pickup_at": NOW + timedelta(days=1),
    }
    return ShipmentRequest(**{**fields, **changes})


def problems(errors: list[Any]) -> dict[tuple[str, ...], str]:
    assert all(error.code == ErrorCode.VALIDATION for error in errors)
    return {tuple(error.field): error.message for error in errors}


@pytest.mark.parametrize("code", ["ID", "PH", "US", "GB", "SG", "AQ"])
def test_countries_that_exist(code: str) -> None:
    assert country_known(code)
    assert validate_request(request(destination=Address(line1="x", country_code=code)), NOW) == []


@pytest.mark.parametrize("code", ["XX", "AA", "ZZ", "QM", "UK", "EU", "I", "IDN", "", "I1", "ÍD"])
def test_codes_that_name_no_country(code: str) -> None:
    assert not country_known(code)
    found = problems(validate_request(request(origin=Address(line1="x", country_code=code)), NOW))
    assert found == {
        ("shipment", "origin", "countryCode"): "must be an ISO 3166-1 alpha-2 code such as ID"
    }


def test_a_lower_case_country_is_read_in_capitals() -> None:
    address = AddressInput(line1="Jl. Pengadegan Utara 1", country_code="ph").to_domain()
    assert address.country_code == "PH"
    assert validate_request(request(destination=address), NOW) == []
    assert not country_known("ph")  # validation sees what the input conversion made


@pytest.mark.parametrize("code", ["IDR", "PHP", "USD", "SGD", "EUR", "XOF", "JPY"])
def test_currencies_that_exist(code: str) -> None:
    assert currency_known(code)
    money = Money(Decimal(12500), code)
    assert validate_request(request(cash_on_delivery=money, declared_value=money), NOW) == []


@pytest.mark.parametrize("code", ["QQQ", "ABC", "RPH", "XXX", "XTS", "RP", "RUPIAH", "", "ID1"])
def test_codes_that_name_no_currency_at_each_money_field(code: str) -> None:
    assert not currency_known(code)
    money = Money(Decimal(1), code)
    item = ParcelItem(name="Air Mineral", quantity=1, unit_price=money)
    found = problems(
        validate_request(
            request(cash_on_delivery=money, declared_value=money, parcels=(Parcel(items=(item,)),)),
            NOW,
        )
    )
    message = "must be an ISO 4217 code such as IDR or PHP"
    assert found == {
        ("shipment", "cashOnDelivery", "currency"): message,
        ("shipment", "declaredValue", "currency"): message,
        ("shipment", "parcels", "0", "items", "0", "unitPrice", "currency"): message,
    }
    patch = ShipmentPatch(cash_on_delivery=money)
    assert problems(validate_patch(patch, NOW)) == {
        ("patch", "cashOnDelivery", "currency"): message
    }


def test_a_lower_case_currency_is_read_in_capitals() -> None:
    money = MoneyInput(amount=Decimal(12500), currency="idr").to_domain()
    assert money.currency == "IDR"
    assert validate_request(request(cash_on_delivery=money), NOW) == []
