"""The HTTP plumbing every carrier client shares: one httpx client per carrier with
its own connection limits, an overall deadline per call, metrics, and transport
failures (timeouts, connection errors, malformed JSON) turned into
CARRIER_UNAVAILABLE so an adapter only maps the answers its document describes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import httpx

from shipgraph.carriers.base import CarrierError
from shipgraph.domain import CarrierCode, ErrorCode
from shipgraph.observability import CARRIER_CALL_ERRORS, CARRIER_CALL_SECONDS, get_logger

log = get_logger("shipgraph.carriers")


class CarrierHttp:
    def __init__(
        self,
        carrier: CarrierCode,
        base_url: str,
        *,
        timeout_s: float,
        headers: Mapping[str, str] | None = None,
        max_connections: int = 50,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.carrier = carrier
        self.timeout_s = timeout_s
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=dict(headers or {}),
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=20),
            transport=transport,
        )

    async def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request within the deadline; any HTTP status is returned as is.
        ``headers`` add to the client's own for this call (e.g. a bearer token)."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self._client.request(
                    method, path, json=json, params=params, headers=headers
                )
        except (TimeoutError, httpx.TimeoutException):
            raise self._unavailable(operation, f"no answer within {self.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            message = f"cannot reach the carrier ({type(exc).__name__})"
            raise self._unavailable(operation, message) from exc
        finally:
            CARRIER_CALL_SECONDS.labels(self.carrier.value, operation).observe(
                time.perf_counter() - started
            )
        log.info(
            "carrier call",
            carrier=self.carrier.value,
            operation=operation,
            method=method,
            path=path,
            status=response.status_code,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response

    def json_object(self, operation: str, response: httpx.Response) -> dict[str, Any]:
        """The answer's JSON object, or CARRIER_UNAVAILABLE when it is not one."""
        try:
            body = response.json()
        except ValueError:
            raise self._unavailable(operation, "the carrier answered with malformed JSON") from None
        if not isinstance(body, dict):
            raise self._unavailable(operation, "the carrier answered with unexpected JSON")
        return body

    def fail(self, operation: str, code: ErrorCode, message: str, **kwargs: Any) -> CarrierError:
        """A CarrierError for this carrier, counted in the metrics."""
        CARRIER_CALL_ERRORS.labels(self.carrier.value, operation, code.value).inc()
        return CarrierError(self.carrier, code, message, **kwargs)

    def _unavailable(self, operation: str, message: str) -> CarrierError:
        return self.fail(operation, ErrorCode.CARRIER_UNAVAILABLE, message)

    async def aclose(self) -> None:
        await self._client.aclose()
