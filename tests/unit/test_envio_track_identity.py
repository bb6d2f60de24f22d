"""Envio's tracking answer names the shipment: its id and code, not the string asked."""

from __future__ import annotations

from typing import Any

import pytest

from shipgraph.carriers.base import CarrierError
from shipgraph.domain import CarrierCode, ErrorCode
from tests.store.shipments import shipment
from tests.support.carriers import envio_answering as carrier
from tests.support.fixtures import fixture


def tracked() -> dict[str, Any]:
    data: dict[str, Any] = fixture("envio", "tracking_response")["data"]
    return data


async def test_track_by_reference_reports_the_shipments_own_id_and_code() -> None:
    tracking = await carrier(tracked()).track("ID_SO20230726000386")
    assert tracking.carrier_shipment_id == "53ab0a61-508d-4094-aa61-b4dbce0bd2d2"
    assert tracking.tracking_number == "S4563844412"


@pytest.mark.parametrize("missing", ["id", "code"])
async def test_an_answer_that_names_no_shipment_is_not_trusted(missing: str) -> None:
    data = {k: v for k, v in tracked().items() if k != missing}
    with pytest.raises(CarrierError) as caught:
        await carrier(data).track("S4563844412")
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE


async def test_refresh_refuses_an_answer_about_another_shipment() -> None:
    mine = shipment(
        "a",
        carrier=CarrierCode.ENVIO,
        carrier_shipment_id="other-id",
        tracking_number="S4563844412",
    )
    with pytest.raises(CarrierError) as caught:
        await carrier(tracked()).refresh(mine)
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE
    same = shipment(
        "a",
        carrier=CarrierCode.ENVIO,
        carrier_shipment_id="53ab0a61-508d-4094-aa61-b4dbce0bd2d2",
        tracking_number="S4563844412",
    )
    assert (await carrier(tracked()).refresh(same)).carrier_shipment_id == same.carrier_shipment_id
