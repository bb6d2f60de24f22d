"""The vendor API, as the Envoy document describes it (``Authorization: Bearer``)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shipgraph.sandbox.envoy.errors import ApiError, fail, unauthorized
from shipgraph.sandbox.envoy.model import CREATING
from shipgraph.sandbox.envoy.paging import decode, parse_include, parse_limit
from shipgraph.sandbox.envoy.state import EnvoySandboxState
from shipgraph.sandbox.envoy.validation import (
    normalise_create,
    parse_object,
    validate_create,
    validate_purchase,
)

Endpoint = Callable[[Request], Awaitable[Response]]


def base_url(request: Request) -> str:
    """Where this app is reachable, including the prefix it is mounted under."""
    root: str = request.scope.get("root_path", "")
    return f"{request.url.scheme}://{request.url.netloc}{root}".rstrip("/")


def authorized(request: Request, token: str) -> bool:
    scheme, _, offered = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        offered.strip().encode(), token.encode()
    )


def vendor_routes(state: EnvoySandboxState) -> list[Route]:
    def guarded(name: str, handler: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            state.counters[f"requests.{name}"] += 1
            try:
                if not authorized(request, state.access_token):
                    raise unauthorized()
                return await handler(request)
            except ApiError as exc:
                return exc.response()

        return endpoint

    async def create(request: Request) -> Response:
        body = normalise_create(validate_create(parse_object(await request.body())))
        batch_id = body.pop("batch_id", None)
        shipment = await state.create(body, batch_id, base_url(request))
        # 201 when rated "within a few seconds", 202 while still being created.
        status = 202 if shipment.status == CREATING else 201
        return JSONResponse(shipment.view(base_url(request)), status_code=status)

    async def show(request: Request) -> Response:
        shipment = await state.get(request.path_params["id"])
        return JSONResponse(shipment.view(base_url(request)))

    async def index(request: Request) -> Response:
        query = request.query_params
        limit = parse_limit(query.get("limit"))
        include = parse_include(query.get("include_fields"))
        cursor = decode(query["cursor"]) if query.get("cursor") else None
        page = await state.page(cursor, limit, query.get("batch_id") or None)
        here = base_url(request)
        return JSONResponse(
            {
                "data": [s.list_view(here, include) for s in page.items],
                "next_cursor": page.next_cursor,
                "previous_cursor": page.previous_cursor,
                "limit": limit,
            }
        )

    async def purchase(request: Request) -> Response:
        rate_id = validate_purchase(parse_object(await request.body()))
        shipment = await state.purchase(request.path_params["id"], rate_id)
        return JSONResponse(shipment.view(base_url(request)))

    async def label_file(request: Request) -> Response:
        # The document's file_url is a pre-signed storage URL: no bearer token needed.
        label = state.files.get(request.path_params["name"])
        if label is None:
            return fail(404, "file_not_found", "no such file").response()
        return Response(label.content, media_type=label.file_type)

    return [
        Route("/shipments", guarded("create", create), methods=["POST"]),
        Route("/shipments", guarded("list", index), methods=["GET"]),
        Route("/shipments/{id}", guarded("get", show), methods=["GET"]),
        Route("/shipments/{id}/purchase", guarded("purchase", purchase), methods=["POST"]),
        Route("/files/labels/{name}", label_file, methods=["GET"]),
    ]
