"""JSON that a stranger sent: bounded nesting and numbers, or one ``UnsafeJson``.

``json.loads`` alone lets a hostile body through in three ways: nesting a few
thousand levels deep raises ``RecursionError`` (not a ``ValueError``) and, below
that, hands GraphQL coercion or an adapter a value it recurses into; an integer
of thousands of digits costs quadratic time to convert; and ``1e999`` becomes
``inf``. Every body the gateway reads from outside (GraphQL requests and their
variables, carrier callbacks) goes through ``loads``.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64
"""Arrays and objects inside one another; no request or callback needs more."""

MAX_NUMBER_CHARS = 64
"""A JSON number's length in characters; a money amount or an id fits easily."""


class UnsafeJson(ValueError):
    """The body is not JSON, not UTF-8, or past one of the bounds above."""


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed value, or ``UnsafeJson`` saying what is wrong with it."""
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafeJson("the body is not UTF-8") from None
    try:
        value = json.loads(data, parse_int=_integer, parse_float=_real, parse_constant=_constant)
    except RecursionError:
        raise UnsafeJson(f"the JSON is nested deeper than {max_depth} levels") from None
    except UnsafeJson:
        raise
    except ValueError as error:
        raise UnsafeJson(f"the body is not JSON ({error})") from None
    if _deeper_than(value, max_depth):
        raise UnsafeJson(f"the JSON is nested deeper than {max_depth} levels")
    return value


def _integer(text: str) -> int:
    _check_length(text)
    return int(text)


def _real(text: str) -> float:
    _check_length(text)
    number = float(text)
    if not math.isfinite(number):
        raise UnsafeJson(f"the number {text} is out of range")
    return number


def _constant(text: str) -> float:
    raise UnsafeJson(f"{text} is not a JSON value")


def _check_length(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise UnsafeJson(f"a number is longer than {MAX_NUMBER_CHARS} characters")


def _deeper_than(value: Any, limit: int) -> bool:
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth + 1 > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
