"""What a point's URLs lead to: the courier's photos and the point's tracking page.

The document's point examples carry ``place_photo_url``, ``sign_photo_url`` and
``tracking_url`` without saying where they lead; the simulator serves them itself,
without the auth token (a link handed to a recipient carries none).
"""

from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from shipgraph.sandbox.borzo.model import Order, Point

if TYPE_CHECKING:  # the state's steps build these URLs: no import back at run time
    from shipgraph.sandbox.borzo.state import BorzoSandboxState

PLACE = "place"
SIGN = "sign"
KINDS = (PLACE, SIGN)
# A 1x1 PNG: a photo is a photo, whatever it shows.
PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def photo_url(order: Order, point: Point, kind: str) -> str:
    return f"{order.base_url}/photos/{order.order_id}/{point.point_id}/{kind}.png"


def tracking_url(order: Order, point: Point) -> str:
    return f"{order.base_url}/track/{order.order_id}/{point.point_id}"


def _point(state: BorzoSandboxState, request: Request) -> tuple[Order, Point] | None:
    order = state.orders.get(request.path_params["order_id"])
    if order is None:
        return None
    point_id = request.path_params["point_id"]
    found = next((p for p in order.points if p.point_id == point_id), None)
    return (order, found) if found is not None else None


def file_routes(state: BorzoSandboxState) -> list[Route]:
    async def photo(request: Request) -> Response:
        async with state.lock:
            found = _point(state, request)
            kind = request.path_params["kind"]
            # Only a photo the point's view shows exists.
            if found is None or kind not in KINDS or found[1].checkin is None:
                return PlainTextResponse("not found", status_code=404)
        return Response(PHOTO, media_type="image/png")

    async def track(request: Request) -> Response:
        async with state.lock:
            found = _point(state, request)
            if found is None:
                return PlainTextResponse("not found", status_code=404)
            order, point = found
            status = point.delivery.status if point.delivery else order.status
        page = (
            f"<!doctype html><title>Borzo {order.order_name}</title>"
            f"<p>Order {order.order_name}: {html.escape(point.address or '')}</p>"
            f"<p>Status: {html.escape(status or '')}</p>"
        )
        return HTMLResponse(page)

    return [
        Route("/photos/{order_id:int}/{point_id:int}/{kind}.png", photo, methods=["GET"]),
        Route("/track/{order_id:int}/{point_id:int}", track, methods=["GET"]),
    ]
