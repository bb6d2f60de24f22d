"""GraphiQL works offline: its page loads every file from the gateway, and each file
is the one the page's integrity attribute names."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.asyncio(loop_scope="module")

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
REFERENCE = re.compile(r'(?:src|href)="([^"]+)"\s+integrity="(sha384-[^"]+)"')


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack() -> AsyncIterator[Stack]:
    async with running_stack(graphiql=True) as running:
        yield running


async def page(stack: Stack) -> str:
    response = await stack.http.get(f"{stack.gateway}/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


async def test_the_page_fetches_nothing_from_elsewhere(stack: Stack) -> None:
    html = await page(stack)
    assert "unpkg.com" not in html
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', html)


async def test_every_file_is_served_and_is_the_one_the_page_expects(stack: Stack) -> None:
    found = REFERENCE.findall(re.sub(r"\s+", " ", await page(stack)))
    assert len(found) == 7, found
    for path, integrity in found:
        assert path.startswith("/graphiql/assets/"), path
        response = await stack.http.get(f"{stack.gateway}{path}")
        assert response.status_code == 200, path
        digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
        assert integrity == f"sha384-{digest}", path


async def test_no_files_without_graphiql() -> None:
    async with running_stack() as plain:
        path = "/graphiql/assets/react@18.2.0/umd/react.production.min.js"
        response = await plain.http.get(f"{plain.gateway}{path}")
        assert response.status_code == 404
