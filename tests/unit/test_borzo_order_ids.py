"""One Borzo order, one spelling: order ids are canonical ASCII digits."""

from __future__ import annotations

import pytest

from shipgraph.carriers.borzo.mapping import MAX_ID_DIGITS, order_id_of, parse_order_id


@pytest.mark.parametrize(
    ("written", "expected"),
    [("1250032", 1250032), ("1", 1), ("9" * MAX_ID_DIGITS, int("9" * MAX_ID_DIGITS))],
)
def test_canonical_order_ids(written: str, expected: int) -> None:
    assert parse_order_id(written) == expected
    assert order_id_of(written) == expected


@pytest.mark.parametrize(
    "written",
    [
        "",
        "0",
        "01250032",
        "001250032",
        " 1250032",
        "1250032 ",
        "1250032\n",
        "+1250032",
        "-1250032",
        "1250032.0",
        "1e6",
        "1_250_032",
        "１２５００３２",  # noqa: RUF001 - fullwidth digits, the point of the test
        "١٢٥",
        "²",
        "9" * (MAX_ID_DIGITS + 1),
        "9" * 5000,
        "0x1F",
        "50032a",
    ],
)
def test_every_other_spelling_is_not_an_order_id(written: str) -> None:
    assert parse_order_id(written) is None
    assert order_id_of(written) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1250032, 1250032),
        (0, 0),
        (-1, None),
        (10**MAX_ID_DIGITS, None),
        (True, None),
        (1250032.0, None),
        (None, None),
        ([1250032], None),
    ],
)
def test_ids_in_borzo_answers(value: object, expected: int | None) -> None:
    assert order_id_of(value) == expected
