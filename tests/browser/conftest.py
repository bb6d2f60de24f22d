"""Chromium once per session; per test, a fresh tab and `shipgraph dev`'s own app on a
free port (gateway, simulators and /track, in memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.browser.cdp import Browser, BrowserError, Page, launch
from tests.browser.devserver import Dev, dev_app
from tests.support.redis_server import free_port
from tests.support.servers import serve


@pytest.fixture(scope="session")
def chromium() -> Iterator[str]:
    try:
        with launch() as url:
            yield url
    except BrowserError as error:
        pytest.fail(str(error))


@pytest.fixture
async def page(chromium: str) -> AsyncIterator[Page]:
    browser = await Browser.connect(chromium)
    try:
        tab = await browser.new_page()
        yield tab
        await tab.close()
    finally:
        await browser.close()


@pytest.fixture
async def dev(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Dev]:
    port = free_port()
    async with (
        serve(dev_app(monkeypatch, port), port) as url,
        httpx.AsyncClient(timeout=10) as http,
    ):
        yield Dev(url, http)
