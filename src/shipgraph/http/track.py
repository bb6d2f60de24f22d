"""/track: a live tracking page for people, served by `shipgraph dev`.

Plain HTML, one stylesheet and one script, read from this package's
``static/track`` folder (no build step, nothing fetched from elsewhere). The script
looks a shipment up over POST /graphql and follows it over the WebSocket with the
graphql-transport-ws protocol. Every answer carries a strict Content-Security-Policy:
scripts and styles from this origin only, connections to this origin and WebSockets.
"""

from __future__ import annotations

import html
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self' ws: wss:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
ASSETS = {
    "track.js": "text/javascript",
    "track.css": "text/css",
    "icon.svg": "image/svg+xml",
}


def _static(name: str) -> str:
    return (files("shipgraph.http") / "static" / "track" / name).read_text(encoding="utf-8")


def render_page(*, base: str, graphql_path: str, api_key: str | None) -> str:
    """The page, with where its files and /graphql are and the key to prefill (dev only)."""
    values = {
        "{{base}}": base,
        "{{graphql}}": graphql_path,
        "{{api-key}}": api_key or "",
    }
    page = _static("index.html")
    for placeholder, value in values.items():
        page = page.replace(placeholder, html.escape(value, quote=True))
    return page


def track_routes(
    api_key: str | None = None, *, path: str = "/track", graphql_path: str = "/graphql"
) -> list[BaseRoute]:
    """The page at ``path`` and its files below it. ``api_key`` prefills the key field:
    pass it only where the key is no secret (`shipgraph dev`'s demo tenant)."""
    page = render_page(base=path, graphql_path=graphql_path, api_key=api_key)
    assets = {name: (_static(name), media_type) for name, media_type in ASSETS.items()}

    async def show_page(request: Request) -> Response:
        # no-store: the page may hold an API key
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
        return Response(page, media_type="text/html", headers=headers)

    async def show_asset(request: Request) -> Response:
        found = assets.get(request.path_params["name"])
        if found is None:
            return PlainTextResponse("not found", status_code=404, headers=SECURITY_HEADERS)
        text, media_type = found
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
        return Response(text, media_type=media_type, headers=headers)

    return [
        Route(path, show_page, methods=["GET"]),
        Route(f"{path}/{{name}}", show_asset, methods=["GET"]),
    ]
