"""The unified shipping model: plain dataclasses and enums.

Nothing here knows GraphQL or HTTP. Values are immutable; a change is a new value
(``dataclasses.replace``), which keeps concurrent readers and the store's
compare-and-set writes simple.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any


class CarrierCode(enum.StrEnum):
    ENVIO = "ENVIO"
    BORZO = "BORZO"
    ENTREGO = "ENTREGO"
    ENVOY = "ENVOY"


class Capability(enum.StrEnum):
    RATES = "RATES"
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    CANCEL = "CANCEL"
    TRACK = "TRACK"
    WEBHOOKS = "WEBHOOKS"
    LABELS = "LABELS"
    LOCATIONS = "LOCATIONS"
    ADDRESS_CLEANUP = "ADDRESS_CLEANUP"
    COURIER_LOCATION = "COURIER_LOCATION"
    CASH_ON_DELIVERY = "CASH_ON_DELIVERY"
    MULTI_STOP = "MULTI_STOP"


class ShipmentStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    CREATED = "CREATED"
    PICKUP_SCHEDULED = "PICKUP_SCHEDULED"
    PICKED_UP = "PICKED_UP"
    IN_TRANSIT = "IN_TRANSIT"
    AT_HUB = "AT_HUB"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    PICKUP_FAILED = "PICKUP_FAILED"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    RETURNING = "RETURNING"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"
    LOST = "LOST"
    EXCEPTION = "EXCEPTION"
    UNKNOWN = "UNKNOWN"


class ServiceLevel(enum.StrEnum):
    STANDARD = "STANDARD"
    EXPRESS = "EXPRESS"
    SAME_DAY = "SAME_DAY"
    INSTANT = "INSTANT"


class ChargeKind(enum.StrEnum):
    BASE = "BASE"
    WEIGHT = "WEIGHT"
    INSURANCE = "INSURANCE"
    LOADING = "LOADING"
    CASH_ON_DELIVERY = "CASH_ON_DELIVERY"
    RETURN = "RETURN"
    WAITING = "WAITING"
    DISCOUNT = "DISCOUNT"
    OTHER = "OTHER"


class DocumentKind(enum.StrEnum):
    LABEL = "LABEL"
    WAYBILL = "WAYBILL"
    RECEIPT = "RECEIPT"
    OTHER = "OTHER"


class DocumentFormat(enum.StrEnum):
    PDF = "PDF"
    PNG = "PNG"
    ZPL = "ZPL"
    HTML = "HTML"


class ErrorCode(enum.StrEnum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    UNSUPPORTED = "UNSUPPORTED"
    CONFLICT = "CONFLICT"
    INVALID_STATE = "INVALID_STATE"
    IDEMPOTENCY_MISMATCH = "IDEMPOTENCY_MISMATCH"
    CARRIER_UNAVAILABLE = "CARRIER_UNAVAILABLE"
    RATE_LIMITED = "RATE_LIMITED"
    CARRIER_AUTH = "CARRIER_AUTH"
    DUPLICATE = "DUPLICATE"
    INTERNAL = "INTERNAL"


class CodStatus(enum.StrEnum):
    """Where the cash a carrier collects on delivery stands, by the carrier's word."""

    NOT_COLLECTED = "NOT_COLLECTED"
    COLLECTED = "COLLECTED"


class LocationLevel(enum.StrEnum):
    PROVINCE = "PROVINCE"
    MUNICIPALITY = "MUNICIPALITY"
    BARANGAY = "BARANGAY"


class CustomsContentsType(enum.StrEnum):
    """What a customs declaration's goods are and are for (Envoy contents_type)."""

    MERCHANDISE = "MERCHANDISE"
    DOCUMENTS = "DOCUMENTS"
    GIFT = "GIFT"
    RETURNED_GOODS = "RETURNED_GOODS"
    COMMERCIAL_SAMPLE = "COMMERCIAL_SAMPLE"
    OTHER = "OTHER"


class Incoterm(enum.StrEnum):
    """The Incoterms 2020 rule a shipment travels under."""

    EXW = "EXW"
    FCA = "FCA"
    CPT = "CPT"
    CIP = "CIP"
    DAP = "DAP"
    DPU = "DPU"
    DDP = "DDP"
    FAS = "FAS"
    FOB = "FOB"
    CFR = "CFR"
    CIF = "CIF"


class CustomsRestriction(enum.StrEnum):
    NONE = "NONE"
    OTHER = "OTHER"
    QUARANTINE = "QUARANTINE"
    SANITARY_PHYTOSANITARY_INSPECTION = "SANITARY_PHYTOSANITARY_INSPECTION"


class CustomsEntityType(enum.StrEnum):
    """Which crossing a customs identifier is for."""

    IMPORT = "IMPORT"
    EXPORT = "EXPORT"
    ALL = "ALL"


class CustomsIdentifierType(enum.StrEnum):
    LICENSE = "LICENSE"
    CERTIFICATE = "CERTIFICATE"
    EEI = "EEI"
    MRN = "MRN"
    OTHER = "OTHER"


class TaxableEntityType(enum.StrEnum):
    """Whose tax identifier it is."""

    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class TaxIdentifierType(enum.StrEnum):
    VAT = "VAT"
    SSN = "SSN"
    IOSS = "IOSS"
    GST = "GST"
    EORI = "EORI"
    PAN = "PAN"
    FTZ = "FTZ"
    DAN = "DAN"
    DTF = "DTF"
    TAN = "TAN"
    DUNS = "DUNS"
    EIN = "EIN"
    FED = "FED"
    STA = "STA"
    TIN = "TIN"
    VOEC = "VOEC"
    CNPJ = "CNPJ"


# --- values -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


MAX_MONEY_AMOUNT = Decimal(10) ** 12
"""No parcel's value, price or cash on delivery comes near a trillion in any currency
the carriers serve (IDR, PHP, USD); past it an amount is a mistake or an attack."""

MONEY_DECIMALS = 4
"""Decimal places an amount may have: every currency in use has at most 3 (ISO 4217)."""


def money_amount_problem(amount: Decimal) -> str | None:
    """What is wrong with an amount a caller gave, or None.

    Reads only the sign, the digit count and the exponent, so an amount such as
    ``1E+500000`` costs nothing to refuse (turning it into an integer would take
    seconds)."""
    if not amount.is_finite():
        return "must be a finite number"
    if amount < 0:
        return "must not be negative"
    if amount > MAX_MONEY_AMOUNT:
        return f"must be at most {MAX_MONEY_AMOUNT:,}"
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if amount and exponent + trailing_zeros < -MONEY_DECIMALS:
        return f"must have at most {MONEY_DECIMALS} decimal places"
    return None


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    country_code: str
    name: str | None = None
    company: str | None = None
    phone: str | None = None  # E.164 (+6281234567890) once validated: shipgraph.phones
    email: str | None = None
    line2: str | None = None
    village: str | None = None
    district: str | None = None
    city: str | None = None
    province: str | None = None
    postal_code: str | None = None
    coordinates: GeoPoint | None = None


@dataclass(frozen=True, slots=True)
class ParcelItem:
    name: str
    quantity: float
    sku: str | None = None
    unit_price: Money | None = None
    weight_kg: float | None = None
    length_cm: float | None = None
    """The item's own size, when a carrier reports it (an Envio item event)."""
    width_cm: float | None = None
    height_cm: float | None = None
    hs_tariff_code: str | None = None
    """The item's HS (or HTS) code, for a customs declaration."""


@dataclass(frozen=True, slots=True)
class Parcel:
    weight_kg: float | None = None
    length_cm: float | None = None
    width_cm: float | None = None
    height_cm: float | None = None
    description: str | None = None
    items: tuple[ParcelItem, ...] = ()
    volumetric_weight_kg: float | None = None
    """The weight a carrier charges by for the parcel's size, when the sender knows it."""


@dataclass(frozen=True, slots=True)
class CustomsIdentifier:
    """A licence, certificate, export or movement reference the goods cross with."""

    entity_type: CustomsEntityType
    identifier_type: CustomsIdentifierType
    value: str
    issuing_country_code: str | None = None


@dataclass(frozen=True, slots=True)
class TaxIdentifier:
    """A tax registration of the sender or the receiver (a VAT number, an IOSS, ...)."""

    identifier_type: TaxIdentifierType
    value: str
    taxable_entity_type: TaxableEntityType | None = None
    issuing_country_code: str | None = None


@dataclass(frozen=True, slots=True)
class Customs:
    """A customs declaration; its goods are the parcels' items."""

    contents_type: CustomsContentsType | None = None
    contents_description: str | None = None
    incoterm: Incoterm | None = None
    declarant_name: str | None = None
    certify: bool | None = None
    restriction: CustomsRestriction | None = None
    restriction_description: str | None = None
    declaration_message: str | None = None
    identifiers: tuple[CustomsIdentifier, ...] = ()
    tax_identifiers: tuple[TaxIdentifier, ...] = ()


@dataclass(frozen=True, slots=True)
class ShipmentRequest:
    """What a caller asks a carrier to book (or to quote)."""

    reference: str
    origin: Address
    destination: Address
    parcels: tuple[Parcel, ...]
    description: str | None = None
    service_level: ServiceLevel | None = ServiceLevel.STANDARD
    cash_on_delivery: Money | None = None
    declared_value: Money | None = None
    pickup_at: datetime | None = None
    deliver_by: datetime | None = None
    instructions: str | None = None
    carrier_options: dict[str, Any] = field(default_factory=dict)
    customs: Customs | None = None


@dataclass(frozen=True, slots=True)
class ShipmentPatch:
    """Fields a caller wants changed. ``None`` means "leave as is"."""

    description: str | None = None
    instructions: str | None = None
    cash_on_delivery: Money | None = None
    parcels: tuple[Parcel, ...] | None = None
    pickup_at: datetime | None = None
    deliver_by: datetime | None = None

    def given_fields(self) -> list[str]:
        """Names of the fields the patch sets, in declaration order."""
        names: tuple[str, ...] = tuple(f.name for f in fields(self))
        return [name for name in names if getattr(self, name) is not None]


@dataclass(frozen=True, slots=True)
class Charge:
    kind: ChargeKind
    amount: Money
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Rate:
    id: str
    carrier: CarrierCode
    service: str
    total: Money
    service_level: ServiceLevel | None = None
    charges: tuple[Charge, ...] = ()
    delivery_days: int | None = None
    estimated_delivery_at: datetime | None = None
    expires_at: datetime | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Courier:
    name: str | None = None
    phone: str | None = None
    vehicle: str | None = None
    location: GeoPoint | None = None
    located_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CodCollection:
    """The carrier's account of the cash on delivery: what it collects and whether it
    has (what a merchant reconciles its payouts against)."""

    status: CodStatus
    carrier_status: str
    """The carrier's own word, e.g. Envio's cod_status ("" before it collects)."""
    amount: Money | None = None
    """The amount the carrier says it collects (Envio cod_value)."""


@dataclass(frozen=True, slots=True)
class ProofOfDelivery:
    """What a carrier kept to show a delivery happened."""

    photo_urls: tuple[str, ...] = ()
    recipient_name: str | None = None
    recipient_role: str | None = None
    """Who the recipient is to the addressee, when the carrier asks (Borzo
    recipient_position)."""
    location: GeoPoint | None = None
    """Where the courier checked in at delivery."""
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PaymentCard:
    """A card saved on the carrier account, which a booking may be paid with."""

    id: str
    number_mask: str | None = None
    expires_on: date | None = None
    card_type: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentOptions:
    """How bookings on the carrier account may be paid."""

    methods: tuple[str, ...]
    """The carrier's own names of the methods the account may use."""
    cards: tuple[PaymentCard, ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    kind: DocumentKind
    format: DocumentFormat
    url: str | None = None
    content: str | None = None


@dataclass(frozen=True, slots=True)
class TrackingLog:
    status: ShipmentStatus
    carrier_status: str
    occurred_at: datetime
    message: str | None = None
    location: GeoPoint | None = None
    reason_code: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class FieldError:
    """One thing wrong with an input, located by its path in the GraphQL input."""

    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None
    carrier: CarrierCode | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """An administrative place as a carrier names it (Entrego's Location API)."""

    id: str
    carrier: CarrierCode
    level: LocationLevel
    name: str
    iso_code: str | None = None
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class PortCode:
    code: str
    name: str | None = None
    island: str | None = None
    barangay_cluster: str | None = None


@dataclass(frozen=True, slots=True)
class CleanedAddress:
    province_id: str | None = None
    province_name: str | None = None
    city_id: str | None = None
    city_name: str | None = None


# --- the shipment --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shipment:
    id: str
    tenant: str
    reference: str
    carrier: CarrierCode
    carrier_shipment_id: str
    status: ShipmentStatus
    origin: Address
    destination: Address
    created_at: datetime
    updated_at: datetime
    version: int = 1
    tracking_number: str | None = None
    carrier_status: str | None = None
    parcels: tuple[Parcel, ...] = ()
    description: str | None = None
    instructions: str | None = None
    service_level: ServiceLevel | None = None
    cash_on_delivery: Money | None = None
    declared_value: Money | None = None
    price: Money | None = None
    courier: Courier | None = None
    documents: tuple[Document, ...] = ()
    tracking_logs: tuple[TrackingLog, ...] = ()
    """Newest first."""
    estimated_pickup_at: datetime | None = None
    estimated_delivery_at: datetime | None = None
    delivered_at: datetime | None = None
    received_by: str | None = None
    picked_up_at: datetime | None = None
    """When the carrier actually picked the parcel up."""
    cod_collection: CodCollection | None = None
    proof_of_delivery: ProofOfDelivery | None = None
    tracking_url: str | None = None
    """A page of the carrier's where a person follows the delivery."""
    service: str | None = None
    """The service that carries it, as the carrier names it (Envoy: the carrier and
    service it bought from, e.g. "UPS Express")."""
    carrier_data: dict[str, Any] = field(default_factory=dict)
    """What the carrier's adapter needs later (e.g. the reference it booked with)."""
    applied_event_ids: tuple[str, ...] = ()
    """Ids of the carrier events already merged, newest last (bounded), for dedupe."""
    customs: Customs | None = None
    """The customs declaration it was quoted or booked with."""


@dataclass(frozen=True, slots=True)
class BookedShipment:
    """A carrier's answer to a booking."""

    carrier_shipment_id: str
    status: ShipmentStatus
    tracking_number: str | None = None
    carrier_status: str | None = None
    price: Money | None = None
    documents: tuple[Document, ...] = ()
    estimated_pickup_at: datetime | None = None
    estimated_delivery_at: datetime | None = None
    carrier_data: dict[str, Any] = field(default_factory=dict)
    service: str | None = None
    """The service that carries it, as the carrier names it."""
    origin_coordinates: GeoPoint | None = None
    """Where the carrier placed the origin (Borzo geocodes every point it is given)."""
    destination_coordinates: GeoPoint | None = None


@dataclass(frozen=True, slots=True)
class ItemUpdate:
    """A carrier changed one parcel item (matched by sku, else by name)."""

    name: str
    quantity: float
    sku: str | None = None
    weight_kg: float | None = None
    length_cm: float | None = None
    width_cm: float | None = None
    height_cm: float | None = None


ITEM_MEASURES = ("weight_kg", "length_cm", "width_cm", "height_cm")
"""What an item update changes beside the quantity, where it names a value."""


@dataclass(frozen=True, slots=True)
class TrackingUpdate:
    """Something a carrier told us about one shipment (a webhook or a tracking read).

    ``carrier_shipment_id`` or ``tracking_number`` locates the shipment. ``status`` is
    None when the event carries no status (a driver assignment, an item change).
    """

    carrier: CarrierCode
    event_id: str
    carrier_shipment_id: str | None = None
    tracking_number: str | None = None
    status: ShipmentStatus | None = None
    carrier_status: str | None = None
    log: TrackingLog | None = None
    courier: Courier | None = None
    item: ItemUpdate | None = None
    estimated_pickup_at: datetime | None = None
    estimated_delivery_at: datetime | None = None
    delivered_at: datetime | None = None
    received_by: str | None = None
    cash_on_delivery: Money | None = None
    picked_up_at: datetime | None = None
    cod_collection: CodCollection | None = None
    proof_of_delivery: ProofOfDelivery | None = None
    tracking_url: str | None = None
    logs: tuple[TrackingLog, ...] = ()
    """A full log snapshot (from a tracking read), merged with what is known."""


@dataclass(frozen=True, slots=True)
class Tracking:
    """Tracking of any number, booked through the gateway or not."""

    carrier: CarrierCode
    tracking_number: str
    status: ShipmentStatus
    carrier_status: str | None = None
    estimated_delivery_at: datetime | None = None
    delivered_at: datetime | None = None
    received_by: str | None = None
    courier: Courier | None = None
    logs: tuple[TrackingLog, ...] = ()
    carrier_shipment_id: str | None = None
    """The carrier's own id of the shipment it answered about, as it wrote it: what
    decides whose shipment this is, whatever string found it."""


@dataclass(frozen=True, slots=True)
class ShipmentEvent:
    shipment: Shipment
    occurred_at: datetime
    previous_status: ShipmentStatus | None = None
    log: TrackingLog | None = None


# --- status progression ---------------------------------------------------------

TERMINAL_STATUSES = frozenset(
    {
        ShipmentStatus.DELIVERED,
        ShipmentStatus.RETURNED,
        ShipmentStatus.CANCELLED,
        ShipmentStatus.LOST,
    }
)

# How far along its life a status is. A status may move sideways (same stage: a
# redelivery loop goes OUT_FOR_DELIVERY -> DELIVERY_FAILED -> IN_TRANSIT -> ...) or
# forwards, never back: a late event for an earlier stage keeps its log entry but
# does not regress the status. EXCEPTION and UNKNOWN have no stage: they apply to
# any shipment that is not finished, and a later event of any stage supersedes them.
_STAGE: dict[ShipmentStatus, int] = {
    ShipmentStatus.DRAFT: 0,
    ShipmentStatus.CREATED: 1,
    ShipmentStatus.PICKUP_SCHEDULED: 2,
    ShipmentStatus.PICKUP_FAILED: 2,
    ShipmentStatus.PICKED_UP: 3,
    ShipmentStatus.IN_TRANSIT: 4,
    ShipmentStatus.AT_HUB: 4,
    ShipmentStatus.OUT_FOR_DELIVERY: 4,
    ShipmentStatus.DELIVERY_FAILED: 4,
    ShipmentStatus.RETURNING: 5,
    ShipmentStatus.DELIVERED: 6,
    ShipmentStatus.RETURNED: 6,
    ShipmentStatus.CANCELLED: 6,
    ShipmentStatus.LOST: 6,
}


def stage_reached(shipment: Shipment) -> int:
    """The furthest stage the shipment's status or any of its logs has reached."""
    stages = [_STAGE.get(shipment.status, -1)]
    stages += [_STAGE.get(log.status, -1) for log in shipment.tracking_logs]
    return max(stages)


def may_move(shipment: Shipment, new: ShipmentStatus, at: datetime | None = None) -> bool:
    """Whether an event saying ``new`` may set the shipment's current status.

    ``at`` is when the carrier says the event happened. Within one stage the newest
    event wins: one older than an event of that stage already known (a `resend` at
    t400, then a late `delivery_failed` at t300) keeps its log entry, not the status.
    Without a time (a tracking read's snapshot), the carrier's word is the latest.
    """
    if shipment.status in TERMINAL_STATUSES or new == shipment.status:
        return False
    if new not in _STAGE:
        return True
    stage = _STAGE[new]
    if stage < stage_reached(shipment):
        return False
    if at is None:
        return True
    return all(
        log.occurred_at <= at for log in shipment.tracking_logs if _STAGE.get(log.status) == stage
    )


MAX_REMEMBERED_EVENTS = 500


def _merge_logs(
    known: tuple[TrackingLog, ...], new: tuple[TrackingLog, ...]
) -> tuple[TrackingLog, ...]:
    """Newest first. A log that only repeats the status of the entry before it (no
    message of its own) is an echo, e.g. an order callback and a delivery callback
    for the same change, and is not kept. Nor is an entry read again with less said
    of it: no status (UNKNOWN, no carrier status) where the same time and message are
    recorded already (a carrier whose log rows carry no status, read as it grew)."""
    merged = list(reversed(known))  # oldest first, so that the stable sort keeps ties
    for log in new:
        if log not in merged and not _restates(log, merged):
            merged.append(log)
    merged.sort(key=lambda log: log.occurred_at)
    kept: list[TrackingLog] = []
    for log in merged:
        previous = kept[-1] if kept else None
        echo = (
            previous is not None
            and log.message is None
            and (log.status, log.carrier_status) == (previous.status, previous.carrier_status)
        )
        if not echo or log in known:
            kept.append(log)
    return tuple(reversed(kept))


def _restates(log: TrackingLog, logs: list[TrackingLog]) -> bool:
    """``log`` says nothing but a time and message already among ``logs``."""
    if log.status is not ShipmentStatus.UNKNOWN or log.carrier_status:
        return False
    return any((o.occurred_at, o.message) == (log.occurred_at, log.message) for o in logs)


def _apply_item(parcels: tuple[Parcel, ...], item: ItemUpdate) -> tuple[Parcel, ...]:
    def matches(existing: ParcelItem) -> bool:
        if item.sku is not None and existing.sku is not None:
            return existing.sku == item.sku
        return existing.name == item.name

    updated = []
    found = False
    for parcel in parcels:
        items = []
        for existing in parcel.items:
            if not found and matches(existing):
                found = True
                named = {m: getattr(item, m) for m in ITEM_MEASURES if getattr(item, m) is not None}
                existing = replace(existing, quantity=item.quantity, **named)
            items.append(existing)
        updated.append(replace(parcel, items=tuple(items)))
    if not found:
        measures = {m: getattr(item, m) for m in ITEM_MEASURES}
        added = ParcelItem(name=item.name, quantity=item.quantity, sku=item.sku, **measures)
        if updated:
            updated[0] = replace(updated[0], items=(*updated[0].items, added))
        else:
            updated = [Parcel(items=(added,))]
    return tuple(updated)


def _refines(shipment: Shipment, update: TrackingUpdate) -> bool:
    """Whether the update keeps the status but names a finer carrier status
    (courier_assigned -> courier_departed), and is no older than the newest log."""
    if update.status != shipment.status or not update.carrier_status:
        return False
    if update.carrier_status == shipment.carrier_status:
        return False
    if update.log is None or not shipment.tracking_logs:
        return True
    return update.log.occurred_at >= shipment.tracking_logs[0].occurred_at


def apply_update(
    shipment: Shipment, update: TrackingUpdate, now: datetime
) -> tuple[Shipment, ShipmentEvent | None]:
    """Merge a carrier's update into a shipment.

    Returns the shipment unchanged and no event when the update was already applied
    or changes nothing (nothing to write, and a replay of it changes nothing either).
    The version is left to the store, which bumps it on write.
    """
    if update.event_id in shipment.applied_event_ids:
        return shipment, None
    changes: dict[str, Any] = {}
    new_logs = tuple(log for log in (*update.logs, update.log) if log is not None)
    logs = _merge_logs(shipment.tracking_logs, new_logs)
    if logs != shipment.tracking_logs:
        changes["tracking_logs"] = logs
    at = update.log.occurred_at if update.log is not None else None
    if update.status is not None and may_move(shipment, update.status, at):
        changes["status"] = update.status
        changes["carrier_status"] = update.carrier_status or shipment.carrier_status
    elif _refines(shipment, update):
        changes["carrier_status"] = update.carrier_status
    if update.courier is not None and update.courier != shipment.courier:
        changes["courier"] = update.courier
    if update.item is not None:
        parcels = _apply_item(shipment.parcels, update.item)
        if parcels != shipment.parcels:
            changes["parcels"] = parcels
    simple = ("estimated_pickup_at", "estimated_delivery_at", "delivered_at", "received_by")
    told = ("picked_up_at", "cod_collection", "proof_of_delivery", "tracking_url")
    for name in (*simple, "cash_on_delivery", *told):
        value = getattr(update, name)
        if value is not None and value != getattr(shipment, name):
            changes[name] = value
    if not changes:
        return shipment, None
    remembered = (*shipment.applied_event_ids, update.event_id)[-MAX_REMEMBERED_EVENTS:]
    updated = replace(shipment, **changes, applied_event_ids=remembered, updated_at=now)
    event = ShipmentEvent(
        shipment=updated,
        occurred_at=update.log.occurred_at if update.log else now,
        previous_status=shipment.status,
        log=update.log,
    )
    return updated, event


QUOTED_FIELDS = (
    "reference",
    "origin",
    "destination",
    "parcels",
    "description",
    "instructions",
    "service_level",
    "cash_on_delivery",
    "declared_value",
    "customs",
)
"""What a shipment keeps of the request it was made from."""


def unlike_quote(draft: Shipment, request: ShipmentRequest) -> list[str]:
    """The fields in which ``request`` is not the shipment ``draft`` was quoted as
    (a carrier that keeps a draft buys it as it was quoted), in QUOTED_FIELDS order."""
    return [name for name in QUOTED_FIELDS if getattr(draft, name) != getattr(request, name)]


def apply_patch(shipment: Shipment, patch: ShipmentPatch, now: datetime) -> Shipment:
    """The shipment with a patch the carrier accepted merged in."""
    changes: dict[str, Any] = {}
    for name in ("description", "instructions", "cash_on_delivery", "parcels"):
        value = getattr(patch, name)
        if value is not None:
            changes[name] = value
    if patch.cash_on_delivery is not None and patch.cash_on_delivery.amount == 0:
        changes["cash_on_delivery"] = None  # zero COD is no COD
    if patch.pickup_at is not None:
        changes["estimated_pickup_at"] = patch.pickup_at
    if patch.deliver_by is not None:
        changes["estimated_delivery_at"] = patch.deliver_by
    return replace(shipment, **changes, updated_at=now)
