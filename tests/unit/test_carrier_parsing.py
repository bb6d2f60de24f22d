"""The readers every carrier's answers and callbacks go through, value by value, and
the carrier answers they guard (mapping functions and the HTTP answer reader)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shipgraph.carriers import parsing
from shipgraph.carriers.base import CarrierError, WebhookRejected
from shipgraph.carriers.borzo import mapping as borzo
from shipgraph.carriers.envio import EnvioCarrier
from shipgraph.carriers.envio import mapping as envio
from shipgraph.carriers.envoy import mapping as envoy
from shipgraph.carriers.envoy.models import summary_of
from shipgraph.carriers.envoy.money import minor_int
from shipgraph.carriers.http import CarrierHttp
from shipgraph.domain import CarrierCode, ErrorCode, GeoPoint, ShipmentStatus
from tests.support.builders import doc_request
from tests.support.fixtures import fixture

HUGE = "A" * 900_000

# --- coordinates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lng", "expected"),
    [
        ("-6.3037234", "106.8", GeoPoint(-6.3037234, 106.8)),
        (-6.3, 106.8, GeoPoint(-6.3, 106.8)),
        (90, -180, GeoPoint(90.0, -180.0)),
        (" -6.3 ", "106.8", GeoPoint(-6.3, 106.8)),
        ("1e999", "106.8", None),
        ("-1e999", "106.8", None),
        ("NaN", "106.8", None),
        ("nan", "106.8", None),
        ("Infinity", "106.8", None),
        ("-6.3", "-Infinity", None),
        (1e300, 106.8, None),
        (float("inf"), 106.8, None),
        (float("nan"), 106.8, None),
        (90.0001, 106.8, None),
        (-91, 106.8, None),
        (-6.3, 180.5, None),
        ("-6.3", "1" * 40, None),
        (True, 106.8, None),
        ([1], 106.8, None),
        ({"v": 1}, 106.8, None),
        (None, 106.8, None),
        ("", "", None),
        ("six", "106.8", None),
    ],
)
def test_geo_point(lat: object, lng: object, expected: GeoPoint | None) -> None:
    assert parsing.geo_point(lat, lng) == expected


def test_latitude_and_longitude_bounds() -> None:
    assert parsing.latitude("-90") == -90.0 and parsing.latitude("-90.1") is None
    assert parsing.longitude("180") == 180.0 and parsing.longitude("180.01") is None


# --- strings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Budi", "Budi"),
        ("  Budi  ", "Budi"),
        ("Bu\x00di", "Budi"),
        ("Bu\ud800di", "Budi"),
        ("line\nbreak\ttab", "line break tab"),
        ("\x07\x1b[31mred", "[31mred"),
        ("Jalan Kemang ✓ 😀", "Jalan Kemang ✓ 😀"),
        ("\x00\x01", None),
        ("   ", None),
        ("", None),
        (42, None),
        (["Budi"], None),
        (None, None),
    ],
)
def test_text(value: object, expected: str | None) -> None:
    assert parsing.text(value) == expected


def test_text_is_cut_at_its_limit() -> None:
    assert parsing.text(HUGE) == "A" * parsing.MAX_TEXT
    assert parsing.text("abcdef", 3) == "abc"
    assert parsing.text("\x00" * 5000 + "ok") == "ok"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("S4563844412", "S4563844412"),
        (" 0031-0987654321 ", " 0031-0987654321 "),  # as written: no two spellings meet
        ("courier_assigned", "courier_assigned"),
        ("S45\x00", None),
        ("S45\ud800", None),
        ("S45\n6", None),
        ("x" * 129, None),
        (HUGE, None),
        ("", None),
        (" ", None),
        (5, None),
        (["S45"], None),
        (None, None),
    ],
)
def test_identifier(value: object, expected: str | None) -> None:
    assert parsing.identifier(value) == expected


def test_url() -> None:
    assert parsing.url("https://x.test/a.pdf") == "https://x.test/a.pdf"
    assert parsing.url("javascript:alert(1)") is None
    assert parsing.url("https://x.test/" + "a" * 3000) is None
    assert parsing.url("https://x.test/a b") is None
    assert parsing.url(5) is None


# --- numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15000.00", Decimal("15000.00")),
        (23000, Decimal(23000)),
        (16.5, Decimal("16.5")),
        ("0.1234567", Decimal("0.1235")),
        (0.30000000000000004, Decimal("0.3000")),
        ("1E+3", Decimal(1000)),
        ("-12.5", Decimal("-12.5")),
        ("1e999", None),
        ("NaN", None),
        ("sNaN", None),
        ("Infinity", None),
        ("-Infinity", None),
        (1e300, None),
        ("1e16", None),
        ("9" * 40, None),
        (True, None),
        ([1], None),
        ("one", None),
        (None, None),
    ],
)
def test_amount(value: object, expected: Decimal | None) -> None:
    assert parsing.amount(value) == expected
    if expected is not None:
        assert str(parsing.amount(value)) == str(expected)


def test_number_keeps_to_its_range() -> None:
    assert parsing.number("2", 0, 10) == 2.0
    assert parsing.number(10, 0, 10) == 10.0
    assert parsing.number(10.5, 0, 10) is None
    assert parsing.number(-1, 0, 10) is None
    assert parsing.number("1e999", 0, 10) is None
    assert parsing.number("1e-999", 0, 10) == 0.0
    assert parsing.number(False, 0, 10) is None


# --- time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "2024-12-04T00:21:48+07:00",
            datetime(2024, 12, 4, 0, 21, 48, tzinfo=timezone(timedelta(hours=7))),
        ),
        ("2023-06-09T23:00:00Z", datetime(2023, 6, 9, 23, tzinfo=UTC)),
        ("2000-01-01T00:00:00+00:00", datetime(2000, 1, 1, tzinfo=UTC)),
        ("2100-12-31T23:59:59+00:00", datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2101-01-01T00:00:00+00:00", None),
        ("1999-12-31T23:59:59+00:00", None),
        ("2000-01-01T05:00:00+07:00", None),  # 1999 in UTC
        ("9999-12-31T23:59:59-12:00", None),
        ("0001-01-01T00:00:00+14:00", None),
        ("0000-01-01T00:00:00Z", None),
        ("2024-12-04T00:21:48", None),
        ("2024-13-45T00:00:00Z", None),
        ("2024-12-04T00:21:48+07:00" + " " * 100, None),
        (1700000000, None),
        (["2024-12-04T00:21:48+07:00"], None),
        ("", None),
        (None, None),
    ],
)
def test_parse_time(value: object, expected: datetime | None) -> None:
    parsed = parsing.parse_time(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None


# --- bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1e999}',
        b'{"a": ' + b"9" * 5000 + b"}",
        b'{"a": "\xff"}',
        b"[]",
        b"42",
        b"",
    ],
)
def test_webhook_object_refuses_what_is_no_event(body: bytes) -> None:
    with pytest.raises(WebhookRejected) as rejected:
        parsing.webhook_object(body)
    assert rejected.value.status == 400


def test_body_event_id_survives_a_lone_surrogate() -> None:
    body = json.loads('{"a": "\\ud800"}')
    assert parsing.body_event_id("x", body) == parsing.body_event_id("x", dict(body))
    assert parsing.body_event_id("x", body) != parsing.body_event_id("x", {"a": "b"})


# --- carrier answers ----------------------------------------------------------------


def test_envio_tracking_answer_keeps_only_what_it_can_read() -> None:
    data: dict[str, Any] = fixture("envio", "tracking_response")["data"]
    good = data["logs"][0]
    data["logs"] = [
        {**good, "recorded_at": "9999-12-31T23:59:59-12:00"},
        {**good, "latitude": 1e300, "longitude": 106.8, "message": "x\x00" + HUGE},
        "not a log",
        good,
    ]
    logs = envio.tracking_logs(data)
    assert len(logs) == 2
    assert all(log.location is None or abs(log.location.latitude) <= 90 for log in logs)
    assert all(log.message is None or len(log.message) <= parsing.MAX_TEXT for log in logs)
    assert all("\x00" not in (log.message or "") for log in logs)
    assert envio.tracking_logs({"status": "delivered", "logs": {"a": 1}}) == ()
    assert envio.tracking_logs({"status": HUGE, "logs": [good]})[0].carrier_status == ""


def test_borzo_order_answer_keeps_only_what_it_can_read() -> None:
    order: dict[str, Any] = fixture("borzo", "create_order_response")["order"]
    order["courier"] = {"name": "Bu\x00di", "latitude": "1e999", "longitude": "106.8"}
    order["order_name"] = HUGE
    order["points"][-1]["taking_amount"] = "Infinity"
    order["points"][-1]["required_finish_datetime"] = "9999-12-31T23:59:59+00:00"
    view = borzo.order_view(order, None, datetime(2024, 12, 4, tzinfo=UTC))
    assert view is not None
    assert view.courier is not None and view.courier.name == "Budi"
    assert view.courier.location is None and view.courier.located_at is None
    assert view.order_name is None and view.cash_on_delivery is None
    assert view.estimated_delivery_at is None or view.estimated_delivery_at.year <= 2100
    order["order_id"] = "١٢٣"
    assert borzo.order_view(order, None, datetime(2024, 12, 4, tzinfo=UTC)) is None
    assert borzo.order_id_of("9" * 30) is None and borzo.order_id_of(True) is None
    assert borzo.order_id_of("1250032") == 1250032


def test_borzo_unreadable_status_is_no_status() -> None:
    order: dict[str, Any] = fixture("borzo", "create_order_response")["order"]
    for point in order["points"]:
        point["delivery"] = {"status": ["finished"]}
    order["status"] = "new\x00"
    assert borzo.order_state(order) is None


def test_envoy_answer_keeps_only_what_it_can_read() -> None:
    shipment = {
        "id": "shp_1",
        "status": "purchased\x00",
        "tracking_number": HUGE,
        "name": "Bu\x00di",
        "created_at": "0001-01-01T00:00:00+14:00",
        "documents": [
            {"file_type": "application/pdf", "file_url": "javascript:alert(1)"},
            {"file_type": "application/pdf", "content": "%%% not base64"},
            {"file_type": "application/pdf", "file_url": "https://x.test/l.pdf"},
        ],
        "errors": [{"code": ["x"], "message": "m\x00" + HUGE}],
    }
    summary = summary_of(b"k" * 32, shipment)
    assert summary is not None
    assert summary.status == ShipmentStatus.UNKNOWN and summary.carrier_status == ""
    assert summary.tracking_number is None and summary.name == "Budi"
    assert summary.created_at is None
    assert [d.url for d in summary.documents] == ["https://x.test/l.pdf"]
    [error] = summary.errors
    assert error.message.startswith("Envoy: error (m") and len(error.message) < 1100
    assert summary_of(b"k" * 32, {"id": 5}) is None
    assert envoy.status_of(HUGE) == (ShipmentStatus.UNKNOWN, "")


@pytest.mark.parametrize(
    "content",
    [
        b'{"data":' * 5000 + b"1" + b"}" * 5000,
        b'{"data": {"lat": 1e999}}',
        b'{"data": NaN}',
        b'{"data": ' + b"1" * 5000 + b"}",
        b'{"data": "\xff"}',
    ],
)
async def test_a_carrier_answer_it_cannot_read_is_carrier_unavailable(content: bytes) -> None:
    http = CarrierHttp(
        CarrierCode.ENVIO,
        "http://carrier.test",
        timeout_s=1.0,
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=content)),
    )
    try:
        response = await http.request("track", "GET", "/tracking")
        with pytest.raises(CarrierError) as failed:
            http.json_object("track", response)
    finally:
        await http.aclose()
    assert failed.value.code == ErrorCode.CARRIER_UNAVAILABLE
    assert "malformed JSON" in failed.value.message


# --- carrier answers, through an adapter ---------------------------------------------


def envio_answering(data: Any) -> EnvioCarrier:
    body = json.dumps({"message": "ok", "data": data}).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    return EnvioCarrier(
        base_url="http://envio.test",
        api_key="k",
        webhook_token=None,
        timeout_s=1.0,
        transport=transport,
    )


@pytest.mark.parametrize(
    "data",
    [
        {"id": "A" * 900_000, "code": "S1"},
        {"id": "id-1", "code": "S1\x00"},
        {"id": ["id-1"], "code": "S1"},
        {"id": "id-1", "code": 5},
    ],
)
async def test_a_booking_answer_without_a_readable_id_is_an_uncertain_carrier_error(
    data: dict[str, Any],
) -> None:
    envio = envio_answering(data)
    try:
        with pytest.raises(CarrierError) as failed:
            await envio.create(doc_request())
    finally:
        await envio.aclose()
    assert failed.value.code == ErrorCode.CARRIER_UNAVAILABLE
    assert failed.value.uncertain and "readable" in failed.value.message


async def test_a_booking_answer_keeps_only_a_readable_receipt_url() -> None:
    envio = envio_answering({"id": "id-1", "code": "S1", "eprint_receipt": "javascript:x"})
    try:
        booked = await envio.create(doc_request())
    finally:
        await envio.aclose()
    assert booked.tracking_number == "S1" and booked.documents == ()


def test_envoy_minor_amounts_keep_to_a_sane_range() -> None:
    assert minor_int(1650) == 1650 and minor_int(1650.0) == 1650
    assert minor_int(10**17) == 10**17
    assert minor_int(10**17 + 1) is None and minor_int(-(10**40)) is None
    assert minor_int(1e300) is None and minor_int(True) is None and minor_int("1650") is None
