"""The vendor API, as the Envio document describes it."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from shipgraph.sandbox.envio.errors import ApiError, ValidationFailed, unauthorized
from shipgraph.sandbox.envio.model import Shipment, fmt
from shipgraph.sandbox.envio.state import EnvioSandboxState
from shipgraph.sandbox.envio.validation import (
    parse_object,
    validate_cancel,
    validate_create,
    validate_update,
)

Endpoint = Callable[[Request], Awaitable[Response]]

# A 1x1 PNG standing in for the proof-of-delivery photos of the "Delivered" callback.
POD_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def success(data: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"message": "success"}
    if data is not None:
        body["data"] = data
    return JSONResponse(body)


def base_url(request: Request, state: EnvioSandboxState) -> str:
    """Where this app is reachable, including the prefix it is mounted under.

    ``request.base_url`` would give the top-level app's root, not the mount's.
    """
    if state.public_base_url:
        return state.public_base_url
    root: str = request.scope.get("root_path", "")
    return f"{request.url.scheme}://{request.url.netloc}{root}".rstrip("/")


def authorized(request: Request, api_key: str) -> bool:
    """The document: ``Authorization: API_KEY`` (the raw key) or ``?token=API_KEY``."""
    offered = (request.headers.get("authorization"), request.query_params.get("token"))
    return any(
        value is not None and hmac.compare_digest(value.encode(), api_key.encode())
        for value in offered
    )


def vendor_routes(state: EnvioSandboxState) -> list[Route]:
    def guarded(handler: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            try:
                if not authorized(request, state.api_key):
                    raise unauthorized()
                return await handler(request)
            except ApiError as exc:
                return exc.response()

        return endpoint

    async def create(request: Request) -> Response:
        req = validate_create(parse_object(await request.body()))
        here = base_url(request, state)
        shipment = await state.create(req, here)
        return success(shipment.reference(here))

    async def update(request: Request) -> Response:
        ref_code, cod_value = validate_update(parse_object(await request.body()))
        shipment = await state.update_cod(ref_code, cod_value)
        return success(shipment.reference(base_url(request, state)))

    async def track(request: Request) -> Response:
        code = request.query_params.get("code", "").strip()
        if not code:
            raise ValidationFailed({"code": ["is required"]})
        async with state.lock:
            return success(state.get(code).tracking())

    async def cancel(request: Request) -> Response:
        code, ref_code = validate_cancel(parse_object(await request.body()))
        await state.cancel(code, ref_code)
        return success()

    async def receipt(request: Request) -> Response:
        shipment = state.by_id(request.path_params["id"])
        if shipment is None:
            return HTMLResponse("<h1>Resi tidak ditemukan</h1>", status_code=404)
        return HTMLResponse(receipt_html(shipment))

    async def proof_of_delivery(request: Request) -> Response:
        if state.by_id(request.path_params["id"]) is None:
            return Response(status_code=404)
        return Response(POD_PNG, media_type="image/png")

    return [
        Route("/distribution", guarded(create), methods=["POST"]),
        Route("/distribution", guarded(update), methods=["PUT"]),
        Route("/distribution", guarded(cancel), methods=["DELETE"]),
        Route("/tracking/distribution", guarded(track), methods=["GET"]),
        # Printed links are opened by people, without the API key.
        Route("/print/resi/{id}", receipt, methods=["GET"]),
        Route("/print/pod/{id}.png", proof_of_delivery, methods=["GET"]),
    ]


def receipt_html(s: Shipment) -> str:
    def party(title: str, fields: dict[str, Any]) -> str:
        lines = "".join(
            f"<div>{escape(str(fields.get(key, '')))}</div>"
            for key in ("name", "contact_person", "phone_number", "address")
            if fields.get(key)
        )
        return f"<section><h2>{title}</h2>{lines}</section>"

    rows = "".join(
        f"<tr><td>{escape(str(item.get('item_code', '')))}</td>"
        f"<td>{escape(str(item['item_name']))}</td><td>{item['quantity']:g}</td></tr>"
        for item in s.items
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Resi {escape(s.code)}</title></head><body>"
        f"<h1>Envio - Resi {escape(s.code)}</h1>"
        f"<p>Ref: {escape(s.ref_code)} &middot; Status: {escape(s.status)} &middot; "
        f"COD: {s.cod_value:g} &middot; ETD: {fmt(s.etd_at)} &middot; ETA: {fmt(s.eta_at)}</p>"
        f"{party('Pengirim', s.pickup_address)}{party('Penerima', s.recipient)}"
        f"<table><tr><th>Kode</th><th>Barang</th><th>Jumlah</th></tr>{rows}</table>"
        "</body></html>"
    )
