"""The control API under ``/_control`` (not Borzo's; no auth, never faulted, never limited).

An order is named by the order_name the gateway hands out as ``trackingNumber``
or by its order_id (``carrierShipmentId``):

GET  /_control/orders                  every order, newest first, with its next step
GET  /_control/orders/{key}            one order
POST /_control/orders/{key}/advance    {"step"?, "point_id"?, "status_description"?}
POST /_control/orders/{key}/courier    {"latitude", "longitude"} or {"fraction"?}
POST /_control/orders/{key}/replay     send the last callback again
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shipgraph.sandbox.borzo.errors import ControlError
from shipgraph.sandbox.borzo.geo import Position
from shipgraph.sandbox.borzo.lifecycle import STEPS, StepInput, next_happy_step
from shipgraph.sandbox.borzo.params import decimal_of
from shipgraph.sandbox.borzo.state import BorzoSandboxState
from shipgraph.sandbox.borzo.views import order_json
from shipgraph.sandbox.control_api import control_body
from shipgraph.sandbox.faults import fault_control_routes
from shipgraph.sandbox.webhooks import Delivery as Dispatch

Endpoint = Callable[[Request], Awaitable[Response]]


def _invalid(field: str, message: str) -> ControlError:
    return ControlError(422, f"{field}: {message}")


def parse_step(body: dict[str, Any]) -> tuple[str | None, StepInput]:
    step = body.get("step")
    if step is not None and step not in STEPS:
        raise _invalid("step", f"must be one of {', '.join(STEPS)}")
    point_id = body.get("point_id")
    if point_id is not None and (isinstance(point_id, bool) or not isinstance(point_id, int)):
        raise _invalid("point_id", "must be an integer")
    description = body.get("status_description")
    if description is not None and not isinstance(description, str):
        raise _invalid("status_description", "must be a string")
    return step, StepInput(point_id=point_id, status_description=description)


def parse_move(body: dict[str, Any]) -> tuple[Position | None, float | None]:
    fraction = body.get("fraction")
    if fraction is not None and (
        isinstance(fraction, bool)
        or not isinstance(fraction, int | float)
        or not 0 <= fraction <= 1
    ):
        raise _invalid("fraction", "must be a number from 0 to 1")
    if "latitude" not in body and "longitude" not in body:
        return None, fraction
    latitude, longitude = decimal_of(body.get("latitude")), decimal_of(body.get("longitude"))
    if latitude is None or longitude is None:
        raise _invalid("latitude/longitude", "must both be coordinates")
    return (float(latitude), float(longitude)), None


async def attempts_of(dispatches: list[Dispatch]) -> list[dict[str, Any]]:
    """Wait for the callbacks (retries included) so the answer is deterministic."""
    return [attempt.to_json() for dispatch in dispatches for attempt in await dispatch.wait()]


def control_routes(state: BorzoSandboxState) -> list[Route]:
    def answering_errors(handler: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except ControlError as exc:
                return exc.response()

        return endpoint

    def key(request: Request) -> str:
        key: str = request.path_params["key"]
        return key

    async def list_orders(request: Request) -> Response:
        async with state.lock:
            views = [
                {**order_json(order), "next_step": next_happy_step(order)}
                for _, order in sorted(state.orders.items(), reverse=True)
            ]
        return JSONResponse({"orders": views})

    async def show_order(request: Request) -> Response:
        async with state.lock:
            order = state.get(key(request))
            return JSONResponse(
                {"order": {**order_json(order), "next_step": next_happy_step(order)}}
            )

    async def advance(request: Request) -> Response:
        step, inp = parse_step(control_body(await request.body()))
        order, name, dispatches = await state.advance(key(request), step, inp)
        async with state.lock:
            view = order_json(order)
        return JSONResponse(
            {"step": name, "order": view, "callbacks": await attempts_of(dispatches)}
        )

    async def move(request: Request) -> Response:
        to, fraction = parse_move(control_body(await request.body()))
        order = await state.move_courier(key(request), to, fraction)
        async with state.lock:
            view = order_json(order)
        return JSONResponse({"order": view})

    async def replay(request: Request) -> Response:
        dispatch = await state.replay(key(request))
        return JSONResponse({"callbacks": await attempts_of([dispatch])})

    async def list_callbacks(request: Request) -> Response:
        if request.query_params.get("wait", "").lower() in ("1", "true", "yes"):
            await state.callbacks.wait_idle()
        return JSONResponse({"callbacks": [a.to_json() for a in state.callbacks.attempts]})

    async def steps(request: Request) -> Response:
        return JSONResponse({"steps": list(STEPS)})

    async def reset(request: Request) -> Response:
        await state.reset()
        return JSONResponse({"message": "reset"})

    orders_path = "/_control/orders/{key}"
    return [
        Route("/_control/orders", list_orders, methods=["GET"]),
        Route(orders_path, answering_errors(show_order), methods=["GET"]),
        Route(f"{orders_path}/advance", answering_errors(advance), methods=["POST"]),
        Route(f"{orders_path}/courier", answering_errors(move), methods=["POST"]),
        Route(f"{orders_path}/replay", answering_errors(replay), methods=["POST"]),
        Route("/_control/callbacks", list_callbacks, methods=["GET"]),
        Route("/_control/steps", steps, methods=["GET"]),
        Route("/_control/reset", reset, methods=["POST"]),
        *fault_control_routes(state.faults, prefix="/_control"),
    ]
