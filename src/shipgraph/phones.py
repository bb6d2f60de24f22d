"""Phone numbers as people type them, parsed once into E.164 (``+6281234567890``).

An address's phone is parsed with the address's country as the region a national
number (``0812 3456 7890``) belongs to, and kept in E.164: each carrier writes its
own format from that one form. The parsing is libphonenumber's (``phonenumbers``),
whose metadata knows every country's numbering plan.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

MAX_PHONE = 32
"""Characters of a phone as typed: E.164 has at most 15 digits, and 32 leave room
for spaces and punctuation. Longer text is refused before it is parsed."""

_WRITTEN = re.compile(r"\+?[0-9 ().\-]+")
"""ASCII digits, an optional leading + and the punctuation people write between
them: no letters (libphonenumber would read ``1-800-FLOWERS`` as digits), no
extensions, no other scripts' digits."""


class InvalidPhone(ValueError):
    """A phone that is not a number anyone can dial; its message says why, in words
    meant for the person who typed it."""


_ANY_COUNTRY = "+62 812-3456-7890 (its country code first)"


def _example(region: str | None) -> str:
    """A mobile number of ``region`` written both ways, for a message."""
    number = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    if region is None or number is None:
        return _ANY_COUNTRY
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    return f"{national} or {international}"


def to_e164(text: str, region: str | None) -> str:
    """``text`` in E.164; a number without its country code belongs to ``region``
    (ISO 3166-1 alpha-2; None when unknown: then only ``+<code>...`` numbers parse).
    Raises InvalidPhone when it is not a valid number."""
    if len(text) > MAX_PHONE:
        raise InvalidPhone(f"at most {MAX_PHONE} characters")
    if not _WRITTEN.fullmatch(text.strip()):
        raise InvalidPhone("may hold only digits 0-9, spaces, ( ) . - and a leading +")
    where = f" in {region}" if region else ""
    problem = f"is not a valid phone number{where}: write it as {_example(region)}"
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as error:
        raise InvalidPhone(problem) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(problem)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
