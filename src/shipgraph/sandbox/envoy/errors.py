# The Envoy document shows no error response, only the shipment's `errors` entries
# ({"type": "rate_error", "code": "rates_unavailable", "source": "provider", "message": ...}).
# OUR assumption, used for every error answer (vendor API, injected faults): a top-level
# `errors` array of entries in that same shape, request-field problems adding "field"
# (dotted path with list indexes, e.g. "packages.0.geometry.mass"):
#   400 invalid_json | invalid_cursor   401 unauthorized   404 shipment_not_found | file_not_found
#   409 shipment_not_ready | shipment_already_purchased | shipment_not_rated
#   422 validation_failed (one entry per field) | rate_not_found   5xx (faults) <status name>
"""The Envoy simulator's error envelope."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse

_TYPES = {
    400: "request_error",
    401: "authentication_error",
    404: "not_found_error",
    409: "state_error",
    422: "validation_error",
}


def entry(
    status: int, code: str, message: str, field: str | None = None, source: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": _TYPES.get(status, "api_error"),
        "code": code,
        "source": source or ("envoy" if status >= 500 else "request"),
        "message": message,
    }
    if field is not None:
        body["field"] = field
    return body


class ApiError(Exception):
    def __init__(self, status: int, entries: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(str(e["message"]) for e in entries))
        self.status = status
        self.entries = entries

    def response(self) -> JSONResponse:
        return JSONResponse({"errors": self.entries}, status_code=self.status)


def fail(status: int, code: str, message: str, field: str | None = None) -> ApiError:
    return ApiError(status, [entry(status, code, message, field)])


FieldErrors = list[tuple[str, str]]


class ValidationFailed(ApiError):
    def __init__(self, problems: FieldErrors) -> None:
        super().__init__(
            422, [entry(422, "validation_failed", message, field) for field, message in problems]
        )


def unauthorized() -> ApiError:
    return fail(401, "unauthorized", "a valid bearer access token is required")


def invalid_json() -> ApiError:
    return fail(400, "invalid_json", "the request body must be a JSON object")


def not_found() -> ApiError:
    return fail(404, "shipment_not_found", "no shipment with this id")


def error_body(status: int) -> dict[str, Any]:
    """The envelope for ``status`` (injected faults and unexpected failures)."""
    try:
        code = HTTPStatus(status).name.lower()
        message = HTTPStatus(status).phrase.lower()
    except ValueError:
        code = message = "error"
    return {"errors": [entry(status, code, message)]}
