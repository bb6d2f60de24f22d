"""Live changes of the caller's shipments, from the event bus."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection

from shipgraph.carriers.base import CarrierError
from shipgraph.domain import (
    Capability,
    CarrierCode,
    Courier,
    ErrorCode,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
)
from shipgraph.events.base import SubscriberOverflow
from shipgraph.resolvers.context import RequestContext
from shipgraph.resolvers.errors import api_error, from_carrier_error, unauthenticated


async def shipment_updates(
    context: RequestContext,
    shipment_id: str | None,
    carrier: CarrierCode | None,
    statuses: Collection[ShipmentStatus] | None,
) -> AsyncIterator[ShipmentEvent]:
    tenant = context.tenant
    if tenant is None:
        raise unauthenticated()
    services = context.services
    if shipment_id is not None and await services.store.get(tenant, shipment_id) is None:
        raise api_error(ErrorCode.NOT_FOUND, f"no shipment {shipment_id}")
    wanted = frozenset(statuses) if statuses else None
    async with services.bus.subscribe(tenant) as events:
        try:
            async for event in events:
                shipment = event.shipment
                if shipment.tenant != tenant:
                    continue
                if shipment_id is not None and shipment.id != shipment_id:
                    continue
                if carrier is not None and shipment.carrier != carrier:
                    continue
                if wanted is not None and shipment.status not in wanted:
                    continue
                context.fresh_loaders()
                yield event
        except SubscriberOverflow:
            raise api_error(
                "SUBSCRIBER_TOO_SLOW",
                "events arrived faster than this subscription read them; "
                "re-read the shipments and subscribe again",
            ) from None


async def courier_positions(context: RequestContext, shipment_id: str) -> AsyncIterator[Courier]:
    """Positions while the shipment is under way; the stream ends when it is finished."""
    tenant = context.tenant
    if tenant is None:
        raise unauthenticated()
    services = context.services
    shipment = await services.store.get(tenant, shipment_id)
    if shipment is None:
        raise api_error(ErrorCode.NOT_FOUND, f"no shipment {shipment_id}")
    try:
        carrier = services.registry.get(shipment.carrier, Capability.COURIER_LOCATION)
    except CarrierError as error:
        raise from_carrier_error(error) from None

    async def reload(current: Shipment) -> Shipment | None:
        return await services.store.get(current.tenant, current.id)

    async with services.courier_watch.watch(shipment, carrier.courier, reload) as positions:
        try:
            async for courier in positions:
                yield courier
        except CarrierError as error:
            raise from_carrier_error(error) from None
