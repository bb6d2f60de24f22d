"""Booking, changing, cancelling and refreshing shipments, scoped to the caller."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from shipgraph.carriers.base import CarrierBase, CarrierError, camel_case
from shipgraph.codec import request_fingerprint
from shipgraph.domain import (
    TERMINAL_STATUSES,
    Address,
    BookedShipment,
    Capability,
    CarrierCode,
    Document,
    DocumentFormat,
    ErrorCode,
    FieldError,
    GeoPoint,
    Shipment,
    ShipmentEvent,
    ShipmentPatch,
    ShipmentRequest,
    ShipmentStatus,
    apply_patch,
    unlike_quote,
)
from shipgraph.observability import get_logger
from shipgraph.resolvers.context import Services
from shipgraph.resolvers.errors import from_carrier_error
from shipgraph.resolvers.validation import (
    MAX_INSTRUCTIONS,
    MAX_LABEL_IDS,
    checked_request,
    text_problem,
    validate_patch,
)
from shipgraph.store.base import IdempotencyState

log = get_logger("shipgraph.resolvers.shipments")

IDEMPOTENCY_POLL_S = 0.05
MAX_IDEMPOTENCY_KEY = 200


@dataclass(frozen=True, slots=True)
class Outcome:
    """A mutation's answer: the shipment, or the reasons it was refused."""

    shipment: Shipment | None = None
    errors: tuple[FieldError, ...] = ()


def _refused(code: ErrorCode, message: str, *field: str) -> Outcome:
    return Outcome(errors=(FieldError(code, message, field or None),))


def new_shipment_id() -> str:
    return "shp_" + secrets.token_hex(12)


def rate_carrier(rate_id: str) -> CarrierCode | None:
    """Rate ids start with the carrier's code (``BORZO:...``)."""
    head, sep, _ = rate_id.partition(":")
    return CarrierCode(head) if sep and head in CarrierCode.__members__ else None


class ShipmentService:
    def __init__(self, services: Services, tenant: str) -> None:
        self._services = services
        self._store = services.store
        self._tenant = tenant

    # --- create -----------------------------------------------------------------

    async def create(
        self,
        request: ShipmentRequest,
        carrier: CarrierCode | None,
        rate_id: str | None,
        idempotency_key: str | None,
    ) -> Outcome:
        request, errors = checked_request(request, self._services.clock())
        code, choice_error = self._chosen_carrier(carrier, rate_id)
        if choice_error is not None:
            errors.append(choice_error)
        if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            message = f"must be 1 to {MAX_IDEMPOTENCY_KEY} characters"
            errors.append(FieldError(ErrorCode.VALIDATION, message, ("idempotencyKey",)))
        if errors or code is None:
            return Outcome(errors=tuple(errors))
        if idempotency_key is None:
            return await self._book(code, request, rate_id)
        fingerprint = request_fingerprint(request, code.value, rate_id)
        return await self._book_once(idempotency_key, fingerprint, code, request, rate_id)

    def _chosen_carrier(
        self, carrier: CarrierCode | None, rate_id: str | None
    ) -> tuple[CarrierCode | None, FieldError | None]:
        if rate_id is None:
            if carrier is None:
                return None, FieldError(
                    ErrorCode.VALIDATION, "give carrier or rateId", ("carrier",)
                )
            return carrier, None
        rated = rate_carrier(rate_id)
        if rated is None:
            return None, FieldError(ErrorCode.VALIDATION, "not a rate id from rates", ("rateId",))
        if carrier is not None and carrier != rated:
            message = f"the rate is {rated.value}'s, not {carrier.value}'s"
            return None, FieldError(ErrorCode.VALIDATION, message, ("carrier",))
        return rated, None

    async def _book_once(
        self,
        key: str,
        fingerprint: str,
        code: CarrierCode,
        request: ShipmentRequest,
        rate_id: str | None,
    ) -> Outcome:
        """Book under an idempotency key: concurrent same-key requests wait for the one
        that holds the key and answer with its shipment."""
        # A booking may take two carrier calls: the create, and looking for it when unanswered.
        deadline = (
            asyncio.get_running_loop().time() + 2 * self._services.settings.carrier_timeout_s + 5
        )
        while True:
            claim = await self._store.reserve_idempotency(self._tenant, key, fingerprint)
            if claim.state == IdempotencyState.MISMATCH:
                return _refused(
                    ErrorCode.IDEMPOTENCY_MISMATCH,
                    "this idempotencyKey was used with a different input",
                    "idempotencyKey",
                )
            if claim.state == IdempotencyState.COMPLETED and claim.shipment_id is not None:
                return Outcome(shipment=await self._store.get(self._tenant, claim.shipment_id))
            if claim.state == IdempotencyState.RESERVED:
                break
            if asyncio.get_running_loop().time() > deadline:
                return _refused(
                    ErrorCode.CONFLICT,
                    "a booking with this idempotencyKey is still in progress; retry later",
                    "idempotencyKey",
                )
            await asyncio.sleep(IDEMPOTENCY_POLL_S)
        try:
            outcome = await self._book(code, request, rate_id)
        except BaseException:
            await self._store.release_idempotency(self._tenant, key)
            raise
        if outcome.shipment is None:
            await self._store.release_idempotency(self._tenant, key)
        else:
            await self._store.complete_idempotency(self._tenant, key, outcome.shipment.id)
        return outcome

    async def _book(
        self, code: CarrierCode, request: ShipmentRequest, rate_id: str | None
    ) -> Outcome:
        try:
            carrier = self._services.registry.get(code, Capability.CREATE)
        except CarrierError as error:
            return Outcome(errors=_carrier_errors(error, ("carrier",)))
        draft_id = carrier.draft_of(rate_id) if rate_id is not None else None
        if draft_id is not None:
            draft = await self._store.find_by_carrier_id(code, draft_id)
            if draft is not None and draft.tenant != self._tenant:
                return _refused(ErrorCode.VALIDATION, "not a rate from your quotes", "rateId")
            changed = [] if draft is None else unlike_quote(draft, request)
            if changed:
                message = (
                    f"this rate was quoted for another {', '.join(map(camel_case, changed))}: "
                    f"{code.value} would ship what was quoted; quote this shipment again"
                )
                return _refused(ErrorCode.VALIDATION, message, "rateId")
        uncertain = self._services.uncertain_bookings
        if await uncertain.is_marked(self._tenant, code, request.reference):
            earlier = await self._reconcile(carrier, request)
            if earlier is not None:
                return earlier
        try:
            booked = await carrier.create(request, rate_id)
        except CarrierError as error:
            if error.uncertain:
                await uncertain.mark(self._tenant, code, request.reference)
                return await self._reconcile(carrier, request) or Outcome(
                    errors=_carrier_errors(error)
                )
            if error.pending is None:
                return Outcome(errors=_carrier_errors(error, ("carrier",)))
            # Accepted but unfinished at the carrier: kept as a DRAFT to refresh later.
            kept = await self.keep(code, request, error.pending)
            return Outcome(shipment=kept, errors=_carrier_errors(error))
        return await self._stored(code, request, booked)

    async def _reconcile(self, carrier: CarrierBase, request: ShipmentRequest) -> Outcome | None:
        """After a create that got no answer: the booking it made, stored as if the
        answer had come; None when the carrier says there is none (booking again is
        safe); a refusal when the carrier cannot tell."""
        code = carrier.info.code
        try:
            found = await carrier.find_booking(request)
        except CarrierError as error:
            log.warning("uncertain booking not reconciled", carrier=code.value, error=error.message)
            unknown = _unknown_fate(code, request, error)
            return Outcome(
                errors=(FieldError(ErrorCode.CARRIER_UNAVAILABLE, unknown, carrier=code),)
            )
        await self._services.uncertain_bookings.clear(self._tenant, code, request.reference)
        if found is None:
            return None
        log.info("uncertain booking found", carrier=code.value, id=found.carrier_shipment_id)
        existing = await self._store.find_by_carrier_id(code, found.carrier_shipment_id)
        if existing is not None and existing.tenant != self._tenant:
            # One carrier account serves every tenant: the reference is someone else's.
            message = f"{code.value} already has a booking with reference {request.reference!r}"
            return _refused(ErrorCode.DUPLICATE, message, "shipment", "reference")
        if existing is not None and existing.status != ShipmentStatus.DRAFT:
            return Outcome(shipment=existing)
        return await self._stored(code, request, found)

    async def _stored(
        self, code: CarrierCode, request: ShipmentRequest, booked: BookedShipment
    ) -> Outcome:
        try:
            return Outcome(shipment=await self.keep(code, request, booked))
        except Exception:
            # Booked at the carrier but not stored: say so with the carrier's id, so
            # the booking can be found, rather than pretend nothing happened.
            log.exception(
                "booked but not stored", carrier=code.value, id=booked.carrier_shipment_id
            )
            message = (
                f"{code.value} booked {booked.carrier_shipment_id} but shipgraph could not "
                "store it; do not book again, contact support with that id"
            )
            return _refused(ErrorCode.INTERNAL, message)

    async def keep(
        self, code: CarrierCode, request: ShipmentRequest, booked: BookedShipment
    ) -> Shipment:
        """Store what the carrier answered: a new shipment, or the tenant's draft of the
        same carrier shipment (a quote's draft booked by its rate) brought up to date."""
        now = self._services.clock()
        draft = await self._store.find_by_carrier_id(code, booked.carrier_shipment_id)
        if draft is not None and draft.tenant == self._tenant:
            previous = draft.status
            stored = await self._store.update(
                self._tenant, draft.id, lambda s: _booked(s, booked, now)
            )
            event = ShipmentEvent(shipment=stored, occurred_at=now, previous_status=previous)
            await self._services.updater.publish(event)
            return stored
        stored = await self._store.create(_new_shipment(self._tenant, code, request, booked, now))
        updater = self._services.updater
        await updater.publish(ShipmentEvent(shipment=stored, occurred_at=now))
        return await updater.adopt_orphans(stored)

    # --- change -----------------------------------------------------------------

    async def update(
        self, shipment_id: str, patch: ShipmentPatch, expected_version: int | None
    ) -> Outcome:
        shipment = await self._store.get(self._tenant, shipment_id)
        if shipment is None:
            return _refused(ErrorCode.NOT_FOUND, "no such shipment", "id")
        if expected_version is not None and expected_version != shipment.version:
            message = f"the shipment is at version {shipment.version}, not {expected_version}"
            return _refused(ErrorCode.CONFLICT, message, "expectedVersion")
        errors = validate_patch(patch, self._services.clock())
        if errors:
            return Outcome(errors=tuple(errors))
        if shipment.status in TERMINAL_STATUSES:
            message = f"a {shipment.status.value} shipment cannot be changed"
            return _refused(ErrorCode.INVALID_STATE, message, "id")
        try:
            carrier = self._services.registry.get(shipment.carrier, Capability.UPDATE)
            await carrier.update(shipment, patch)
        except CarrierError as error:
            if error.applied is None or not error.applied.given_fields():
                return Outcome(errors=_carrier_errors(error))
            # The carrier kept part of the patch: store that part, report the rest.
            stored = await self._merge(shipment, error.applied)
            return Outcome(shipment=stored, errors=_carrier_errors(error))
        return Outcome(shipment=await self._merge(shipment, patch))

    async def _merge(self, shipment: Shipment, patch: ShipmentPatch) -> Shipment:
        stored = await self._store.update(
            self._tenant, shipment.id, lambda s: apply_patch(s, patch, self._services.clock())
        )
        event = ShipmentEvent(
            shipment=stored, occurred_at=stored.updated_at, previous_status=shipment.status
        )
        await self._services.updater.publish(event)
        return stored

    async def cancel(self, shipment_id: str, reason: str | None) -> Outcome:
        problem = None if reason is None else text_problem(reason, MAX_INSTRUCTIONS)
        if problem is not None:
            return _refused(ErrorCode.VALIDATION, problem, "reason")
        shipment = await self._store.get(self._tenant, shipment_id)
        if shipment is None:
            return _refused(ErrorCode.NOT_FOUND, "no such shipment", "id")
        if shipment.status == ShipmentStatus.CANCELLED:
            return Outcome(shipment=shipment)
        if shipment.status in TERMINAL_STATUSES:
            message = f"a {shipment.status.value} shipment cannot be cancelled"
            return _refused(ErrorCode.INVALID_STATE, message, "id")
        try:
            carrier = self._services.registry.get(shipment.carrier, Capability.CANCEL)
            update = await carrier.cancel(shipment, reason)
        except CarrierError as error:
            return Outcome(errors=_carrier_errors(error))
        stored, _ = await self._services.updater.apply(shipment, update)
        return Outcome(shipment=stored)

    async def refresh(self, shipment_id: str) -> Shipment | None:
        """Pull the carrier's state now; a carrier failure is a GraphQL error with its code."""
        shipment = await self._store.get(self._tenant, shipment_id)
        if shipment is None:
            return None
        try:
            carrier = self._services.registry.get(shipment.carrier, Capability.TRACK)
            update = await carrier.refresh(shipment)
        except CarrierError as error:
            raise from_carrier_error(error) from None
        stored, _ = await self._services.updater.apply(shipment, update)
        return stored

    async def labels(
        self, ids: Sequence[str], format: DocumentFormat
    ) -> tuple[list[tuple[Shipment, list[Document]]], list[FieldError]]:
        """Documents per shipment, one carrier call per carrier."""
        if len(ids) > MAX_LABEL_IDS:
            message = f"at most {MAX_LABEL_IDS} shipments at once"
            return [], [FieldError(ErrorCode.VALIDATION, message, ("ids",))]
        found = await self._store.get_many(self._tenant, list(ids))
        errors: list[FieldError] = []
        by_carrier: dict[CarrierCode, list[Shipment]] = {}
        for index, shipment in enumerate(found):
            if shipment is None:
                errors.append(
                    FieldError(ErrorCode.NOT_FOUND, "no such shipment", ("ids", str(index)))
                )
            else:
                by_carrier.setdefault(shipment.carrier, []).append(shipment)
        labels: list[tuple[Shipment, list[Document]]] = []
        for code, shipments in by_carrier.items():
            try:
                carrier = self._services.registry.get(code, Capability.LABELS)
                documents = await carrier.labels(shipments, format)
            except CarrierError as error:
                errors += _carrier_errors(error)
                continue
            labels += [(shipment, documents.get(shipment.id, [])) for shipment in shipments]
        return labels, errors


def _unknown_fate(code: CarrierCode, request: ShipmentRequest, error: CarrierError) -> str:
    said = f"{code.value} may have booked reference {request.reference!r} without answering"
    if error.code == ErrorCode.UNSUPPORTED:
        return (
            f"{said}, and it offers no way to look a booking up; check with {code.value} "
            "before booking again, as shipgraph will not book this reference again"
        )
    return (
        f"{said}, and cannot say so now ({error.message}); a retry with the same reference "
        "checks again first and never books twice"
    )


def _carrier_errors(
    error: CarrierError, unsupported_field: tuple[str, ...] | None = None
) -> tuple[FieldError, ...]:
    """A carrier's refusal as UserErrors. A refusal of the whole operation by a carrier
    that cannot do it points at ``unsupported_field`` (the carrier the caller chose)."""
    errors = error.user_errors()
    if unsupported_field is None or error.field_errors or error.code != ErrorCode.UNSUPPORTED:
        return errors
    return tuple(replace(e, field=unsupported_field) for e in errors)


def _new_shipment(
    tenant: str, code: CarrierCode, request: ShipmentRequest, booked: BookedShipment, now: datetime
) -> Shipment:
    return Shipment(
        id=new_shipment_id(),
        tenant=tenant,
        reference=request.reference,
        carrier=code,
        carrier_shipment_id=booked.carrier_shipment_id,
        tracking_number=booked.tracking_number,
        status=booked.status,
        carrier_status=booked.carrier_status,
        origin=_placed(request.origin, booked.origin_coordinates),
        destination=_placed(request.destination, booked.destination_coordinates),
        parcels=request.parcels,
        description=request.description,
        instructions=request.instructions,
        service_level=request.service_level,
        cash_on_delivery=request.cash_on_delivery,
        declared_value=request.declared_value,
        customs=request.customs,
        price=booked.price,
        documents=booked.documents,
        estimated_pickup_at=booked.estimated_pickup_at,
        estimated_delivery_at=booked.estimated_delivery_at,
        service=booked.service,
        carrier_data=booked.carrier_data,
        created_at=now,
        updated_at=now,
    )


def _placed(address: Address, coordinates: GeoPoint | None) -> Address:
    """The caller's coordinates, else where the carrier placed the address (so a map
    can show pickup and drop-off without a geocoder of ours)."""
    if address.coordinates is not None or coordinates is None:
        return address
    return replace(address, coordinates=coordinates)


def _booked(draft: Shipment, booked: BookedShipment, now: datetime) -> Shipment:
    """A stored draft with the carrier's booking answer merged in."""
    return replace(
        draft,
        status=booked.status,
        carrier_status=booked.carrier_status,
        tracking_number=booked.tracking_number or draft.tracking_number,
        price=booked.price or draft.price,
        documents=booked.documents or draft.documents,
        estimated_pickup_at=booked.estimated_pickup_at or draft.estimated_pickup_at,
        estimated_delivery_at=booked.estimated_delivery_at or draft.estimated_delivery_at,
        service=booked.service or draft.service,
        carrier_data={**draft.carrier_data, **booked.carrier_data},
        updated_at=now,
    )
