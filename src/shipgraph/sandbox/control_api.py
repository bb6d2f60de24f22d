"""What the simulators' control APIs share: their error and their JSON body."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from starlette.responses import JSONResponse

T = TypeVar("T")


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


def shown(key: str) -> str:
    """A caller's key as a message repeats it: never all of a huge one."""
    return repr(key if len(key) <= 64 else key[:64] + "...")


def find_one(items: Iterable[T], key: str, what: str, *names: Callable[[T], object]) -> T:
    """The one item that ``key`` names, whichever of its ``names`` that is.

    A control API finds a shipment by the number the gateway handed out
    (``trackingNumber``) and by the carrier's own id (``carrierShipmentId``), so a
    person can paste either. Names are tried in order; the first that matches
    exactly one item wins. Two items answering to the same name (a short Borzo
    order_name recurs every 100 000 orders) is a 409 asking for a longer one.
    """
    candidates = list(items)
    for name in names:
        found = [item for item in candidates if _named(name(item), key)]
        if len(found) == 1:
            return found[0]
        if found:
            message = f"{len(found)} {what}s answer to {shown(key)}: use the carrier's id"
            raise ControlError(409, message)
    raise ControlError(404, f"{what} {shown(key)} not found")


def _named(value: object, key: str) -> bool:
    return value is not None and not isinstance(value, bool) and str(value) == key
