"""/graphql over HTTP and WebSocket: who is asking, and GraphiQL for people.

HTTP requests carry ``Authorization: Bearer <key>``; without a known key the answer
is 401 with an UNAUTHENTICATED error and nothing is executed. WebSockets carry the
key in the ``connection_init`` payload (``{"authorization": "Bearer <key>"}``) and
are refused at that point with a bad one.
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema import BaseSchema

from shipgraph.resolvers.context import RequestContext, Services
from shipgraph.resolvers.errors import UNAUTHENTICATED

_UNAUTHENTICATED_MESSAGE = "send Authorization: Bearer <api key>"

# GraphiQL sends its headers editor's content with queries but not over the
# WebSocket; this hands the Authorization header to graphql-ws as connectionParams.
_WS_PARAMS = """subscriptionUrl,
        wsConnectionParams: function () {
          try {
            const raw = localStorage.getItem("graphiql:headers") || parameters.headers || "{}";
            const headers = JSON.parse(raw);
            return { authorization: headers.Authorization || headers.authorization };
          } catch (e) {
            return {};
          }
        },"""


_HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def _wants_ide(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.method == "GET" and "text/html" in accept and "query" not in request.query_params


class GraphQLView(GraphQL[RequestContext, None]):
    def __init__(
        self,
        schema: BaseSchema,
        services: Services,
        *,
        graphiql: bool,
        graphiql_key: str | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.services = services
        self._graphiql_key = graphiql_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        ide = self.graphql_ide is not None and _wants_ide(request)
        response: Response
        if not ide and self._tenant(request.headers.get("authorization")) is None:
            response = JSONResponse(
                _error_body(_UNAUTHENTICATED_MESSAGE, UNAUTHENTICATED),
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        else:
            try:
                response = await self.run(request)
            except HTTPException as error:
                # Strawberry answers these in plain text; ours carry a code like any error.
                code = _HTTP_CODES.get(error.status_code, "BAD_REQUEST")
                body = _error_body(error.reason, code)
                response = JSONResponse(body, status_code=error.status_code)
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        parsed = super().parse_json(data)
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "the request body must be a JSON object")
        return parsed

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        tenant = None
        if isinstance(request, Request):
            tenant = self._tenant(request.headers.get("authorization"))
        return RequestContext(self.services, tenant, request, response)

    async def on_ws_connect(self, context: RequestContext) -> dict[str, object] | None:
        params = context.connection_params or {}
        authorization = params.get("authorization", params.get("Authorization"))
        tenant = self._tenant(authorization if isinstance(authorization, str) else None)
        if tenant is None:
            raise ConnectionRejectionError(
                {"message": _UNAUTHENTICATED_MESSAGE, "extensions": {"code": UNAUTHENTICATED}}
            )
        context.tenant = tenant
        return None

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        html = self.graphql_ide_html.replace("subscriptionUrl,\n", _WS_PARAMS + "\n", 1)
        if self._graphiql_key is not None:
            headers = json.dumps({"Authorization": f"Bearer {self._graphiql_key}"})
            default = f"const parameters = {{ headers: {json.dumps(headers)} }};"
            html = html.replace("const parameters = {};", default, 1)
        return HTMLResponse(html)

    def _tenant(self, authorization: str | None) -> str | None:
        return self.services.tenant_for(authorization)
