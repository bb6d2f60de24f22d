"""The one JSON reader for bodies from outside: what it lets through and what it refuses."""

from __future__ import annotations

import pytest

from shipgraph import safe_json
from shipgraph.safe_json import MAX_DEPTH, UnsafeJson


def test_reads_ordinary_json() -> None:
    assert safe_json.loads(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert safe_json.loads('"text"') == "text"


def test_nesting_up_to_the_limit_is_read() -> None:
    body = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert safe_json.loads(body) is not None


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 900, 5000, 100_000])
def test_deeper_nesting_is_refused(levels: int) -> None:
    for opener, closer in (("[", "]"), ('{"a":', "}")):
        with pytest.raises(UnsafeJson, match="nested deeper"):
            safe_json.loads(opener * levels + "1" + closer * levels)


@pytest.mark.parametrize(
    "body",
    [
        b"1" * 5000,
        b'{"n": ' + b"9" * 5000 + b"}",
        b'{"n": 1e999}',
        b'{"n": -1e999}',
        b'{"n": NaN}',
        b'{"n": Infinity}',
        b'{"n": -Infinity}',
        b'{"n": 0.' + b"1" * 100 + b"}",
    ],
)
def test_numbers_out_of_bounds_are_refused(body: bytes) -> None:
    with pytest.raises(UnsafeJson):
        safe_json.loads(body)


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{}", b'{"a": "\xc3"}', b"\xef\xbb\xbf{}", b"", b"{", b"{'a': 1}", b"[1,]"],
)
def test_not_json_or_not_utf8_is_refused(body: bytes) -> None:
    with pytest.raises(UnsafeJson):
        safe_json.loads(body)


def test_unsafe_json_is_a_value_error() -> None:
    assert issubclass(UnsafeJson, ValueError)
