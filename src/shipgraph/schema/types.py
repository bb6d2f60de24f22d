"""The contract's output types.

Field names follow the domain's attribute names (snake_case, printed camelCase), so
resolvers return domain values and Strawberry reads their attributes: no copy of
every object into a GraphQL twin. ``is_type_of`` tells the Node interface which
domain class a type stands for.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition

from shipgraph import domain
from shipgraph.domain import (
    Capability,
    CarrierCode,
    ChargeKind,
    CodStatus,
    CustomsContentsType,
    CustomsEntityType,
    CustomsIdentifierType,
    CustomsRestriction,
    DocumentFormat,
    DocumentKind,
    ErrorCode,
    Incoterm,
    LocationLevel,
    ServiceLevel,
    ShipmentStatus,
    TaxableEntityType,
    TaxIdentifierType,
)


def _enum(cls: type[enum.Enum], description: str, values: Mapping[str, str]) -> None:
    """Register a domain enum as a GraphQL enum with a description of it and of each
    value, leaving the domain's class as it is."""
    strawberry.enum(cls, description=description)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    assert isinstance(definition, StrawberryEnumDefinition)
    definition.values = [
        dataclasses.replace(value, description=values.get(value.name))
        for value in definition.values
    ]


# The domain's enums are the GraphQL enums: registering them changes nothing of theirs.
_enum(
    CarrierCode,
    "A carrier the gateway speaks to. Query carriers for what each one can do right now.",
    {
        "ENVIO": "Envio Logistics, Indonesia, in IDR: booking, cash-on-delivery changes, "
        "cancellation, tracking, webhooks and an HTML receipt. No rate quotes.",
        "BORZO": "Borzo, on-demand couriers in Indonesia, in IDR: rates per vehicle, "
        "booking (extra stops in carrierOptions), changes, cancellation, tracking with the "
        "courier's position, webhooks and PDF or ZPL labels. 100 calls a minute, 5 000 a "
        "day.",
        "ENTREGO": "Entrego, Philippines, in PHP: booking, changes, cancellation before "
        "pickup, status by webhook and refreshShipment (no lookup by tracking number), PDF "
        "waybills, and its places: locations, portCodes, portCodeFor, cleanAddress.",
        "ENVOY": "Envoy, a multi-carrier aggregator with no country limit, in the declared "
        "value's currency: rates (quoting makes a DRAFT shipment), booking a quoted rate, "
        "tracking and labels in PDF, PNG or ZPL. No changes, cancellation or cash on "
        "delivery.",
    },
)
_enum(
    Capability,
    "Something the gateway can do with a carrier. An operation a carrier lacks answers "
    "UNSUPPORTED.",
    {
        "RATES": "Price quotes: the rates query. Borzo and Envoy.",
        "CREATE": "Booking: createShipment. Every carrier.",
        "UPDATE": "Changing a booking: updateShipment. Envio (cashOnDelivery only), Borzo "
        "(description, instructions, cashOnDelivery, parcels, pickupAt, deliverBy), "
        "Entrego (instructions, parcels, pickupAt).",
        "CANCEL": "Cancelling a booking: cancelShipment. Envio, Borzo, and Entrego before pickup.",
        "TRACK": "Reading the status from the carrier: refreshShipment, and track for any "
        "number. Envio, Borzo, Envoy; Entrego through refreshShipment only.",
        "WEBHOOKS": "The carrier pushes status changes, so shipments and shipmentUpdated "
        "move without polling. Envio, Borzo, Entrego.",
        "LABELS": "Printable documents: the labels mutation. Envio (HTML receipt), Borzo "
        "(PDF, ZPL), Entrego (PDF waybill), Envoy (PDF, PNG or ZPL, as chosen at booking).",
        "LOCATIONS": "Administrative places and port codes: locations, portCodes, "
        "portCodeFor. Entrego.",
        "ADDRESS_CLEANUP": "Splitting a one-line address into province and city: "
        "cleanAddress. Entrego.",
        "COURIER_LOCATION": "The courier's live position: Shipment.courier.location and "
        "the courierLocation subscription. Borzo.",
        "CASH_ON_DELIVERY": "The courier collects cashOnDelivery from the recipient. "
        "Envio, Borzo, Entrego.",
        "MULTI_STOP": "More than one drop-off in one booking (carrierOptions.BORZO.points). Borzo.",
    },
)
_enum(
    ServiceLevel,
    "How fast a shipment should go. Entrego books STANDARD or EXPRESS; Borzo's rates are INSTANT.",
    {
        "STANDARD": "The carrier's regular service (the default).",
        "EXPRESS": "Faster than standard, at a higher price.",
        "SAME_DAY": "Delivered the day it is picked up.",
        "INSTANT": "A courier picks up and delivers directly, within hours (Borzo).",
    },
)
_enum(
    ChargeKind,
    "What a part of a rate's price pays for.",
    {
        "BASE": "The delivery fee itself.",
        "WEIGHT": "A surcharge for weight.",
        "INSURANCE": "Insurance of the declared value.",
        "LOADING": "Loaders helping to load and unload (Borzo's loaders_count).",
        "CASH_ON_DELIVERY": "Collecting cash on delivery and remitting it to the sender.",
        "RETURN": "Bringing the parcel back to the sender.",
        "WAITING": "The courier's waiting time.",
        "DISCOUNT": "A discount: its amount is negative.",
        "OTHER": "Any other fee; the charge's description says which.",
    },
)
_enum(
    DocumentKind,
    "What a printable document is for.",
    {
        "LABEL": "The label to put on the parcel (Envio's receipt page, Borzo's and "
        "Envoy's labels).",
        "WAYBILL": "The waybill that travels with the parcel (Entrego).",
        "RECEIPT": "A receipt of the booking.",
        "OTHER": "Any other document the carrier returns.",
    },
)
_enum(
    DocumentFormat,
    "A printable document's file format.",
    {
        "PDF": "PDF (application/pdf): Borzo, Entrego, Envoy.",
        "PNG": "PNG image: Envoy.",
        "ZPL": "Zebra Programming Language, for thermal label printers: Borzo, Envoy.",
        "HTML": "A web page to open and print: Envio's receipt.",
    },
)
_enum(
    ErrorCode,
    "Why an operation was refused: in UserError.code, CarrierError.code, and "
    "extensions.code of a GraphQL error.",
    {
        "VALIDATION": "Input fails the gateway's or the carrier's rules; field says which.",
        "NOT_FOUND": "No such shipment among the caller's, or the carrier knows no such thing.",
        "UNSUPPORTED": "The carrier cannot do this (capability missing, or a field it "
        "cannot change).",
        "CONFLICT": "expectedVersion, or a carrier-side condition, did not hold.",
        "INVALID_STATE": "The shipment's state does not allow this (e.g. cancel after pickup).",
        "IDEMPOTENCY_MISMATCH": "The same idempotency key was used with a different input.",
        "CARRIER_UNAVAILABLE": "Timeout, 5xx, malformed answer, or calls short-circuited.",
        "RATE_LIMITED": "The carrier's request budget is spent (Borzo: 100 a minute, "
        "5 000 a day); retry later.",
        "CARRIER_AUTH": "The carrier rejected the gateway's credentials.",
        "DUPLICATE": "The carrier already has a booking with this reference.",
        "INTERNAL": "The gateway failed; the message says what is known (a booking made "
        "but not stored names the carrier's id: do not book again).",
    },
)
_enum(
    LocationLevel,
    "The level of an administrative place in the Philippines (Entrego's Location API).",
    {
        "PROVINCE": "A province, e.g. Cebu.",
        "MUNICIPALITY": "A city or municipality within a province.",
        "BARANGAY": "A barangay, the smallest division, within a city or municipality.",
    },
)
_enum(
    ShipmentStatus,
    "Unified shipment status. The carrier's own status is kept in carrierStatus.",
    {
        "DRAFT": "Known to the gateway, not booked yet (e.g. rated but not purchased).",
        "CREATED": "Booked with the carrier; nothing has moved yet.",
        "PICKUP_SCHEDULED": "Pickup planned, manifested or a courier assigned/on the way "
        "to pick up.",
        "PICKED_UP": "The courier has the parcel.",
        "IN_TRANSIT": "On its way between pickup and the last leg.",
        "AT_HUB": "At one of the carrier's hubs or sorting centres.",
        "OUT_FOR_DELIVERY": "With the courier on the way to the recipient.",
        "DELIVERED": "Handed to the recipient (see deliveredAt, receivedBy). Final.",
        "PICKUP_FAILED": "A pickup attempt failed; the carrier may try again.",
        "DELIVERY_FAILED": "A delivery attempt failed (TrackingLog.reasonCode and reason "
        "say why, where the carrier tells); the carrier may try again.",
        "RETURNING": "On its way back to the sender.",
        "RETURNED": "Back with the sender. Final.",
        "CANCELLED": "Cancelled before delivery. Final.",
        "LOST": "The carrier lost the parcel. Final.",
        "EXCEPTION": "A carrier state that needs attention and fits no other value.",
        "UNKNOWN": "A carrier state this version cannot map; see carrierStatus.",
    },
)


_enum(
    CodStatus,
    "Where the cash a carrier collects on delivery stands, by the carrier's word.",
    {
        "NOT_COLLECTED": "The carrier has not collected it yet (or says nothing more: Envio's "
        "empty cod_status).",
        "COLLECTED": "The carrier says it collected the cash from the recipient (Envio "
        "cod_status collected); reconcile it against the carrier's payout.",
    },
)


# Customs (ShipmentInput.customs): the values of envoy.txt's Customs Detail, Customs
# Identifier and Shipment Tax Identifier models, sent to Envoy in lower case.
_enum(
    CustomsContentsType,
    "What a customs declaration's goods are and what they are for (Envoy contents_type).",
    {
        "MERCHANDISE": "Goods sold to the recipient.",
        "DOCUMENTS": "Papers only.",
        "GIFT": "A gift: nothing is paid for it.",
        "RETURNED_GOODS": "Goods sent back, e.g. a customer's return.",
        "COMMERCIAL_SAMPLE": "A sample of goods, not for sale.",
        "OTHER": "Anything else: contentsDescription is then required.",
    },
)
_enum(
    Incoterm,
    "The Incoterms rule the shipment travels under: who pays the duties and carries the "
    "risk (https://www.trade.gov/know-your-incoterms).",
    {
        "EXW": "Ex Works.",
        "FCA": "Free Carrier.",
        "CPT": "Carriage Paid To.",
        "CIP": "Carriage and Insurance Paid To.",
        "DAP": "Delivered At Place: the recipient pays the duties and taxes.",
        "DPU": "Delivered at Place Unloaded.",
        "DDP": "Delivered Duty Paid: the sender pays the duties and taxes.",
        "FAS": "Free Alongside Ship.",
        "FOB": "Free On Board.",
        "CFR": "Cost and Freight.",
        "CIF": "Cost, Insurance and Freight.",
    },
)
_enum(
    CustomsRestriction,
    "A restriction the goods are under at customs (Envoy restriction_type).",
    {
        "NONE": "No restriction.",
        "OTHER": "Another restriction, described in restrictionDescription.",
        "QUARANTINE": "The goods go into quarantine.",
        "SANITARY_PHYTOSANITARY_INSPECTION": "The goods need a sanitary or phytosanitary "
        "(plant health) inspection.",
    },
)
_enum(
    CustomsEntityType,
    "Which crossing a customs identifier is for.",
    {
        "IMPORT": "Importing into the destination country.",
        "EXPORT": "Exporting from the origin country, e.g. a US EEI.",
        "ALL": "Both.",
    },
)
_enum(
    CustomsIdentifierType,
    "What a customs identifier is.",
    {
        "LICENSE": "The licence the goods need.",
        "CERTIFICATE": "The certificate the goods need.",
        "EEI": "Electronic Export Information (US exports): an EEL code or a PFC (ITN) "
        "reference number.",
        "MRN": "A Movement Reference Number (European customs, import and export).",
        "OTHER": "Anything else: Envoy only stores it for reference and does not pass it "
        "to the carrier.",
    },
)
_enum(
    TaxableEntityType,
    "Whose tax identifier it is.",
    {
        "SENDER": "The sender's (the shipper's).",
        "RECEIVER": "The recipient's.",
    },
)
_enum(
    TaxIdentifierType,
    "What a tax identifier is.",
    {
        "VAT": "Value Added Tax number.",
        "SSN": "Social Security Number.",
        "IOSS": "Import One Stop Shop number (EU).",
        "GST": "Goods and Services Tax number.",
        "EORI": "Economic Operators Registration and Identification number.",
        "PAN": "Permanent Account Number.",
        "FTZ": "Foreign Trade Zone.",
        "DAN": "Deferment Account Number (duties only).",
        "DTF": "Deferment Account Number (duties, taxes and fees).",
        "TAN": "Deferment Account Number (tax only).",
        "DUNS": "Data Universal Numbering System number (Dun & Bradstreet).",
        "EIN": "(Federal) Employer Identification Number.",
        "FED": "Federal tax id other than an EIN.",
        "STA": "State tax id.",
        "TIN": "Taxpayer Identification Number.",
        "VOEC": "VAT on E-Commerce number (Norway only).",
        "CNPJ": "Cadastro Nacional da Pessoa Jurídica (Brazil).",
    },
)


@strawberry.interface(description="An object that node(id:) can fetch again by its id.")
class Node:
    id: strawberry.ID = strawberry.field(description="Globally unique id.")


@strawberry.type(description="A carrier the gateway speaks to, and what it can do.")
class Carrier:
    code: CarrierCode = strawberry.field(description="The code that names it everywhere else.")
    name: str = strawberry.field(description="Its display name, e.g. Envio Logistics.")
    countries: list[str] = strawberry.field(
        description="ISO 3166-1 alpha-2 codes of the countries the carrier serves."
    )
    capabilities: list[Capability] = strawberry.field(
        description="What the gateway can do with it; anything else answers UNSUPPORTED."
    )
    enabled: bool = strawberry.field(
        description="True when credentials (or the sandbox) are configured for this carrier."
    )
    healthy: bool = strawberry.field(
        description="False while calls to this carrier are being short-circuited after "
        "repeated failures."
    )


@strawberry.type(description="An amount of money in one currency.")
class Money:
    amount: Decimal = strawberry.field(
        description="In the currency's major unit (rupiah, pesos, dollars: never cents), "
        'e.g. "15000.00". A DISCOUNT charge\'s is negative.'
    )
    currency: str = strawberry.field(description="ISO 4217 code, e.g. IDR, PHP, USD.")


@strawberry.type(description="A point on Earth, in decimal degrees (WGS 84).")
class GeoPoint:
    latitude: float = strawberry.field(description="Degrees north of the equator, -90 to 90.")
    longitude: float = strawberry.field(description="Degrees east of Greenwich, -180 to 180.")


@strawberry.type(description="A pickup or drop-off address, as the caller gave it.")
class Address:
    name: str | None = strawberry.field(description="Contact person.")
    company: str | None = strawberry.field(description="Company or shop name.")
    phone: str | None = strawberry.field(
        description="Contact phone as given, preferably E.164, e.g. +6281234567890."
    )
    email: str | None = strawberry.field(description="Contact email address.")
    line1: str = strawberry.field(description="Street, number, building.")
    line2: str | None = strawberry.field(description="More of it: floor, unit, landmark.")
    village: str | None = strawberry.field(description="Kelurahan/desa (ID), barangay (PH).")
    district: str | None = strawberry.field(description="Kecamatan (ID).")
    city: str | None = strawberry.field(description="Kota/kabupaten (ID), city/municipality (PH).")
    province: str | None = strawberry.field(description="Provinsi (ID), province (PH).")
    postal_code: str | None = strawberry.field(description="Postal code.")
    country_code: str = strawberry.field(
        description="ISO 3166-1 alpha-2 code, upper case, e.g. ID, PH."
    )
    coordinates: GeoPoint | None = strawberry.field(
        description="Where it is: the latitude and longitude given, else where the carrier "
        "placed the address (Borzo geocodes every point); null when neither is known."
    )


@strawberry.type(description="One line of goods in a parcel.")
class ParcelItem:
    sku: str | None = strawberry.field(
        description="Your stock-keeping unit; a carrier's change to an item is matched by it "
        "(else by name)."
    )
    name: str = strawberry.field(description="What the goods are.")
    quantity: float = strawberry.field(description="How many, greater than 0.")
    unit_price: Money | None = strawberry.field(description="The price of one.")
    weight_kg: float | None = strawberry.field(description="The weight of one, in kilograms.")
    length_cm: float | None = strawberry.field(
        description="The item's own length in centimetres, when the carrier reports it (an "
        "Envio item change); the parcel has the booked size."
    )
    width_cm: float | None = strawberry.field(
        description="The item's own width in centimetres, when the carrier reports it."
    )
    height_cm: float | None = strawberry.field(
        description="The item's own height in centimetres, when the carrier reports it."
    )
    hs_tariff_code: str | None = strawberry.field(
        description="The item's HS or HTS code, as given, for a customs declaration."
    )


@strawberry.type(description="One parcel of a shipment: its measures and its goods.")
class Parcel:
    weight_kg: float | None = strawberry.field(
        description="Gross weight in kilograms; when null, carriers count the items' "
        "weight times quantity."
    )
    length_cm: float | None = strawberry.field(description="Length in centimetres.")
    width_cm: float | None = strawberry.field(description="Width in centimetres.")
    height_cm: float | None = strawberry.field(description="Height in centimetres.")
    description: str | None = strawberry.field(description="What this parcel holds.")
    items: list[ParcelItem] = strawberry.field(description="The goods in it; may be empty.")
    volumetric_weight_kg: float | None = strawberry.field(
        description="The weight in kilograms the carrier charges by for the size, as you "
        "gave it (Entrego's weightVolumetric); null when not given."
    )


@strawberry.type(description="One part of a rate's price.")
class Charge:
    kind: ChargeKind = strawberry.field(description="What it pays for.")
    amount: Money = strawberry.field(description="In the rate's currency; negative for a DISCOUNT.")
    description: str | None = strawberry.field(
        description="The carrier's name for it, e.g. 'delivery fee'."
    )


@strawberry.type(
    description="A carrier's offer to carry a shipment at a price (Borzo, Envoy). Book it "
    "with createShipment(input: {rateId}) and the same shipment input."
)
class Rate:
    id: strawberry.ID = strawberry.field(
        description="Opaque id; pass it to createShipment(rateId:) to book exactly this offer."
    )
    carrier: CarrierCode = strawberry.field(description="The carrier that offers it.")
    service: str = strawberry.field(
        description="The carrier's own service name, e.g. 'motorbike' or 'UPS Express'."
    )
    service_level: ServiceLevel | None = strawberry.field(
        description="The service level it stands for, when the carrier tells (Borzo: INSTANT)."
    )
    total: Money = strawberry.field(
        description="The whole price, in the carrier's currency (Borzo IDR; Envoy the "
        "declared value's)."
    )
    charges: list[Charge] = strawberry.field(
        description="What the total is made of, when the carrier itemises it (Borzo)."
    )
    delivery_days: int | None = strawberry.field(
        description="Days from pickup to delivery, when the carrier says (Envoy)."
    )
    estimated_delivery_at: datetime | None = strawberry.field(
        description="When the carrier expects to deliver, if it says."
    )
    expires_at: datetime | None = strawberry.field(
        description="After this the rate may no longer be booked (Borzo: 30 minutes after "
        "the quote); null when the carrier states no validity (Envoy)."
    )
    warnings: list[str] = strawberry.field(
        description="The carrier's remarks on the quote, e.g. a parameter it adjusted."
    )


@strawberry.type(description="A carrier that was asked for rates and failed.")
class CarrierError:
    carrier: CarrierCode = strawberry.field(description="The carrier that failed.")
    code: ErrorCode = strawberry.field(description="Why.")
    message: str = strawberry.field(description="What happened, for a person to read.")
    retryable: bool = strawberry.field(
        description="True when asking again later may succeed (CARRIER_UNAVAILABLE, RATE_LIMITED)."
    )


@strawberry.type(description="Why a mutation, or part of it, was refused: one entry per problem.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["shipment", "destination", "phone"].'
    )
    code: ErrorCode = strawberry.field(description="Why, as a code to branch on.")
    message: str = strawberry.field(description="What is wrong, for a person to read.")
    carrier: CarrierCode | None = strawberry.field(
        description="The carrier that refused, when a carrier did; null for the gateway's "
        "own checks."
    )


@strawberry.type(description="The answer to rates: every offer, and every carrier that failed.")
class RateQuote:
    rates: list[Rate] = strawberry.field(
        description="Sorted by total amount ascending within each currency."
    )
    errors: list[CarrierError] = strawberry.field(
        description="One entry per carrier that was asked and failed; the others' rates are "
        "still returned."
    )


@strawberry.type(
    description="The courier carrying a shipment, as the carrier reports it (Envio's driver, "
    "Borzo's courier and position)."
)
class Courier:
    name: str | None = strawberry.field(description="The courier's name.")
    phone: str | None = strawberry.field(
        description="The courier's phone, as the carrier wrote it."
    )
    vehicle: str | None = strawberry.field(
        description="The vehicle: Envio's plate number, Borzo's vehicle type."
    )
    location: GeoPoint | None = strawberry.field(description="Last known position (Borzo only).")
    located_at: datetime | None = strawberry.field(description="When location was measured.")


@strawberry.type(
    description="The carrier's account of a shipment's cash on delivery: what it collects "
    "and whether it has. What a merchant reconciles the carrier's payouts against (Envio)."
)
class CodCollection:
    status: CodStatus = strawberry.field(description="Collected or not yet.")
    carrier_status: str = strawberry.field(
        description="The carrier's own word, e.g. Envio cod_status: collected, or empty before."
    )
    amount: Money | None = strawberry.field(
        description="The amount the carrier says it collects (Envio cod_value); null when "
        "it does not say."
    )


@strawberry.type(
    description="What a carrier kept to show a delivery happened: photos, who took the "
    "parcel, where and when (Envio's delivery photos; Borzo's check-in and photos)."
)
class ProofOfDelivery:
    photo_urls: list[str] = strawberry.field(
        description="Photos the courier took (http or https URLs the carrier hosts; at most "
        "20). Empty when the carrier took none."
    )
    recipient_name: str | None = strawberry.field(
        description="Who took the parcel, as the carrier wrote it."
    )
    recipient_role: str | None = strawberry.field(
        description="Who that person is to the addressee, when the carrier asks (Borzo "
        "recipient_position)."
    )
    location: GeoPoint | None = strawberry.field(
        description="Where the courier checked in at delivery, when the carrier says."
    )
    recorded_at: datetime | None = strawberry.field(
        description="When the proof was taken, as the carrier says."
    )


@strawberry.type(
    description="A card saved on the carrier account, which a booking may be paid with."
)
class PaymentCard:
    id: strawberry.ID = strawberry.field(
        description="The carrier's id of the card: pass it as carrierOptions.BORZO.bank_card_id "
        'with payment_method "bank_card".'
    )
    number_mask: str | None = strawberry.field(
        description="The card's number with most digits hidden, as the carrier shows it, e.g. "
        "411111XXXXXX1111."
    )
    expires_on: date | None = strawberry.field(description="When the card expires.")
    card_type: str | None = strawberry.field(
        description="The card's network, as the carrier names it, e.g. visa."
    )


@strawberry.type(
    description="How bookings on a carrier account may be paid. One carrier account serves "
    "every tenant today, so these are the account's, not the caller's own."
)
class PaymentOptions:
    methods: list[str] = strawberry.field(
        description="The carrier's names of the payment methods the account may use (Borzo "
        "payment_method values, e.g. cash, bank_card, balance)."
    )
    cards: list[PaymentCard] = strawberry.field(
        description="The account's saved cards, when it may pay by card; empty otherwise."
    )


@strawberry.type(description="A printable document of a shipment: a label, waybill or receipt.")
class Document:
    kind: DocumentKind = strawberry.field(description="What it is for.")
    format: DocumentFormat = strawberry.field(description="Its file format.")
    url: str | None = strawberry.field(description="Where to fetch it, when the carrier hosts it.")
    content: str | None = strawberry.field(
        description="Base64 content, when the carrier returns it inline."
    )


@strawberry.type(description="One thing a carrier reported about a shipment.")
class TrackingLog:
    status: ShipmentStatus = strawberry.field(description="The unified status it reports.")
    carrier_status: str = strawberry.field(
        description="The carrier's own status, as it wrote it, e.g. Envio on_transit."
    )
    message: str | None = strawberry.field(description="The carrier's text, when it gives one.")
    occurred_at: datetime = strawberry.field(
        description="When it happened, as the carrier says (else when the gateway learnt it)."
    )
    location: GeoPoint | None = strawberry.field(
        description="Where it happened, when the carrier says."
    )
    reason_code: str | None = strawberry.field(
        description="Carrier reason code for a failure, e.g. Entrego 1A."
    )
    reason: str | None = strawberry.field(description="The reason code's text.")


@strawberry.type(
    description="A shipment booked through the gateway (or, as DRAFT, quoted) for the caller."
)
class Shipment(Node):
    id: strawberry.ID = strawberry.field(
        description="The gateway's id, shp_ and 24 hex digits: for shipment, node and the "
        "mutations."
    )
    reference: str = strawberry.field(
        description="Your own order number or reference, as given at booking."
    )
    carrier: CarrierCode = strawberry.field(description="The carrier that carries it.")
    carrier_shipment_id: str = strawberry.field(
        description="The carrier's id: Envio id, Borzo order_id, Entrego orderNumber, "
        "Envoy shp_ id."
    )
    tracking_number: str | None = strawberry.field(
        description="The number a person tracks with: Envio code, Entrego trackingNumber, "
        "Borzo order_name."
    )
    status: ShipmentStatus = strawberry.field(description="Where it is in its life.")
    carrier_status: str | None = strawberry.field(
        description="The carrier's latest status as it wrote it, e.g. Envio on_transit, "
        "Borzo courier_departed, Entrego PICKUP_PENDING, Envoy purchased."
    )
    origin: Address = strawberry.field(description="Where it is picked up.")
    destination: Address = strawberry.field(description="Where it is delivered.")
    parcels: list[Parcel] = strawberry.field(
        description="The parcels as booked or last changed, with the carrier's item changes."
    )
    description: str | None = strawberry.field(description="What is shipped.")
    service_level: ServiceLevel | None = strawberry.field(
        description="The service level asked for at booking."
    )
    cash_on_delivery: Money | None = strawberry.field(
        description="What the courier collects from the recipient; null when nothing."
    )
    price: Money | None = strawberry.field(
        description="What the carrier charges, when it says (Borzo, Envoy)."
    )
    courier: Courier | None = strawberry.field(
        description="The courier, once the carrier assigns one and tells (Envio, Borzo)."
    )
    documents: list[Document] = strawberry.field(
        description="Printables the carrier gave at booking (Envio's receipt); the labels "
        "mutation fetches any carrier's."
    )
    tracking_logs: list[TrackingLog] = strawberry.field(description="Newest first.")
    estimated_pickup_at: datetime | None = strawberry.field(
        description="When the carrier expects to pick up (or the pickupAt asked for)."
    )
    estimated_delivery_at: datetime | None = strawberry.field(
        description="When the carrier expects to deliver (or the deliverBy asked for)."
    )
    delivered_at: datetime | None = strawberry.field(
        description="When it was delivered, as the carrier says."
    )
    received_by: str | None = strawberry.field(
        description="Who took it at delivery, as the carrier says."
    )
    picked_up_at: datetime | None = strawberry.field(
        description="When the carrier actually picked it up, as it says (Envio atd_at, or "
        "its Pick-up Succeed callback)."
    )
    cod_collection: CodCollection | None = strawberry.field(
        description="The carrier's account of the cash on delivery, once it gives one "
        "(Envio); null before or for carriers that do not report it."
    )
    proof_of_delivery: ProofOfDelivery | None = strawberry.field(
        description="What the carrier kept to show the delivery happened, once delivered "
        "(Envio, Borzo); null before."
    )
    tracking_url: str | None = strawberry.field(
        description="A page of the carrier's where a person follows the delivery, when the "
        "carrier gives one (Borzo)."
    )
    service: str | None = strawberry.field(
        description="The service that carries it, as the carrier names it, once booked: "
        "for Envoy the carrier and service it bought from, e.g. UPS Express. Null when "
        "the carrier names none (Envio, Borzo, Entrego: see serviceLevel)."
    )
    version: int = strawberry.field(
        description="Increments on every change; pass it as expectedVersion to update safely."
    )
    created_at: datetime = strawberry.field(description="When the gateway first stored it.")
    updated_at: datetime = strawberry.field(description="When the gateway last changed it.")

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, domain.Shipment | Shipment)


@strawberry.type(description="Where a page of a listing stands (Relay cursor pagination).")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="More shipments follow endCursor: ask again with after: endCursor."
    )
    has_previous_page: bool = strawberry.field(
        description="Shipments precede startCursor: ask again with last and before: startCursor."
    )
    start_cursor: str | None = strawberry.field(
        description="The first edge's cursor; null on an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The last edge's cursor; null on an empty page."
    )


@strawberry.type(description="A shipment in a listing, with its place in it.")
class ShipmentEdge:
    cursor: str = strawberry.field(
        description="Opaque; pass it as after or before to page from here."
    )
    node: Shipment = strawberry.field(description="The shipment.")


@strawberry.type(description="A page of the caller's shipments.")
class ShipmentConnection:
    edges: list[ShipmentEdge] = strawberry.field(description="The page, in the listing's order.")
    page_info: PageInfo = strawberry.field(description="Where the page stands.")
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
    carrier: CarrierCode = strawberry.field(description="The carrier asked.")
    tracking_number: str = strawberry.field(description="The number asked about.")
    status: ShipmentStatus = strawberry.field(description="The unified status now.")
    carrier_status: str | None = strawberry.field(
        description="The carrier's own status now, as it wrote it."
    )
    estimated_delivery_at: datetime | None = strawberry.field(
        description="When the carrier expects to deliver, if it says."
    )
    delivered_at: datetime | None = strawberry.field(
        description="When it was delivered, as the carrier says."
    )
    received_by: str | None = strawberry.field(
        description="Who took it at delivery, as the carrier says."
    )
    courier: Courier | None = strawberry.field(
        description="The courier, when the carrier tells (Borzo)."
    )
    logs: list[TrackingLog] = strawberry.field(description="Newest first.")


@strawberry.type(
    description="An administrative place of the Philippines as Entrego's Location API names "
    "it: use its names in addresses, its ids to walk down the levels."
)
class Location:
    id: strawberry.ID = strawberry.field(description="The carrier's own id for this place.")
    carrier: CarrierCode = strawberry.field(description="The carrier whose list it is from.")
    level: LocationLevel = strawberry.field(description="Province, municipality or barangay.")
    name: str = strawberry.field(description="Its name as the carrier spells it.")
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


@strawberry.type(
    description="An Entrego port code: the hub area (barangay cluster) that serves a place."
)
class PortCode:
    code: str = strawberry.field(
        description="The code, e.g. BTN; pass it in carrierOptions.ENTREGO.portCode or "
        "pickupPortCode."
    )
    name: str | None = strawberry.field(description="Its name, when Entrego gives one.")
    island: str | None = strawberry.field(
        description="The island group it lies in, e.g. Luzon, when Entrego gives one."
    )
    barangay_cluster: str | None = strawberry.field(
        description="The barangay cluster within the port code's area, when Entrego gives "
        "one (portCodeFor with a barangay)."
    )


@strawberry.type(description="A one-line address split by Entrego's address clean-up.")
class CleanedAddress:
    province_id: strawberry.ID | None = strawberry.field(
        description="The province's Location id, when found."
    )
    province_name: str | None = strawberry.field(
        description="The province's name, e.g. Metro Manila."
    )
    city_id: strawberry.ID | None = strawberry.field(
        description="The city's or municipality's Location id, when found."
    )
    city_name: str | None = strawberry.field(
        description="The city's or municipality's name, e.g. Taguig."
    )


@strawberry.type(description="The answer to createShipment.")
class CreateShipmentPayload:
    shipment: Shipment | None = strawberry.field(
        description="The booked shipment; null when refused. A booking the carrier accepted "
        "but had not finished comes back as a DRAFT with userErrors saying so."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why it was refused; empty on success."
    )


@strawberry.type(description="The answer to updateShipment.")
class UpdateShipmentPayload:
    shipment: Shipment | None = strawberry.field(
        description="The shipment with the change; also set, with userErrors, when the "
        "carrier kept only part of the patch. Null when nothing changed."
    )
    user_errors: list[UserError] = strawberry.field(
        description="What was refused; empty on success."
    )


@strawberry.type(description="The answer to cancelShipment.")
class CancelShipmentPayload:
    shipment: Shipment | None = strawberry.field(
        description="The shipment, CANCELLED (a second cancel answers it again); null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why it was refused; empty on success."
    )


@strawberry.type(description="One shipment's printable documents.")
class ShipmentDocuments:
    shipment: Shipment = strawberry.field(description="The shipment.")
    documents: list[Document] = strawberry.field(
        description="Its documents in the format asked; empty when the carrier has none."
    )


@strawberry.type(description="The answer to labels.")
class LabelsPayload:
    labels: list[ShipmentDocuments] = strawberry.field(
        description="The documents of every shipment whose carrier answered."
    )
    user_errors: list[UserError] = strawberry.field(
        description='The ids not found (field ["ids", index]) and the carriers that '
        "refused; the other shipments' labels are still returned."
    )


@strawberry.type(description="A change to one of the caller's shipments.")
class ShipmentEvent:
    shipment: Shipment = strawberry.field(description="The shipment as it is after the change.")
    previous_status: ShipmentStatus | None = strawberry.field(
        description="Its status before the change; null for a newly booked shipment."
    )
    log: TrackingLog | None = strawberry.field(
        description="The tracking entry that caused this event, if any."
    )
    occurred_at: datetime = strawberry.field(
        description="When the change happened: the carrier's time for a tracking entry, "
        "else the gateway's."
    )
