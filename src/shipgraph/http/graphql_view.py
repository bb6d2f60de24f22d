"""/graphql over HTTP and WebSocket: who is asking, and GraphiQL for people.

HTTP requests carry ``Authorization: Bearer <key>``; without a known key the answer
is 401 with an UNAUTHENTICATED error and nothing is executed. WebSockets carry the
key in the ``connection_init`` payload (``{"authorization": "Bearer <key>"}``) and
are refused at that point with a bad one (graphql-transport-ws: close code 4403).

Over HTTP the view follows the GraphQL-over-HTTP spec (docs/conformance.md):

- The answer's media type follows ``Accept``: ``application/graphql-response+json``
  when the client prefers it, ``application/json`` when it prefers that, sends
  ``*/*`` or no ``Accept`` at all; 406 when it accepts neither.
- Under ``application/graphql-response+json`` a request error (the document does not
  parse or validate, a variable cannot be coerced: nothing was executed) is a 400
  whose body has no ``data`` entry (500/503 if the server itself failed first).
  Under ``application/json`` it stays a 200 with ``"data": null``, as legacy
  clients expect.
- GET runs queries only: a mutation over GET is 405 (``Allow: POST``); subscriptions
  are served over the WebSocket only (400 over HTTP).
- A POST body must be ``Content-Type: application/json`` (UTF-8): 415 otherwise.
- Every error the view answers itself has a JSON body with ``extensions.code``.
- A body (or GET parameter, or WebSocket message) that is not safe JSON (safe_json.py)
  or holds a lone UTF-16 surrogate (``"\\ud800"``, which no UTF-8 text can carry
  on to a carrier, the store or a log) is a 400; so are a query longer than
  MAX_QUERY_CHARS and an operationName longer than MAX_OPERATION_NAME (not repeated).
"""

from __future__ import annotations

import json
import re
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from shipgraph import safe_json
from shipgraph.http.graphiql import offline_page
from shipgraph.http.media_types import GRAPHQL_RESPONSE_JSON, JSON, negotiate, with_charset
from shipgraph.http.messages import MessageEncoder
from shipgraph.http.persisted import PersistedQueries, PersistedQueryError
from shipgraph.http.response_cache import CachedAnswer, ResponseCache, operation_of, read_versions
from shipgraph.observability import GRAPHQL_OPERATIONS
from shipgraph.resolvers.context import Authentication, Refusal, RequestContext, Services
from shipgraph.resolvers.errors import SERVICE_UNAVAILABLE, UNAUTHENTICATED
from shipgraph.store.base import StoreUnavailable

_HTTP_KEY = "Authorization: Bearer <api key>"
_WS_KEY = '{"authorization": "Bearer <api key>"} in the connection_init payload'
# a close reason has at most 123 bytes: these are the short forms
_WS_CLOSE_REASONS = {
    Refusal.MISSING: "Forbidden: no API key in the connection_init payload",
    Refusal.MALFORMED: "Forbidden: authorization must be Bearer <api key>",
    Refusal.UNKNOWN: "Forbidden: unknown API key",
}
_WS_HEADER_ONLY = (
    "a WebSocket authenticates in its connection_init payload "
    '({"authorization": "Bearer <api key>"}), not with an Authorization header on the upgrade'
)
_WS_HEADER_ONLY_REASON = "Forbidden: send the API key in connection_init, not the upgrade"

MAX_OPERATION_NAME = 256
"""Characters in operationName: a name is an identifier someone wrote, not a payload."""

MAX_QUERY_CHARS = 50_000
"""A GraphQL document's length. MaxTokensLimiter bounds its tokens, but one string,
comment or run of whitespace is one token or none, and graphql-core's lexer reads it a
character at a time: a 900 KB document froze the event loop for 0.6 s. GraphiQL's
introspection query is 3 KB; 2 000 tokens of this schema's names stay under 40 KB."""

# A JSON escape of a UTF-16 surrogate: json.loads pairs valid ones into one character
# and leaves a lone one in the string, which then cannot be encoded as UTF-8.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89abcdefABCDEF]")

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
    406: "NOT_ACCEPTABLE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def _error_response(
    message: str,
    code: str,
    status_code: int,
    media_type: str,
    headers: dict[str, str] | None = None,
) -> Response:
    return JSONResponse(
        _error_body(message, code),
        status_code=status_code,
        headers=headers,
        media_type=with_charset(media_type),
    )


OTHER_METHODS = ("PUT", "PATCH", "DELETE")


async def other_method(request: Request) -> Response:
    """PUT, PATCH and DELETE on the GraphQL endpoint: a coded error, not Starlette's
    plain-text 405."""
    message = f"{request.method} is not served here: send operations by GET or POST"
    return _error_response(message, "METHOD_NOT_ALLOWED", 405, JSON, {"Allow": "GET, POST"})


def is_request_error(result: ExecutionResult) -> bool:
    """Nothing was executed: the document did not parse or validate, or a variable
    could not be coerced. (A field error that nulls the whole ``data`` has a path.)"""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


# A request error is the client's (400) unless the server failed before executing.
_SERVER_FAILURES = {"INTERNAL_SERVER_ERROR": 500, SERVICE_UNAVAILABLE: 503}


def request_error_status(result: ExecutionResult) -> int:
    codes = [(error.extensions or {}).get("code") for error in result.errors or []]
    return max((_SERVER_FAILURES.get(str(code), 400) for code in codes), default=400)


def read_json(data: str | bytes) -> Any:
    """JSON from a client, or UnsafeJson saying why not (see the module's notes)."""
    parsed = safe_json.loads(data)
    if isinstance(data, bytes):
        escaped = _SURROGATE_ESCAPE_BYTES.search(data) is not None
    else:
        escaped = _SURROGATE_ESCAPE.search(data) is not None
    if escaped:
        try:
            json.dumps(parsed, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise safe_json.UnsafeJson(
                "a string holds a lone UTF-16 surrogate (such as \\ud800): not text"
            ) from None
    return parsed


def _check_length(query: str | None) -> None:
    if query is not None and len(query) > MAX_QUERY_CHARS:
        raise HTTPException(400, f"the query is longer than {MAX_QUERY_CHARS} characters")


class _RequestAdapter(StarletteRequestAdapter):
    """Media types are case-insensitive: ``Application/JSON`` is JSON too."""

    @property
    def content_type(self) -> str | None:
        content_type = super().content_type
        return content_type.lower() if content_type is not None else None


class MethodNotAllowed(HTTPException):
    def __init__(self, reason: str, allow: str) -> None:
        super().__init__(405, reason)
        self.allow = allow


def _fresh_asked(request: Request) -> bool:
    """``Cache-Control: no-cache`` (or ``no-store``): answer by running the operation,
    not from a kept answer (RFC 9111: a stored response is not used unvalidated)."""
    directives = request.headers.get("cache-control", "").lower()
    return any(d.strip() in ("no-cache", "no-store") for d in directives.split(","))


def _wants_ide(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.method == "GET" and "text/html" in accept and "query" not in request.query_params


class _WebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry closes a refused graphql-transport-ws connection with 4403
    "Forbidden"; the reason says why (no key, a wrong one), as HTTP's message does."""

    async def close(self, code: int, reason: str) -> None:
        if code == 4403:
            reason = getattr(self.ws.state, "refusal_reason", reason)
        await super().close(code, reason)


class GraphQLView(GraphQL[RequestContext, None]):
    request_adapter_class = _RequestAdapter
    websocket_adapter_class = _WebSocketAdapter

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
        self._persisted = PersistedQueries(services.cache)
        self._answers = ResponseCache(services.store)
        self._messages = MessageEncoder()

    def encode_json(self, data: object) -> str:
        return self._messages.encode(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        ide = self.graphql_ide is not None and _wants_ide(request)
        media_type = negotiate(request.headers.get("accept"))
        request.state.graphql_media_type = media_type or JSON
        request.state.graphql_request_error_status = None
        response: Response
        authentication = self.services.authenticate(request.headers.get("authorization"))
        if not ide and authentication.tenant is None:
            response = _error_response(
                authentication.message(_HTTP_KEY),
                UNAUTHENTICATED,
                401,
                media_type or JSON,
                headers={"WWW-Authenticate": "Bearer"},
            )
        elif not ide and media_type is None:
            response = _error_response(
                f"this endpoint answers {GRAPHQL_RESPONSE_JSON} or {JSON}: accept one of them",
                _HTTP_CODES[406],
                406,
                JSON,
            )
        else:
            try:
                response = await self._answer(request, ide, media_type)
            except HTTPException as error:
                # Strawberry answers these in plain text; ours carry a code like any error.
                code = _HTTP_CODES.get(error.status_code, "BAD_REQUEST")
                headers = None
                if error.status_code == 405:
                    allow = error.allow if isinstance(error, MethodNotAllowed) else "GET, POST"
                    headers = {"Allow": allow}
                response = _error_response(
                    error.reason, code, error.status_code, media_type or JSON, headers
                )
            else:
                if media_type is not None and response.media_type == JSON:
                    # a GraphQL response (Strawberry's create_response), not GraphiQL's page
                    self._negotiated(response, request, media_type)
        await response(scope, receive, send)

    async def _answer(self, request: Request, ide: bool, media_type: str | None) -> Response:
        """Run the operation, or answer a read of shipments the cache still has."""
        key = None
        tenant = self._tenant(request.headers.get("authorization"))
        if not ide and tenant is not None and media_type is not None:
            operation = await operation_of(request)
            if operation is not None and len(str(operation.get("query"))) <= MAX_QUERY_CHARS:
                key = self._answers.key(tenant, operation, media_type)
        if key is not None and not _fresh_asked(request):
            try:
                kept = await self._answers.get(key)
            except StoreUnavailable:
                kept = None
            if kept is not None:
                GRAPHQL_OPERATIONS.labels("query", "ok").inc()
                headers = {"content-type": kept.content_type, "shipgraph-cache": "hit"}
                return Response(kept.body, headers=headers)
        response = await self.run(request)
        context = getattr(request.state, "graphql_context", None)
        if key is not None and response.status_code == 200 and context is not None:
            body = bytes(response.body)
            listings = tuple(read for read in context.listed if read is not None)
            if b'"errors"' not in body and len(listings) == len(context.listed):
                versions = read_versions(context.loaders.shipment.loaded)
                answer = CachedAnswer(body, with_charset(key[-1]), versions, listings)
                self._answers.put(key, answer)
        return response

    @staticmethod
    def _negotiated(response: Response, request: Request, media_type: str) -> None:
        response.headers["content-type"] = with_charset(media_type)
        response.media_type = media_type
        status = request.state.graphql_request_error_status
        if media_type == GRAPHQL_RESPONSE_JSON and status is not None:
            response.status_code = status

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Only for a browser asking for a page: a GET carrying a persisted query's
        hash (``extensions``, no ``query``) is an operation."""
        return _wants_ide(request) and "extensions" not in request.query_params

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            content_type, params = parse_content_type(request.content_type or "")
            charset = params.get("charset", "utf-8").strip('"').lower()
            if content_type != JSON or charset not in ("utf-8", "utf8"):
                raise HTTPException(415, f"send the operation as Content-Type: {JSON} (UTF-8)")
        return await super().parse_http_body(request)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Queries over GET, queries and mutations over POST; subscriptions only over
        the WebSocket (Strawberry would let them through HTTP, to fail inside)."""
        get = request_adapter.method == "GET"
        allowed = {OperationType.QUERY} if get else {OperationType.QUERY, OperationType.MUTATION}
        name = request_data.operation_name
        if name is not None and (not isinstance(name, str) or len(name) > MAX_OPERATION_NAME):
            raise HTTPException(
                400, f"operationName must be a string of at most {MAX_OPERATION_NAME} characters"
            )
        _check_length(request_data.query)  # before a persisted query stores it
        try:
            request_data = await self._persisted.resolve(request_data)
        except PersistedQueryError as refused:
            # A request error like a parse error: nothing ran (400 under
            # graphql-response+json, 200 under application/json, as Apollo expects).
            error = GraphQLError(refused.message, extensions={"code": refused.code})
            return ExecutionResult(data=None, errors=[error])
        _check_length(request_data.query)  # one stored before this limit was
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as error:
            if error.operation_type == OperationType.SUBSCRIPTION:
                raise HTTPException(
                    400, "subscriptions are served over the WebSocket at /graphql"
                ) from error
            raise MethodNotAllowed(
                f"{error.as_http_error_reason(request_adapter.method)}: use POST", "POST"
            ) from error
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from error
        except MissingQueryError as error:
            raise HTTPException(400, "No GraphQL query found in the request") from error

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        body = await super().process_result(request, result)
        if is_request_error(result):
            request.state.graphql_request_error_status = request_error_status(result)
            if request.state.graphql_media_type == GRAPHQL_RESPONSE_JSON:
                # the spec: a request error's response has no data entry at all
                body.pop("data", None)
        return body

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = read_json(data)
        except safe_json.UnsafeJson as error:
            raise HTTPException(400, str(error)) from None
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "the request body must be a JSON object")
        return parsed

    def decode_json(self, data: str | bytes) -> object:
        """WebSocket messages: Strawberry closes the socket (4400) on a JSONDecodeError."""
        try:
            return read_json(data)
        except safe_json.UnsafeJson as error:
            text = data if isinstance(data, str) else ""
            raise json.JSONDecodeError(str(error), text, 0) from None

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        tenant = None
        if isinstance(request, Request):
            tenant = self._tenant(request.headers.get("authorization"))
        context = RequestContext(self.services, tenant, request, response)
        if isinstance(request, Request):
            request.state.graphql_context = context
        return context

    async def on_ws_connect(self, context: RequestContext) -> dict[str, object] | None:
        params = context.connection_params or {}
        authorization = params.get("authorization", params.get("Authorization"))
        if authorization is None or isinstance(authorization, str):
            authentication = self.services.authenticate(authorization)
        else:
            authentication = Authentication(None, Refusal.MALFORMED)
        if authentication.tenant is None:
            assert authentication.refusal is not None
            message = authentication.message(_WS_KEY)
            reason = _WS_CLOSE_REASONS[authentication.refusal]
            upgrade = context.request
            if (
                authentication.refusal is Refusal.MISSING
                and isinstance(upgrade, WebSocket)
                and "authorization" in upgrade.headers
            ):
                message, reason = _WS_HEADER_ONLY, _WS_HEADER_ONLY_REASON
            if isinstance(upgrade, WebSocket):
                upgrade.state.refusal_reason = reason
            raise ConnectionRejectionError(
                {"message": message, "extensions": {"code": UNAUTHENTICATED}}
            )
        context.tenant = authentication.tenant
        return None

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        page = offline_page(self.graphql_ide_html, request.scope.get("root_path", ""))
        html = page.replace("subscriptionUrl,\n", _WS_PARAMS + "\n", 1)
        if self._graphiql_key is not None:
            headers = json.dumps({"Authorization": f"Bearer {self._graphiql_key}"})
            default = f"const parameters = {{ headers: {json.dumps(headers)} }};"
            html = html.replace("const parameters = {};", default, 1)
        return HTMLResponse(html)

    def _tenant(self, authorization: str | None) -> str | None:
        return self.services.tenant_for(authorization)
