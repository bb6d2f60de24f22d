"""GraphiQL's own files, served by the gateway so that `shipgraph dev` works offline.

Strawberry's GraphiQL page loads React, GraphiQL and its explorer plugin from
unpkg.com. The same files (the same versions: their SHA-384 hashes are the page's
``integrity`` attributes) are kept in ``static/graphiql`` under their unpkg paths,
and the page is pointed at them.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

UNPKG = "https://unpkg.com/"
ASSETS_PATH = "/graphiql/assets"


def offline_page(page: str, root_path: str = "") -> str:
    """Strawberry's GraphiQL page, loading its files from this gateway."""
    return page.replace(UNPKG, f"{root_path}{ASSETS_PATH}/")


def graphiql_routes() -> list[BaseRoute]:
    files = StaticFiles(packages=[("shipgraph.http", "static/graphiql")])
    return [Mount(ASSETS_PATH, app=files, name="graphiql-assets")]
