"""The carrier-agnostic fault injection piece, on a bare Starlette app."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shipgraph.sandbox.faults import (
    FaultInjector,
    FaultMiddleware,
    FaultSpec,
    FaultSpecError,
    fault_control_routes,
)
from tests.support.servers import serve


async def ok(request: Request) -> Response:
    return JSONResponse({"ok": True})


def app_with(injector: FaultInjector, **options: Any) -> Starlette:
    return Starlette(
        routes=[Route("/api/{rest:path}", ok), *fault_control_routes(injector)],
        middleware=[Middleware(FaultMiddleware, injector=injector, **options)],
    )


def client_for(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def test_spec_from_json_validates_every_field() -> None:
    assert FaultSpec.from_json({}) == FaultSpec()
    spec = FaultSpec.from_json({"latency_ms": 5, "status": 503, "times": 2, "path_prefix": "/a"})
    assert (spec.latency_ms, spec.status, spec.times, spec.path_prefix) == (5, 503, 2, "/a")
    with pytest.raises(FaultSpecError) as failure:
        FaultSpec.from_json({"latency_ms": -1, "status": "x", "malformed": 1, "times": 0})
    assert set(failure.value.errors) == {"latency_ms", "status", "malformed", "times"}


def test_injector_counts_times_and_matches_prefix() -> None:
    injector = FaultInjector()
    injector.set(FaultSpec(status=500, times=2, path_prefix="/api/a"))
    assert injector.take("/api/b") is None
    assert injector.take("/api/a/1") is not None
    assert injector.take("/api/a/2") is not None
    assert injector.take("/api/a/3") is None and injector.active is None


async def test_middleware_uses_the_given_error_envelope_and_spares_control() -> None:
    injector = FaultInjector()
    app = app_with(injector, error_body=lambda status: {"error": {"code": status}})
    async with client_for(app) as client:
        await client.post("/_control/faults", json={"status": 429})
        limited = await client.get("/api/x")
        assert (limited.status_code, limited.json()) == (429, {"error": {"code": 429}})
        assert (await client.get("/_control/faults")).json()["fault"]["status"] == 429
        await client.delete("/_control/faults")
        assert (await client.get("/api/x")).json() == {"ok": True}


async def test_default_envelope_and_hang_backstop() -> None:
    injector = FaultInjector()
    async with client_for(app_with(injector, hang_limit_s=0.05)) as client:
        injector.set(FaultSpec(status=503))
        assert (await client.get("/api/x")).json() == {"message": "service unavailable"}
        injector.set(FaultSpec(hang=True))
        assert (await client.get("/api/x")).status_code == 504


def test_lost_answer_and_retry_after_are_validated() -> None:
    spec = FaultSpec.from_json({"status": 429, "retry_after_s": 3})
    assert (spec.status, spec.retry_after_s) == (429, 3)
    assert FaultSpec.from_json({"lost_answer": True, "times": 1}).lost_answer
    assert FaultSpec.from_json({"lost_answer": True}).to_json()["lost_answer"] is True
    with pytest.raises(FaultSpecError) as failure:
        FaultSpec.from_json({"lost_answer": "yes", "retry_after_s": -1})
    assert failure.value.errors == {
        "lost_answer": ["must be a boolean"],
        "retry_after_s": ["must be at least 0"],
    }
    with pytest.raises(FaultSpecError) as failure:
        FaultSpec.from_json({"retry_after_s": 2})
    assert set(failure.value.errors) == {"retry_after_s"}
    for other in ({"status": 503}, {"hang": True}, {"malformed": True}):
        with pytest.raises(FaultSpecError) as failure:
            FaultSpec.from_json({"lost_answer": True, **other})
        assert set(failure.value.errors) == {"lost_answer"}


async def test_a_forced_status_can_say_retry_after() -> None:
    injector = FaultInjector()
    async with client_for(app_with(injector)) as client:
        set_fault = await client.post(
            "/_control/faults", json={"status": 503, "retry_after_s": 7, "times": 1}
        )
        assert set_fault.json()["fault"]["retry_after_s"] == 7
        refused = await client.get("/api/x")
        assert refused.status_code == 503 and refused.headers["retry-after"] == "7"
        assert "retry-after" not in (await client.get("/api/x")).headers


async def test_answer_ms_holds_the_answer_not_the_handling() -> None:
    injector = FaultInjector()
    handled: list[float] = []
    loop = asyncio.get_running_loop()

    async def record(request: Request) -> Response:
        handled.append(loop.time())
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[Route("/api/x", record), *fault_control_routes(injector)],
        middleware=[Middleware(FaultMiddleware, injector=injector)],
    )
    async with client_for(app) as client:
        shown = await client.post("/_control/faults", json={"answer_ms": 200, "times": 1})
        assert shown.json()["fault"]["answer_ms"] == 200
        sent = loop.time()
        answer = await client.get("/api/x")
        answered = loop.time()
        assert answer.json() == {"ok": True}
        assert handled[0] - sent < 0.1, "handled at once, not after the wait"
        assert answered - sent >= 0.2
        sent = loop.time()
        await client.get("/api/x")
        assert loop.time() - sent < 0.1, "times: 1 spent"
    with pytest.raises(FaultSpecError) as failure:
        FaultSpec.from_json({"answer_ms": -5})
    assert failure.value.errors == {"answer_ms": ["must be at least 0"]}


def counting_app(injector: FaultInjector, handled: list[str], **options: Any) -> Starlette:
    async def record(request: Request) -> Response:
        handled.append((await request.json())["ref"])
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[Route("/api/book", record, methods=["POST"])],
        middleware=[Middleware(FaultMiddleware, injector=injector, **options)],
    )


async def test_a_lost_answer_is_handled_but_never_sent() -> None:
    injector = FaultInjector()
    handled: list[str] = []
    app = counting_app(injector, handled, hang_limit_s=0.05)
    async with client_for(app) as client:
        injector.set(FaultSpec(lost_answer=True, times=1))
        # The backstop answers 504 in-process; over a socket the client gives up first.
        lost = await client.post("/api/book", json={"ref": "A"})
        assert lost.status_code == 504 and handled == ["A"]
        answered = await client.post("/api/book", json={"ref": "B"})
        assert answered.json() == {"ok": True} and handled == ["A", "B"]


async def test_a_lost_answer_hangs_until_the_client_gives_up() -> None:
    injector = FaultInjector()
    handled: list[str] = []
    async with serve(counting_app(injector, handled)) as base_url:
        injector.set(FaultSpec(lost_answer=True, times=1))
        async with httpx.AsyncClient(base_url=base_url) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.post("/api/book", json={"ref": "A"}, timeout=0.3)
            assert handled == ["A"]
            answered = await client.post("/api/book", json={"ref": "B"})
            assert answered.json() == {"ok": True} and handled == ["A", "B"]
