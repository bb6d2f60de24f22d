"""What CarrierHttp tells the breaker and the caller about a call's outcome: which
failures open the circuit, and which leave a booking's fate unknown."""

from __future__ import annotations

import httpx
import pytest

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.breaker import CarrierBreaker
from shipgraph.carriers.http import CarrierHttp
from shipgraph.domain import CarrierCode, ErrorCode
from tests.support.carriers import never_answers
from tests.unit.test_carrier_http_retries import Script


def guarded(script: Script, threshold: int = 2) -> tuple[CarrierHttp, CarrierBreaker]:
    breaker = CarrierBreaker(CarrierCode.ENVIO, threshold=threshold, reset_s=30)
    http = CarrierHttp(
        CarrierCode.ENVIO,
        "http://carrier.test",
        timeout_s=0.5,
        transport=httpx.MockTransport(script),
        guard=breaker,
    )
    return http, breaker


async def test_5xx_answers_open_the_circuit_and_then_nothing_is_sent() -> None:
    script = Script(500)
    http, breaker = guarded(script)
    for _ in range(2):
        assert (await http.request("create", "POST", "/distribution", json={})).status_code == 500
    with pytest.raises(CarrierError) as refused:
        await http.request("create", "POST", "/distribution", json={})
    assert refused.value.code == ErrorCode.CARRIER_UNAVAILABLE
    assert script.calls == 2
    assert not await breaker.healthy()


async def test_a_retried_call_counts_once() -> None:
    script = Script(503)
    http, breaker = guarded(script)
    await http.request("track", "GET", "/tracking")
    assert script.calls == 3
    assert await breaker.healthy()


async def test_client_errors_do_not_open_the_circuit() -> None:
    script = Script(422)
    http, breaker = guarded(script, threshold=1)
    for _ in range(3):
        await http.request("create", "POST", "/distribution", json={})
    assert await breaker.healthy() and script.calls == 3


async def test_unreachable_carrier_opens_the_circuit() -> None:
    script = Script(httpx.ConnectError("refused"))
    http, breaker = guarded(script, threshold=1)
    with pytest.raises(CarrierError):
        await http.request("create", "POST", "/distribution", json={})
    assert not await breaker.healthy()


async def test_a_booking_that_was_never_sent_is_certain() -> None:
    http, _ = guarded(Script(httpx.ConnectError("refused")))
    with pytest.raises(CarrierError) as failed:
        await http.request("create", "POST", "/distribution", json={})
    assert not failed.value.uncertain


async def test_a_booking_without_an_answer_is_uncertain() -> None:
    http = CarrierHttp(
        CarrierCode.ENVIO,
        "http://c.test",
        timeout_s=0.2,
        transport=httpx.MockTransport(never_answers),
    )
    with pytest.raises(CarrierError) as failed:
        await http.request("create", "POST", "/distribution", json={})
    assert failed.value.uncertain
    with pytest.raises(CarrierError) as read:
        await http.request("track", "GET", "/tracking")
    assert not read.value.uncertain


async def test_a_booking_answered_with_malformed_json_is_uncertain() -> None:
    def garbled(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"data": {"id": ')

    http = CarrierHttp(
        CarrierCode.ENVIO, "http://c.test", timeout_s=1, transport=httpx.MockTransport(garbled)
    )
    response = await http.request("create", "POST", "/distribution", json={})
    with pytest.raises(CarrierError) as failed:
        http.json_object("create", response)
    assert failed.value.uncertain
