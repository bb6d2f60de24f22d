"""The contract's input types, and their conversion to domain values."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from shipgraph import domain
from shipgraph.domain import CarrierCode, DocumentFormat, ServiceLevel, ShipmentStatus
from shipgraph.store.base import ShipmentOrder as StoreOrder


@strawberry.input
class MoneyInput:
    amount: Decimal
    currency: str

    def to_domain(self) -> domain.Money:
        return domain.Money(amount=self.amount, currency=self.currency.upper())


@strawberry.input
class AddressInput:
    name: str | None = None
    company: str | None = None
    phone: str | None = None
    email: str | None = None
    line1: str
    line2: str | None = None
    village: str | None = None
    district: str | None = None
    city: str | None = None
    province: str | None = None
    postal_code: str | None = None
    country_code: str
    latitude: float | None = None
    longitude: float | None = None

    def to_domain(self) -> domain.Address:
        coordinates = None
        if self.latitude is not None and self.longitude is not None:
            coordinates = domain.GeoPoint(self.latitude, self.longitude)
        return domain.Address(
            line1=self.line1,
            country_code=self.country_code.upper(),
            name=self.name,
            company=self.company,
            phone=self.phone,
            email=self.email,
            line2=self.line2,
            village=self.village,
            district=self.district,
            city=self.city,
            province=self.province,
            postal_code=self.postal_code,
            coordinates=coordinates,
        )


@strawberry.input
class ParcelItemInput:
    sku: str | None = None
    name: str
    quantity: float
    unit_price: MoneyInput | None = None
    weight_kg: float | None = None

    def to_domain(self) -> domain.ParcelItem:
        return domain.ParcelItem(
            name=self.name,
            quantity=self.quantity,
            sku=self.sku,
            unit_price=self.unit_price.to_domain() if self.unit_price else None,
            weight_kg=self.weight_kg,
        )


@strawberry.input
class ParcelInput:
    weight_kg: float | None = None
    length_cm: float | None = None
    width_cm: float | None = None
    height_cm: float | None = None
    description: str | None = None
    items: list[ParcelItemInput] | None = None

    def to_domain(self) -> domain.Parcel:
        return domain.Parcel(
            weight_kg=self.weight_kg,
            length_cm=self.length_cm,
            width_cm=self.width_cm,
            height_cm=self.height_cm,
            description=self.description,
            items=tuple(item.to_domain() for item in self.items or ()),
        )


@strawberry.input
class ShipmentInput:
    reference: str = strawberry.field(
        description="Your own order number or reference (Envio ref_code, Entrego "
        "shipperReference, Envoy name)."
    )
    origin: AddressInput
    destination: AddressInput
    parcels: list[ParcelInput]
    description: str | None = strawberry.field(
        default=None,
        description="What is shipped, for the courier (Borzo matter, Entrego productName).",
    )
    service_level: ServiceLevel | None = ServiceLevel.STANDARD
    cash_on_delivery: MoneyInput | None = None
    declared_value: MoneyInput | None = None
    pickup_at: datetime | None = strawberry.field(
        default=None, description="Requested pickup time (Envio etd_at)."
    )
    deliver_by: datetime | None = strawberry.field(
        default=None, description="Requested delivery time (Envio eta_at)."
    )
    instructions: str | None = None
    carrier_options: JSON | None = strawberry.field(
        default=None,
        description='Carrier-specific fields keyed by carrier code, e.g. {"ENTREGO": '
        '{"packageType": "POUCH", "packageSize": "LARGE", "serviceType": "FDY"}}.',
    )

    def to_domain(self) -> domain.ShipmentRequest:
        options: Any = self.carrier_options
        return domain.ShipmentRequest(
            reference=self.reference,
            origin=self.origin.to_domain(),
            destination=self.destination.to_domain(),
            parcels=tuple(parcel.to_domain() for parcel in self.parcels),
            description=self.description,
            service_level=self.service_level,
            cash_on_delivery=self.cash_on_delivery.to_domain() if self.cash_on_delivery else None,
            declared_value=self.declared_value.to_domain() if self.declared_value else None,
            pickup_at=self.pickup_at,
            deliver_by=self.deliver_by,
            instructions=self.instructions,
            carrier_options=dict(options) if isinstance(options, dict) else {},
        )


@strawberry.input
class RatesInput:
    shipment: ShipmentInput
    carriers: list[CarrierCode] | None = strawberry.field(
        default=None,
        description="Carriers to ask; default: every enabled carrier with the RATES capability.",
    )


@strawberry.input
class ShipmentFilter:
    carrier: CarrierCode | None = None
    status: list[ShipmentStatus] | None = None
    reference: str | None = None
    tracking_number: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = strawberry.field(
        default=None,
        description="Shipments whose reference, tracking number, recipient name (from the "
        "start of any word) or recipient phone starts with this text, ignoring case. A phone "
        "is matched by its digits, written with or without the country code or trunk 0: "
        '"0812", "62812" and "+62 812" all find +62 812-3456-7890. At most 100 characters, '
        "no control characters; blank matches every shipment.",
    )


@strawberry.enum(description="The order of a shipments listing.")
class ShipmentOrder(enum.Enum):
    NEWEST_FIRST = strawberry.enum_value(
        "NEWEST_FIRST", description="By createdAt descending, then id descending (the default)."
    )
    OLDEST_FIRST = strawberry.enum_value(
        "OLDEST_FIRST", description="By createdAt ascending, then id ascending."
    )

    def to_domain(self) -> StoreOrder:
        return (
            StoreOrder.NEWEST_FIRST
            if self is ShipmentOrder.NEWEST_FIRST
            else StoreOrder.OLDEST_FIRST
        )


@strawberry.input
class CreateShipmentInput:
    shipment: ShipmentInput
    carrier: CarrierCode | None = strawberry.field(
        default=None, description="Book with this carrier. Give carrier or rateId."
    )
    rate_id: strawberry.ID | None = strawberry.field(
        default=None, description="Book this quoted offer."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="The same key with the same input returns the first result and books "
        "nothing more, for 24 hours.",
    )


@strawberry.input
class ShipmentPatchInput:
    description: str | None = None
    instructions: str | None = None
    cash_on_delivery: MoneyInput | None = None
    parcels: list[ParcelInput] | None = None
    pickup_at: datetime | None = None
    deliver_by: datetime | None = None

    def to_domain(self) -> domain.ShipmentPatch:
        return domain.ShipmentPatch(
            description=self.description,
            instructions=self.instructions,
            cash_on_delivery=self.cash_on_delivery.to_domain() if self.cash_on_delivery else None,
            parcels=tuple(p.to_domain() for p in self.parcels)
            if self.parcels is not None
            else None,
            pickup_at=self.pickup_at,
            deliver_by=self.deliver_by,
        )


@strawberry.input
class UpdateShipmentInput:
    id: strawberry.ID
    patch: ShipmentPatchInput
    expected_version: int | None = strawberry.field(
        default=None,
        description="Apply only if the shipment is still at this version; otherwise CONFLICT.",
    )


@strawberry.input
class CancelShipmentInput:
    id: strawberry.ID
    reason: str | None = None


@strawberry.input
class LabelsInput:
    ids: list[strawberry.ID]
    format: DocumentFormat | None = DocumentFormat.PDF
