"""Every error leaves with an ``extensions.code``, given in one place:
``CodedSchema.process_errors``, which Strawberry calls for every result it sends,
over HTTP and over a WebSocket alike.

Errors a resolver raised on purpose carry their code already. Parse and validation
errors get GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED, bad variable values
BAD_USER_INPUT, and anything unexpected INTERNAL_SERVER_ERROR with its message
replaced (the details go to the log, never to the client).

A document with several operations and no ``operationName`` is refused here: the
spec makes it a request error, Strawberry would run the first operation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext

from shipgraph.observability import GRAPHQL_OPERATIONS, get_logger
from shipgraph.resolvers.errors import (
    SERVICE_UNAVAILABLE,
    code_of_exception,
    message_of_unavailable,
)

log = get_logger("shipgraph.graphql")


class OperationNameRequired(CannotGetOperationTypeError):
    """The document has several operations and the request names none. A subclass of
    Strawberry's own, so that it takes the same way out (a 400 over HTTP)."""

    def __init__(self) -> None:
        super().__init__(None)

    def as_http_error_reason(self) -> str:
        return "Must provide operation name if query contains multiple operations."


def error_code(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, CannotGetOperationTypeError | InvalidOperationTypeError):
        # Over the WebSocket Strawberry turns these into errors of the operation.
        return "BAD_REQUEST"
    if original is None:
        if error.message.startswith("Syntax Error"):
            return "GRAPHQL_PARSE_FAILED"
        if error.path is None:
            return "GRAPHQL_VALIDATION_FAILED"
        return "BAD_USER_INPUT"
    if isinstance(original, GraphQLError | ValueError | TypeError) and error.path is None:
        # A variable graphql-core could not coerce: its error wraps the scalar's or
        # input type's own GraphQLError (StrawberryInputCoercionError is one too).
        return "BAD_USER_INPUT"
    return code_of_exception(original) or "INTERNAL_SERVER_ERROR"


def label(error: GraphQLError) -> None:
    """Give ``error`` a code (in place) unless it has one."""
    extensions = dict(error.extensions or {})
    if "code" in extensions:
        return
    code = error_code(error)
    extensions["code"] = code
    error.extensions = extensions
    if code == "INTERNAL_SERVER_ERROR":
        log.error("unexpected error", path=error.path, exc_info=error.original_error)
        error.message = "internal error; it has been logged"
    elif code == SERVICE_UNAVAILABLE:
        error.message = message_of_unavailable(error.original_error)


class CodedSchema(strawberry.Schema):
    """Labels every error of every result. Strawberry's own logs each at ERROR with
    its traceback, a client's typo included: a hostile client could fill the log at
    will. Here an unexpected error is logged once, by ``label``; a client's is a
    DEBUG line."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            label(error)
            code = (error.extensions or {}).get("code")
            if code != "INTERNAL_SERVER_ERROR":
                log.debug("operation refused", code=code, message=error.message[:200])


class CachedParse(ParserCache):
    """Strawberry's ParserCache parses on entering the parsing step, outside the
    error handling that step has: a syntax error escaped the operation, and over a
    WebSocket the subscriber got a bare ``complete`` (or nothing at all). A document
    that does not parse is left to Strawberry's own parse, whose error is the
    operation's answer: GRAPHQL_PARSE_FAILED over HTTP, 4400 or ``error`` over a
    WebSocket."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


class ErrorCodes(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        document = context.graphql_document
        # Strawberry's ExecutionContext.operation_name falls back to the first
        # operation's name; only the private attribute says what the client sent.
        if document is None or context._provided_operation_name is not None:
            return
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) > 1:
            raise OperationNameRequired

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        errors: list[GraphQLError] = list(context.pre_execution_errors or [])
        result = context.result
        if result is not None and getattr(result, "errors", None):
            errors += result.errors or []
        # no document: it did not parse (operation_type would raise)
        operation = context.operation_type.value if context.graphql_document else "unknown"
        GRAPHQL_OPERATIONS.labels(operation, "error" if errors else "ok").inc()
