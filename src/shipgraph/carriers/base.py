"""What every carrier adapter offers, and how carriers fail.

An adapter subclasses ``CarrierBase`` and overrides what its document lets it do;
everything else answers ``UNSUPPORTED`` honestly. Adapters know one vendor only:
they never import each other, the schema or the resolvers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from shipgraph.domain import (
    BookedShipment,
    Capability,
    CarrierCode,
    CleanedAddress,
    Courier,
    Document,
    DocumentFormat,
    ErrorCode,
    FieldError,
    Location,
    LocationLevel,
    PaymentOptions,
    PortCode,
    Rate,
    Shipment,
    ShipmentPatch,
    ShipmentRequest,
    Tracking,
    TrackingUpdate,
)

RETRYABLE_CODES = frozenset({ErrorCode.CARRIER_UNAVAILABLE, ErrorCode.RATE_LIMITED})


class CarrierError(Exception):
    """A carrier call failed. ``field_errors`` locate input problems the carrier named."""

    def __init__(
        self,
        carrier: CarrierCode,
        code: ErrorCode,
        message: str,
        *,
        field_errors: Sequence[FieldError] = (),
        retryable: bool | None = None,
        applied: ShipmentPatch | None = None,
        pending: BookedShipment | None = None,
        uncertain: bool = False,
    ) -> None:
        super().__init__(message)
        self.carrier = carrier
        self.code = code
        self.message = message
        self.field_errors = tuple(field_errors)
        self.retryable = code in RETRYABLE_CODES if retryable is None else retryable
        self.applied = applied
        """The part of a patch the carrier did apply before refusing the rest."""
        self.pending = pending
        """A booking the carrier accepted but had not finished: keep it as a draft."""
        self.uncertain = uncertain
        """The request was sent but no answer came: the carrier may have done it."""

    def user_errors(self) -> tuple[FieldError, ...]:
        """The failure as UserErrors: the named fields, or one error without a field."""
        if self.field_errors:
            return self.field_errors
        return (FieldError(code=self.code, message=self.message, carrier=self.carrier),)


class WebhookRejected(Exception):
    """A webhook that must not be applied; ``status`` is the HTTP answer (401, 400)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class CallLimiter(Protocol):
    """A carrier's request budget (e.g. Borzo's 100 a minute), shared by every process
    that uses the same store."""

    async def acquire(self) -> None:
        """Wait for a slot, or raise CarrierError RATE_LIMITED when none comes soon."""
        ...


class AdmittedCall(Protocol):
    async def done(self, failed: bool) -> None:
        """Count the call's outcome: a failure is the carrier's fault (no answer, 5xx)."""
        ...


class CallGuard(Protocol):
    """A carrier's circuit breaker: refuses calls while the carrier is failing."""

    async def admit(self) -> AdmittedCall:
        """Raise CarrierError CARRIER_UNAVAILABLE while the circuit is open."""
        ...

    async def healthy(self) -> bool:
        """False while calls are being refused."""
        ...


@dataclass(frozen=True, slots=True)
class CarrierInfo:
    code: CarrierCode
    name: str
    countries: tuple[str, ...]
    capabilities: frozenset[Capability]


def unsupported_fields(
    carrier: CarrierCode, given: Iterable[str], allowed: Iterable[str], path: Sequence[str]
) -> list[FieldError]:
    """One UNSUPPORTED error per given field the carrier cannot change."""
    allowed = set(allowed)
    return [
        FieldError(
            code=ErrorCode.UNSUPPORTED,
            message=f"{carrier.value} cannot change {name} after booking",
            field=(*path, camel_case(name)),
            carrier=carrier,
        )
        for name in given
        if name not in allowed
    ]


def camel_case(snake: str) -> str:
    """A domain field name as the contract spells it (cash_on_delivery -> cashOnDelivery)."""
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True, slots=True)
class Quote:
    """A carrier's offers. ``draft`` is set when quoting made a shipment at the carrier
    (Envoy rates a shipment it creates); booking one of its rates books that one."""

    rates: list[Rate]
    draft: BookedShipment | None = None
    errors: tuple[CarrierError, ...] = ()


class CarrierBase:
    """Defaults for every operation: UNSUPPORTED, naming the carrier."""

    info: CarrierInfo

    def _unsupported(self, what: str) -> CarrierError:
        code = self.info.code
        return CarrierError(code, ErrorCode.UNSUPPORTED, f"{code.value} does not support {what}")

    async def rates(self, request: ShipmentRequest) -> list[Rate]:
        raise self._unsupported("rate quotes")

    async def quote(self, request: ShipmentRequest) -> Quote:
        """Offers, and the carrier-side draft they belong to if quoting made one."""
        return Quote(rates=await self.rates(request))

    def draft_of(self, rate_id: str) -> str | None:
        """The carrier shipment id a rate id books, when it books an existing draft."""
        return None

    async def create(self, request: ShipmentRequest, rate_id: str | None = None) -> BookedShipment:
        raise self._unsupported("booking")

    async def find_booking(self, request: ShipmentRequest) -> BookedShipment | None:
        """The booking an earlier create of ``request`` made, looked up by its
        reference; None when the carrier has none. Used when a create got no answer,
        so that a retry never books twice."""
        raise self._unsupported("finding a booking by its reference")

    async def update(self, shipment: Shipment, patch: ShipmentPatch) -> None:
        """Change the booking at the carrier; the caller merges the patch on success."""
        raise self._unsupported("changes after booking")

    async def cancel(self, shipment: Shipment, reason: str | None) -> TrackingUpdate:
        raise self._unsupported("cancellation")

    async def track(self, tracking_number: str) -> Tracking:
        raise self._unsupported("tracking")

    def tracking_key(self, shipment: Shipment) -> str:
        """What ``track`` asks this carrier with for a shipment the gateway booked."""
        return shipment.tracking_number or shipment.carrier_shipment_id

    async def refresh(self, shipment: Shipment) -> TrackingUpdate:
        raise self._unsupported("tracking")

    async def labels(
        self, shipments: Sequence[Shipment], format: DocumentFormat
    ) -> dict[str, list[Document]]:
        """Documents per shipment id."""
        raise self._unsupported("labels")

    async def courier(self, shipment: Shipment) -> Courier | None:
        """The courier and where they are now; None when no courier is on the way."""
        raise self._unsupported("courier positions")

    async def locations(self, level: LocationLevel, parent_id: str | None) -> list[Location]:
        """Provinces (PROVINCE, no parent), municipalities of a province (MUNICIPALITY,
        the province's id) or barangays of a municipality (BARANGAY, its id)."""
        raise self._unsupported("locations")

    async def port_codes(self, island: str | None) -> list[PortCode]:
        raise self._unsupported("port codes")

    async def port_code_for(
        self, province: str, city: str, barangay: str | None
    ) -> PortCode | None:
        raise self._unsupported("port codes")

    async def port_code(self, code: str) -> PortCode | None:
        """One port code by its code; None when the carrier knows no such code."""
        raise self._unsupported("port codes")

    async def province(self, iso_code: str | None, name: str | None) -> Location | None:
        """One province by its ISO 3166-2 code or by its name (one of them given);
        None when the carrier knows no such province."""
        raise self._unsupported("locations")

    async def clean_address(self, address: str) -> CleanedAddress | None:
        raise self._unsupported("address clean-up")

    async def payment_options(self) -> PaymentOptions:
        """How bookings on the carrier account may be paid (methods, saved cards)."""
        raise self._unsupported("payment methods")

    def verify_webhook(
        self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> None:
        """Raise WebhookRejected(401) unless the webhook is authentic."""
        raise WebhookRejected(404, f"{self.info.code.value} sends no webhooks")

    def parse_webhook(self, body: bytes) -> list[TrackingUpdate]:
        """Raise WebhookRejected(400) for a body that is not a known event."""
        raise WebhookRejected(404, f"{self.info.code.value} sends no webhooks")

    async def aclose(self) -> None:
        return None
