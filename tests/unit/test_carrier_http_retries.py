"""CarrierHttp retries idempotent calls only, within one deadline, honouring Retry-After."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.http import CarrierHttp
from shipgraph.domain import CarrierCode, ErrorCode
from tests.support.carriers import never_answers

Answer = Callable[[httpx.Request], httpx.Response]


class Script:
    """Answers in turn; the last one repeats. Counts the calls."""

    def __init__(self, *answers: int | Exception | tuple[int, dict[str, str]]) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if isinstance(answer, Exception):
            raise answer
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        return httpx.Response(status, headers=headers, json={"ok": status == 200})


def client(script: Script, timeout_s: float = 2.0) -> CarrierHttp:
    return CarrierHttp(
        CarrierCode.BORZO,
        "http://carrier.test",
        timeout_s=timeout_s,
        transport=httpx.MockTransport(script),
    )


async def test_a_get_is_retried_until_it_succeeds() -> None:
    script = Script(503, 502, 200)
    response = await client(script).request("track", "GET", "/orders")
    assert response.status_code == 200 and script.calls == 3


async def test_out_of_tries_the_last_answer_is_returned() -> None:
    script = Script(503)
    response = await client(script).request("track", "GET", "/orders")
    assert response.status_code == 503 and script.calls == 3


async def test_retry_after_is_honoured() -> None:
    script = Script((429, {"Retry-After": "0.3"}), 200)
    started = time.monotonic()
    response = await client(script).request("track", "GET", "/orders")
    assert response.status_code == 200 and script.calls == 2
    assert time.monotonic() - started >= 0.3


async def test_a_retry_after_past_the_deadline_is_not_waited_for() -> None:
    script = Script((429, {"Retry-After": "60"}), 200)
    started = time.monotonic()
    response = await client(script).request("track", "GET", "/orders")
    assert response.status_code == 429 and script.calls == 1
    assert time.monotonic() - started < 1


async def test_a_booking_is_never_retried() -> None:
    script = Script(503, 200)
    response = await client(script).request("create", "POST", "/create-order", json={})
    assert response.status_code == 503 and script.calls == 1


async def test_a_post_marked_idempotent_is_retried() -> None:
    script = Script(503, 200)
    http = client(script)
    response = await http.request("rates", "POST", "/calculate", json={}, idempotent=True)
    assert response.status_code == 200 and script.calls == 2


async def test_a_connection_error_is_retried() -> None:
    script = Script(httpx.ConnectError("refused"), 200)
    response = await client(script).request("track", "GET", "/orders")
    assert response.status_code == 200 and script.calls == 2


async def test_client_errors_are_not_retried() -> None:
    script = Script(400, 200)
    response = await client(script).request("track", "GET", "/orders")
    assert response.status_code == 400 and script.calls == 1


async def test_retries_stay_within_one_deadline() -> None:
    http = CarrierHttp(
        CarrierCode.BORZO,
        "http://c.test",
        timeout_s=0.5,
        transport=httpx.MockTransport(never_answers),
    )
    started = time.monotonic()
    with pytest.raises(CarrierError) as failed:
        await http.request("track", "GET", "/orders")
    assert failed.value.code == ErrorCode.CARRIER_UNAVAILABLE
    assert time.monotonic() - started < 1.0
