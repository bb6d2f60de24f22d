"""The terms a shipment is found by and the prefixes a search looks for."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shipgraph.domain import Address
from shipgraph.store.base import ShipmentFilter
from shipgraph.store.search import (
    MAX_TERM,
    SEPARATOR,
    name_terms,
    phone_terms,
    search_prefixes,
    search_terms,
    search_text,
    successor,
)
from tests.store.shipments import shipment


@pytest.mark.parametrize(
    ("phone", "country", "terms"),
    [
        ("+62 812-3456", "ID", {"628123456", "08123456", "8123456"}),
        ("0812 3456", "ID", {"08123456", "8123456", "628123456"}),
        ("(0917) 555", "PH", {"0917555", "917555", "63917555"}),
        ("0812", "XX", {"0812", "812"}),  # no calling code known: no international form
        ("812", "ID", {"812", "0812", "62812"}),  # without its trunk 0
        ("812", None, {"812"}),  # neither, and no country: as written
        ("n/a", "ID", set()),
        ("", "ID", set()),
        (None, "ID", set()),
        ("٠٨١٢", "ID", set()),  # only ASCII digits are a phone's
    ],
)
def test_phone_terms(phone: str | None, country: str | None, terms: set[str]) -> None:
    assert phone_terms(phone, country) == terms


def test_name_terms_start_at_each_word() -> None:
    assert name_terms("Budi  Santoso Putra") == {"budi santoso putra", "santoso putra", "putra"}
    assert name_terms(None) == set() == name_terms("   ")


def test_search_terms_of_a_shipment() -> None:
    recipient = Address(line1="x", country_code="ID", name="Ana", phone="0812")
    made = replace(shipment("s1", reference="SO-1", tracking_number="TN-9"), destination=recipient)
    assert search_terms(made) == {"so-1", "tn-9", "ana", "0812", "812", "62812"}
    long = replace(made, reference="R" * 500)
    assert "r" * MAX_TERM in search_terms(long)
    odd = replace(made, reference=f"a{SEPARATOR}b", destination=replace(recipient, name="a\x00"))
    assert search_terms(odd) == {"tn-9", "0812", "812", "62812"}
    assert search_text({"b", "a"}) == f"{SEPARATOR}a{SEPARATOR}b"


@pytest.mark.parametrize(
    ("text", "prefixes"),
    [
        ("SO-1", {"so-1"}),
        ("  Budi   SANT ", {"budi sant"}),
        ("+62 812", {"+62 812", "62812"}),
        ("0812", {"0812"}),
        ("(0812) 34", {"(0812) 34", "081234"}),
        ("+-()", {"+-()"}),
        ("", set()),
        ("   ", set()),
        ("x" * 150, {"x" * MAX_TERM}),
    ],
)
def test_search_prefixes(text: str, prefixes: set[str]) -> None:
    assert search_prefixes(text) == prefixes


@pytest.mark.parametrize(
    ("prefix", "after"),
    [
        ("ab", "ac"),
        ("a\U0010ffff", "b"),
        ("\U0010ffff", None),
        ("a\ud7ff", "a\ue000"),
        ("", None),
    ],
)
def test_successor(prefix: str, after: str | None) -> None:
    assert successor(prefix) == after


def test_the_filter_checks_a_search_as_the_index_does() -> None:
    recipient = Address(line1="x", country_code="ID", name="Budi Santoso", phone="+62 812")
    made = replace(shipment("s1", reference="SO-1"), destination=recipient)
    assert ShipmentFilter(search="sant").matches(made)
    assert ShipmentFilter(search="0812").matches(made)
    assert ShipmentFilter(search=" ").matches(made)
    assert not ShipmentFilter(search="anto").matches(made)
