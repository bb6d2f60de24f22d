"""A value no HTTP request can carry (a URL too long, a lone surrogate in a JSON body)
is a VALIDATION CarrierError: nothing is sent, the breaker stays closed, and the
caller gets a coded answer instead of an INTERNAL_SERVER_ERROR."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.breaker import CarrierBreaker
from shipgraph.carriers.http import CarrierHttp
from shipgraph.domain import CarrierCode, ErrorCode
from tests.unit.test_carrier_http_retries import Script


@pytest.mark.parametrize(
    ("path", "params", "body"),
    [
        ("/tracking/" + "9" * 900_000, None, None),
        ("/locations", {"search": "x" * 900_000}, None),
        ("/distribution", None, {"ref_code": "SO-\ud800"}),
    ],
    ids=["long-path", "long-query", "surrogate-body"],
)
async def test_an_unsendable_request_is_a_validation_error(
    path: str, params: dict[str, str] | None, body: Any
) -> None:
    script = Script(200)
    breaker = CarrierBreaker(CarrierCode.ENVIO, threshold=1, reset_s=30)
    http = CarrierHttp(
        CarrierCode.ENVIO,
        "http://carrier.test",
        timeout_s=0.5,
        transport=httpx.MockTransport(script),
        guard=breaker,
    )
    method = "GET" if body is None else "POST"
    with pytest.raises(CarrierError) as refused:
        await http.request("track", method, path, json=body, params=params)
    assert refused.value.code == ErrorCode.VALIDATION
    assert not refused.value.uncertain
    assert script.calls == 0
    assert await breaker.healthy()
