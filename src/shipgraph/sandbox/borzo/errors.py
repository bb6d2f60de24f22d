"""The Borzo error envelope: HTTP 400 with ``is_successful: false``, codes, parameter errors."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from shipgraph.sandbox.control_api import ControlError as ControlError


class BorzoResponse(JSONResponse):
    # The document's responses: "Content-Type: application/json; charset=utf-8".
    media_type = "application/json; charset=utf-8"


class ApiError(Exception):
    """A request error: ``errors`` codes and, for ``invalid_parameters``, their details."""

    def __init__(self, *codes: str, parameter_errors: dict[str, Any] | None = None) -> None:
        super().__init__(", ".join(codes))
        self.codes = list(codes)
        self.parameter_errors = parameter_errors

    def body(self) -> dict[str, Any]:
        return {
            "is_successful": False,
            "errors": self.codes,
            "parameter_errors": self.parameter_errors,
        }

    def response(self) -> BorzoResponse:
        return BorzoResponse(self.body(), status_code=400)


def invalid_parameters(parameter_errors: dict[str, Any]) -> ApiError:
    return ApiError("invalid_parameters", parameter_errors=parameter_errors)


def _code_for(status: int) -> str:
    if status in (401, 403):
        return "invalid_auth_token"
    if status == 429:
        return "requests_limit_exceeded"
    if status in (502, 503, 504):
        return "service_unavailable"
    return "unexpected_error"


def error_body(status: int) -> dict[str, Any]:
    """The envelope an injected fault with HTTP ``status`` answers."""
    return ApiError(_code_for(status)).body()
