"""Request parsing and validation per the document's "Required (Y/N)" / "Type" tables."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shipgraph.sandbox.envio.errors import Errors, ValidationFailed, invalid_json

Number = int | float
JsonObject = dict[str, Any]

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")

# (field, required, type) for each table; "str" = String, "num" = Float / Decimal.
PICKUP_FIELDS = (
    ("name", True, "str"),
    ("contact_person", True, "str"),
    ("phone_number", True, "str"),
    ("address", True, "str"),
    ("province", False, "str"),
    ("regency", False, "str"),
    ("district", False, "str"),
    ("village", False, "str"),
    ("latitude", False, "num"),
    ("longitude", False, "num"),
)
RECIPIENT_FIELDS = PICKUP_FIELDS[1:]
ITEM_FIELDS = (
    ("item_code", False, "str"),
    ("item_name", True, "str"),
    ("quantity", True, "num"),
    ("weight", False, "num"),
    ("long", False, "num"),
    ("high", False, "num"),
    ("wide", False, "num"),
    ("unit_price", False, "num"),
)


@dataclass
class CreateRequest:
    ref_code: str
    cod_value: Number
    pickup_address: JsonObject
    recipient: JsonObject
    items: list[JsonObject]
    eta_at: datetime
    etd_at: datetime


def parse_object(raw: bytes) -> JsonObject:
    """The body as a JSON object, or the 400 "invalid json" error."""
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except ValueError as exc:
        raise invalid_json() from exc
    if not isinstance(body, dict):
        raise invalid_json()
    return body


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_FURTHEST_MOVE = timedelta(days=366)


class Validator:
    def __init__(self) -> None:
        self.errors: Errors = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    def string(self, raw: JsonObject, key: str, path: str, *, required: bool) -> str | None:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(path, "is required")
            return value if isinstance(value, str) else None
        if not isinstance(value, str):
            self.add(path, "must be a string")
            return None
        return value

    def number(
        self, raw: JsonObject, key: str, path: str, *, required: bool, minimum: float | None = None
    ) -> Number | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.add(path, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(path, "must be a number")
            return None
        if minimum is not None and value < minimum:
            self.add(path, f"must be greater than or equal to {minimum:g}")
            return None
        return value

    def datetime(self, raw: JsonObject, key: str, path: str) -> datetime | None:
        value = raw.get(key)
        if value is None or value == "":
            self.add(path, "is required")
            return None
        if not isinstance(value, str) or not _ISO_DATETIME.match(value):
            self.add(path, "must be an ISO 8601 date time")
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.add(path, "must be an ISO 8601 date time")
            return None
        if parsed.tzinfo is None:
            self.add(path, "must include a time zone offset")
            return None
        try:
            # Kept in UTC and moved by days at most a year (a resend); year 9999 cannot be.
            parsed.astimezone(UTC) + _FURTHEST_MOVE
        except OverflowError:
            self.add(path, "is out of range")
            return None
        return parsed

    def obj(self, raw: JsonObject, key: str, path: str, *, required: bool) -> JsonObject | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.add(path, "is required")
            return None
        if not isinstance(value, dict):
            self.add(path, "must be an object")
            return None
        return value

    def fields(
        self, raw: JsonObject, spec: tuple[tuple[str, bool, str], ...], prefix: str
    ) -> JsonObject:
        """The spec's fields of ``raw`` (absent optional ones left out), checking each."""
        out: JsonObject = {}
        for key, required, kind in spec:
            path = f"{prefix}.{key}"
            if kind == "str":
                value: Any = self.string(raw, key, path, required=required)
            else:
                value = self.number(raw, key, path, required=required)
            if value is not None:
                out[key] = value
        return out

    def items(self, raw: JsonObject) -> list[JsonObject]:
        value = raw.get("items")
        if value is None:
            return []
        if not isinstance(value, list):
            self.add("items", "must be an array")
            return []
        items: list[JsonObject] = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                self.add(f"items.{index}", "must be an object")
                continue
            items.append(self.fields(item, ITEM_FIELDS, f"items.{index}"))
        return items


def validate_create(body: JsonObject) -> CreateRequest:
    v = Validator()
    ref_code = v.string(body, "ref_code", "ref_code", required=True)
    cod_value = v.number(body, "cod_value", "cod_value", required=False, minimum=0)
    pickup = v.obj(body, "pickup_address", "pickup_address", required=True)
    pickup_fields = v.fields(pickup, PICKUP_FIELDS, "pickup_address") if pickup is not None else {}
    recipient = v.obj(body, "recipient", "recipient", required=True)
    recipient_fields = (
        v.fields(recipient, RECIPIENT_FIELDS, "recipient") if recipient is not None else {}
    )
    items = v.items(body)
    eta_at = v.datetime(body, "eta_at", "eta_at")
    etd_at = v.datetime(body, "etd_at", "etd_at")
    v.check()
    assert ref_code is not None and eta_at is not None and etd_at is not None
    return CreateRequest(
        ref_code=ref_code,
        cod_value=cod_value or 0,
        pickup_address=pickup_fields,
        recipient=recipient_fields,
        items=items,
        eta_at=eta_at,
        etd_at=etd_at,
    )


def validate_update(body: JsonObject) -> tuple[str, Number | None]:
    v = Validator()
    ref_code = v.string(body, "ref_code", "ref_code", required=True)
    cod_value = v.number(body, "cod_value", "cod_value", required=False, minimum=0)
    v.check()
    assert ref_code is not None
    return ref_code, cod_value


def validate_cancel(body: JsonObject) -> tuple[str, str]:
    v = Validator()
    code = v.string(body, "code", "code", required=True)
    ref_code = v.string(body, "ref_code", "ref_code", required=True)
    v.check()
    assert code is not None and ref_code is not None
    return code, ref_code
