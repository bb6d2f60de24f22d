"""/track in headless Chromium: the page follows a shipment as the simulators move it."""

from __future__ import annotations

import json
from typing import Any

from tests.browser.cdp import Page
from tests.browser.devserver import Dev
from tests.integration.operations import CREATE, shipment_input

STATUS = "document.getElementById('status').textContent"
LIVE = "document.getElementById('live').dataset.state"
TIMELINE = "[...document.querySelectorAll('#timeline .entry-status')].map(e => e.textContent)"
MARKER = """(() => {
  const m = document.getElementById('courier-marker');
  return m.getAttribute('visibility') === 'visible'
    ? [m.getAttribute('cx'), m.getAttribute('cy')] : null;
})()"""

STATUS_OF = "query S($id: ID!) { shipment(id: $id) { status trackingLogs { status } } }"


async def book(dev: Dev, carrier: str, reference: str, **changes: Any) -> dict[str, Any]:
    shipment = shipment_input(reference, **changes)
    data = await dev.gql(CREATE, {"input": {"carrier": carrier, "shipment": shipment}})
    payload = data["createShipment"]
    assert payload["userErrors"] == [], payload
    booked: dict[str, Any] = payload["shipment"]
    return booked


async def stored(dev: Dev, shipment_id: str) -> tuple[str, list[str]]:
    """The gateway's status for the shipment and its log entries' statuses, newest first."""
    shipment = (await dev.gql(STATUS_OF, {"id": shipment_id}))["shipment"]
    return shipment["status"], [log["status"] for log in shipment["trackingLogs"]]


async def shows(page: Page, status: str, timeline: list[str]) -> None:
    """Wait for the page to show this status and this timeline."""
    expected = json.dumps([status, timeline], separators=(",", ":"))
    await page.wait_for(f"JSON.stringify([{STATUS}, {TIMELINE}]) === {json.dumps(expected)}")


async def test_an_envio_shipment_moves_on_the_page(dev: Dev, page: Page) -> None:
    booked = await book(dev, "ENVIO", "SO-ENVIO-1")
    status, entries = await stored(dev, booked["id"])

    await page.goto(f"{dev.url}/track?id={booked['id']}")
    await shows(page, status, entries)
    await page.wait_for(f"{LIVE} === 'live'")
    assert await page.evaluate("document.getElementById('courier').hidden") is True
    assert (
        await page.evaluate("document.getElementById('tracking-number').textContent")
        == booked["trackingNumber"]
    )

    await dev.control("envio", f"/shipments/{booked['trackingNumber']}/advance")
    moved, more = await stored(dev, booked["id"])
    assert len(more) > len(entries) and more[0] == moved != status
    await shows(page, moved, more)

    await dev.control("envio", f"/shipments/{booked['trackingNumber']}/advance")
    again, most = await stored(dev, booked["id"])
    await shows(page, again, most)
    assert await page.evaluate(LIVE) == "live"
    assert page.problems() == []


async def test_a_borzo_courier_moves_on_the_page(dev: Dev, page: Page) -> None:
    booked = await book(
        dev,
        "BORZO",
        "SO-BORZO-1",
        description="Documents",
        destination={
            **shipment_input()["destination"],
            "latitude": -6.2442,
            "longitude": 106.8446,
        },
    )
    order = booked["carrierShipmentId"]
    status, entries = await stored(dev, booked["id"])

    await page.goto(f"{dev.url}/track")
    # the key is already there in dev; look the shipment up by its tracking number
    assert await page.evaluate("document.getElementById('api-key').value") == "demo-key"
    await page.type_into("#query", booked["trackingNumber"])
    await page.press_enter()
    await shows(page, status, entries)
    await page.wait_for(f"{LIVE} === 'live'")
    assert await page.evaluate("new URL(location.href).searchParams.get('id')") == booked["id"]
    assert await page.evaluate(MARKER) is None
    for end in ("pickup", "dropoff"):
        visibility = f"document.getElementById('{end}').getAttribute('visibility')"
        assert await page.evaluate(visibility) == "visible"

    for step in ("available", "courier_assigned", "courier_departed"):
        await dev.control("borzo", f"/orders/{order}/advance", {"step": step})
    moved, more = await stored(dev, booked["id"])
    await shows(page, moved, more)
    first = await page.wait_for(MARKER)
    text = await page.evaluate("document.getElementById('courier-text').textContent")
    assert " is at " in text

    await dev.control("borzo", f"/orders/{order}/courier", {"fraction": 0.9})
    second = await page.wait_for(
        f"(() => {{ const m = {MARKER}; return m && m.join() !== {','.join(first)!r} && m; }})()"
    )
    assert second != first
    assert await page.evaluate("document.getElementById('courier-text').textContent") != text
    assert page.problems() == []


async def test_errors_and_server_text_are_shown_as_text(dev: Dev, page: Page) -> None:
    reference = '<b>SO</b> & <img src=x id="injected">'
    booked = await book(dev, "ENVIO", reference)
    error = "document.getElementById('error').textContent"

    await page.goto(f"{dev.url}/track?id=shp_unknown")
    await page.wait_for(f"{error} === 'No shipment has the id or tracking number shp_unknown.'")
    assert await page.evaluate("document.getElementById('shipment').hidden") is True

    await page.evaluate("document.getElementById('api-key').value = 'not-a-key'")
    await page.evaluate("document.getElementById('query').value = ''")
    await page.type_into("#query", booked["id"])
    await page.press_enter()
    await page.wait_for(f"{error} === 'The API key was refused.'")

    await page.evaluate("document.getElementById('api-key').value = 'demo-key'")
    await page.evaluate("document.getElementById('track').click()")
    await page.wait_for(f"document.getElementById('reference').textContent === {reference!r}")
    assert await page.evaluate(error) == ""
    assert await page.evaluate("document.querySelector('#reference *, #injected')") is None
