# The document shows one error body, the failed cancellation's (500):
#   {"link": ".../problem-with-message", "status": "INTERNAL_SERVER_ERROR",
#    "message": "An error occurred", "details": "Transition from PICKED_UP to CANCEL failed"}
# The simulator answers every error (400, 403, 404, 500, injected faults) in that shape,
# "status" being the HTTP status' name; a 400 for invalid fields adds "fieldErrors":
# [{"field": "recipient.province", "message": "..."}] (our assumption: the document
# shows no 400 body).
"""The Entrego simulator's error envelope and the headers its API sends."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse

PROBLEM_LINK = "https://www.entrego.org/api-error/problem-with-message"
MEDIA_TYPE = "application/json;charset=UTF-8"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-XSS-Protection": "1; mode=block",
    "Cache-Control": "no-cache, no-store, max-age=0, must-revalidate",
    "Pragma": "no-cache",
    "Expires": "0",
    "Strict-Transport-Security": "max-age=31536000 ; includeSubDomains",
}
_MESSAGES = {
    400: "Bad request",
    403: "Access denied",
    404: "Not found",
    500: "An error occurred",
}

FieldErrors = list[dict[str, str]]


class LmsResponse(JSONResponse):
    """JSON with the content type the document shows."""

    media_type = MEDIA_TYPE


class ApiError(Exception):
    def __init__(self, status: int, details: str, field_errors: FieldErrors | None = None) -> None:
        super().__init__(details)
        self.status = status
        self.details = details
        self.field_errors = field_errors

    def body(self) -> dict[str, Any]:
        body = error_body(self.status, self.details)
        if self.field_errors is not None:
            body["fieldErrors"] = self.field_errors
        return body

    def response(self) -> LmsResponse:
        return LmsResponse(self.body(), status_code=self.status)


class ValidationFailed(ApiError):
    def __init__(self, field_errors: FieldErrors) -> None:
        details = "; ".join(f"{e['field']}: {e['message']}" for e in field_errors)
        super().__init__(400, details, field_errors)


def error_body(status: int, details: str | None = None) -> dict[str, Any]:
    try:
        name = HTTPStatus(status).name
        phrase = HTTPStatus(status).phrase
    except ValueError:
        name, phrase = "ERROR", "Error"
    return {
        "link": PROBLEM_LINK,
        "status": name,
        "message": _MESSAGES.get(status, phrase),
        "details": details if details is not None else phrase,
    }


def forbidden(details: str = "Access Denied") -> ApiError:
    return ApiError(403, details)


def not_found(details: str) -> ApiError:
    return ApiError(404, details)


def bad_request(details: str) -> ApiError:
    return ApiError(400, details)
