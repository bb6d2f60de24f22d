"""Free-text search of a tenant's shipments by prefix: the terms a shipment is found
by, and what a search for some text looks for. Shared by the SQL store (its term
table and the migration that fills it) and ``ShipmentFilter.matches``, so the index
and the check of a decoded shipment cannot disagree.

A shipment is found by a prefix of: its reference, its tracking number, its
recipient's name (from the start of any word of it), and its recipient's phone as
digits, written internationally or nationally (``+62 812-3456`` is found by
``62812``, ``0812`` and ``812``). Text is compared case-folded (``str.lower``) and
by code point, so a prefix is a range of terms: ``prefix <= term < successor``.
"""

from __future__ import annotations

import phonenumbers

from shipgraph.domain import Shipment

MAX_TERM = 100
"""Characters of a term kept (longer text is found by its first MAX_TERM); a search
longer than that is refused by the API."""


SEPARATOR = "\x1f"
"""Before each term in a shipment's search_text: a term starts with a prefix when
the text holds SEPARATOR + prefix."""
_PHONE_PUNCTUATION = set(" +-().")
_MAX_CODE_POINT = 0x10FFFF


def digits(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isdigit())


def phone_terms(phone: str | None, country_code: str | None) -> set[str]:
    """The digit strings a phone number is found by: as written (digits only), and
    with and without its country's calling code or trunk 0 (for a country whose
    calling code is known, digits with neither are taken as the national number)."""
    if not phone:
        return set()
    written = digits(phone)
    if not written:
        return set()
    found = {written}
    code = _calling_code(country_code)
    national = None
    if code is not None and written.startswith(code):
        national = written[len(code) :]
    elif written.startswith("0"):
        national = written.lstrip("0")
    elif code is not None:
        national = written  # written without its trunk 0 (812...)
    if national:
        found |= {national, "0" + national}
        if code is not None:
            found.add(code + national)
    return found


def _calling_code(country_code: str | None) -> str | None:
    """The country's calling code (libphonenumber's table), so that a national number
    (0812...) is also found by its international form and back; None when unknown."""
    code = phonenumbers.country_code_for_region((country_code or "").upper())
    return str(code) if code else None


def name_terms(name: str | None) -> set[str]:
    """A name, case-folded, from the start of each of its words ("budi santoso",
    "santoso"): a recipient is found by their first name or their last."""
    if not name:
        return set()
    words = name.lower().split()
    return {" ".join(words[n:]) for n in range(len(words))}


def search_terms(shipment: Shipment) -> set[str]:
    """Every term the shipment is found by, each at most MAX_TERM characters (text a
    database column cannot hold, a NUL or a lone surrogate, is no term, nor text
    holding SEPARATOR)."""
    recipient = shipment.destination
    terms = {shipment.reference.lower()}
    if shipment.tracking_number:
        terms.add(shipment.tracking_number.lower())
    terms |= name_terms(recipient.name)
    terms |= phone_terms(recipient.phone, recipient.country_code)
    return {term[:MAX_TERM] for term in terms if term.strip() and _storable(term)}


def search_text(terms: set[str]) -> str:
    """The terms in one text, each after SEPARATOR (which no term holds)."""
    return "".join(SEPARATOR + term for term in sorted(terms))


def _storable(text: str) -> bool:
    if "\x00" in text or SEPARATOR in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def search_prefixes(text: str) -> set[str]:
    """The prefixes a search for ``text`` looks for (any one matching is a match):
    the text case-folded with its spaces collapsed, and for text that reads as a
    phone number (digits and + - ( ) . and spaces only) its digits. Empty for blank
    text, which matches every shipment."""
    words = text.lower().split()
    if not words:
        return set()
    prefixes = {" ".join(words)[:MAX_TERM]}
    if all(c in _PHONE_PUNCTUATION or (c.isascii() and c.isdigit()) for c in text):
        number = digits(text)
        if number:
            prefixes.add(number[:MAX_TERM])
    return prefixes


def matches(prefixes: set[str], shipment: Shipment) -> bool:
    """True when one of the shipment's terms starts with one of the prefixes."""
    if not prefixes:
        return True
    return any(term.startswith(p) for term in search_terms(shipment) for p in prefixes)


def successor(prefix: str) -> str | None:
    """The least text greater than every text starting with ``prefix`` (None when
    there is none): the exclusive upper bound of the prefix's range of terms."""
    while prefix:
        last = ord(prefix[-1])
        if last < _MAX_CODE_POINT:
            following = last + 1
            if 0xD800 <= following <= 0xDFFF:  # surrogates are never stored
                following = 0xE000
            return prefix[:-1] + chr(following)
        prefix = prefix[:-1]
    return None
