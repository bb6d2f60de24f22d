"""Read-side resolvers: carriers, rates, tracking any number, places."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from graphql import GraphQLError

from shipgraph.carriers.base import CarrierBase, CarrierError, Quote
from shipgraph.domain import (
    Capability,
    CarrierCode,
    ErrorCode,
    Rate,
    ShipmentRequest,
    ShipmentStatus,
    Tracking,
)
from shipgraph.observability import get_logger
from shipgraph.resolvers.context import Services
from shipgraph.resolvers.errors import BAD_USER_INPUT, api_error, from_carrier_error
from shipgraph.resolvers.shipments import ShipmentService
from shipgraph.resolvers.validation import tracking_number_problem, validate_request
from shipgraph.store.base import InvalidCursor, ShipmentFilter, ShipmentPage, StoreUnavailable

log = get_logger("shipgraph.resolvers.queries")

MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class CarrierView:
    code: CarrierCode
    name: str
    countries: list[str]
    capabilities: list[Capability]
    enabled: bool
    healthy: bool


async def carriers(services: Services) -> list[CarrierView]:
    registry = services.registry
    return [
        CarrierView(
            code=info.code,
            name=info.name,
            countries=list(info.countries),
            capabilities=sorted(info.capabilities, key=list(Capability).index),
            enabled=registry.is_enabled(info.code),
            healthy=await registry.healthy(info.code),
        )
        for info in registry.all()
    ]


@dataclass(frozen=True, slots=True)
class CarrierFailure:
    """A CarrierError as a value: graphql-core would raise an exception returned as data."""

    carrier: CarrierCode
    code: ErrorCode
    message: str
    retryable: bool

    @classmethod
    def of(cls, error: CarrierError) -> CarrierFailure:
        return cls(error.carrier, error.code, error.message, error.retryable)


async def list_shipments(
    services: Services,
    tenant: str,
    first: int,
    after: str | None,
    *,
    carrier: CarrierCode | None = None,
    statuses: Sequence[ShipmentStatus] | None = None,
    reference: str | None = None,
    tracking_number: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> ShipmentPage:
    """The tenant's shipments, newest first, one page."""
    if not 0 <= first <= MAX_PAGE:
        raise api_error(BAD_USER_INPUT, f"first must be between 0 and {MAX_PAGE}")
    query = ShipmentFilter(
        carrier=carrier,
        statuses=frozenset(statuses) if statuses else None,
        reference=reference,
        tracking_number=tracking_number,
        created_after=created_after,
        created_before=created_before,
    )
    try:
        return await services.store.list(tenant, first, after, query)
    except InvalidCursor:
        raise api_error(BAD_USER_INPUT, "after is not a cursor from this listing") from None


def validation_error(
    request: ShipmentRequest, now: datetime, path: tuple[str, ...]
) -> GraphQLError | None:
    """For fields without userErrors: the problems as one error with their paths."""
    problems = validate_request(request, now, path)
    if not problems:
        return None
    return api_error(
        ErrorCode.VALIDATION,
        "; ".join(f"{'.'.join(p.field or ())}: {p.message}" for p in problems),
        fields=[{"field": list(p.field or ()), "message": p.message} for p in problems],
    )


async def quote(
    services: Services,
    tenant: str,
    request: ShipmentRequest,
    asked: Sequence[CarrierCode] | None,
) -> tuple[list[Rate], list[CarrierFailure]]:
    """Every asked carrier concurrently, one deadline for the whole quote. A carrier
    that made a shipment to quote (Envoy) has it kept as the tenant's DRAFT."""
    codes = (
        list(dict.fromkeys(asked)) if asked else services.registry.with_capability(Capability.RATES)
    )
    errors: list[CarrierError] = []
    ready: list[CarrierBase] = []
    for code in codes:
        try:
            ready.append(services.registry.get(code, Capability.RATES))
        except CarrierError as error:
            errors.append(error)
    deadline = services.settings.carrier_timeout_s
    answers = await asyncio.gather(
        *(_quote_within(carrier, request, deadline) for carrier in ready)
    )
    rates: list[Rate] = []
    keeper = ShipmentService(services, tenant)
    for carrier, answer in zip(ready, answers, strict=True):
        if isinstance(answer, CarrierError):
            errors.append(answer)
            continue
        rates += answer.rates
        errors += answer.errors
        if answer.draft is not None:
            try:
                await keeper.keep(carrier.info.code, request, answer.draft)
            except StoreUnavailable:
                # The rates stand: booking one books the carrier's draft all the same.
                log.warning("quote draft not kept", carrier=carrier.info.code.value)
    rates.sort(key=lambda rate: (rate.total.currency, rate.total.amount))
    return rates, [CarrierFailure.of(error) for error in errors]


async def _quote_within(
    carrier: CarrierBase, request: ShipmentRequest, deadline_s: float
) -> Quote | CarrierError:
    try:
        async with asyncio.timeout(deadline_s):
            return await carrier.quote(request)
    except TimeoutError:
        code = carrier.info.code
        message = f"{code.value} did not quote within {deadline_s:g} s"
        return CarrierError(code, ErrorCode.CARRIER_UNAVAILABLE, message)
    except CarrierError as error:
        return error


async def track(
    services: Services, tenant: str, code: CarrierCode, tracking_number: str
) -> Tracking | None:
    """Tracking of any number; None when the carrier does not know it, and when it is
    another tenant's shipment (one carrier account serves every tenant): both answers
    are the same, so a probe learns nothing of other tenants."""
    number = tracking_number.strip()
    problem = tracking_number_problem(number)
    if problem is not None:
        raise api_error(ErrorCode.VALIDATION, problem)
    try:
        carrier = services.registry.get(code, Capability.TRACK)
        tracking = await carrier.track(await _key_for(services, tenant, carrier, number))
    except CarrierError as error:
        if error.code == ErrorCode.NOT_FOUND:
            return None
        raise from_carrier_error(error) from None
    return tracking if await _may_see(services, tenant, number, tracking) else None


async def _key_for(services: Services, tenant: str, carrier: CarrierBase, number: str) -> str:
    """The caller's own shipment's number is asked about as its carrier reads it (a
    Borzo order_name by its order_id); any other string goes to the carrier as typed,
    and the answer decides whose it is."""
    own = await services.store.find_by_tracking_number(carrier.info.code, number)
    return carrier.tracking_key(own) if own is not None and own.tenant == tenant else number


async def _may_see(services: Services, tenant: str, asked: str, tracking: Tracking) -> bool:
    """Whose shipment the carrier answered about decides, by its own id in the answer,
    never by the string asked with (a reference, another spelling of the number)."""
    if tracking.carrier_shipment_id is None:
        log.warning("track answer without the carrier's id", carrier=tracking.carrier.value)
        return False
    owner = await services.store.find_by_carrier_id(tracking.carrier, tracking.carrier_shipment_id)
    if owner is not None:
        if owner.tenant != tenant:
            carrier = tracking.carrier.value
            log.info("track of another tenant's shipment refused", carrier=carrier, tenant=tenant)
        return owner.tenant == tenant
    # Not booked through the gateway (or not stored yet): shown only when asked for by
    # its own number. A reference is a tenant's label on an account every tenant shares.
    return asked in (tracking.carrier_shipment_id, tracking.tracking_number)
