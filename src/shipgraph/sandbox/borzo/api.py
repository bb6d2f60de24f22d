"""The vendor API, as the Borzo document describes it.

Served at the app's root: the document's base URL ends in the API version
(``.../api/business/1.6``), so the gateway's Borzo base URL is wherever this app is mounted.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shipgraph.sandbox.borzo.errors import ApiError, BorzoResponse
from shipgraph.sandbox.borzo.labels import label_json
from shipgraph.sandbox.borzo.params import Checker, json_object
from shipgraph.sandbox.borzo.requests import courier_query, labels_query, orders_query
from shipgraph.sandbox.borzo.state import BorzoSandboxState
from shipgraph.sandbox.borzo.views import BANK_CARDS, CLIENT, courier_json, order_json

Handler = Callable[[Request], Awaitable[dict[str, Any]]]

# The document is silent on the order of checks; the simulator checks the token first (and
# counts only authenticated requests against its limits), then the API method, then the
# HTTP method, then the JSON body, then the parameters.


def base_url(request: Request) -> str:
    """Where this app is reachable, with the prefix it is mounted under (``request.base_url``
    is the top-level app's root)."""
    root: str = request.scope.get("root_path", "")
    return f"{request.url.scheme}://{request.url.netloc}{root}".rstrip("/")


def success(**fields: Any) -> BorzoResponse:
    return BorzoResponse({"is_successful": True, **fields})


def vendor_routes(state: BorzoSandboxState) -> list[Route]:
    async def ping(request: Request) -> dict[str, Any]:
        return {}

    async def calculate(request: Request) -> dict[str, Any]:
        order, warnings = await state.calculate(json_object(await request.body()))
        return {
            "order": order_json(order),
            "warnings": ["invalid_parameters"] if warnings else [],
            "parameter_warnings": warnings,
        }

    async def create(request: Request) -> dict[str, Any]:
        body = json_object(await request.body())
        return {"order": order_json(await state.create(body, base_url(request)))}

    async def edit(request: Request) -> dict[str, Any]:
        return {"order": order_json(await state.edit(json_object(await request.body())))}

    async def cancel(request: Request) -> dict[str, Any]:
        return {"order": order_json(await state.cancel(json_object(await request.body())))}

    async def orders(request: Request) -> dict[str, Any]:
        ch = Checker()
        ids, status, offset, count = orders_query(ch, request.query_params.multi_items())
        ch.raise_if_any()
        async with state.lock:
            found, total = state.find(ids, status, offset, count)
            return {"orders": [order_json(order) for order in found], "orders_count": total}

    async def courier(request: Request) -> dict[str, Any]:
        ch = Checker()
        order_id = courier_query(ch, request.query_params.multi_items())
        async with state.lock:
            order = state.orders.get(order_id) if order_id is not None else None
            if order_id is not None and order is None:
                ch.add(("order_id",), "invalid_order")
            ch.raise_if_any()
            assert order is not None
            return {"courier": courier_json(order)}

    async def labels(request: Request) -> dict[str, Any]:
        ch = Checker()
        kind, ids = labels_query(ch, request.query_params.multi_items())
        listed = "order_id[]" in request.query_params
        async with state.lock:
            for index, order_id in enumerate(ids):
                if order_id not in state.orders:
                    ch.add(("order_id", index) if listed else ("order_id",), "invalid_order")
            ch.raise_if_any()
            assert kind is not None
            return {
                "labels": [
                    label_json(kind, state.orders[order_id], point)
                    for order_id in ids
                    for point in state.orders[order_id].deliveries()
                ]
            }

    async def client(request: Request) -> dict[str, Any]:
        return {"client": CLIENT}

    async def bank_cards(request: Request) -> dict[str, Any]:
        return {"bank_cards": BANK_CARDS}

    methods: dict[str, tuple[str, Handler]] = {
        "": ("GET", ping),
        "calculate-order": ("POST", calculate),
        "create-order": ("POST", create),
        "edit-order": ("POST", edit),
        "cancel-order": ("POST", cancel),
        "orders": ("GET", orders),
        "courier": ("GET", courier),
        "labels": ("GET", labels),
        "client": ("GET", client),
        "bank-cards": ("GET", bank_cards),
    }

    async def endpoint(request: Request) -> Response:
        try:
            token = request.headers.get("x-dv-auth-token", "")
            if not token:
                raise ApiError("required_auth_token")
            if not hmac.compare_digest(token.encode(), state.auth_token.encode()):
                raise ApiError("invalid_auth_token")
            if not state.limiter.allow(token):
                raise ApiError("requests_limit_exceeded")
            method = methods.get(request.path_params["method"].strip("/"))
            if method is None:
                raise ApiError("invalid_api_method")
            http_method, handler = method
            # The document: "Only GET and POST request methods are supported" (no HEAD).
            if request.method != http_method:
                raise ApiError(f"required_method_{http_method.lower()}")
            return success(**await handler(request))
        except ApiError as exc:
            return exc.response()

    every_method = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return [Route("/{method:path}", endpoint, methods=every_method)]
