"""/track in `shipgraph dev`: the page and its files, their types and their CSP."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import AsyncIterator
from importlib.resources import files

import httpx
import pytest
from starlette.applications import Starlette

from shipgraph import cli
from shipgraph.config import Settings
from shipgraph.http.track import render_page
from tests.integration.operations import CREATE, create_input, shipment_input
from tests.support.redis_server import free_port
from tests.support.stack import running_stack


def built_app(monkeypatch: pytest.MonkeyPatch, *argv: str, **env: str) -> Starlette:
    """The app `shipgraph <argv>` would serve with only ``env`` set, without serving it."""
    for name in list(os.environ):
        if name.startswith("SHIPGRAPH_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    built: list[Starlette] = []

    def keep(app: Starlette, args: argparse.Namespace, settings: Settings) -> None:
        built.append(app)

    monkeypatch.setattr(cli, "_serve", keep)
    # serve's check of the database schema runs its own loop (tests/unit/test_cli_db.py)
    monkeypatch.setattr(cli, "_check_schema", lambda *args: None)
    cli.main([*argv, "--port", str(free_port())])
    [app] = built
    return app


@pytest.fixture
async def dev(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    app = built_app(monkeypatch, "dev", "--advance-every", "0")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dev") as client:
        yield client


def assert_strict_csp(response: httpx.Response) -> None:
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in response.headers["content-security-policy"].split(";")
    }
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'", "ws:", "wss:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_page_is_html_with_a_strict_csp_and_the_demo_key(
    dev: httpx.AsyncClient,
) -> None:
    response = await dev.get("/track")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert_strict_csp(response)
    page = response.text
    assert '<script src="/track/track.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/track/track.css">' in page
    assert 'value="demo-key"' in page
    assert '<meta name="shipgraph-graphql" content="/graphql">' in page
    # what the CSP would block anyway: inline scripts, handlers and styles
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert not re.search(r"\son\w+=|\sstyle=|<style", page)
    assert 'aria-live="polite"' in page and 'role="status"' in page
    assert '<label for="query">' in page and '<label for="api-key">' in page


@pytest.mark.parametrize(
    ("name", "content_type", "marker"),
    [
        ("track.js", "text/javascript; charset=utf-8", "graphql-transport-ws"),
        ("track.css", "text/css; charset=utf-8", "#timeline"),
        ("icon.svg", "image/svg+xml", "<svg"),
    ],
)
async def test_the_files_have_their_types_and_the_csp(
    dev: httpx.AsyncClient, name: str, content_type: str, marker: str
) -> None:
    response = await dev.get(f"/track/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert_strict_csp(response)
    assert marker in response.text


async def test_nothing_is_fetched_from_elsewhere_and_no_markup_is_built_from_text(
    dev: httpx.AsyncClient,
) -> None:
    for path in ("/track", "/track/track.js", "/track/track.css"):
        text = (await dev.get(path)).text
        assert not re.search(r"https?://", text), path
        assert "@import" not in text
    script = (await dev.get("/track/track.js")).text
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


async def test_an_unknown_file_is_404(dev: httpx.AsyncClient) -> None:
    for path in ("/track/nope.js", "/track/index.html", "/track/..%2Fapp.py"):
        response = await dev.get(path)
        assert response.status_code == 404, path


def test_the_key_is_escaped_in_the_page() -> None:
    page = render_page(base="/track", graphql_path="/graphql", api_key='k"><script>x</script>')
    assert "<script>x" not in page
    assert 'value="k&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in page


async def test_dev_with_other_keys_prefills_none(monkeypatch: pytest.MonkeyPatch) -> None:
    app = built_app(monkeypatch, "dev", "--advance-every", "0", SHIPGRAPH_API_KEYS="acme:key-acme")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dev") as client:
        page = (await client.get("/track")).text
    assert 'id="api-key" type="password" autocomplete="off" spellcheck="false" value=""' in page
    assert "key-acme" not in page and "demo-key" not in page


async def test_serve_has_no_tracking_page(monkeypatch: pytest.MonkeyPatch) -> None:
    app = built_app(monkeypatch, "serve")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://serve") as client:
        assert (await client.get("/track")).status_code == 404
        assert (await client.get("/track/track.js")).status_code == 404


def page_query(name: str) -> str:
    """One of track.js's GraphQL documents, as the page sends it."""
    script = (files("shipgraph.http") / "static" / "track" / "track.js").read_text()
    fragment = re.search(r"const SHIPMENT = `(.*?)`;", script, re.DOTALL)
    document = re.search(rf"const {name} = `(.*?)`;", script, re.DOTALL)
    assert fragment is not None and document is not None
    return document.group(1).replace("${SHIPMENT}", fragment.group(1))


async def test_the_page_gets_a_borzo_shipments_pickup_and_drop_off() -> None:
    """The map's legend promises pickup and drop-off: Borzo geocodes every point, and
    what the page reads has both ends even when the booking gave no coordinates."""
    async with running_stack() as stack:
        shipment = shipment_input("SO-MAP-1", description="Documents")
        given = shipment["origin"]
        booked = await stack.gql(CREATE, {"input": {"carrier": "BORZO", "shipment": shipment}})
        assert booked["data"]["createShipment"]["userErrors"] == []
        found = await stack.gql(
            page_query("GET"), {"id": booked["data"]["createShipment"]["shipment"]["id"]}
        )
        assert "errors" not in found, found
        page = found["data"]["shipment"]
        [order] = (await stack.http.get(f"{stack.sandbox}/borzo/_control/orders")).json()["orders"]
        pickup, drop = order["points"][0], order["points"][-1]
    # the caller's coordinates are kept; the drop-off is where Borzo placed it
    assert page["origin"]["coordinates"] == {
        "latitude": given["latitude"],
        "longitude": given["longitude"],
    }
    assert float(pickup["latitude"]) == given["latitude"]
    assert page["destination"]["coordinates"] == {
        "latitude": float(drop["latitude"]),
        "longitude": float(drop["longitude"]),
    }
    assert page["carrier"] == "BORZO"


async def test_an_envio_shipment_without_coordinates_gets_none_made_up() -> None:
    async with running_stack() as stack:
        body = await stack.gql(CREATE, create_input("SO-MAP-2"))
        shipment_id = body["data"]["createShipment"]["shipment"]["id"]
        page = (await stack.gql(page_query("GET"), {"id": shipment_id}))["data"]["shipment"]
    assert page["destination"]["coordinates"] is None
