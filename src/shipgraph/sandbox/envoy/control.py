"""The control API under ``/_control`` (not Envoy's; no auth, never faulted).

GET  /_control/shipments                 every shipment (full view + batch_id, seq)
GET  /_control/shipments/{id}            one shipment
POST /_control/shipments/{id}/complete   finish a ``creating`` shipment now
GET/POST /_control/async-create          {"count": int, "delay_s"?: float}: the next
                                         ``count`` creates answer 202 and are rated
                                         ``delay_s`` later (default: async_delay_s)
GET  /_control/carriers                  the carriers, their services, quoting flags
POST /_control/carriers/{handle}         {"quoting": bool}: a carrier that does not
                                         quote answers ``rates_unavailable``
POST /_control/batches                   {"shipment_ids": [...], "batch_id"?}: put
                                         shipments in a batch (answers the batch_id)
GET  /_control/webhooks[?wait=1]         every webhook delivery attempt (wait: once
                                         none is queued)
GET  /_control/counters                  creates, creates_accepted, purchases,
                                         purchase_attempts, requests.<route>
POST /_control/reset                     shipments, files, counters, faults, async
                                         setting, quoting flags, webhooks
GET/POST/DELETE /_control/faults         fault injection
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shipgraph.sandbox.control_api import ControlError, control_body
from shipgraph.sandbox.envoy.api import base_url
from shipgraph.sandbox.envoy.carriers import BY_HANDLE, CARRIERS, EXPONENTS
from shipgraph.sandbox.envoy.errors import ApiError
from shipgraph.sandbox.envoy.model import new_id
from shipgraph.sandbox.envoy.state import EnvoySandboxState
from shipgraph.sandbox.faults import fault_control_routes

Endpoint = Callable[[Request], Awaitable[Response]]


def control_routes(state: EnvoySandboxState) -> list[Route]:
    def answering(handler: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except ControlError as exc:
                return JSONResponse({"message": exc.message}, status_code=exc.status)
            except ApiError as exc:
                return exc.response()

        return endpoint

    async def list_shipments(request: Request) -> Response:
        here = base_url(request)
        async with state.lock:
            state.settle_all()
            return JSONResponse({"shipments": [s.control_view(here) for s in state.shipments]})

    async def show_shipment(request: Request) -> Response:
        shipment = await state.get(request.path_params["id"])
        return JSONResponse({"shipment": shipment.control_view(base_url(request))})

    async def complete(request: Request) -> Response:
        shipment = await state.complete(request.path_params["id"])
        return JSONResponse({"shipment": shipment.control_view(base_url(request))})

    def async_setting() -> JSONResponse:
        return JSONResponse({"count": state.async_remaining, "delay_s": state.async_delay_s})

    async def show_async(request: Request) -> Response:
        return async_setting()

    async def set_async(request: Request) -> Response:
        body = control_body(await request.body())
        count, delay = body.get("count"), body.get("delay_s")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ControlError(422, "count: must be an integer, 0 or more")
        if delay is not None and (
            isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0
        ):
            raise ControlError(422, "delay_s: must be a number, 0 or more")
        state.async_remaining = count
        if delay is not None:
            state.async_delay_s = float(delay)
        return async_setting()

    async def carriers(request: Request) -> Response:
        listed = [
            {
                **c.resource(),
                "quoting": state.quoting[c.handle],
                "currency_code": c.currency,
                "never_to": sorted(c.never_to),
                "label_formats": sorted(c.label_formats),
                "multi_package": c.multi_package,
                "services": [{"id": s.id, "name": s.name, "handle": s.handle} for s in c.services],
            }
            for c in CARRIERS
        ]
        return JSONResponse({"carriers": listed, "currency_exponents": EXPONENTS})

    async def set_carrier(request: Request) -> Response:
        handle = request.path_params["handle"]
        if handle not in BY_HANDLE:
            raise ControlError(404, f"unknown carrier; one of {', '.join(BY_HANDLE)}")
        quoting = (control_body(await request.body())).get("quoting")
        if not isinstance(quoting, bool):
            raise ControlError(422, "quoting: must be a boolean")
        state.quoting[handle] = quoting
        return JSONResponse({"handle": handle, "quoting": quoting})

    async def batches(request: Request) -> Response:
        body = control_body(await request.body())
        ids, batch_id = body.get("shipment_ids"), body.get("batch_id") or new_id("bat")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ControlError(422, "shipment_ids: must be a list of shipment ids")
        if not isinstance(batch_id, str):
            raise ControlError(422, "batch_id: must be a string")
        await state.assign_batch(ids, batch_id)
        return JSONResponse({"batch_id": batch_id, "shipment_ids": ids})

    async def counters(request: Request) -> Response:
        names = ("creates", "creates_accepted", "purchases", "purchase_attempts")
        body = {name: state.counters[name] for name in names}
        body.update({k: v for k, v in sorted(state.counters.items()) if k not in names})
        return JSONResponse(body)

    async def list_webhooks(request: Request) -> Response:
        if request.query_params.get("wait", "").lower() in ("1", "true", "yes"):
            await state.webhooks.wait_idle()
        return JSONResponse({"webhooks": [a.to_json() for a in state.webhooks.attempts]})

    async def reset(request: Request) -> Response:
        await state.reset()
        return JSONResponse({"message": "reset"})

    one = "/_control/shipments/{id}"
    return [
        Route("/_control/shipments", list_shipments, methods=["GET"]),
        Route(one, answering(show_shipment), methods=["GET"]),
        Route(f"{one}/complete", answering(complete), methods=["POST"]),
        Route("/_control/async-create", show_async, methods=["GET"]),
        Route("/_control/async-create", answering(set_async), methods=["POST"]),
        Route("/_control/carriers", carriers, methods=["GET"]),
        Route("/_control/carriers/{handle}", answering(set_carrier), methods=["POST"]),
        Route("/_control/batches", answering(batches), methods=["POST"]),
        Route("/_control/webhooks", list_webhooks, methods=["GET"]),
        Route("/_control/counters", counters, methods=["GET"]),
        Route("/_control/reset", reset, methods=["POST"]),
        *fault_control_routes(state.faults, prefix="/_control"),
    ]
