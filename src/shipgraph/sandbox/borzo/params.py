"""Typed request parameters and Borzo's parameter error codes, recorded at the request's shape.

``parameter_errors`` mirrors the request: objects as objects, lists as lists holding ``null``
for the elements without errors (the document's create-order error example).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from shipgraph.sandbox.borzo.errors import ApiError

Path = tuple[str | int, ...]

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_PHONE_NOISE = re.compile(r"[\s()+-]")


class _Invalid:
    """A value that failed its check (the error is already recorded)."""


INVALID: Final = _Invalid()


class Checker:
    """Collects parameter error codes by path; ``editing`` admits the edit-only ID fields."""

    def __init__(self, *, editing: bool = False) -> None:
        self.editing = editing
        self.errors: dict[Path, list[str]] = {}
        self.sizes: dict[Path, int] = {}

    def add(self, path: Path, code: str) -> None:
        codes = self.errors.setdefault(path, [])
        if code not in codes:
            codes.append(code)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def tree(self) -> dict[str, Any] | None:
        if not self.errors:
            return None
        root: dict[Any, Any] = {}
        for path, codes in self.errors.items():
            node = root
            for key in path[:-1]:
                child = node.setdefault(key, {})
                if isinstance(child, list):  # the parent's own codes win over its children's
                    break
                node = child
            else:
                node[path[-1]] = list(codes)
        finished: dict[str, Any] = self._finish(root, ())
        return finished

    def _finish(self, node: Any, path: Path) -> Any:
        if not isinstance(node, dict):
            return node
        if node and all(isinstance(key, int) for key in node):
            size = max(self.sizes.get(path, 0), max(node) + 1)
            return [self._finish(node[i], (*path, i)) if i in node else None for i in range(size)]
        return {key: self._finish(value, (*path, key)) for key, value in node.items()}

    def raise_if_any(self) -> None:
        tree = self.tree()
        if tree is not None:
            raise ApiError("invalid_parameters", parameter_errors=tree)


Parser = Callable[[Checker, Any, Path, bool], Any]
"""(checker, value, path, create) -> the parsed value or INVALID; ``value`` is never None."""


@dataclass(frozen=True)
class Field:
    parse: Parser
    required: bool = False
    """Required when creating; when editing, it may be left out but not set to null."""
    edit_only: bool = False
    nested: Mapping[str, Field] | None = None
    """For a required object: checked as ``{}`` when left out (so its own required fields show)."""


Spec = Mapping[str, Field]


def parse_object(
    ch: Checker, raw: Mapping[str, Any], spec: Spec, path: Path, *, create: bool
) -> dict[str, Any]:
    """The parameters of ``raw`` that were sent and valid, parsed; null kept as None."""
    out: dict[str, Any] = {}
    for key in raw:
        field = spec.get(key)
        if field is None or (field.edit_only and not ch.editing):
            ch.add((*path, key), "unknown")
    for key, field in spec.items():
        if field.edit_only and not ch.editing:
            continue
        where = (*path, key)
        value = raw.get(key)
        if value is None:
            if field.required and field.nested is not None and create:
                out[key] = parse_object(ch, {}, field.nested, where, create=True)
            elif field.required and (create or key in raw):
                ch.add(where, "required" if create else "not_nullable")
            elif key in raw:
                out[key] = None
            continue
        parsed = field.parse(ch, value, where, create)
        if parsed is INVALID:
            continue
        if field.required and isinstance(parsed, str) and not parsed.strip():
            ch.add(where, "required")
            continue
        out[key] = parsed
    return out


def string(max_length: int) -> Parser:
    def parse(ch: Checker, value: Any, path: Path, create: bool) -> Any:
        if not isinstance(value, str):
            ch.add(path, "invalid_string")
            return INVALID
        if len(value) > max_length:
            ch.add(path, "max_length")
            return INVALID
        return value

    return parse


def integer(minimum: int | None = None, maximum: int | None = None) -> Parser:
    def parse(ch: Checker, value: Any, path: Path, create: bool) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            ch.add(path, "invalid_integer")
            return INVALID
        return bounded(ch, value, path, minimum, maximum)

    return parse


def bounded(ch: Checker, value: Any, path: Path, minimum: Any, maximum: Any) -> Any:
    if minimum is not None and value < minimum:
        ch.add(path, "min_value")
        return INVALID
    if maximum is not None and value > maximum:
        ch.add(path, "max_value")
        return INVALID
    return value


def boolean() -> Parser:
    def parse(ch: Checker, value: Any, path: Path, create: bool) -> Any:
        if not isinstance(value, bool):
            ch.add(path, "invalid_boolean")
            return INVALID
        return value

    return parse


def decimal_of(value: Any) -> Decimal | None:
    """A JSON number or numeric string as a Decimal (the document sends money both ways)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def money() -> Parser:
    def parse(ch: Checker, value: Any, path: Path, create: bool) -> Any:
        amount = decimal_of(value)
        if amount is None:
            ch.add(path, "invalid_float")
            return INVALID
        return bounded(ch, amount, path, Decimal(0), None)

    return parse


def floating(minimum: float) -> Parser:
    def parse(ch: Checker, value: Any, path: Path, create: bool) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            ch.add(path, "invalid_float")
            return INVALID
        return bounded(ch, value, path, minimum, None)

    return parse


def coordinate(limit: int) -> Parser:
    def parse(ch: Checker, value: Any, path: Path, create: bool) -> Any:
        number = decimal_of(value)
        if number is None:
            ch.add(path, "invalid_float")
            return INVALID
        if abs(number) > limit:
            ch.add(path, "coordinates_out_of_bounds")
            return INVALID
        return number

    return parse


def phone() -> Parser:
    def parse(ch: Checker, value: Any, path: Path, create: bool) -> Any:
        if not isinstance(value, str):
            ch.add(path, "invalid_phone")
            return INVALID
        digits = _PHONE_NOISE.sub("", value)
        if not digits.isdigit() or not 9 <= len(digits) <= 15:
            ch.add(path, "invalid_phone")
            return INVALID
        return digits

    return parse


def timestamp() -> Parser:
    # The document: "Please use this exact format with semicolon in the timezone" (no "Z").
    def parse(ch: Checker, value: Any, path: Path, create: bool) -> Any:
        if not isinstance(value, str) or not _TIMESTAMP.match(value):
            ch.add(path, "invalid_date_format")
            return INVALID
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            ch.add(path, "invalid_date")
            return INVALID

    return parse


def enum(values: Collection[str | int], code: str = "invalid_enum_value") -> Parser:
    def parse(ch: Checker, value: Any, path: Path, create: bool) -> Any:
        if isinstance(value, bool) or value not in values:
            ch.add(path, code)
            return INVALID
        return value

    return parse


def obj(spec: Spec) -> Parser:
    def parse(ch: Checker, value: Any, path: Path, create: bool) -> Any:
        if not isinstance(value, dict):
            ch.add(path, "invalid_object")
            return INVALID
        return parse_object(ch, value, spec, path, create=create)

    return parse


def items(spec: Spec, id_key: str, max_size: int) -> Parser:
    """A list of objects; when editing, an element without ``id_key`` is a new one."""

    def parse(ch: Checker, value: Any, path: Path, create: bool) -> Any:
        if not isinstance(value, list):
            ch.add(path, "invalid_list")
            return INVALID
        if len(value) > max_size:
            ch.add(path, "max_size")
            return INVALID
        ch.sizes[path] = len(value)
        out: list[dict[str, Any]] = []
        for index, element in enumerate(value):
            if not isinstance(element, dict):
                ch.add((*path, index), "invalid_object")
                out.append({})
                continue
            fresh = id_key not in element if ch.editing else create
            out.append(parse_object(ch, element, spec, (*path, index), create=fresh))
        return out

    return parse


def json_object(raw: bytes) -> dict[str, Any]:
    """A POST body as a JSON object; an empty body is an empty request."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("invalid_post_json") from exc
    if not isinstance(body, dict):
        raise ApiError("invalid_post_json")
    return body


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
