"""Every status Envoy's simulator can give a shipment maps to a known status, read from
the simulator's own table; the simulator reaches no other; the document's examples map."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from shipgraph.carriers.envoy import EnvoyPending, mapping
from shipgraph.carriers.envoy.models import summary_of
from shipgraph.domain import ShipmentStatus, TrackingLog, TrackingUpdate, apply_update
from shipgraph.sandbox.envoy.model import STATUSES
from shipgraph.sandbox.envoy.state import EnvoySandboxState
from tests.support.builders import shipment
from tests.support.fixtures import FIXTURES, fixture

NOW = datetime(2024, 6, 18, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", STATUSES)
def test_every_simulated_status_is_mapped(value: str) -> None:
    assert mapping.status_of(value) != (ShipmentStatus.UNKNOWN, value)


async def test_the_simulator_reaches_exactly_the_statuses_it_lists() -> None:
    state = EnvoySandboxState(access_token="t", async_delay_s=3600)
    request = fixture("envoy", "create_request")
    seen: set[str] = set()

    rated = await state.create(request, None)
    seen.add(rated.status)
    state.async_remaining = 1
    pending = await state.create(request, None)
    seen.add(pending.status)
    seen.add((await state.complete(pending.id)).status)
    state.quoting = dict.fromkeys(state.quoting, False)
    seen.add((await state.create(request, None)).status)
    assert rated.rates
    seen.add((await state.purchase(rated.id, rated.rates[0]["id"])).status)

    assert seen == set(STATUSES)


# --- the document's examples ----------------------------------------------------------------


def document_shipments() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every shipment in the document's examples (single answers and the list's data)."""
    for path in sorted((FIXTURES / "envoy").glob("*.json")):
        data = fixture("envoy", path.stem)
        if not isinstance(data, dict):
            continue
        listed = data.get("data") if isinstance(data.get("data"), list) else [data]
        for index, entry in enumerate(listed):
            if isinstance(entry, dict) and "status" in entry and "id" in entry:
                yield f"{path.stem}[{index}]", entry


DOCUMENT_SHIPMENTS = dict(document_shipments())


def test_the_examples_hold_shipments() -> None:
    assert {"shipment_model[0]", "get_response[0]", "list_response[0]"} <= set(DOCUMENT_SHIPMENTS)


@pytest.mark.parametrize("name", DOCUMENT_SHIPMENTS)
def test_every_status_in_the_documents_examples_is_mapped(name: str) -> None:
    summary = summary_of(b"k", DOCUMENT_SHIPMENTS[name])
    assert summary is not None
    assert (summary.status, summary.carrier_status) == (ShipmentStatus.CREATED, "purchased")


def test_the_documents_manifest_statuses_are_mapped() -> None:
    """The only status list the document gives (Manifest Model: "creating, created or
    failed"); its example says "created"."""
    assert fixture("envoy", "shipment_model")["status"] == "purchased"
    for value in ("creating", "created", "failed"):
        assert mapping.status_of(value) == (ShipmentStatus.DRAFT, value)


# --- a pending draft, read again ------------------------------------------------------------


@pytest.mark.parametrize("value", ["creating", "rated", "failed"])
def test_a_pending_draft_stays_a_draft_when_read_again(value: str) -> None:
    pending = EnvoyPending("shp_0ujzPyRiIAffKhBux4PvQdDqMHY").pending
    assert pending is not None
    draft = shipment(
        carrier=mapping.CARRIER,
        tracking_number=None,
        carrier_shipment_id=pending.carrier_shipment_id,
        status=pending.status,
        carrier_status=pending.carrier_status,
    )
    status, raw = mapping.status_of(value)
    read = TrackingUpdate(
        carrier=mapping.CARRIER,
        event_id=f"envoy:{value}",
        carrier_shipment_id=pending.carrier_shipment_id,
        status=status,
        carrier_status=raw,
        log=TrackingLog(status=status, carrier_status=raw, occurred_at=NOW),
    )
    updated, _ = apply_update(draft, read, NOW)
    assert (updated.status, updated.carrier_status) == (ShipmentStatus.DRAFT, value)
