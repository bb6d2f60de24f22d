"""Decoded shipments are kept by their bytes: the same encoding read again is the same
(immutable) Shipment, and anything else is decoded, or refused, as ever."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shipgraph import codec
from shipgraph.codec import Undecodable, decode_shipment, encode_shipment
from tests.store.shipments import shipment


def test_the_same_bytes_read_again_are_the_same_shipment() -> None:
    raw = encode_shipment(shipment("s1"))
    first = decode_shipment(raw)
    assert decode_shipment(bytes(raw)) is first  # another bytes object, equal
    assert decode_shipment(raw.decode()) is first
    assert first == shipment("s1")


def test_other_bytes_are_another_shipment() -> None:
    one = decode_shipment(encode_shipment(shipment("s1")))
    two = decode_shipment(encode_shipment(replace(shipment("s1"), reference="other")))
    assert one.reference == "order-1" and two.reference == "other"


@pytest.mark.parametrize("raw", [b"\xff{not json", b"[1, 2, 3]", "\ud800", memoryview(b"{}")])
def test_what_does_not_decode_is_refused_every_time(raw: object) -> None:
    for _ in range(2):
        with pytest.raises(Undecodable):
            decode_shipment(raw)  # type: ignore[arg-type]


def test_the_kept_decodings_are_bounded() -> None:
    assert codec._decoded.cache_info().maxsize == codec.DECODED_KEPT
