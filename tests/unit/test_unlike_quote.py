"""A carrier's draft is bought as it was quoted: which fields of a booking differ."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from shipgraph.domain import QUOTED_FIELDS, Money, unlike_quote
from tests.support.builders import doc_request, shipment

REQUEST = doc_request(cash_on_delivery=None)
DRAFT = shipment(**{name: getattr(REQUEST, name) for name in QUOTED_FIELDS})


def test_the_quoted_shipment_is_like_its_quote() -> None:
    assert unlike_quote(DRAFT, REQUEST) == []
    assert unlike_quote(DRAFT, replace(REQUEST, carrier_options={"ENVOY": {"x": 1}})) == []


def test_each_changed_field_is_named_in_order() -> None:
    moved = replace(REQUEST.destination, phone="6281111111111")
    changed = replace(
        REQUEST,
        reference="OTHER",
        destination=moved,
        parcels=REQUEST.parcels[:0],
        declared_value=Money(Decimal("100"), "IDR"),
    )
    assert unlike_quote(DRAFT, changed) == [
        "reference",
        "destination",
        "parcels",
        "declared_value",
    ]
