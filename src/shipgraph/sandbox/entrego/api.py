"""Entrego's API host: authentication, sales orders (create, PATCH, cancel)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shipgraph.sandbox.entrego.errors import ApiError, LmsResponse, bad_request, forbidden
from shipgraph.sandbox.entrego.patching import parse_patch
from shipgraph.sandbox.entrego.state import EntregoSandboxState
from shipgraph.sandbox.entrego.validation import JsonObject, parse_object
from shipgraph.sandbox.faults import route_path

Endpoint = Callable[[Request], Awaitable[Response]]


def answering_errors(handler: Endpoint) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()

    return endpoint


def protected(state: EntregoSandboxState, handler: Endpoint) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        state.tokens.check(request)
        return await handler(request)

    return answering_errors(endpoint)


async def json_body(request: Request) -> JsonObject:
    return parse_object(await request.body())


def _alert(action: str, tracking_number: str) -> dict[str, str]:
    return {
        "X-LMS-alert": f"A new SalesOrder was {action} with identifier {tracking_number}",
        "X-LMS-params": tracking_number,
    }


def vendor_routes(state: EntregoSandboxState) -> list[Route]:
    def authenticate(key_field: str, secret_field: str, token_field: str) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            body = await json_body(request)
            if not body.get(key_field) or not body.get(secret_field):
                raise bad_request(f"{key_field} and {secret_field} are required")
            token = state.tokens.login(
                route_path(request.scope), body[key_field], body[secret_field]
            )
            if token is None:
                raise forbidden("Bad credentials")
            headers = {"Authorization": f"Bearer {token}"}
            return LmsResponse({token_field: token}, headers=headers)

        return answering_errors(endpoint)

    def create(*, marketplace: bool) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            order = await state.create(await json_body(request), marketplace=marketplace)
            root = request.scope.get("root_path", "")
            headers = {
                "Location": f"{root}/v1/sales-order/{order.order_number}",
                **_alert("created", order.tracking_number),
            }
            async with state.lock:
                view = order.view()
            return LmsResponse(view, status_code=201, headers=headers)

        return endpoint

    async def patch(request: Request) -> Response:
        tracking, patches = parse_patch(await json_body(request))
        not_updated = await state.patch(tracking, patches)
        headers = _alert("updated", tracking)
        if not not_updated:
            return Response(status_code=204, headers=headers)
        body = {"trackingNumber": tracking, "patchPayload": not_updated}
        return LmsResponse(body, status_code=202, headers=headers)

    async def cancel(request: Request) -> Response:
        body = await json_body(request)
        tracking = body.get("trackingNumber")
        if not isinstance(tracking, str) or not tracking:
            raise bad_request("trackingNumber is required")
        reason = body.get("cancellationReason")
        if reason is not None and not isinstance(reason, str):
            raise bad_request("cancellationReason must be a string")
        order = await state.cancel(tracking, reason)
        view = order.view()
        meta = {
            "recipientName": view["recipient"]["fullname"],
            "currentCity": view["pickup"]["city"],
            "city": view["recipient"]["city"],
        }
        answer = {"state": order.state, "stateMetaData": meta, "trackingNumber": tracking}
        return LmsResponse(answer)

    async def show(request: Request) -> Response:
        # The document names this resource only in the 201's Location header ("GET: used
        # to retrieve a resource") and shows no answer: we answer the create's shape.
        order = state.by_order_number(request.path_params["order_number"])
        if order is None:
            raise ApiError(404, "SalesOrder not found")
        return LmsResponse(order.view())

    return [
        Route("/v1/authenticate", authenticate("accessKey", "secretKey", "jwt"), methods=["POST"]),
        Route(
            "/api/authenticate",
            authenticate("username", "password", "id_token"),
            methods=["POST"],
        ),
        Route("/v1/sales-order", protected(state, create(marketplace=False)), methods=["POST"]),
        Route("/v1/sales-order", protected(state, patch), methods=["PATCH"]),
        Route(
            "/v1/sales-order/marketplace",
            protected(state, create(marketplace=True)),
            methods=["POST"],
        ),
        Route("/v1/sales-order/marketplace/cancel", protected(state, cancel), methods=["POST"]),
        Route("/v1/sales-order/{order_number}", protected(state, show), methods=["GET"]),
    ]
