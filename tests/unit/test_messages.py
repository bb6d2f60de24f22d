"""The view's JSON encoder: next messages share their data's encoding."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shipgraph.http.messages import MessageEncoder


def next_message(operation_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": operation_id, "type": "next", "payload": {"data": data}}


def test_every_subscriber_gets_its_id_and_the_same_data() -> None:
    encoder = MessageEncoder()
    data = {"shipmentUpdated": {"id": "shp_1", "status": "PICKED_UP", "note": 'a "quote" é'}}
    first = encoder.encode(next_message("1", data))
    second = encoder.encode(next_message('op-"2"', data))
    assert json.loads(first) == next_message("1", data)
    assert json.loads(second) == next_message('op-"2"', data)
    assert first == json.dumps(next_message("1", data), separators=(",", ":"))


def test_the_encoding_is_kept_by_identity_not_by_equality() -> None:
    encoder = MessageEncoder()
    data = {"shipmentUpdated": {"status": "CREATED"}}
    encoder.encode(next_message("1", data))
    other = {"shipmentUpdated": {"status": "DELIVERED"}}
    assert json.loads(encoder.encode(next_message("1", other)))["payload"]["data"] == other


def test_only_the_last_payloads_are_kept() -> None:
    encoder = MessageEncoder(kept=2)
    payloads = [{"n": n} for n in range(5)]
    for n, data in enumerate(payloads):
        assert json.loads(encoder.encode(next_message(str(n), data)))["payload"]["data"] == data
    assert len(encoder._encoded) == 2


@pytest.mark.parametrize(
    "message",
    [
        {"type": "connection_ack"},
        {"id": "1", "type": "complete"},
        {"id": "1", "type": "next", "payload": {"data": None, "errors": [{"message": "x"}]}},
        {"id": "1", "type": "next", "payload": {"data": {"a": 1}, "extensions": {"b": 2}}},
        {"id": 1, "type": "next", "payload": {"data": {"a": 1}}},
        {"data": {"rates": []}},
        [1, 2],
    ],
)
def test_anything_else_is_plain_compact_json(message: object) -> None:
    assert MessageEncoder().encode(message) == json.dumps(message, separators=(",", ":"))
