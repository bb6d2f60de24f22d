"""The contract's input types, and their conversion to domain values."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from shipgraph import domain
from shipgraph.domain import (
    CarrierCode,
    CustomsContentsType,
    CustomsEntityType,
    CustomsIdentifierType,
    CustomsRestriction,
    DocumentFormat,
    Incoterm,
    ServiceLevel,
    ShipmentStatus,
    TaxableEntityType,
    TaxIdentifierType,
)
from shipgraph.store.base import ShipmentOrder as StoreOrder


@strawberry.input(description="An amount of money in one currency.")
class MoneyInput:
    amount: Decimal = strawberry.field(
        description="In the currency's major unit (rupiah, pesos, dollars: never cents), "
        'e.g. "15000.00": 0 to 1 000 000 000 000, at most 4 decimal places.'
    )
    currency: str = strawberry.field(
        description="ISO 4217 code, e.g. IDR, PHP, USD (lower case is accepted). Envio and "
        "Borzo take IDR only, Entrego PHP only."
    )

    def to_domain(self) -> domain.Money:
        return domain.Money(amount=self.amount, currency=self.currency.upper())


@strawberry.input(
    description="A pickup or drop-off address. Text fields hold no control characters "
    "(line breaks and tabs aside)."
)
class AddressInput:
    name: str | None = strawberry.field(
        default=None,
        description="Contact person; at most 200 characters. Envio requires it.",
    )
    company: str | None = strawberry.field(
        default=None,
        description="Company or shop name; at most 200 characters. Envio names a pickup by "
        "it, else by name.",
    )
    phone: str | None = strawberry.field(
        default=None,
        description="Contact phone, preferably E.164, e.g. +6281234567890; at most 32 "
        "characters. Envio and Borzo require it.",
    )
    email: str | None = strawberry.field(
        default=None, description="Contact email address; at most 254 characters."
    )
    line1: str = strawberry.field(description="Street, number, building; 1 to 350 characters.")
    line2: str | None = strawberry.field(
        default=None,
        description="More of it: floor, unit, landmark; at most 350 characters.",
    )
    village: str | None = strawberry.field(
        default=None,
        description="Kelurahan/desa (ID), barangay (PH); at most 200 characters.",
    )
    district: str | None = strawberry.field(
        default=None, description="Kecamatan (ID); at most 200 characters."
    )
    city: str | None = strawberry.field(
        default=None,
        description="Kota/kabupaten (ID), city/municipality (PH); at most 200 characters.",
    )
    province: str | None = strawberry.field(
        default=None,
        description="Provinsi (ID), province (PH); at most 200 characters.",
    )
    postal_code: str | None = strawberry.field(
        default=None, description="Postal code; at most 20 characters."
    )
    country_code: str = strawberry.field(
        description="ISO 3166-1 alpha-2 code, e.g. ID, PH (lower case is accepted). Envio "
        "and Borzo serve ID, Entrego PH."
    )
    latitude: float | None = strawberry.field(
        default=None,
        description="Degrees north, -90 to 90 (WGS 84); used only with longitude.",
    )
    longitude: float | None = strawberry.field(
        default=None,
        description="Degrees east, -180 to 180 (WGS 84); used only with latitude.",
    )

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


@strawberry.input(description="One line of goods in a parcel.")
class ParcelItemInput:
    sku: str | None = strawberry.field(
        default=None,
        description="Your stock-keeping unit; at most 255 characters. A carrier's change "
        "to an item is matched by it (else by name).",
    )
    name: str = strawberry.field(description="What the goods are; 1 to 255 characters.")
    quantity: float = strawberry.field(description="How many; greater than 0, at most 1 000 000.")
    unit_price: MoneyInput | None = strawberry.field(default=None, description="The price of one.")
    weight_kg: float | None = strawberry.field(
        default=None,
        description="The weight of one, in kilograms; greater than 0, at most 50 000.",
    )
    hs_tariff_code: str | None = strawberry.field(
        default=None,
        description="The goods' HS or HTS code (HTS preferred), for a customs declaration "
        '(shipment.customs): 6 to 14 digits, spaces and dots allowed, e.g. "1901.20.0000".',
    )

    def to_domain(self) -> domain.ParcelItem:
        return domain.ParcelItem(
            name=self.name,
            quantity=self.quantity,
            sku=self.sku,
            unit_price=self.unit_price.to_domain() if self.unit_price else None,
            weight_kg=self.weight_kg,
            hs_tariff_code=self.hs_tariff_code,
        )


@strawberry.input(description="One parcel: its measures and its goods.")
class ParcelInput:
    weight_kg: float | None = strawberry.field(
        default=None,
        description="Gross weight in kilograms; greater than 0, at most 50 000. When left "
        "out, carriers count the items' weight times quantity.",
    )
    length_cm: float | None = strawberry.field(
        default=None,
        description="Length in centimetres; greater than 0, at most 10 000.",
    )
    width_cm: float | None = strawberry.field(
        default=None,
        description="Width in centimetres; greater than 0, at most 10 000.",
    )
    height_cm: float | None = strawberry.field(
        default=None,
        description="Height in centimetres; greater than 0, at most 10 000.",
    )
    description: str | None = strawberry.field(
        default=None, description="What this parcel holds; at most 1 000 characters."
    )
    items: list[ParcelItemInput] | None = strawberry.field(
        default=None, description="The goods in it; at most 200."
    )
    volumetric_weight_kg: float | None = strawberry.field(
        default=None,
        description="The weight in kilograms the carrier charges by for the parcel's size, "
        "when you know it; greater than 0, at most 50 000. Entrego takes it at booking and "
        "in updateShipment (weightVolumetric); carrierOptions.ENTREGO.weightVolumetric, if "
        "given, wins at booking. Other carriers work it out themselves.",
    )

    def to_domain(self) -> domain.Parcel:
        return domain.Parcel(
            weight_kg=self.weight_kg,
            length_cm=self.length_cm,
            width_cm=self.width_cm,
            height_cm=self.height_cm,
            description=self.description,
            items=tuple(item.to_domain() for item in self.items or ()),
            volumetric_weight_kg=self.volumetric_weight_kg,
        )


@strawberry.input(description="A licence, certificate or reference the goods cross customs with.")
class CustomsIdentifierInput:
    entity_type: CustomsEntityType = strawberry.field(
        description="Which crossing it is for: import, export or both."
    )
    type: CustomsIdentifierType = strawberry.field(description="What the identifier is.")
    value: str = strawberry.field(description="The identifier itself; 1 to 100 characters.")
    issuing_country_code: str | None = strawberry.field(
        default=None,
        description="ISO 3166-1 alpha-2 code of the authority that issued it, if known, e.g. "
        "US for an EEI (lower case is accepted).",
    )

    def to_domain(self) -> domain.CustomsIdentifier:
        return domain.CustomsIdentifier(
            entity_type=self.entity_type,
            identifier_type=self.type,
            value=self.value,
            issuing_country_code=_upper(self.issuing_country_code),
        )


@strawberry.input(description="A tax registration of the sender or the recipient.")
class TaxIdentifierInput:
    type: TaxIdentifierType = strawberry.field(description="What the identifier is.")
    value: str = strawberry.field(description="The identifier itself; 1 to 100 characters.")
    entity_type: TaxableEntityType | None = strawberry.field(
        default=None, description="Whose it is: the sender's or the recipient's."
    )
    issuing_country_code: str | None = strawberry.field(
        default=None,
        description="ISO 3166-1 alpha-2 code of the issuing tax authority, e.g. GB (lower "
        "case is accepted).",
    )

    def to_domain(self) -> domain.TaxIdentifier:
        return domain.TaxIdentifier(
            identifier_type=self.type,
            value=self.value,
            taxable_entity_type=self.entity_type,
            issuing_country_code=_upper(self.issuing_country_code),
        )


@strawberry.input(
    description="A customs declaration for an international shipment. Its goods are the "
    "parcels' items: each needs an integer quantity and a unitPrice, and should have a "
    "weightKg, a sku and an hsTariffCode."
)
class CustomsInput:
    contents_type: CustomsContentsType | None = strawberry.field(
        default=None, description="What the goods are and what they are for."
    )
    contents_description: str | None = strawberry.field(
        default=None,
        description='A short description of the goods, e.g. "automobile parts"; at most 255 '
        "characters. Required with contentsType OTHER, and by some of Envoy's carriers.",
    )
    incoterm: Incoterm | None = strawberry.field(
        default=None, description="Who pays the duties and carries the risk."
    )
    declarant_name: str | None = strawberry.field(
        default=None,
        description="The first and last name of the person declaring; at most 200 "
        "characters. Envoy takes the origin's contact name when left out.",
    )
    certify: bool | None = strawberry.field(
        default=None,
        description="True: the declarant affirms everything declared is accurate and valid. "
        "Without it, Envoy warns, customs may be delayed or the booking fail.",
    )
    restriction: CustomsRestriction | None = strawberry.field(
        default=None, description="A restriction the goods are under, if any."
    )
    restriction_description: str | None = strawberry.field(
        default=None,
        description="Why the goods are restricted; at most 255 characters. Required with a "
        "restriction other than NONE.",
    )
    declaration_message: str | None = strawberry.field(
        default=None,
        description="A message to go with the declaration; at most 1 000 characters. Some "
        "carriers require it, some ignore it.",
    )
    identifiers: list[CustomsIdentifierInput] | None = strawberry.field(
        default=None,
        description="Licences, certificates, EEI or MRN references; at most 20.",
    )
    tax_identifiers: list[TaxIdentifierInput] | None = strawberry.field(
        default=None,
        description="The sender's and the recipient's tax registrations (VAT, IOSS, EORI, "
        "...); at most 20.",
    )

    def to_domain(self) -> domain.Customs:
        return domain.Customs(
            contents_type=self.contents_type,
            contents_description=self.contents_description,
            incoterm=self.incoterm,
            declarant_name=self.declarant_name,
            certify=self.certify,
            restriction=self.restriction,
            restriction_description=self.restriction_description,
            declaration_message=self.declaration_message,
            identifiers=tuple(i.to_domain() for i in self.identifiers or ()),
            tax_identifiers=tuple(t.to_domain() for t in self.tax_identifiers or ()),
        )


def _upper(code: str | None) -> str | None:
    return code.upper() if code is not None else None


@strawberry.input(
    description="A shipment to book or to quote. Text fields hold no control characters "
    "(line breaks and tabs aside)."
)
class ShipmentInput:
    reference: str = strawberry.field(
        description="Your own order number or reference (Envio ref_code, Entrego "
        "shipperReference, Envoy name); 1 to 100 characters."
    )
    origin: AddressInput = strawberry.field(description="Where the parcels are picked up.")
    destination: AddressInput = strawberry.field(description="Where they are delivered.")
    parcels: list[ParcelInput] = strawberry.field(description="What is shipped: 1 to 50 parcels.")
    description: str | None = strawberry.field(
        default=None,
        description="What is shipped, for the courier (Borzo matter, Entrego productName); "
        "at most 5 000 characters. Borzo requires it to book.",
    )
    service_level: ServiceLevel | None = strawberry.field(
        default=ServiceLevel.STANDARD,
        description="How fast; STANDARD unless given. Entrego takes STANDARD or EXPRESS.",
    )
    cash_on_delivery: MoneyInput | None = strawberry.field(
        default=None,
        description="What the courier collects from the recipient, in the carrier's "
        "currency (Envio, Borzo, Entrego; Envoy refuses it).",
    )
    declared_value: MoneyInput | None = strawberry.field(
        default=None,
        description="What the goods are worth: Borzo insures it, Entrego sends it as "
        "packageValue, Envoy insures it and quotes in its currency.",
    )
    pickup_at: datetime | None = strawberry.field(
        default=None,
        description="Requested pickup time (Envio etd_at); later than now, at most 365 days "
        "ahead. Envio requires it.",
    )
    deliver_by: datetime | None = strawberry.field(
        default=None,
        description="Requested delivery time (Envio eta_at); later than now and not before "
        "pickupAt, at most 365 days ahead. Envio requires it.",
    )
    instructions: str | None = strawberry.field(
        default=None, description="Notes for the courier; at most 1 000 characters."
    )
    carrier_options: JSON | None = strawberry.field(
        default=None,
        description='Carrier-specific fields keyed by carrier code, e.g. {"ENTREGO": '
        '{"packageType": "POUCH", "packageSize": "LARGE", "serviceType": "FDY"}}. '
        "ENVIO: pickupName. BORZO: vehicle_type_id, loaders_count, is_motobox_required, "
        "is_thermobox_required, payment_method, bank_card_id (see paymentOptions), "
        "is_contact_person_notification_enabled, is_client_notification_enabled, "
        "is_return_required, backpayment_details, points (extra stops, each an address with "
        "name, phone, instructions, takingAmount, buyoutAmount, packages, orderPaymentHere "
        "and buildingNumber, entranceNumber, intercomCode, floorNumber, apartmentNumber), "
        "origin (those building details, buyoutAmount and orderPaymentHere), destination "
        "(those building details and orderPaymentHere; the order is paid at one point). "
        "ENTREGO: packageType (required), packageSize, serviceType, pickupType, "
        "sellerReference, trackingNumber, portCode, pickupPortCode (both looked up when "
        "left out), businessUnitCode, weightVolumetric, scheduledDeliveryDate, "
        "additionalInfo, isBranchDelivery, deliveryBranchId, isBranchDropOff, "
        "contactNumberMasked (the waybill's phones masked; true by default). ENVOY: "
        "insurance (true buys insurance of the declaredValue), tax_identifiers and customs "
        "(raw; prefer shipment.customs), carrier, shipping, label ({format: pdf|png|zpl}). "
        "At most 20 000 characters as JSON, 8 levels deep.",
    )
    customs: CustomsInput | None = strawberry.field(
        default=None,
        description="The customs declaration of an international shipment, with the "
        "parcels' items as its goods. Envoy declares it (not together with "
        "carrierOptions.ENVOY.customs or tax_identifiers: VALIDATION). Envio, Borzo and "
        "Entrego deliver within one country and ignore it, so one shipment input can be "
        "quoted with every carrier.",
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
            customs=self.customs.to_domain() if self.customs else None,
        )


@strawberry.input(description="What to quote, and whom to ask.")
class RatesInput:
    shipment: ShipmentInput = strawberry.field(
        description="The shipment to quote; book a rate with the same shipment input."
    )
    carriers: list[CarrierCode] | None = strawberry.field(
        default=None,
        description="Carriers to ask; default: every enabled carrier with the RATES capability.",
    )


@strawberry.input(description="Narrows a shipments listing: every field given must hold.")
class ShipmentFilter:
    carrier: CarrierCode | None = strawberry.field(
        default=None, description="Only this carrier's shipments."
    )
    status: list[ShipmentStatus] | None = strawberry.field(
        default=None, description="Only shipments in one of these statuses."
    )
    reference: str | None = strawberry.field(
        default=None, description="Only shipments with exactly this reference."
    )
    tracking_number: str | None = strawberry.field(
        default=None, description="Only shipments with exactly this tracking number."
    )
    created_after: datetime | None = strawberry.field(
        default=None, description="Only shipments created after this time (exclusive)."
    )
    created_before: datetime | None = strawberry.field(
        default=None, description="Only shipments created before this time (exclusive)."
    )
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


@strawberry.input(description="What to book, and with whom: give carrier or rateId.")
class CreateShipmentInput:
    shipment: ShipmentInput = strawberry.field(
        description="The shipment to book; with rateId, the shipment input that was quoted."
    )
    carrier: CarrierCode | None = strawberry.field(
        default=None, description="Book with this carrier. Give carrier or rateId."
    )
    rate_id: strawberry.ID | None = strawberry.field(
        default=None, description="Book this quoted offer."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="The same key with the same input returns the first result and books "
        "nothing more, for 24 hours; 1 to 200 characters.",
    )


@strawberry.input(
    description="What to change; give at least one field. Envio changes cashOnDelivery "
    "only; Borzo every field; Entrego instructions, parcels and pickupAt; Envoy nothing. "
    "A field the carrier cannot change answers UNSUPPORTED."
)
class ShipmentPatchInput:
    description: str | None = strawberry.field(
        default=None, description="What is shipped; at most 5 000 characters. Borzo."
    )
    instructions: str | None = strawberry.field(
        default=None,
        description="Notes for the courier; at most 1 000 characters. Borzo, Entrego.",
    )
    cash_on_delivery: MoneyInput | None = strawberry.field(
        default=None,
        description="The amount to collect instead; an amount of 0 removes it. Envio, Borzo.",
    )
    parcels: list[ParcelInput] | None = strawberry.field(
        default=None,
        description="The parcels, replacing all of them; at most 50. Borzo, Entrego.",
    )
    pickup_at: datetime | None = strawberry.field(
        default=None,
        description="A new pickup time; later than now, at most 365 days ahead. Borzo, Entrego.",
    )
    deliver_by: datetime | None = strawberry.field(
        default=None,
        description="A new delivery time; later than now and not before pickupAt, at most "
        "365 days ahead. Borzo.",
    )

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


@strawberry.input(description="A change to a booked shipment.")
class UpdateShipmentInput:
    id: strawberry.ID = strawberry.field(description="The shipment's id (Shipment.id).")
    patch: ShipmentPatchInput = strawberry.field(description="What to change.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Apply only if the shipment is still at this version; otherwise CONFLICT.",
    )


@strawberry.input(description="A shipment to cancel.")
class CancelShipmentInput:
    id: strawberry.ID = strawberry.field(description="The shipment's id (Shipment.id).")
    reason: str | None = strawberry.field(
        default=None,
        description="Why; kept in the tracking log, and sent to Entrego as its "
        "cancellationReason. At most 1 000 characters.",
    )


@strawberry.input(description="Shipments whose labels to fetch.")
class LabelsInput:
    ids: list[strawberry.ID] = strawberry.field(
        description="Shipment ids (Shipment.id), at most 500: one carrier call per carrier."
    )
    format: DocumentFormat | None = strawberry.field(
        default=DocumentFormat.PDF,
        description="The file format wanted, PDF unless given. Envio: HTML only. Borzo: PDF "
        "or ZPL. Entrego: PDF. Envoy: the format chosen at booking "
        "(carrierOptions.ENVOY.label.format, PDF by default).",
    )
