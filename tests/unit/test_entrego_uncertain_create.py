"""Entrego creates that may have booked without a readable answer. The document reads a
sales order only by the orderNumber the 201 gives, so find_booking is UNSUPPORTED and
the 201's headers are used when its body is unreadable."""

from __future__ import annotations

import httpx

from shipgraph.domain import ErrorCode, ShipmentStatus
from tests.support.carriers import never_answers
from tests.unit.test_entrego_adapter import ORDER, FakeEntrego, FakeTokens, carrier, fails
from tests.unit.test_entrego_requests import doc_request

# The headers of the document's "Order Creation" 201.
DOC_201_HEADERS = {
    "Location": "/v1/sales-order/21c123fb-472a-4602-adef-f37104ae8bb2",
    "X-LMS-alert": "A new SalesOrder was created with identifier 0031-123456789010",
    "X-LMS-params": "0031-123456789010",
}


async def test_find_booking_is_unsupported_and_asks_nothing() -> None:
    fake = FakeEntrego()
    error = await fails(carrier(fake, FakeTokens()).find_booking(doc_request()))
    assert error.code == ErrorCode.UNSUPPORTED
    assert fake.seen == []


async def test_an_unreadable_201_is_read_from_its_headers() -> None:
    fake = FakeEntrego()
    fake.on(ORDER, httpx.Response(201, text="{not json", headers=DOC_201_HEADERS))
    booking = await carrier(fake, FakeTokens()).create(doc_request())
    assert booking.carrier_shipment_id == "21c123fb-472a-4602-adef-f37104ae8bb2"
    assert booking.tracking_number == "0031-123456789010"
    assert (booking.status, booking.carrier_status) == (ShipmentStatus.CREATED, "NEW")


async def test_an_unreadable_201_without_its_headers_is_uncertain() -> None:
    fake = FakeEntrego()
    fake.on(ORDER, httpx.Response(201, text="{not json"))
    error = await fails(carrier(fake, FakeTokens()).create(doc_request()))
    assert error.code == ErrorCode.CARRIER_UNAVAILABLE and error.uncertain


async def test_a_201_naming_no_order_is_uncertain() -> None:
    fake = FakeEntrego()
    fake.on(ORDER, httpx.Response(201, json={"fsmState": "NEW"}))
    error = await fails(carrier(fake, FakeTokens()).create(doc_request()))
    assert error.code == ErrorCode.CARRIER_UNAVAILABLE and error.uncertain


async def test_no_answer_is_uncertain_and_not_retried() -> None:
    fake = FakeEntrego()
    fake.on(ORDER, never_answers)
    error = await fails(carrier(fake, FakeTokens(), timeout_s=0.1).create(doc_request()))
    assert error.code == ErrorCode.CARRIER_UNAVAILABLE and error.uncertain
    assert len(fake.requests(ORDER)) == 1


async def test_refused_answers_are_not_uncertain() -> None:
    fake = FakeEntrego()
    fake.on(ORDER, httpx.Response(500, json={"message": "An error occurred"}))
    error = await fails(carrier(fake, FakeTokens()).create(doc_request()))
    assert not error.uncertain
