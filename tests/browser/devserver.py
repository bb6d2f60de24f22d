"""`shipgraph dev`'s own app, built by its command without serving it, and a client."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from shipgraph import cli
from shipgraph.config import Settings

KEY = cli.DEV_TENANT_KEY


@dataclass
class Dev:
    """`shipgraph dev` served on ``url``."""

    url: str
    http: httpx.AsyncClient

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {KEY}"},
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def control(self, carrier: str, path: str, body: dict[str, Any] | None = None) -> None:
        response = await self.http.post(f"{self.url}/sandbox/{carrier}/_control{path}", json=body)
        assert response.status_code == 200, response.text


def dev_app(monkeypatch: pytest.MonkeyPatch, port: int) -> Starlette:
    """The app `shipgraph dev --port <port>` builds, with the courier polled often."""
    for name in list(os.environ):
        if name.startswith("SHIPGRAPH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SHIPGRAPH_COURIER_POLL_S", "0.1")
    monkeypatch.setenv("SHIPGRAPH_LOG_LEVEL", "WARNING")
    built: list[Starlette] = []

    def keep(app: Starlette, args: argparse.Namespace, settings: Settings) -> None:
        built.append(app)

    monkeypatch.setattr(cli, "_serve", keep)
    cli.main(["dev", "--port", str(port), "--advance-every", "0"])
    [app] = built
    return app
