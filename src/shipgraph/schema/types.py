"""The contract's output types.

Field names follow the domain's attribute names (snake_case, printed camelCase), so
resolvers return domain values and Strawberry reads their attributes: no copy of
every object into a GraphQL twin. ``is_type_of`` tells the Node interface which
domain class a type stands for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import strawberry

from shipgraph import domain
from shipgraph.domain import (
    Capability,
    CarrierCode,
    ChargeKind,
    DocumentFormat,
    DocumentKind,
    ErrorCode,
    LocationLevel,
    ServiceLevel,
    ShipmentStatus,
)

# The domain's enums are the GraphQL enums: registering them changes nothing of theirs.
for _enum in (
    CarrierCode,
    Capability,
    ServiceLevel,
    ChargeKind,
    DocumentKind,
    DocumentFormat,
    ErrorCode,
    LocationLevel,
):
    strawberry.enum(_enum)
strawberry.enum(
    ShipmentStatus,
    description="Unified shipment status. The carrier's own status is kept in carrierStatus.",
)


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class Carrier:
    code: CarrierCode
    name: str
    countries: list[str] = strawberry.field(
        description="ISO 3166-1 alpha-2 codes of the countries the carrier serves."
    )
    capabilities: list[Capability]
    enabled: bool = strawberry.field(
        description="True when credentials (or the sandbox) are configured for this carrier."
    )
    healthy: bool = strawberry.field(
        description="False while calls to this carrier are being short-circuited after "
        "repeated failures."
    )


@strawberry.type
class Money:
    amount: Decimal
    currency: str = strawberry.field(description="ISO 4217 code, e.g. IDR, PHP, USD.")


@strawberry.type
class GeoPoint:
    latitude: float
    longitude: float


@strawberry.type
class Address:
    name: str | None = strawberry.field(description="Contact person.")
    company: str | None
    phone: str | None
    email: str | None
    line1: str
    line2: str | None
    village: str | None = strawberry.field(description="Kelurahan/desa (ID), barangay (PH).")
    district: str | None = strawberry.field(description="Kecamatan (ID).")
    city: str | None = strawberry.field(description="Kota/kabupaten (ID), city/municipality (PH).")
    province: str | None
    postal_code: str | None
    country_code: str
    coordinates: GeoPoint | None


@strawberry.type
class ParcelItem:
    sku: str | None
    name: str
    quantity: float
    unit_price: Money | None
    weight_kg: float | None


@strawberry.type
class Parcel:
    weight_kg: float | None
    length_cm: float | None
    width_cm: float | None
    height_cm: float | None
    description: str | None
    items: list[ParcelItem]


@strawberry.type
class Charge:
    kind: ChargeKind
    amount: Money
    description: str | None


@strawberry.type
class Rate:
    id: strawberry.ID = strawberry.field(
        description="Opaque id; pass it to createShipment(rateId:) to book exactly this offer."
    )
    carrier: CarrierCode
    service: str = strawberry.field(
        description="The carrier's own service name, e.g. 'motorbike' or 'UPS Express'."
    )
    service_level: ServiceLevel | None
    total: Money
    charges: list[Charge]
    delivery_days: int | None
    estimated_delivery_at: datetime | None
    expires_at: datetime | None
    warnings: list[str]


@strawberry.type
class CarrierError:
    carrier: CarrierCode
    code: ErrorCode
    message: str
    retryable: bool


@strawberry.type
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["shipment", "destination", "phone"].'
    )
    code: ErrorCode
    message: str
    carrier: CarrierCode | None


@strawberry.type
class RateQuote:
    rates: list[Rate] = strawberry.field(
        description="Sorted by total amount ascending within each currency."
    )
    errors: list[CarrierError] = strawberry.field(
        description="One entry per carrier that was asked and failed; the others' rates are "
        "still returned."
    )


@strawberry.type
class Courier:
    name: str | None
    phone: str | None
    vehicle: str | None
    location: GeoPoint | None
    located_at: datetime | None


@strawberry.type
class Document:
    kind: DocumentKind
    format: DocumentFormat
    url: str | None = strawberry.field(description="Where to fetch it, when the carrier hosts it.")
    content: str | None = strawberry.field(
        description="Base64 content, when the carrier returns it inline."
    )


@strawberry.type
class TrackingLog:
    status: ShipmentStatus
    carrier_status: str
    message: str | None
    occurred_at: datetime
    location: GeoPoint | None
    reason_code: str | None = strawberry.field(
        description="Carrier reason code for a failure, e.g. Entrego 1A."
    )
    reason: str | None


@strawberry.type
class Shipment(Node):
    id: strawberry.ID
    reference: str
    carrier: CarrierCode
    carrier_shipment_id: str = strawberry.field(
        description="The carrier's id: Envio id, Borzo order_id, Entrego orderNumber, "
        "Envoy shp_ id."
    )
    tracking_number: str | None = strawberry.field(
        description="The number a person tracks with: Envio code, Entrego trackingNumber, "
        "Borzo order_name."
    )
    status: ShipmentStatus
    carrier_status: str | None
    origin: Address
    destination: Address
    parcels: list[Parcel]
    description: str | None
    service_level: ServiceLevel | None
    cash_on_delivery: Money | None
    price: Money | None
    courier: Courier | None
    documents: list[Document]
    tracking_logs: list[TrackingLog] = strawberry.field(description="Newest first.")
    estimated_pickup_at: datetime | None
    estimated_delivery_at: datetime | None
    delivered_at: datetime | None
    received_by: str | None
    version: int = strawberry.field(
        description="Increments on every change; pass it as expectedVersion to update safely."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, domain.Shipment | Shipment)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class ShipmentEdge:
    cursor: str
    node: Shipment


@strawberry.type
class ShipmentConnection:
    edges: list[ShipmentEdge]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(
        description="How many shipments the filter matches, whatever first, after, last and "
        "before. Counted only when selected, and exactly only up to 10000: 10000 means 10000 "
        "or more. Counting reads an index entry per match up to that cap (with search, a few "
        "per match), so for a broad filter it costs several times the page itself, up to "
        "tens of milliseconds for a tenant with a million shipments: select it only where it "
        "is shown."
    )
    async def total_count(self) -> int:
        return 0 if self.counter is None else await self.counter()


@strawberry.type(description="Tracking of any number, booked through the gateway or not.")
class Tracking:
    carrier: CarrierCode
    tracking_number: str
    status: ShipmentStatus
    carrier_status: str | None
    estimated_delivery_at: datetime | None
    delivered_at: datetime | None
    received_by: str | None
    courier: Courier | None
    logs: list[TrackingLog] = strawberry.field(description="Newest first.")


@strawberry.type
class Location:
    id: strawberry.ID = strawberry.field(description="The carrier's own id for this place.")
    carrier: CarrierCode
    level: LocationLevel
    name: str
    iso_code: str | None = strawberry.field(
        description="ISO 3166-2 code for provinces, e.g. PH-CEB."
    )

    @strawberry.field(
        description="The places one level down (municipalities of a province, barangays "
        "of a municipality)."
    )
    async def children(self, info: strawberry.Info) -> list[Location]:
        place = cast(domain.Location, self)
        places = info.context.places(place.carrier, Capability.LOCATIONS)
        return cast(list[Location], await places.children.load(place))


@strawberry.type
class PortCode:
    code: str
    name: str | None
    island: str | None


@strawberry.type
class CleanedAddress:
    province_id: strawberry.ID | None
    province_name: str | None
    city_id: strawberry.ID | None
    city_name: str | None


@strawberry.type
class CreateShipmentPayload:
    shipment: Shipment | None
    user_errors: list[UserError]


@strawberry.type
class UpdateShipmentPayload:
    shipment: Shipment | None
    user_errors: list[UserError]


@strawberry.type
class CancelShipmentPayload:
    shipment: Shipment | None
    user_errors: list[UserError]


@strawberry.type
class ShipmentDocuments:
    shipment: Shipment
    documents: list[Document]


@strawberry.type
class LabelsPayload:
    labels: list[ShipmentDocuments]
    user_errors: list[UserError]


@strawberry.type
class ShipmentEvent:
    shipment: Shipment
    previous_status: ShipmentStatus | None
    log: TrackingLog | None = strawberry.field(
        description="The tracking entry that caused this event, if any."
    )
    occurred_at: datetime
