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
    payment_options,
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


SHIPMENT_ID = Annotated[
    strawberry.ID, strawberry.argument(description="The shipment's id (Shipment.id).")
]
ENTREGO_PLACES = strawberry.argument(
    description="Whose places: ENTREGO, the one carrier with the LOCATIONS capability."
)


@strawberry.type(
    description="Reads: carriers, the caller's shipments, rates, tracking and places. Every "
    "field needs Authorization: Bearer <api key>; without it the answer is UNAUTHENTICATED."
)
class Query:
    @strawberry.field(
        description="The object with this id (a Shipment), or null when the caller has none."
    )
    async def node(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="A Node's id.")],
    ) -> types.Node | None:
        _tenant(info)
        return cast(types.Node | None, await info.context.loaders.shipment.load(str(id)))

    @strawberry.field(
        description="Every carrier the gateway knows, enabled or not, with what it can do."
    )
    async def carriers(self, info: Ctx) -> list[types.Carrier]:
        _tenant(info)
        return cast(list[types.Carrier], await carriers(info.context.services))

    @strawberry.field(
        description="One of the caller's shipments; null when the caller has none with this id."
    )
    async def shipment(self, info: Ctx, id: SHIPMENT_ID) -> types.Shipment | None:
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
        first: Annotated[
            int | None,
            strawberry.argument(
                description="The first this many shipments after the cursor after (or the "
                "start of the listing); 0 to 100, 20 unless given. Not with last."
            ),
        ] = 20,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="A cursor from this listing (an edge's cursor, pageInfo.endCursor): "
                "the page starts right after it. Goes with first."
            ),
        ] = None,
        filter: Annotated[
            inputs.ShipmentFilter | None,
            strawberry.argument(description="Only the shipments that match; all when left out."),
        ] = None,
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
        "the others. Borzo and Envoy quote (RATES); an Envoy quote makes a DRAFT shipment, "
        "which booking one of its rates books. Invalid input is a VALIDATION error listing "
        "every field at fault in extensions.fields; a carrier's failure is an entry in errors."
    )
    async def rates(
        self,
        info: Ctx,
        input: Annotated[
            inputs.RatesInput, strawberry.argument(description="What to quote, and whom to ask.")
        ],
    ) -> types.RateQuote:
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

    @strawberry.field(
        description="Ask a carrier now about any number, booked through the gateway or not; "
        "null when the carrier does not know it or it is another tenant's shipment. Envio, "
        "Borzo and Envoy; Entrego has no lookup by number (UNSUPPORTED: use refreshShipment). "
        "A carrier's failure is a GraphQL error with its ErrorCode in extensions.code."
    )
    async def track(
        self,
        info: Ctx,
        carrier: Annotated[CarrierCode, strawberry.argument(description="The carrier to ask.")],
        tracking_number: Annotated[
            str,
            strawberry.argument(
                description="A shipment's trackingNumber, or for one booked elsewhere the "
                "carrier's own key (Envio code, Borzo order_id, Envoy shp_ id); 1 to 64 "
                "printable characters."
            ),
        ],
    ) -> types.Tracking | None:
        result = await track(info.context.services, _tenant(info), carrier, tracking_number)
        return cast(types.Tracking | None, result)

    @strawberry.field(
        description="How bookings on a carrier's account may be paid: the payment methods it "
        "may use and its saved cards (Borzo: GET client and GET bank-cards), so a booking can "
        'pay by card with carrierOptions.BORZO {payment_method: "bank_card", bank_card_id}. '
        "Other carriers answer UNSUPPORTED; a carrier's failure is a GraphQL error with its "
        "ErrorCode in extensions.code."
    )
    async def payment_options(
        self,
        info: Ctx,
        carrier: Annotated[CarrierCode, strawberry.argument(description="The carrier to ask.")],
    ) -> types.PaymentOptions:
        _tenant(info)
        found = await payment_options(info.context.services, carrier)
        return cast(types.PaymentOptions, found)

    @strawberry.field(
        description="Administrative places, cached. Without parentId: the top level (provinces)."
    )
    async def locations(
        self,
        info: Ctx,
        carrier: Annotated[CarrierCode, ENTREGO_PLACES] = CarrierCode.ENTREGO,
        parent_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="A Location's id: a province's municipalities, or a "
                "municipality's barangays."
            ),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Only the places whose name contains this text, ignoring case."
            ),
        ] = None,
    ) -> list[types.Location]:
        _tenant(info)
        places = info.context.places(carrier, Capability.LOCATIONS)
        found = await places.under(str(parent_id) if parent_id is not None else None)
        return cast(list[types.Location], matching(found, search))

    @strawberry.field(description="Entrego's port codes (hub areas), cached: all, or one island's.")
    async def port_codes(
        self,
        info: Ctx,
        carrier: Annotated[CarrierCode, ENTREGO_PLACES] = CarrierCode.ENTREGO,
        island: Annotated[
            str | None,
            strawberry.argument(
                description="Only this island group's, by name; at most 500 characters."
            ),
        ] = None,
    ) -> list[types.PortCode]:
        _tenant(info)
        places = info.context.places(carrier, Capability.LOCATIONS)
        return cast(list[types.PortCode], await places.port_codes(island))

    @strawberry.field(
        description="One province by its ISO 3166-2 code or by its name (give exactly one), "
        "cached; null when the carrier knows no such province."
    )
    async def province(
        self,
        info: Ctx,
        carrier: Annotated[CarrierCode, ENTREGO_PLACES] = CarrierCode.ENTREGO,
        iso_code: Annotated[
            str | None,
            strawberry.argument(
                description="The province's ISO 3166-2 code, e.g. PH-CEB; 1 to 500 characters."
            ),
        ] = None,
        name: Annotated[
            str | None,
            strawberry.argument(
                description="The province's name, e.g. Negros Occidental; 1 to 500 characters."
            ),
        ] = None,
    ) -> types.Location | None:
        _tenant(info)
        places = info.context.places(carrier, Capability.LOCATIONS)
        return cast(types.Location | None, await places.province(iso_code, name))

    @strawberry.field(
        description="One Entrego port code by its code, cached; null when there is no such code."
    )
    async def port_code(
        self,
        info: Ctx,
        code: Annotated[
            str,
            strawberry.argument(description="The port code, e.g. SOU; 1 to 500 characters."),
        ],
        carrier: Annotated[CarrierCode, ENTREGO_PLACES] = CarrierCode.ENTREGO,
    ) -> types.PortCode | None:
        _tenant(info)
        places = info.context.places(carrier, Capability.LOCATIONS)
        return cast(types.PortCode | None, await places.port_code(required(code, "code")))

    @strawberry.field(description="The port code (barangay cluster) serving a place.")
    async def port_code_for(
        self,
        info: Ctx,
        province: Annotated[
            str,
            strawberry.argument(
                description="The province's name, e.g. Metro Manila; 1 to 500 characters."
            ),
        ],
        city: Annotated[
            str,
            strawberry.argument(
                description="The city's or municipality's name, e.g. Quezon City; 1 to 500 "
                "characters."
            ),
        ],
        carrier: Annotated[CarrierCode, ENTREGO_PLACES] = CarrierCode.ENTREGO,
        barangay: Annotated[
            str | None,
            strawberry.argument(
                description="The barangay's name, e.g. Kamuning, for a finer answer; at most "
                "500 characters."
            ),
        ] = None,
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
        address: Annotated[
            str,
            strawberry.argument(
                description="The whole address on one line, e.g. 123 Street, Bonifacio Global "
                "City, Taguig, Metro Manila; 1 to 500 characters."
            ),
        ],
        carrier: Annotated[
            CarrierCode,
            strawberry.argument(
                description="Who splits it: ENTREGO, the one carrier with ADDRESS_CLEANUP."
            ),
        ] = CarrierCode.ENTREGO,
    ) -> types.CleanedAddress | None:
        _tenant(info)
        places = info.context.places(carrier, Capability.ADDRESS_CLEANUP)
        cleaned = await places.clean_address(required(address, "address"))
        return cast(types.CleanedAddress | None, cleaned)


CARRIER_FAILURES = "and the carrier's failures: CARRIER_UNAVAILABLE, RATE_LIMITED, CARRIER_AUTH."


@strawberry.type(
    description="Changes to the caller's shipments. Refusals come back as userErrors in the "
    "payload, each with its code and the path of the input field at fault."
)
class Mutation:
    @strawberry.mutation(
        description="Book a shipment with a carrier, or book a quoted rate. userErrors: "
        "VALIDATION (the input; carrier or rateId missing or not matching; a rate quoted for "
        "another shipment), UNSUPPORTED (the carrier cannot book it), IDEMPOTENCY_MISMATCH, "
        "CONFLICT (the same idempotencyKey still booking), DUPLICATE (the carrier has this "
        "reference already), INTERNAL (booked but not stored: the message names the "
        "carrier's id), " + CARRIER_FAILURES + " After a booking that got no answer, booking "
        "the same reference again asks the carrier first and never books twice."
    )
    async def create_shipment(
        self,
        info: Ctx,
        input: Annotated[
            inputs.CreateShipmentInput,
            strawberry.argument(description="What to book, and with whom."),
        ],
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

    @strawberry.mutation(
        description="Change a booked shipment at its carrier (Envio, Borzo, Entrego: see "
        "ShipmentPatchInput for which fields). userErrors: NOT_FOUND (id), CONFLICT "
        "(expectedVersion), VALIDATION, INVALID_STATE (the shipment is finished, or the "
        "carrier no longer allows changes), UNSUPPORTED (the carrier cannot change it or "
        "that field), " + CARRIER_FAILURES + " When the carrier keeps part of the patch, "
        "the shipment comes back with that part and userErrors name the rest."
    )
    async def update_shipment(
        self,
        info: Ctx,
        input: Annotated[
            inputs.UpdateShipmentInput, strawberry.argument(description="What to change.")
        ],
    ) -> types.UpdateShipmentPayload:
        outcome = await _service(info).update(
            str(input.id), input.patch.to_domain(), input.expected_version
        )
        return types.UpdateShipmentPayload(
            shipment=_shipment(outcome.shipment), user_errors=_errors(outcome)
        )

    @strawberry.mutation(
        description="Cancel a shipment at its carrier (Envio, Borzo; Entrego before pickup). "
        "Cancelling a CANCELLED shipment answers it again. userErrors: VALIDATION (reason), "
        "NOT_FOUND (id), INVALID_STATE (delivered, returned or lost, or too late at the "
        "carrier), UNSUPPORTED (Envoy), " + CARRIER_FAILURES
    )
    async def cancel_shipment(
        self,
        info: Ctx,
        input: Annotated[
            inputs.CancelShipmentInput, strawberry.argument(description="What to cancel.")
        ],
    ) -> types.CancelShipmentPayload:
        outcome = await _service(info).cancel(str(input.id), input.reason)
        return types.CancelShipmentPayload(
            shipment=_shipment(outcome.shipment), user_errors=_errors(outcome)
        )

    @strawberry.mutation(
        description="Fetch labels or waybills, batching per carrier where the carrier allows. "
        "userErrors: VALIDATION (more than 500 ids), NOT_FOUND (per unknown id), UNSUPPORTED "
        "(a format the carrier does not make), INVALID_STATE (an Envoy shipment not "
        "purchased), " + CARRIER_FAILURES
    )
    async def labels(
        self,
        info: Ctx,
        input: Annotated[
            inputs.LabelsInput, strawberry.argument(description="Which shipments, which format.")
        ],
    ) -> types.LabelsPayload:
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

    @strawberry.mutation(
        description="Pull the latest state from the carrier now and merge it. Null when the "
        "caller has no such shipment; a carrier's failure is a GraphQL error with its "
        "ErrorCode in extensions.code, and carrier and retryable."
    )
    async def refresh_shipment(self, info: Ctx, id: SHIPMENT_ID) -> types.Shipment | None:
        return _shipment(await _service(info).refresh(str(id)))


@strawberry.type(
    description="Live events over a WebSocket at /graphql (graphql-transport-ws or graphql-ws), "
    'the API key in the connection_init payload: {"authorization": "Bearer <api key>"}.'
)
class Subscription:
    @strawberry.subscription(
        description="Changes to the caller's shipments: one shipment by id, or all, narrowed "
        "by carrier and status."
    )
    async def shipment_updated(
        self,
        info: Ctx,
        id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only this shipment (Shipment.id); NOT_FOUND when the caller has none."
            ),
        ] = None,
        carrier: Annotated[
            CarrierCode | None, strawberry.argument(description="Only this carrier's shipments.")
        ] = None,
        statuses: Annotated[
            list[ShipmentStatus] | None,
            strawberry.argument(
                description="Only changes that leave the shipment in one of these statuses."
            ),
        ] = None,
    ) -> AsyncGenerator[types.ShipmentEvent, None]:
        events = shipment_updates(
            info.context, str(id) if id is not None else None, carrier, statuses
        )
        async for event in events:
            yield cast(types.ShipmentEvent, event)

    @strawberry.subscription(
        description="The courier's position while a shipment is under way, where the carrier "
        "reports it (COURIER_LOCATION: Borzo; other carriers answer UNSUPPORTED). The stream "
        "ends when the shipment is finished."
    )
    async def courier_location(
        self, info: Ctx, id: SHIPMENT_ID
    ) -> AsyncGenerator[types.Courier, None]:
        async for courier in courier_positions(info.context, str(id)):
            yield cast(types.Courier, courier)
