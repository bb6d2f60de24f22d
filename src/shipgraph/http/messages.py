"""The JSON of what the GraphQL view sends, with a subscription event's data encoded
once for all its subscribers."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

PAYLOADS_KEPT = 64
"""Distinct event data kept encoded (the newest); an event reaching more distinct
subscriptions than this in one process only costs them an encoding each."""


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


class MessageEncoder:
    """``json.dumps`` (compact), except that the ``data`` of a graphql-transport-ws
    ``next`` message is encoded once per data object.

    Subscribers of one subscription receive the same result object for an event
    (schema/execution.py runs it once for all of them), so a thousand subscribers
    meant a thousand encodings of the same data, differing only in the message id.
    The encoding is kept with its object, so that the id it is found by cannot be
    reused while it is kept; results are never changed once made.
    """

    def __init__(self, kept: int = PAYLOADS_KEPT) -> None:
        self._kept = kept
        self._encoded: OrderedDict[int, tuple[object, str]] = OrderedDict()

    def encode(self, message: object) -> str:
        data = _next_data(message)
        if data is None:
            return _dumps(message)
        assert isinstance(message, dict)
        encoded = self._data(data)
        return f'{{"id":{_dumps(message["id"])},"type":"next","payload":{{"data":{encoded}}}}}'

    def _data(self, data: dict[str, Any]) -> str:
        found = self._encoded.get(id(data))
        if found is not None and found[0] is data:
            return found[1]
        encoded = _dumps(data)
        self._encoded[id(data)] = (data, encoded)
        if len(self._encoded) > self._kept:
            self._encoded.popitem(last=False)
        return encoded


def _next_data(message: object) -> dict[str, Any] | None:
    """The data of a ``next`` message that carries nothing else (no errors, no
    extensions), else None."""
    if not isinstance(message, dict) or message.get("type") != "next":
        return None
    if message.keys() != {"id", "type", "payload"} or not isinstance(message["id"], str):
        return None
    payload = message["payload"]
    if not isinstance(payload, dict) or payload.keys() != {"data"}:
        return None
    data = payload["data"]
    return data if isinstance(data, dict) else None
