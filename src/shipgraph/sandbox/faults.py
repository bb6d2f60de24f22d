"""Fault injection for the carrier simulators: latency, forced status, hang, malformed
body, lost answer.

Carrier-agnostic: a simulator owns a :class:`FaultInjector`, wraps its app in
:class:`FaultMiddleware` (giving it the carrier's error envelope) and mounts
:func:`fault_control_routes` under its control API.

``POST /_control/faults`` takes a JSON object; every field is optional:

- ``latency_ms`` (int >= 0): wait this long first (combines with any of the below).
- ``answer_ms`` (int >= 0): handle the request at once, and hold its answer until this
  long after the request arrived (the handling included): a carrier that answers in a
  set time. Combines with the others; after ``latency_ms``, counts from the arrival.
- ``status`` (int 100-599): answer this status in the carrier's error envelope instead
  of handling the request.
- ``retry_after_s`` (int >= 0, only with ``status``): send ``Retry-After`` with it.
- ``hang`` (bool): answer nothing, without handling the request, until the client
  goes away.
- ``malformed`` (bool): answer 200 with a truncated JSON body, without handling it.
- ``body`` (str): answer this text as the JSON body (200, or ``status``), without
  handling the request: a carrier that says something hostile.
- ``lost_answer`` (bool): handle the request (its changes happen), then drop the answer
  and hang like ``hang``: the carrier did it, the client never hears. Not combined
  with ``status``, ``hang`` or ``malformed``.
- ``times`` (int >= 1): how many matching requests get the fault; absent = until cleared.
- ``path_prefix`` (str): only requests whose path (inside the simulator) starts so.

``GET`` shows the active fault, ``DELETE`` clears it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ErrorBody = Callable[[int], Mapping[str, Any]]

MALFORMED_BODY = b'{"message": "success", "data": {"id": '
HANG_LIMIT_S = 600.0


class FaultSpecError(ValueError):
    """A fault description that does not validate; ``errors`` maps field -> messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(json.dumps(errors))
        self.errors = errors


@dataclass
class FaultSpec:
    latency_ms: int = 0
    answer_ms: int = 0
    """The answer, whatever it is, leaves no sooner than this after the request came."""
    status: int | None = None
    hang: bool = False
    malformed: bool = False
    lost_answer: bool = False
    """Handle the request, then hang instead of answering."""
    retry_after_s: int | None = None
    """With ``status``: the ``Retry-After`` header sent with it."""
    times: int | None = None
    """How many matching requests still get the fault; ``None`` = until cleared."""
    path_prefix: str | None = None
    body: str | None = None
    """Answered as the JSON body as it is (with ``status``, else 200)."""

    @classmethod
    def from_json(cls, raw: object) -> FaultSpec:
        if not isinstance(raw, dict):
            raise FaultSpecError({"": ["must be an object"]})
        errors: dict[str, list[str]] = {}
        spec = cls(
            latency_ms=_int_field(raw, "latency_ms", errors, default=0, minimum=0) or 0,
            answer_ms=_int_field(raw, "answer_ms", errors, default=0, minimum=0) or 0,
            status=_int_field(raw, "status", errors, minimum=100, maximum=599),
            hang=_bool_field(raw, "hang", errors),
            malformed=_bool_field(raw, "malformed", errors),
            lost_answer=_bool_field(raw, "lost_answer", errors),
            retry_after_s=_int_field(raw, "retry_after_s", errors, minimum=0),
            times=_int_field(raw, "times", errors, minimum=1),
            path_prefix=_str_field(raw, "path_prefix", errors),
            body=_str_field(raw, "body", errors),
        )
        if spec.retry_after_s is not None and spec.status is None and "status" not in errors:
            errors["retry_after_s"] = ["needs status: it goes with a forced status"]
        if spec.lost_answer and (spec.status is not None or spec.hang or spec.malformed):
            errors["lost_answer"] = ["cannot be combined with status, hang or malformed"]
        if spec.body is not None and (spec.hang or spec.malformed or spec.lost_answer):
            errors["body"] = ["cannot be combined with hang, malformed or lost_answer"]
        if errors:
            raise FaultSpecError(errors)
        return spec

    def matches(self, path: str) -> bool:
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _int_field(
    raw: Mapping[str, object],
    name: str,
    errors: dict[str, list[str]],
    *,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    value = raw.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = ["must be an integer"]
        return default
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if maximum is None:
            errors[name] = [f"must be at least {minimum}"]
        else:
            errors[name] = [f"must be between {minimum} and {maximum}"]
        return default
    return value


def _bool_field(raw: Mapping[str, object], name: str, errors: dict[str, list[str]]) -> bool:
    value = raw.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        errors[name] = ["must be a boolean"]
        return False
    return value


def _str_field(raw: Mapping[str, object], name: str, errors: dict[str, list[str]]) -> str | None:
    value = raw.get(name)
    if value is None or isinstance(value, str):
        return value
    errors[name] = ["must be a string"]
    return None


class FaultInjector:
    """The one active fault of a simulator (replaced by each ``set``)."""

    def __init__(self) -> None:
        self._spec: FaultSpec | None = None

    @property
    def active(self) -> FaultSpec | None:
        return self._spec

    def set(self, spec: FaultSpec) -> None:
        self._spec = spec

    def clear(self) -> None:
        self._spec = None

    def take(self, path: str) -> FaultSpec | None:
        """The fault for a request to ``path``, counting it against ``times``."""
        spec = self._spec
        if spec is None or not spec.matches(path):
            return None
        if spec.times is not None:
            spec.times -= 1
            if spec.times <= 0:
                self._spec = None
        return spec


def route_path(scope: Scope) -> str:
    """The path inside the app, without the prefix it is mounted under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root) :] or "/"
    return path


def default_error_body(status: int) -> dict[str, Any]:
    try:
        phrase = HTTPStatus(status).phrase.lower()
    except ValueError:
        phrase = "error"
    return {"message": phrase}


class FaultMiddleware:
    """ASGI middleware applying the injector's fault to HTTP requests outside ``exempt``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        injector: FaultInjector,
        error_body: ErrorBody = default_error_body,
        exempt: Collection[str] = ("/_control",),
        hang_limit_s: float = HANG_LIMIT_S,
    ) -> None:
        self.app = app
        self.injector = injector
        self.error_body = error_body
        self.exempt = tuple(exempt)
        self.hang_limit_s = hang_limit_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        spec = None if path.startswith(self.exempt) else self.injector.take(path)
        if spec is None:
            await self.app(scope, receive, send)
            return
        if spec.answer_ms:
            send = _held(send, asyncio.get_running_loop().time() + spec.answer_ms / 1000)
        if spec.latency_ms:
            await asyncio.sleep(spec.latency_ms / 1000)
        if spec.hang:
            await self._hang(scope, receive, send)
        elif spec.lost_answer:
            await self.app(scope, receive, _dropped)
            await self._hang(scope, receive, send)
        elif spec.malformed:
            response = Response(MALFORMED_BODY, status_code=200, media_type="application/json")
            await response(scope, receive, send)
        elif spec.body is not None:
            status = spec.status or 200
            response = Response(spec.body, status_code=status, media_type="application/json")
            await response(scope, receive, send)
        elif spec.status is not None:
            body = self.error_body(spec.status)
            headers = None
            if spec.retry_after_s is not None:
                headers = {"Retry-After": str(spec.retry_after_s)}
            response = JSONResponse(body, status_code=spec.status, headers=headers)
            await response(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _hang(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer nothing until the client goes away (or, as a backstop, the hang limit)."""

        async def until_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        try:
            await asyncio.wait_for(until_disconnect(), self.hang_limit_s)
        except TimeoutError:
            body = self.error_body(504)
            await JSONResponse(body, status_code=504)(scope, receive, send)


def _held(send: Send, until: float) -> Send:
    """``send`` that lets the answer start no sooner than loop time ``until``."""

    async def held(message: Message) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(until - asyncio.get_running_loop().time())
        await send(message)

    return held


async def _dropped(message: Message) -> None:
    """A ``send`` that loses the answer."""


def fault_control_routes(injector: FaultInjector, prefix: str = "/_control") -> list[Route]:
    """``POST {prefix}/faults`` sets the fault, ``GET`` shows it, ``DELETE`` clears it."""

    async def set_fault(request: Request) -> Response:
        try:
            spec = FaultSpec.from_json(json.loads(await request.body()))
        except json.JSONDecodeError:
            return JSONResponse({"message": "invalid json"}, status_code=400)
        except FaultSpecError as exc:
            body = {"message": "validation error", "errors": exc.errors}
            return JSONResponse(body, status_code=422)
        injector.set(spec)
        return JSONResponse({"fault": spec.to_json()})

    async def show_fault(request: Request) -> Response:
        spec = injector.active
        return JSONResponse({"fault": spec.to_json() if spec else None})

    async def clear_fault(request: Request) -> Response:
        injector.clear()
        return JSONResponse({"fault": None})

    return [
        Route(f"{prefix}/faults", set_fault, methods=["POST"]),
        Route(f"{prefix}/faults", show_fault, methods=["GET"]),
        Route(f"{prefix}/faults", clear_fault, methods=["DELETE"]),
    ]
