"""GraphiQL in `shipgraph dev` works with no network: every file comes from the
gateway, and a query typed into it runs."""

from __future__ import annotations

from urllib.parse import quote

from tests.browser.cdp import Page
from tests.browser.devserver import Dev

QUERY = "{ carriers { code } }"
# The response pane is a CodeMirror editor; its DOM shows only what is scrolled into view.
RESPONSE = "document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue() ?? ''"


async def test_graphiql_runs_a_query_with_every_other_host_blocked(dev: Dev, page: Page) -> None:
    await page.call("Network.enable")
    # The CDN GraphiQL would load from is https; the dev server is plain http.
    await page.call("Network.setBlockedURLs", {"urls": ["https://*"]})
    await page.goto(f"{dev.url}/graphql?q={quote(QUERY)}")
    await page.wait_for("document.querySelector('.graphiql-execute-button') !== null")
    await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
    await page.wait_for(f"{RESPONSE}.includes('ENVOY')")
    answer = await page.evaluate(RESPONSE)
    assert "ENVIO" in answer and "errors" not in answer
    assert page.problems() == []
