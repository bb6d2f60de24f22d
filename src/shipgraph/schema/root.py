"""Query, Mutation and Subscription: each field hands over to a resolver.

Resolvers return domain values; the ``cast`` calls tell the type checker that
Strawberry will read them through the GraphQL types, whose fields share their names.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any, cast

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from shipgraph import domain
from shipgraph.domain import Capability, CarrierCode, ShipmentStatus
from shipgraph.resolvers.context import RequestContext
from shipgraph.resolvers.errors import (
    unauthenticated,
)
from shipgraph.resolvers.places import matching, required
from shipgraph.resolvers.queries import (
    carriers,
    list_shipments,
    quote,
    track,
    validation_error,
)
from shipgraph.resolvers.shipments import Outcome, ShipmentService
from shipgraph.resolvers.subscriptions import courier_positions, shipment_updates
from shipgraph.schema import inputs, types

Ctx = Info[RequestContext, None]


def _tenant(info: Ctx) -> str:
    tenant = info.context.tenant
    if tenant is None:
        raise unauthenticated()
    return tenant


def _service(info: Ctx) -> ShipmentService:
    return ShipmentService(info.context.services, _tenant(info))


def _errors(outcome: Outcome) -> list[types.UserError]:
    return cast(list[types.UserError], list(outcome.errors))


def _arguments(info: Ctx) -> dict[str, Any]:
    """The arguments the query wrote on this field (a default is not written)."""
    for field in info.selected_fields:
        if isinstance(field, SelectedField):
            return dict(field.arguments)
    return {}


def _shipment(value: domain.Shipment | None) -> types.Shipment | None:
    return cast(types.Shipment | None, value)


@strawberry.type
class Query:
    @strawberry.field
    async def node(self, info: Ctx, id: strawberry.ID) -> types.Node | None:
        _tenant(info)
        return cast(types.Node | None, await info.context.loaders.shipment.load(str(id)))

    @strawberry.field
    async def carriers(self, info: Ctx) -> list[types.Carrier]:
        _tenant(info)
        return cast(list[types.Carrier], await carriers(info.context.services))

    @strawberry.field
    async def shipment(self, info: Ctx, id: strawberry.ID) -> types.Shipment | None:
        _tenant(info)
        return _shipment(await info.context.loaders.shipment.load(str(id)))

    @strawberry.field(
        description="The caller's shipments, newest first unless orderBy says otherwise. "
        "Relay pagination: first and after read forwards, last and before backwards; pass "
        "one of first and last, not both."
    )
    async def shipments(
        self,
        info: Ctx,
        first: int | None = 20,
        after: str | None = None,
        filter: inputs.ShipmentFilter | None = None,
        last: Annotated[
            int | None,
            strawberry.argument(
                description="The last this many shipments before the cursor before (or "
                "the end of the listing), still in the listing's order; 0 to 100. Not with "
                "first."
            ),
        ] = None,
        before: Annotated[
            str | None,
            strawberry.argument(
                description="A cursor from this listing: the page ends right before it. "
                "Goes with last."
            ),
        ] = None,
        order_by: Annotated[
            inputs.ShipmentOrder,
            strawberry.argument(description="The listing's order; newest first by default."),
        ] = inputs.ShipmentOrder.NEWEST_FIRST,
    ) -> types.ShipmentConnection:
        filter = filter or inputs.ShipmentFilter()
        asked = _arguments(info)
        forward = first if asked.get("first") is not None or last is None else None
        listing = await list_shipments(
            info.context.services,
            _tenant(info),
            forward,
            after,
            last=last,
            before=before,
            order=order_by.to_domain(),
            carrier=filter.carrier,
            statuses=filter.status,
            reference=filter.reference,
            tracking_number=filter.tracking_number,
            created_after=filter.created_after,
            created_before=filter.created_before,
            search=filter.search,
        )
        info.context.listed.append(listing.read)
        page = listing.page
        edges = [
            types.ShipmentEdge(cursor=cursor, node=cast(types.Shipment, shipment))
            for shipment, cursor in zip(page.shipments, page.cursors, strict=True)
        ]
        return types.ShipmentConnection(
            edges=edges,
            page_info=types.PageInfo(
                has_next_page=listing.has_next_page,
                has_previous_page=listing.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            counter=listing.count,
        )

    @strawberry.field(
        description="Ask carriers for offers concurrently; one failing carrier never hides "
        "the others."
    )
    async def rates(self, info: Ctx, input: inputs.RatesInput) -> types.RateQuote:
        tenant = _tenant(info)
        request = input.shipment.to_domain()
        now = info.context.services.clock()
        invalid = validation_error(request, now, ("input", "shipment"))
        if invalid is not None:
            raise invalid
        rates, errors = await quote(info.context.services, tenant, request, input.carriers)
        return types.RateQuote(
            rates=cast(list[types.Rate], rates), errors=cast(list[types.CarrierError], errors)
        )

    @strawberry.field
    async def track(
        self, info: Ctx, carrier: CarrierCode, tracking_number: str
    ) -> types.Tracking | None:
        result = await track(info.context.services, _tenant(info), carrier, tracking_number)
        return cast(types.Tracking | None, result)

    @strawberry.field(
        description="Administrative places, cached. Without parentId: the top level (provinces)."
    )
    async def locations(
        self,
        info: Ctx,
        carrier: CarrierCode = CarrierCode.ENTREGO,
        parent_id: strawberry.ID | None = None,
        search: str | None = None,
    ) -> list[types.Location]:
        _tenant(info)
        places = info.context.places(carrier, Capability.LOCATIONS)
        found = await places.under(str(parent_id) if parent_id is not None else None)
        return cast(list[types.Location], matching(found, search))

    @strawberry.field
    async def port_codes(
        self,
        info: Ctx,
        carrier: CarrierCode = CarrierCode.ENTREGO,
        island: str | None = None,
    ) -> list[types.PortCode]:
        _tenant(info)
        places = info.context.places(carrier, Capability.LOCATIONS)
        return cast(list[types.PortCode], await places.port_codes(island))

    @strawberry.field(description="The port code (barangay cluster) serving a place.")
    async def port_code_for(
        self,
        info: Ctx,
        province: str,
        city: str,
        carrier: CarrierCode = CarrierCode.ENTREGO,
        barangay: str | None = None,
    ) -> types.PortCode | None:
        _tenant(info)
        places = info.context.places(carrier, Capability.LOCATIONS)
        found = await places.port_code_for(
            required(province, "province"), required(city, "city"), barangay
        )
        return cast(types.PortCode | None, found)

    @strawberry.field(description="Split a one-line address into province and city.")
    async def clean_address(
        self,
        info: Ctx,
        address: str,
        carrier: CarrierCode = CarrierCode.ENTREGO,
    ) -> types.CleanedAddress | None:
        _tenant(info)
        places = info.context.places(carrier, Capability.ADDRESS_CLEANUP)
        cleaned = await places.clean_address(required(address, "address"))
        return cast(types.CleanedAddress | None, cleaned)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_shipment(
        self, info: Ctx, input: inputs.CreateShipmentInput
    ) -> types.CreateShipmentPayload:
        outcome = await _service(info).create(
            input.shipment.to_domain(),
            input.carrier,
            str(input.rate_id) if input.rate_id is not None else None,
            input.idempotency_key,
        )
        return types.CreateShipmentPayload(
            shipment=_shipment(outcome.shipment), user_errors=_errors(outcome)
        )

    @strawberry.mutation
    async def update_shipment(
        self, info: Ctx, input: inputs.UpdateShipmentInput
    ) -> types.UpdateShipmentPayload:
        outcome = await _service(info).update(
            str(input.id), input.patch.to_domain(), input.expected_version
        )
        return types.UpdateShipmentPayload(
            shipment=_shipment(outcome.shipment), user_errors=_errors(outcome)
        )

    @strawberry.mutation
    async def cancel_shipment(
        self, info: Ctx, input: inputs.CancelShipmentInput
    ) -> types.CancelShipmentPayload:
        outcome = await _service(info).cancel(str(input.id), input.reason)
        return types.CancelShipmentPayload(
            shipment=_shipment(outcome.shipment), user_errors=_errors(outcome)
        )

    @strawberry.mutation(
        description="Fetch labels or waybills, batching per carrier where the carrier allows."
    )
    async def labels(self, info: Ctx, input: inputs.LabelsInput) -> types.LabelsPayload:
        format = input.format or domain.DocumentFormat.PDF
        labels, errors = await _service(info).labels([str(i) for i in input.ids], format)
        return types.LabelsPayload(
            labels=[
                types.ShipmentDocuments(
                    shipment=cast(types.Shipment, shipment),
                    documents=cast(list[types.Document], documents),
                )
                for shipment, documents in labels
            ],
            user_errors=cast(list[types.UserError], errors),
        )

    @strawberry.mutation(description="Pull the latest state from the carrier now and merge it.")
    async def refresh_shipment(self, info: Ctx, id: strawberry.ID) -> types.Shipment | None:
        return _shipment(await _service(info).refresh(str(id)))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Changes to the caller's shipments: one shipment by id, or all, narrowed "
        "by carrier and status."
    )
    async def shipment_updated(
        self,
        info: Ctx,
        id: strawberry.ID | None = None,
        carrier: CarrierCode | None = None,
        statuses: list[ShipmentStatus] | None = None,
    ) -> AsyncGenerator[types.ShipmentEvent, None]:
        events = shipment_updates(
            info.context, str(id) if id is not None else None, carrier, statuses
        )
        async for event in events:
            yield cast(types.ShipmentEvent, event)

    @strawberry.subscription(
        description="The courier's position while a shipment is under way, where the carrier "
        "reports it."
    )
    async def courier_location(
        self, info: Ctx, id: strawberry.ID
    ) -> AsyncGenerator[types.Courier, None]:
        async for courier in courier_positions(info.context, str(id)):
            yield cast(types.Courier, courier)
