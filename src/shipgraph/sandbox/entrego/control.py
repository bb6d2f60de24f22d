"""The control API under ``/_control`` (not Entrego's; no auth, never faulted).

GET  /_control/orders                        every order (answer view + counters, history)
GET  /_control/orders/{key}                  one order, by trackingNumber or orderNumber
POST /_control/orders/{key}/advance          {"status"?, "reasonCode"?, "webhook"?}: one
                                             step (the happy path's next one without
                                             "status"); "webhook": false sends none
POST /_control/orders/{key}/replay           send the last webhook again
GET  /_control/steps                         the lifecycle graph and Appendix A codes
GET  /_control/webhooks[?wait=1]             every delivery attempt
GET  /_control/counters                      authentications, location calls per path
POST /_control/tokens                        {"validitySeconds"?, "expireIssued"?}
GET/POST /_control/sellers                   marketplace sellers (onboarding is offline)
POST /_control/auto-advance                  {"seconds": float | null}
POST /_control/reset                         orders, waybills, sellers, counters, faults,
                                             webhooks (issued tokens stay valid)
GET/POST/DELETE /_control/faults             fault injection
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shipgraph.sandbox.control_api import ControlError, control_body
from shipgraph.sandbox.entrego.lifecycle import STATUSES, TRANSITIONS
from shipgraph.sandbox.entrego.model import FAILED_REASONS
from shipgraph.sandbox.entrego.state import EntregoSandboxState
from shipgraph.sandbox.entrego.validation import Validator
from shipgraph.sandbox.faults import fault_control_routes
from shipgraph.sandbox.webhooks import Delivery

Endpoint = Callable[[Request], Awaitable[Response]]


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ControlError(422, f"{name}: must be a number, 0 or more")
    return float(value)


async def attempts_of(delivery: Delivery | None) -> list[dict[str, Any]]:
    """Wait for the delivery (retries included) so the answer is deterministic."""
    if delivery is None:
        return []
    return [attempt.to_json() for attempt in await delivery.wait()]


def control_routes(state: EntregoSandboxState) -> list[Route]:
    def answering(handler: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except ControlError as exc:
                return JSONResponse({"message": exc.message}, status_code=exc.status)

        return endpoint

    async def list_orders(request: Request) -> Response:
        async with state.lock:
            return JSONResponse({"orders": [o.control_view() for o in state.orders]})

    async def show_order(request: Request) -> Response:
        async with state.lock:
            order = state.control_get(request.path_params["key"])
            return JSONResponse({"order": order.control_view()})

    async def advance(request: Request) -> Response:
        body = control_body(await request.body())
        status, reason = body.get("status"), body.get("reasonCode")
        webhook = body.get("webhook", True)
        if not isinstance(webhook, bool):
            raise ControlError(422, "webhook: must be true or false")
        if status is not None and status not in STATUSES:
            raise ControlError(422, f"status: must be one of {', '.join(STATUSES)}")
        if reason is not None and reason not in FAILED_REASONS:
            raise ControlError(422, "reasonCode: must be an Appendix A code")
        order, step, delivery = await state.advance(
            request.path_params["key"], status, reason, webhook=webhook
        )
        async with state.lock:
            view = order.control_view()
        return JSONResponse(
            {"status": step, "order": view, "webhooks": await attempts_of(delivery)}
        )

    async def replay(request: Request) -> Response:
        delivery = await state.replay(request.path_params["key"])
        return JSONResponse({"webhooks": await attempts_of(delivery)})

    async def steps(request: Request) -> Response:
        graph = {source: list(targets) for source, targets in TRANSITIONS.items()}
        return JSONResponse({"transitions": graph, "failedReasons": FAILED_REASONS})

    async def list_webhooks(request: Request) -> Response:
        if request.query_params.get("wait", "").lower() in ("1", "true", "yes"):
            await state.webhooks.wait_idle()
        return JSONResponse({"webhooks": [a.to_json() for a in state.webhooks.attempts]})

    async def counters(request: Request) -> Response:
        by_path = dict(state.tokens.authentications)
        return JSONResponse(
            {
                "authentications": sum(by_path.values()),
                "authenticationsByPath": by_path,
                "locationCalls": dict(state.location_calls),
            }
        )

    async def tokens(request: Request) -> Response:
        body = control_body(await request.body())
        validity = _number(body, "validitySeconds")
        if validity is not None:
            state.tokens.validity_s = validity
        expired = state.tokens.expire_all() if body.get("expireIssued") is True else 0
        return JSONResponse({"validitySeconds": state.tokens.validity_s, "expired": expired})

    async def list_sellers(request: Request) -> Response:
        async with state.lock:
            return JSONResponse({"sellers": state.sellers})

    async def add_seller(request: Request) -> Response:
        body = control_body(await request.body())
        v = Validator()
        reference = v.string(body, "sellerReference", "sellerReference", required=True)
        pickup = v.party(body, "pickup", {})
        port = v.string(body, "pickupPortCode", "pickupPortCode", required=False)
        if v.errors:
            raise ControlError(422, "; ".join(f"{e['field']}: {e['message']}" for e in v.errors))
        assert reference is not None
        await state.add_seller(reference, {"pickup": pickup, "pickupPortCode": port})
        return JSONResponse(
            {"sellerReference": reference, "pickup": pickup, "pickupPortCode": port}
        )

    async def auto_advance(request: Request) -> Response:
        seconds = _number(control_body(await request.body()), "seconds")
        await state.set_auto_advance(seconds or None)
        return JSONResponse({"seconds": state.auto_advance_s})

    async def reset(request: Request) -> Response:
        await state.reset()
        return JSONResponse({"message": "reset"})

    orders = "/_control/orders/{key}"
    return [
        Route("/_control/orders", list_orders, methods=["GET"]),
        Route(orders, answering(show_order), methods=["GET"]),
        Route(f"{orders}/advance", answering(advance), methods=["POST"]),
        Route(f"{orders}/replay", answering(replay), methods=["POST"]),
        Route("/_control/steps", steps, methods=["GET"]),
        Route("/_control/webhooks", list_webhooks, methods=["GET"]),
        Route("/_control/counters", counters, methods=["GET"]),
        Route("/_control/tokens", answering(tokens), methods=["POST"]),
        Route("/_control/sellers", list_sellers, methods=["GET"]),
        Route("/_control/sellers", answering(add_seller), methods=["POST"]),
        Route("/_control/auto-advance", answering(auto_advance), methods=["POST"]),
        Route("/_control/reset", reset, methods=["POST"]),
        *fault_control_routes(state.faults, prefix="/_control"),
    ]
