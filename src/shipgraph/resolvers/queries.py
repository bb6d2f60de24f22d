"""Read-side resolvers: carriers, rates, tracking any number, places."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from graphql import GraphQLError

from shipgraph.carriers.base import CarrierBase, CarrierError, Quote
from shipgraph.domain import (
    Capability,
    CarrierCode,
    ErrorCode,
    PaymentOptions,
    Rate,
    ShipmentRequest,
    ShipmentStatus,
    Tracking,
)
from shipgraph.observability import get_logger
from shipgraph.resolvers.context import Services
from shipgraph.resolvers.errors import BAD_USER_INPUT, api_error, from_carrier_error
from shipgraph.resolvers.shipments import ShipmentService
from shipgraph.resolvers.validation import (
    tracking_number_problem,
    validate_request,
    with_e164_phones,
)
from shipgraph.store.base import (
    COUNT_CAP,
    InvalidCursor,
    PageRead,
    ShipmentFilter,
    ShipmentOrder,
    ShipmentPage,
    StoreUnavailable,
)

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


MAX_SEARCH = 100
"""Characters of a search's text (terms are indexed up to store.search.MAX_TERM)."""


@dataclass(frozen=True, slots=True)
class ShipmentListing:
    """One page of the tenant's shipments, and the count of every match on demand."""

    page: ShipmentPage
    has_previous_page: bool
    has_next_page: bool
    count: Callable[[], Awaitable[int]]
    read: PageRead | None = None
    """What the store read, for the response cache to check later (None for a
    search, whose page only its documents decide)."""


async def list_shipments(
    services: Services,
    tenant: str,
    first: int | None,
    after: str | None,
    *,
    last: int | None = None,
    before: str | None = None,
    order: ShipmentOrder = ShipmentOrder.NEWEST_FIRST,
    carrier: CarrierCode | None = None,
    statuses: Sequence[ShipmentStatus] | None = None,
    reference: str | None = None,
    tracking_number: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    search: str | None = None,
) -> ShipmentListing:
    """One page of the tenant's shipments in ``order``: the ``first`` after the
    cursor ``after``, or the ``last`` before the cursor ``before`` (Relay's
    forward and backward pagination; one direction per request)."""
    if first is not None and last is not None:
        raise api_error(BAD_USER_INPUT, "pass first (with after) or last (with before), not both")
    backward = last is not None
    if backward and after is not None:
        raise api_error(BAD_USER_INPUT, "after goes with first; with last, pass before")
    if not backward and before is not None:
        raise api_error(BAD_USER_INPUT, "before goes with last; with first, pass after")
    size = last if last is not None else (20 if first is None else first)
    name = "last" if backward else "first"
    if not 0 <= size <= MAX_PAGE:
        raise api_error(BAD_USER_INPUT, f"{name} must be between 0 and {MAX_PAGE}")
    if search is not None:
        problem = search_problem(search)
        if problem is not None:
            raise api_error(BAD_USER_INPUT, problem, field=["filter", "search"])
    query = ShipmentFilter(
        carrier=carrier,
        statuses=frozenset(statuses) if statuses else None,
        reference=reference,
        tracking_number=tracking_number,
        created_after=created_after,
        created_before=created_before,
        search=search if search and search.strip() else None,
    )
    store = services.store
    # one direction: first and after, or last and before (then first is 0)
    ahead, since = (0, None) if backward else (size, after)
    back, until = (size, before) if backward else (None, None)
    try:
        page = await store.list(tenant, ahead, since, query, last=back, before=until, order=order)
    except InvalidCursor:
        cursor = "before" if backward else "after"
        raise api_error(BAD_USER_INPUT, f"{cursor} is not a cursor from this listing") from None

    async def count() -> int:
        return await store.count(tenant, query, at_most=COUNT_CAP)

    read = None
    if query.search is None:  # a search's page only its documents decide
        read = PageRead.of(tenant, page, ahead, since, query, last=back, before=until, order=order)
    return ShipmentListing(
        page=page,
        has_previous_page=page.has_previous_page if backward else after is not None,
        has_next_page=before is not None if backward else page.has_next_page,
        count=count,
        read=read,
    )


def search_problem(search: str) -> str | None:
    """Why a search's text is refused, or None."""
    if len(search) > MAX_SEARCH:
        return f"search must be at most {MAX_SEARCH} characters"
    if not search.replace(" ", "").isprintable():
        return "search may not contain control or other unprintable characters"
    try:
        search.encode("utf-8")
    except UnicodeEncodeError:
        return "search must be valid Unicode text"
    return None


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
    """Every asked carrier concurrently, one deadline for the whole quote, for a
    request validation_error found valid. A carrier that made a shipment to quote
    (Envoy) has it kept as the tenant's DRAFT."""
    request = with_e164_phones(request)
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


async def payment_options(services: Services, code: CarrierCode) -> PaymentOptions:
    """How bookings on the carrier's account may be paid; the carrier's failure (or
    UNSUPPORTED for a carrier without them) as a GraphQL error with its code."""
    try:
        carrier = services.registry.get(code, Capability.CREATE)
        return await carrier.payment_options()
    except CarrierError as error:
        raise from_carrier_error(error) from None


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
