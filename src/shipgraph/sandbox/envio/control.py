"""The control API under ``/_control`` (not Envio's; no auth): drive and inspect the simulator.

A shipment is named by its code (the gateway's ``trackingNumber``), ref_code or id
(the gateway's ``carrierShipmentId``):

GET  /_control/shipments                every shipment
GET  /_control/shipments/{key}          one shipment
POST /_control/shipments/{key}/advance  {"step"?, "quantity"?, "item_code"?, "message"?,
                                        "received_by"?}: one step along its life
POST /_control/shipments/{key}/replay   send the last webhook again
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shipgraph.sandbox.control_api import ControlError
from shipgraph.sandbox.envio.errors import ApiError
from shipgraph.sandbox.envio.lifecycle import STEPS, StepInput
from shipgraph.sandbox.envio.model import Shipment
from shipgraph.sandbox.envio.state import EnvioSandboxState
from shipgraph.sandbox.envio.validation import JsonObject, Validator, parse_object
from shipgraph.sandbox.faults import fault_control_routes
from shipgraph.sandbox.webhooks import Delivery

Endpoint = Callable[[Request], Awaitable[Response]]


def control_view(s: Shipment) -> dict[str, Any]:
    return {**s.tracking(), "manifest_code": s.manifest_code}


def parse_step(body: JsonObject) -> tuple[str | None, StepInput]:
    v = Validator()
    step = v.string(body, "step", "step", required=False)
    if step is not None and step not in STEPS:
        v.add("step", f"must be one of {', '.join(STEPS)}")
    inp = StepInput(
        quantity=v.number(body, "quantity", "quantity", required=step == "item", minimum=0),
        item_code=v.string(body, "item_code", "item_code", required=False),
        message=v.string(body, "message", "message", required=False),
        received_by=v.string(body, "received_by", "received_by", required=False),
    )
    v.check()
    return step, inp


async def attempts_of(delivery: Delivery | None) -> list[dict[str, Any]]:
    """Wait for the delivery (retries included) so the answer is deterministic."""
    if delivery is None:
        return []
    return [attempt.to_json() for attempt in await delivery.wait()]


def control_routes(state: EnvioSandboxState) -> list[Route]:
    def answering_errors(handler: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                return exc.response()
            except ControlError as exc:
                return exc.response()

        return endpoint

    async def list_shipments(request: Request) -> Response:
        async with state.lock:
            return JSONResponse({"shipments": [control_view(s) for s in state.shipments]})

    async def show_shipment(request: Request) -> Response:
        async with state.lock:
            return JSONResponse(
                {"shipment": control_view(state.control_get(request.path_params["key"]))}
            )

    async def advance(request: Request) -> Response:
        raw = await request.body()
        step, inp = parse_step(parse_object(raw) if raw.strip() else {})
        shipment, name, delivery = await state.advance(request.path_params["key"], step, inp)
        view = control_view(shipment)
        return JSONResponse(
            {"step": name, "shipment": view, "webhooks": await attempts_of(delivery)}
        )

    async def replay(request: Request) -> Response:
        delivery = await state.replay(request.path_params["key"])
        return JSONResponse({"webhooks": await attempts_of(delivery)})

    async def list_webhooks(request: Request) -> Response:
        if request.query_params.get("wait", "").lower() in ("1", "true", "yes"):
            await state.webhooks.wait_idle()
        attempts = [attempt.to_json() for attempt in state.webhooks.attempts]
        return JSONResponse({"webhooks": attempts})

    async def reset(request: Request) -> Response:
        await state.reset()
        return JSONResponse({"message": "reset"})

    return [
        Route("/_control/shipments", list_shipments, methods=["GET"]),
        Route("/_control/shipments/{key:path}", answering_errors(show_shipment), methods=["GET"]),
        Route(
            "/_control/shipments/{key:path}/advance", answering_errors(advance), methods=["POST"]
        ),
        Route("/_control/shipments/{key:path}/replay", answering_errors(replay), methods=["POST"]),
        Route("/_control/webhooks", list_webhooks, methods=["GET"]),
        Route("/_control/reset", reset, methods=["POST"]),
        *fault_control_routes(state.faults, prefix="/_control"),
    ]
