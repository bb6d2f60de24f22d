"""What Envio says after booking that a COD merchant reconciles on: the cash collected
(cod_status with cod_value), proof-of-delivery photos, the actual pick-up time, and an
item's own size, each fed by envio.md's own examples."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from shipgraph.carriers.envio import mapping, webhooks
from shipgraph.domain import (
    CodCollection,
    CodStatus,
    Money,
    Parcel,
    ParcelItem,
    ProofOfDelivery,
    apply_update,
)
from tests.store.shipments import shipment
from tests.support.carriers import envio_answering as answering
from tests.support.fixtures import fixture, fixture_bytes

RECEIVED = datetime(2023, 6, 10, tzinfo=UTC)
IDR = "IDR"
RUPIAH = Money(Decimal(23000), IDR)


def parsed(name: str, **changes: Any) -> Any:
    body = {**fixture("envio", name), **changes}
    return webhooks.parse(json.dumps(body).encode(), RECEIVED)[0]


def test_the_delivered_example_gives_photos_recipient_and_cash_collected() -> None:
    update = webhooks.parse(fixture_bytes("envio", "webhook_delivered"), RECEIVED)[0]
    assert update.proof_of_delivery == ProofOfDelivery(
        photo_urls=("https://xxxx.png", "https://yyyy.png"),
        recipient_name="Robert",
        recorded_at=datetime(2023, 6, 9, 23, tzinfo=UTC),
    )
    assert update.cod_collection == CodCollection(
        CodStatus.COLLECTED, "collected", Money(Decimal(23000), IDR)
    )


def test_the_pick_up_example_gives_the_actual_pick_up_time() -> None:
    update = webhooks.parse(fixture_bytes("envio", "webhook_picked_up"), RECEIVED)[0]
    assert update.picked_up_at == datetime(2023, 6, 9, 23, tzinfo=UTC)
    assert update.proof_of_delivery is None and update.cod_collection is None


def test_only_the_delivered_event_carries_proof() -> None:
    returned = parsed("webhook_returned", images=["https://x.png"])
    assert returned.proof_of_delivery is None and returned.picked_up_at is None


@pytest.mark.parametrize(
    ("images", "photos"),
    [
        (["https://a.png", "javascript:alert(1)", "ftp://b", 7, None, "https://c.png"],
         ("https://a.png", "https://c.png")),
        ("https://a.png", ()),
        ({"url": "https://a.png"}, ()),
        ([f"https://p/{n}.png" for n in range(500)],
         tuple(f"https://p/{n}.png" for n in range(mapping.MAX_PHOTOS))),
        (["https://" + "x" * 100_000], ()),
    ],
)  # fmt: skip
def test_hostile_images_keep_only_http_urls_and_a_bounded_few(
    images: object, photos: tuple[str, ...]
) -> None:
    update = parsed("webhook_delivered", images=images)
    assert update.proof_of_delivery is not None
    assert update.proof_of_delivery.photo_urls == photos


@pytest.mark.parametrize(
    ("status", "value", "expected"),
    [
        ("collected", 23000, CodCollection(CodStatus.COLLECTED, "collected", RUPIAH)),
        ("", 23000, CodCollection(CodStatus.NOT_COLLECTED, "", RUPIAH)),
        ("", 0, None),  # the document: '' is "no cod or not collected"; no amount, no COD
        ("", None, None),
        (None, 23000, None),
        ("lost", 23000, None),  # not a word of the document: no claim either way
        (["collected"], 23000, None),
        ("collected", "NaN", CodCollection(CodStatus.COLLECTED, "collected", None)),
    ],
)  # fmt: skip
def test_cod_status_as_the_document_lists_it(
    status: object, value: object, expected: CodCollection | None
) -> None:
    assert mapping.cod_collection(status, value) == expected


async def test_a_tracking_read_gives_the_pick_up_time_and_the_cash_collected() -> None:
    data = fixture("envio", "tracking_response")["data"]
    envio = answering(data)
    ours = shipment("a", carrier_shipment_id=data["id"], tracking_number=data["code"])
    update = await envio.refresh(ours)
    assert update.picked_up_at == datetime(2023, 6, 8, 19, tzinfo=UTC)
    assert update.cod_collection == CodCollection(
        CodStatus.COLLECTED, "collected", Money(Decimal(23000), IDR)
    )
    merged, _ = apply_update(ours, update, RECEIVED)
    assert merged.picked_up_at == update.picked_up_at
    assert merged.cod_collection == update.cod_collection


def test_the_item_example_changes_the_items_size() -> None:
    update = webhooks.parse(fixture_bytes("envio", "webhook_item"), RECEIVED)[0]
    assert update.item is not None
    assert (update.item.length_cm, update.item.height_cm, update.item.width_cm) == (10, 20, 30)
    water = ParcelItem(name="Air Mineral 300 ML", quantity=1, sku="2192x127y", weight_kg=1)
    ours = replace(shipment("a"), parcels=(Parcel(weight_kg=1, items=(water,)),))
    merged, _ = apply_update(ours, update, RECEIVED)
    item = merged.parcels[0].items[0]
    assert (item.quantity, item.weight_kg) == (2, 10)
    assert (item.length_cm, item.height_cm, item.width_cm) == (10, 20, 30)


def test_an_item_event_without_sizes_keeps_the_known_ones() -> None:
    body = fixture("envio", "webhook_item")
    body["item"] = {k: v for k, v in body["item"].items() if k not in ("long", "high", "wide")}
    update = webhooks.parse(json.dumps(body).encode(), RECEIVED)[0]
    sized = ParcelItem(name="Air Mineral 300 ML", quantity=1, sku="2192x127y", length_cm=5)
    ours = replace(shipment("a"), parcels=(Parcel(items=(sized,)),))
    merged, _ = apply_update(ours, update, RECEIVED)
    assert merged.parcels[0].items[0].length_cm == 5


@pytest.mark.parametrize("side", [-1, 1e9, "ten", True, [10]])
def test_a_hostile_size_is_dropped(side: object) -> None:
    body = fixture("envio", "webhook_item")
    body["item"]["long"] = side
    update = webhooks.parse(json.dumps(body).encode(), RECEIVED)[0]
    assert update.item is not None and update.item.length_cm is None


@pytest.mark.parametrize(("status", "recipient"), [("delivered", "Robert"), ("returned", None)])
async def test_a_tracking_reads_received_by_is_a_recipient_only_once_delivered(
    status: str, recipient: str | None
) -> None:
    """Shipment Tracking's received_by, as the callbacks give it: the "Delivered" one's
    is the recipient, a "Returned" one's whoever took the goods back."""
    data = {**fixture("envio", "tracking_response")["data"], "status": status}
    envio = answering(data)
    ours = shipment("a", carrier_shipment_id=data["id"], tracking_number=data["code"])
    assert (await envio.refresh(ours)).received_by == recipient
    assert (await envio.track(data["code"])).received_by == recipient


async def test_a_read_that_only_adds_the_cash_collected_is_applied() -> None:
    """Shipment Tracking's cod_status: '' (not collected by envio), then collected."""
    data = fixture("envio", "tracking_response")["data"]
    ours = shipment("a", carrier_shipment_id=data["id"], tracking_number=data["code"])
    before = await answering({**data, "cod_status": ""}).refresh(ours)
    ours, _ = apply_update(ours, before, RECEIVED)
    assert ours.cod_collection == CodCollection(CodStatus.NOT_COLLECTED, "", RUPIAH)
    after = await answering(data).refresh(ours)
    ours, event = apply_update(ours, after, RECEIVED)
    assert event is not None
    assert ours.cod_collection == CodCollection(CodStatus.COLLECTED, "collected", RUPIAH)
    again = await answering(data).refresh(ours)
    assert apply_update(ours, again, RECEIVED) == (ours, None)
