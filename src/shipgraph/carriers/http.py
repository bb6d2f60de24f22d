"""The HTTP plumbing every carrier client shares: one httpx client per carrier with
its own connection limits, an overall deadline per call, metrics, and transport
failures (timeouts, connection errors, malformed JSON) turned into
CARRIER_UNAVAILABLE so an adapter only maps the answers its document describes.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_random_exponential

from shipgraph import safe_json, tracing
from shipgraph.carriers.base import CallGuard, CallLimiter, CarrierError
from shipgraph.domain import CarrierCode, ErrorCode
from shipgraph.observability import CARRIER_CALL_ERRORS, CARRIER_CALL_SECONDS, get_logger

log = get_logger("shipgraph.carriers")

MAX_ATTEMPTS = 3
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class _RetryableAnswer(Exception):
    """A 429 or 5xx worth another try; carries the answer for the last attempt."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def _answer_or_raise(
    send: Callable[[float], Awaitable[httpx.Response]], deadline: float
) -> httpx.Response:
    response = await send(deadline)
    if response.status_code in RETRY_STATUSES:
        raise _RetryableAnswer(response)
    return response


def _worth_retrying(error: BaseException) -> bool:
    if isinstance(error, _RetryableAnswer):
        return True
    return isinstance(error, CarrierError) and error.code == ErrorCode.CARRIER_UNAVAILABLE


def _retry_after_s(state: RetryCallState) -> float | None:
    error = state.outcome.exception() if state.outcome else None
    if not isinstance(error, _RetryableAnswer):
        return None
    value = error.response.headers.get("retry-after", "")
    return float(value) if value.replace(".", "", 1).isdigit() else None


_backoff = wait_random_exponential(multiplier=0.1, max=2.0)


def _wait(state: RetryCallState) -> float:
    """The carrier's Retry-After when it says one, else jittered exponential backoff."""
    retry_after = _retry_after_s(state)
    return retry_after if retry_after is not None else float(_backoff(state))


def _past_deadline(deadline: float) -> stop_base:
    """Stop when the next wait would end past the call's deadline."""

    class _Stop(stop_base):
        def __call__(self, state: RetryCallState) -> bool:
            now = asyncio.get_running_loop().time()
            return now + _wait(state) >= deadline

    return _Stop()


def _last_answer(state: RetryCallState) -> httpx.Response:
    """Out of tries: the last answer (a 503, a 429) goes to the adapter to map as usual;
    a transport failure is raised as it was."""
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, _RetryableAnswer):
        return error.response
    assert error is not None
    raise error


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
        limiter: CallLimiter | None = None,
        guard: CallGuard | None = None,
    ) -> None:
        """``limiter``: the carrier's request budget, drawn on by every attempt
        (a retry is a request the carrier counts too). ``guard``: the carrier's circuit
        breaker, consulted once per call (its retries included)."""
        self.carrier = carrier
        self.timeout_s = timeout_s
        self._limiter = limiter
        self._guard = guard
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=dict(headers or {}),
            # The per-call deadline in request() bounds the whole call; these bound
            # each phase, so a stalled connect or a full pool fails fast and clearly.
            timeout=httpx.Timeout(
                connect=min(timeout_s, 5.0),
                read=timeout_s,
                write=timeout_s,
                pool=min(timeout_s, 5.0),
            ),
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
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one request within the deadline; any HTTP status is returned as is.

        ``headers`` add to the client's own for this call (e.g. a bearer token).
        Idempotent calls (GETs unless told otherwise, and what an adapter marks, such
        as a quote or a token fetch) are retried on transport errors, 502/503/504 and
        429, honouring Retry-After, within the same deadline. A booking is never
        retried blindly: a create that got no answer may have been made, and its
        CarrierError says so (``uncertain``).
        """
        idempotent = method == "GET" if idempotent is None else idempotent
        admitted = await self._guard.admit() if self._guard is not None else None
        failed = True
        try:
            response = await self._attempts(
                operation, method, path, json, params, headers, idempotent=idempotent
            )
            failed = response.status_code >= 500
            return response
        except CarrierError as error:
            failed = error.code == ErrorCode.CARRIER_UNAVAILABLE
            raise
        finally:
            if admitted is not None:
                await admitted.done(failed)

    async def _attempts(
        self,
        operation: str,
        method: str,
        path: str,
        json: Any,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        *,
        idempotent: bool,
    ) -> httpx.Response:
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        send = functools.partial(
            self._send,
            operation,
            method,
            path,
            json=json,
            params=params,
            headers=headers,
            idempotent=idempotent,
        )
        if not idempotent:
            return await send(deadline)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(MAX_ATTEMPTS) | _past_deadline(deadline),
            wait=_wait,
            retry=retry_if_exception(_worth_retrying),
            retry_error_callback=_last_answer,
            reraise=True,
        )
        response: httpx.Response = await retrying(_answer_or_raise, send, deadline)
        return response

    async def _send(
        self,
        operation: str,
        method: str,
        path: str,
        deadline: float,
        *,
        json: Any,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        idempotent: bool,
    ) -> httpx.Response:
        if self._limiter is not None:
            await self._limiter.acquire()
        started = time.perf_counter()
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise self._unavailable(operation, f"no answer within {self.timeout_s:g} s")
        try:
            async with asyncio.timeout(remaining):
                with tracing.carrier_span(self.carrier.value, operation, method, path) as span:
                    response = await self._client.request(
                        method, path, json=json, params=params, headers=headers
                    )
                    if span is not None:
                        span.set_attribute("http.response.status_code", response.status_code)
        except (httpx.InvalidURL, UnicodeEncodeError) as exc:
            # Never sent: a value no request can carry (a 900 KB id in the URL, say).
            message = f"this cannot be sent to the carrier ({type(exc).__name__})"
            raise self.fail(operation, ErrorCode.VALIDATION, message) from exc
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Never sent: nothing can have happened at the carrier.
            message = f"cannot reach the carrier ({type(exc).__name__})"
            raise self._unavailable(operation, message) from exc
        except (TimeoutError, httpx.TimeoutException):
            message = f"no answer within {self.timeout_s:g} s"
            raise self._unavailable(operation, message, uncertain=not idempotent) from None
        except httpx.HTTPError as exc:
            message = f"the connection to the carrier failed ({type(exc).__name__})"
            raise self._unavailable(operation, message, uncertain=not idempotent) from exc
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
        """The answer's JSON object, or CARRIER_UNAVAILABLE when it is not one (and,
        when it said success to a request that changes things, may have done it)."""
        uncertain = response.is_success and response.request.method not in ("GET", "HEAD")
        try:
            body = safe_json.loads(response.content)
        except ValueError:  # safe_json.UnsafeJson too: nesting, 1e999, 5 000 digits
            message = "the carrier answered with malformed JSON"
            raise self._unavailable(operation, message, uncertain=uncertain) from None
        if not isinstance(body, dict):
            message = "the carrier answered with unexpected JSON"
            raise self._unavailable(operation, message, uncertain=uncertain)
        return body

    def fail(self, operation: str, code: ErrorCode, message: str, **kwargs: Any) -> CarrierError:
        """A CarrierError for this carrier, counted in the metrics."""
        CARRIER_CALL_ERRORS.labels(self.carrier.value, operation, code.value).inc()
        return CarrierError(self.carrier, code, message, **kwargs)

    def _unavailable(
        self, operation: str, message: str, *, uncertain: bool = False
    ) -> CarrierError:
        return self.fail(operation, ErrorCode.CARRIER_UNAVAILABLE, message, uncertain=uncertain)

    async def aclose(self) -> None:
        await self._client.aclose()
