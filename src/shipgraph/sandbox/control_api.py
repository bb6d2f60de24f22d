"""What the simulators' control APIs share: their error and their JSON body."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse


class ControlError(Exception):
    """A refusal of a control API (ours, not the vendor's): ``{"message": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> JSONResponse:
        return JSONResponse({"message": self.message}, status_code=self.status)


def control_body(raw: bytes) -> dict[str, Any]:
    """A control request's JSON object; an empty body is an empty object."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ControlError(400, "invalid json") from exc
    if not isinstance(body, dict):
        raise ControlError(400, "invalid json")
    return body
