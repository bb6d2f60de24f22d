"""Envoy rates: minor units, the document's rate example, rate ids, the cheapest."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from shipgraph.carriers.envoy import money, rates
from shipgraph.domain import CarrierCode, Money, Rate

KEY = rates.signing_key("envoy-token")
SHIPMENT_ID = "shp_0ujzPyRiIAffKhBux4PvQdDqMHY"
# envoy.txt, Shipment Model example, "rates"[0].
DOC_RATE: dict[str, Any] = {
    "id": "string",
    "carrier": {"id": "car_2iBgUOHPuWh0Hvjc81euqKXTW5N", "name": "UPS", "handle": "ups"},
    "carrier_service": {
        "id": "cs_2iBgUNbKrgj7uVrsSiiF5ZhTelp",
        "name": "Express",
        "handle": "express",
    },
    "carrier_account": None,
    "rate": 1650,
    "currency_code": "USD",
    "delivery_days": 3,
    "ship_date": "2024-06-18T14:15:22Z",
    "delivery_date": "2024-06-21T14:15:22Z",
    "guaranteed_delivery_date": "2024-06-22T14:15:22Z",
}


def entry(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(DOC_RATE), **changes}


@pytest.mark.parametrize(
    ("minor", "currency", "expected"),
    [
        (1234, "JPY", "1234"),
        (1234, "KRW", "1234"),
        (1234, "USD", "12.34"),
        (1234, "eur", "12.34"),
        (1234, "IDR", "12.34"),  # ISO 4217 gives IDR 2 minor digits
        (1234, "KWD", "1.234"),
        (1, "BHD", "0.001"),
        (1234, "CLF", "0.1234"),
        (5, "XYZ", "0.05"),  # unlisted: 2
    ],
)
def test_minor_units(minor: int, currency: str, expected: str) -> None:
    value = money.from_minor(minor, currency)
    assert value == Decimal(expected)
    assert str(value) == expected  # to the minor unit, no more digits
    assert money.to_minor(value, currency) == minor


def test_the_documents_rate() -> None:
    rate = rates.rate_of(KEY, SHIPMENT_ID, DOC_RATE)
    assert rate is not None
    assert rate.carrier == CarrierCode.ENVOY
    assert rate.service == "UPS Express"
    assert rate.total == Money(Decimal("16.50"), "USD")
    assert rate.delivery_days == 3
    assert rate.estimated_delivery_at == datetime(2024, 6, 21, 14, 15, 22, tzinfo=UTC)
    assert rate.expires_at is None
    assert rates.decode_rate_id(KEY, rate.id) == rates.RateRef(SHIPMENT_ID, "string")


@pytest.mark.parametrize(
    ("minor", "currency", "total"),
    [(1650, "JPY", "1650"), (1650, "USD", "16.50"), (1650, "OMR", "1.650")],
)
def test_rate_currencies_of_each_exponent(minor: int, currency: str, total: str) -> None:
    rate = rates.rate_of(KEY, SHIPMENT_ID, entry(rate=minor, currency_code=currency))
    assert rate is not None
    assert rate.total == Money(Decimal(total), currency)
    assert str(rate.total.amount) == total


def test_delivery_date_fallbacks() -> None:
    guaranteed = rates.rate_of(KEY, SHIPMENT_ID, entry(delivery_date=None))
    assert guaranteed is not None
    assert guaranteed.estimated_delivery_at == datetime(2024, 6, 22, 14, 15, 22, tzinfo=UTC)
    bare = rates.rate_of(KEY, SHIPMENT_ID, entry(delivery_date="2024-06-21"))
    assert bare is not None
    assert bare.estimated_delivery_at == datetime(2024, 6, 21, tzinfo=UTC)


@pytest.mark.parametrize(
    "changes",
    [{"rate": "16.50"}, {"rate": 16.5}, {"rate": True}, {"currency_code": None}, {"id": ""}],
)
def test_unusable_rates_are_skipped(changes: dict[str, Any]) -> None:
    assert rates.rate_of(KEY, SHIPMENT_ID, entry(**changes)) is None
    assert rates.rates_of(KEY, SHIPMENT_ID, {"rates": [entry(**changes), "x"]}) == []


def test_rate_id_round_trip() -> None:
    rate_id = rates.encode_rate_id(KEY, "shp_1", "rate_2iBgUKWHmQlBjYQyx9fAGMvcCEp")
    assert rate_id.startswith("ENVOY:")
    assert rates.decode_rate_id(KEY, rate_id) == rates.RateRef(
        "shp_1", "rate_2iBgUKWHmQlBjYQyx9fAGMvcCEp"
    )


def test_malformed_rate_ids_are_refused() -> None:
    good = rates.encode_rate_id(KEY, "shp_1", "rate_1")
    payload, _, signature = good.removeprefix("ENVOY:").partition(".")
    forged = rates.encode_rate_id(rates.signing_key("other-token"), "shp_1", "rate_1")
    for bad in (
        "",
        "BORZO:" + good.removeprefix("ENVOY:"),
        "ENVOY:",
        "ENVOY:" + payload,
        f"ENVOY:{payload}.{'0' * 32}",
        f"ENVOY:{payload}x.{signature}",
        forged,
    ):
        with pytest.raises(rates.RateIdRefused):
            rates.decode_rate_id(KEY, bad)


def test_signed_but_malformed_payload_is_refused() -> None:
    import base64

    for data in (b"not json", b"[]", b'{"s": "shp_1"}', b'{"s": 1, "r": "x"}'):
        payload = base64.urlsafe_b64encode(data).rstrip(b"=").decode()
        rate_id = f"ENVOY:{payload}.{rates._sign(KEY, payload)}"
        with pytest.raises(rates.RateIdRefused):
            rates.decode_rate_id(KEY, rate_id)


def rate(amount: str, currency: str, name: str) -> Rate:
    return Rate(
        id=name, carrier=CarrierCode.ENVOY, service=name, total=Money(Decimal(amount), currency)
    )


def test_cheapest() -> None:
    offers = [
        rate("20", "USD", "a"),
        rate("5", "GBP", "b"),
        rate("10", "USD", "c"),
        rate("10", "USD", "d"),
    ]
    assert rates.cheapest(offers, None).service == "c"  # type: ignore[union-attr]
    assert rates.cheapest(offers, "gbp").service == "b"  # type: ignore[union-attr]
    assert rates.cheapest(offers, "EUR").service == "c"  # type: ignore[union-attr]
    assert rates.cheapest([], "USD") is None
