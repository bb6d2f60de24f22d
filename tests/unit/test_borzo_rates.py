"""Borzo quotes: the calculate-order example as a Rate, and the rate id's round trip."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shipgraph.carriers.borzo import rates, requests
from shipgraph.domain import (
    Address,
    CarrierCode,
    Charge,
    ChargeKind,
    Money,
    Parcel,
    ServiceLevel,
    ShipmentRequest,
)
from tests.support.fixtures import fixture
from tests.unit.test_borzo_requests import NOW, doc_request

QUOTED = datetime(2024, 12, 3, 17, 21, 48, tzinfo=UTC)
KEY = rates.signing_key("SECRET_AUTH_TOKEN")


def layout(request: ShipmentRequest) -> requests.Layout:
    options, _ = requests.parse_options(request)
    return requests.order_body(request, options, now=NOW).layout


def idr(value: str) -> Money:
    return Money(Decimal(value), "IDR")


def test_the_documents_quote_as_a_rate() -> None:
    request = doc_request(phones=False)
    answer = fixture("borzo", "calculate_order_response")
    rate = rates.rate_of(answer, 8, "BORZO:x", QUOTED, layout(request))
    assert rate.id == "BORZO:x"
    assert rate.carrier == CarrierCode.BORZO
    assert rate.service == "motorbike"
    assert rate.service_level == ServiceLevel.INSTANT
    assert rate.total == idr("15000.00")
    assert rate.charges == (
        Charge(ChargeKind.BASE, idr("15000"), "delivery fee"),
        Charge(ChargeKind.DISCOUNT, idr("-3000"), "promo code FIRST_ORDER"),
    )
    assert rate.warnings == (
        "invalid_parameters",
        "shipment.origin.phone: required",
        "shipment.destination.phone: required",
    )
    assert rate.expires_at == QUOTED + rates.RATE_VALIDITY
    assert rate.estimated_delivery_at == datetime.fromisoformat("2024-12-04T01:51:48+07:00")


def test_every_fee_field_and_its_kind() -> None:
    order = {
        "delivery_fee_amount": "10000.00",
        "weight_fee_amount": "1000.00",
        "insurance_fee_amount": "500.00",
        "loading_fee_amount": "2000.00",
        "money_transfer_fee_amount": "1500.00",
        "cod_fee_amount": "3600.00",
        "return_fee_amount": "4000.00",
        "waiting_fee_amount": "700.00",
        "promo_code_discount_amount": "-250.00",
        "insurance_amount": "90000.00",  # the insured value, not a fee
        "backpayment_amount": "5.00",  # money for the client, not a fee
    }
    found = [(c.kind, c.amount.amount) for c in rates.charges(order)]
    assert found == [
        (ChargeKind.BASE, Decimal("10000.00")),
        (ChargeKind.WEIGHT, Decimal("1000.00")),
        (ChargeKind.INSURANCE, Decimal("500.00")),
        (ChargeKind.LOADING, Decimal("2000.00")),
        (ChargeKind.CASH_ON_DELIVERY, Decimal("1500.00")),
        (ChargeKind.CASH_ON_DELIVERY, Decimal("3600.00")),
        (ChargeKind.RETURN, Decimal("4000.00")),
        (ChargeKind.WAITING, Decimal("700.00")),
        (ChargeKind.DISCOUNT, Decimal("-250.00")),
    ]


def test_zero_and_null_fees_are_left_out() -> None:
    order = {
        "delivery_fee_amount": "0.00",
        "cod_fee_amount": None,
        "promo_code_discount_amount": "0",
    }
    assert rates.charges(order) == ()


def test_a_quote_without_a_price_is_no_rate() -> None:
    answer = fixture("borzo", "calculate_order_response")
    answer["order"]["payment_amount"] = None  # nullable since 1.6
    with pytest.raises(ValueError, match="payment_amount"):
        rates.rate_of(answer, 8, "BORZO:x", QUOTED, layout(doc_request()))


# --- rate ids ---------------------------------------------------------------------------


def make_id(
    request: ShipmentRequest, vehicle: int = 7, options: dict[str, object] | None = None
) -> str:
    return rates.encode_rate_id(KEY, rates.fingerprint(request), vehicle, options or {}, QUOTED)


def test_rate_id_round_trip() -> None:
    request = doc_request()
    rate_id = make_id(request, 7, {"loaders_count": 1, "vehicle_type_id": 8})
    assert rate_id.startswith("BORZO:")
    offer = rates.decode_rate_id(KEY, rate_id, request, QUOTED + timedelta(minutes=29))
    assert offer == rates.Offer(vehicle_type_id=7, options={"loaders_count": 1}, quoted_at=QUOTED)


def test_contact_data_added_after_the_quote_books_the_same_offer() -> None:
    quoted = doc_request(phones=False)
    booked = doc_request(
        destination=Address(
            line1=doc_request().destination.line1, country_code="ID", phone="1", name="Ani"
        ),
        origin=replace(quoted.origin, phone="2", company="Toko"),
    )
    rates.decode_rate_id(KEY, make_id(quoted), booked, QUOTED)


@pytest.mark.parametrize(
    "changes",
    [
        {"parcels": (Parcel(weight_kg=5),)},
        {"description": "Flowers"},
        {"destination": Address(line1="Jl. Lain 1", country_code="ID", phone="1")},
        {"cash_on_delivery": Money(Decimal(1000), "IDR")},
        {"carrier_options": {"BORZO": {"loaders_count": 2}}},
    ],
)
def test_a_rate_id_for_another_shipment_is_refused(changes: dict[str, Any]) -> None:
    rate_id = make_id(doc_request())
    with pytest.raises(rates.RateIdRefused, match="different shipment"):
        rates.decode_rate_id(KEY, rate_id, doc_request(**changes), QUOTED)


def _tamper(rate_id: str) -> str:
    payload, _, signature = rate_id.removeprefix("BORZO:").partition(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["t"] += 3600
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"BORZO:{forged}.{signature}"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda rid: "BORZO:",
        lambda rid: "BORZO:garbage",
        lambda rid: rid[:-1] + ("0" if rid[-1] != "0" else "1"),
        lambda rid: rid.replace("BORZO:", "BORZO:A"),
        lambda rid: rid.replace("BORZO:", "ENVIO:"),
        lambda rid: rid + "ü",
        lambda rid: "BORZO:ü." + rid.rpartition(".")[2],
        _tamper,
    ],
)
def test_a_malformed_rate_id_is_refused(mangle: object) -> None:
    assert callable(mangle)
    rate_id = mangle(make_id(doc_request()))
    with pytest.raises(rates.RateIdRefused):
        rates.decode_rate_id(KEY, rate_id, doc_request(), QUOTED)


def test_a_rate_id_signed_with_another_token_is_refused() -> None:
    other = rates.encode_rate_id(
        rates.signing_key("other"), rates.fingerprint(doc_request()), 8, {}, QUOTED
    )
    with pytest.raises(rates.RateIdRefused, match="malformed"):
        rates.decode_rate_id(KEY, other, doc_request(), QUOTED)


def test_an_expired_rate_id_is_refused() -> None:
    rate_id = make_id(doc_request())
    later = QUOTED + rates.RATE_VALIDITY + timedelta(seconds=1)
    with pytest.raises(rates.RateIdRefused, match="expired"):
        rates.decode_rate_id(KEY, rate_id, doc_request(), later)
    rates.decode_rate_id(KEY, rate_id, doc_request(), QUOTED + rates.RATE_VALIDITY)


def test_a_rate_id_from_the_future_is_refused() -> None:
    rate_id = make_id(doc_request())
    with pytest.raises(rates.RateIdRefused, match="malformed"):
        rates.decode_rate_id(KEY, rate_id, doc_request(), QUOTED - timedelta(hours=1))
