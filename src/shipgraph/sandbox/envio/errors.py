# The Envio document has no errors section, so this error shape is OUR assumption
# (the Envio adapter is written against the same one):
#   401 {"message": "unauthorized"}       missing or wrong API key
#   400 {"message": "invalid json"}       body is not JSON or not a JSON object
#   422 {"message": "validation error", "errors": {"<dotted.path>": ["<text>", ...]}}
#       paths use the request's own field names, list indexes as numbers ("items.0.item_name")
#   404 {"message": "shipment not found"}
#   409 {"message": "<why>"}              the shipment's status forbids the operation
#   500 {"message": "internal server error"}  (only when injected)
"""The Envio simulator's error envelope."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse

Errors = dict[str, list[str]]

_MESSAGES = {
    400: "invalid json",
    401: "unauthorized",
    404: "shipment not found",
    422: "validation error",
    500: "internal server error",
}


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: Errors | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return JSONResponse(body, status_code=self.status)


class ValidationFailed(ApiError):
    def __init__(self, errors: Errors) -> None:
        super().__init__(422, _MESSAGES[422], errors)


def unauthorized() -> ApiError:
    return ApiError(401, _MESSAGES[401])


def invalid_json() -> ApiError:
    return ApiError(400, _MESSAGES[400])


def not_found() -> ApiError:
    return ApiError(404, _MESSAGES[404])


def conflict(message: str) -> ApiError:
    return ApiError(409, message)


def error_body(status: int) -> dict[str, Any]:
    """The envelope for ``status`` (used for injected faults)."""
    message = _MESSAGES.get(status)
    if message is None:
        try:
            message = HTTPStatus(status).phrase.lower()
        except ValueError:
            message = "error"
    body: dict[str, Any] = {"message": message}
    if status == 422:
        body["errors"] = {}
    return body
