"""The Envoy carrier (multi-carrier aggregator, envoy.txt): rate by creating a
shipment, book by purchasing one of its rates, read it back for status and labels,
and hear of its changes by webhook (on an assumption: see webhooks.py).
No UPDATE or CANCEL: the document has neither."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote as url_quote

import httpx

from shipgraph import safe_json
from shipgraph.carriers.base import CallGuard, CarrierBase, CarrierError, CarrierInfo, Quote
from shipgraph.carriers.envoy import errors, rates, requests, webhooks
from shipgraph.carriers.envoy.mapping import CARRIER
from shipgraph.carriers.envoy.models import (
    EnvoyDraft,
    EnvoyPending,
    EnvoyShipmentSummary,
    summary_of,
)
from shipgraph.carriers.http import CarrierHttp
from shipgraph.domain import (
    BookedShipment,
    Capability,
    Document,
    DocumentFormat,
    DocumentKind,
    ErrorCode,
    FieldError,
    Rate,
    Shipment,
    ShipmentRequest,
    ShipmentStatus,
    Tracking,
    TrackingLog,
    TrackingUpdate,
)
from shipgraph.observability import get_logger

log = get_logger("shipgraph.carriers.envoy")

INFO = CarrierInfo(
    code=CARRIER,
    name="Envoy",
    countries=(),  # an aggregator: its document names no country limit
    capabilities=frozenset(
        {Capability.RATES, Capability.CREATE, Capability.TRACK, Capability.LABELS}
    ),
)

# While polling after a 202, these statuses (with no rates and no errors yet) mean
# "still rating"; the document names no pending status, so we take the plausible ones.
RATING = frozenset({"", "created", "pending", "processing", "queued", "creating", "rating"})
# While polling after a purchase answered 202: still not purchased.
PURCHASING = RATING | {"rated", "purchasing"}
# Surely not bought: still rating, rated, or (the sandbox's word) failed to rate.
NOT_BOUGHT = RATING | {"rated", "failed"}
LIST_FIELDS = "rates,selected_rate,documents,errors"
LIST_PAGE = 100
MAX_LIST_PAGES = 50
SHIPMENT_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
"""envoy.txt types the id as a string; every example is a prefix and letters and digits
(shp_0ujzPyRiIAffKhBux4PvQdDqMHY). Anything else in the path (/, ?, .., spaces) would
ask for another resource, never for a shipment."""
"""find_booking reads at most this many pages of GET /shipments."""


def _now() -> datetime:
    return datetime.now(UTC)


def _rated(summary: EnvoyShipmentSummary) -> bool:
    return bool(summary.rates or summary.errors) or summary.carrier_status not in RATING


def _purchased(summary: EnvoyShipmentSummary) -> bool:
    return summary.carrier_status not in PURCHASING


class EnvoyCarrier(CarrierBase):
    info = INFO

    def __init__(
        self,
        *,
        base_url: str,
        access_token: str,
        timeout_s: float,
        webhook_secret: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        guard: CallGuard | None = None,
        clock: Callable[[], datetime] = _now,
        poll_initial_s: float = 0.25,
        poll_max_s: float = 2.0,
    ) -> None:
        self._http = CarrierHttp(
            CARRIER, base_url, timeout_s=timeout_s, transport=transport, guard=guard
        )
        self._headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        self._timeout_s = timeout_s
        self._clock = clock
        self._poll_initial_s = poll_initial_s
        self._poll_max_s = poll_max_s
        self._key = rates.signing_key(access_token)
        self._webhook_secret = webhook_secret

    # --- quotes -------------------------------------------------------------------

    async def draft(
        self, request: ShipmentRequest, label_format: DocumentFormat = DocumentFormat.PDF
    ) -> EnvoyDraft:
        """Create (and so rate) an Envoy shipment; EnvoyPending when Envoy is still
        rating it at the deadline."""
        built = requests.shipment_body(request, label_format)
        if built.problems:
            raise self._invalid("draft", built.problems)
        deadline = asyncio.get_running_loop().time() + self._timeout_s
        response = await self._send("draft", "POST", "/shipments", json=built.body)
        if response.status_code not in (200, 201, 202):
            raise self._rejected("draft", response, request=request)
        summary = self._summary("draft", response)
        if response.status_code == 202 and not _rated(summary):
            summary = await self._poll("draft", summary.shipment_id, deadline, _rated)
        return summary.draft()

    async def rates(self, request: ShipmentRequest) -> list[Rate]:
        return (await self.quote(request)).rates

    async def quote(self, request: ShipmentRequest) -> Quote:
        """Envoy rates a shipment it creates: the quote carries that draft, and each
        rate id books it (no second Envoy shipment)."""
        draft = await self.draft(request, requests.label_format_of(request))
        if not draft.rates and draft.errors:
            raise self._no_rates("rates", draft)
        booked = BookedShipment(
            carrier_shipment_id=draft.shipment_id,
            status=draft.status,
            carrier_status=draft.carrier_status,
            carrier_data={"shipment_id": draft.shipment_id},
        )
        return Quote(rates=draft.rates, draft=booked, errors=tuple(draft.errors))

    def draft_of(self, rate_id: str) -> str | None:
        try:
            return rates.decode_rate_id(self._key, rate_id).shipment_id
        except rates.RateIdRefused:
            return None

    # --- bookings -----------------------------------------------------------------

    async def create(self, request: ShipmentRequest, rate_id: str | None = None) -> BookedShipment:
        """With a rate id: purchase it on the shipment it was quoted on (as quoted).
        Without: draft, then purchase the cheapest rate (see rates.cheapest), in the
        currency the rates were asked in (requests.rate_currency)."""
        if rate_id is not None:
            try:
                ref = rates.decode_rate_id(self._key, rate_id)
            except rates.RateIdRefused as refused:
                problem = FieldError(ErrorCode.VALIDATION, str(refused), ("rateId",), CARRIER)
                raise self._invalid("create", [problem]) from None
            return await self.purchase(ref.shipment_id, ref.rate_id)
        draft = await self.draft(request, requests.label_format_of(request))
        chosen = rates.cheapest(draft.rates, requests.rate_currency(request))
        if chosen is None:
            raise self._no_rates("create", draft)
        ref = rates.decode_rate_id(self._key, chosen.id)
        return await self.purchase(ref.shipment_id, ref.rate_id, quoted=draft.rates)

    async def purchase(
        self, shipment_id: str, rate_id: str, *, quoted: Sequence[Rate] = ()
    ) -> BookedShipment:
        """POST /shipments/{id}/purchase with Envoy's rate id. ``quoted`` rates supply
        the price when the answer does not list the purchased rate."""
        deadline = asyncio.get_running_loop().time() + self._timeout_s
        path = f"/shipments/{url_quote(shipment_id, safe='')}/purchase"
        response = await self._send("purchase", "POST", path, json={"rate": rate_id})
        if response.status_code not in (200, 201, 202):
            raise self._rejected("purchase", response, purchase=True)
        summary = self._summary("purchase", response, fallback_id=shipment_id)
        if response.status_code == 202 and not _purchased(summary):
            summary = await self._poll("purchase", shipment_id, deadline, _purchased)
        if summary.carrier_status in PURCHASING | NOT_BOUGHT:
            if summary.errors:
                raise self._no_rates("purchase", summary.draft())
            message = f"Envoy answered the purchase with status {summary.carrier_status!r}"
            raise self._unavailable("purchase", message)
        return self._booked(summary, summary.selected_rate_id or rate_id, quoted)

    async def find_booking(self, request: ShipmentRequest) -> BookedShipment | None:
        """The bought shipment a create named after the reference (its ``name``), read
        from GET /shipments: envoy.txt's "Get Shipments" filters by batch_id only, so
        every page is read through next_cursor. None when no shipment of that name is
        bought (drafts, as quotes leave them, are not bookings)."""
        cursor: str | None = None
        unsure: EnvoyShipmentSummary | None = None
        for _ in range(MAX_LIST_PAGES):
            page, cursor = await self.list_shipments(cursor, LIST_PAGE)
            for summary in page:
                if summary.name != request.reference:
                    continue
                if summary.status == ShipmentStatus.CREATED:
                    return self._booked(summary, summary.selected_rate_id)
                if summary.carrier_status not in NOT_BOUGHT:
                    unsure = summary
            if cursor is None:
                break
        else:
            message = f"read {MAX_LIST_PAGES * LIST_PAGE} shipments without reaching the end"
            raise self._unavailable("find_booking", message)
        if unsure is not None:
            message = (
                f"Envoy's shipment {unsure.shipment_id} is {unsure.carrier_status!r}: "
                "cannot tell whether it is bought"
            )
            raise self._unavailable("find_booking", message)
        return None

    def _booked(
        self, summary: EnvoyShipmentSummary, bought: str | None, quoted: Sequence[Rate] = ()
    ) -> BookedShipment:
        rate = self._rate_by_envoy_id([*summary.rates, *quoted], bought) if bought else None
        facts = summary.rate_facts.get(bought) if bought else None
        ship_date = facts.ship_date if facts else None
        account = summary.carrier_account or (facts.carrier_account if facts else None)
        service = summary.service or (rate.service if rate else None)
        return BookedShipment(
            carrier_shipment_id=summary.shipment_id,
            status=summary.status,
            tracking_number=summary.tracking_number,
            carrier_status=summary.carrier_status,
            price=rate.total if rate else None,
            documents=summary.documents,
            # A rate's ship_date is its collection day (options.shipping.date: "due to
            # be collected by the carrier").
            estimated_pickup_at=ship_date,
            estimated_delivery_at=rate.estimated_delivery_at if rate else None,
            origin_coordinates=summary.origin_coordinates,
            destination_coordinates=summary.destination_coordinates,
            service=service,
            carrier_data={
                "shipment_id": summary.shipment_id,
                "rate_id": bought,
                "service": service,
                "carrier": summary.carrier_name,
                "carrier_service": summary.service_name,
                "carrier_account": account,
                "ship_date": ship_date.isoformat() if ship_date else None,
            },
        )

    # --- reads --------------------------------------------------------------------

    async def shipment(self, shipment_id: str) -> EnvoyShipmentSummary:
        """GET /shipments/{id}."""
        return await self._read("shipment", shipment_id)

    async def refresh(self, shipment: Shipment) -> TrackingUpdate:
        summary = await self._read("refresh", shipment.carrier_shipment_id)
        return webhooks.update_of(summary, self._clock())

    def verify_webhook(
        self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> None:
        webhooks.verify(self._webhook_secret, headers, body)

    def parse_webhook(self, body: bytes) -> list[TrackingUpdate]:
        return webhooks.parse(self._key, body, self._clock())

    def tracking_key(self, shipment: Shipment) -> str:
        """Envoy reads a shipment by its id only, whatever tracking number it has."""
        return shipment.carrier_shipment_id

    async def track(self, tracking_number: str) -> Tracking:
        """The number is the Envoy shipment id: the document has no other to read by.
        The id is the answer's own, never the one asked with: it decides whose it is."""
        if not SHIPMENT_ID.fullmatch(tracking_number):
            raise self._http.fail("track", ErrorCode.NOT_FOUND, "not an Envoy shipment id")
        response = await self._send("track", "GET", self._shipment_path(tracking_number))
        if response.status_code != 200:
            raise self._rejected("track", response)
        summary = self._summary("track", response)
        return Tracking(
            carrier=CARRIER,
            carrier_shipment_id=summary.shipment_id,
            tracking_number=summary.tracking_number or summary.shipment_id,
            status=summary.status,
            carrier_status=summary.carrier_status or None,
            logs=(self._log(summary),),
        )

    async def labels(
        self, shipments: Sequence[Shipment], format: DocumentFormat
    ) -> dict[str, list[Document]]:
        """The purchased shipments' label documents, read afresh (their URLs are signed
        and expire). Envoy fixes the format when the shipment is created and offers no
        re-rendering, so another format is UNSUPPORTED."""
        answers = await asyncio.gather(
            *(self._read("labels", s.carrier_shipment_id) for s in shipments)
        )
        found: dict[str, list[Document]] = {}
        for shipment, summary in zip(shipments, answers, strict=True):
            found[shipment.id] = self._labels_of(shipment, summary, format)
        return found

    async def list_shipments(
        self, cursor: str | None, limit: int, batch_id: str | None = None
    ) -> tuple[list[EnvoyShipmentSummary], str | None]:
        """One page of GET /shipments and the cursor of the next (None at the end)."""
        params = {"limit": str(limit), "include_fields": LIST_FIELDS}
        if cursor:
            params["cursor"] = cursor
        if batch_id:
            params["batch_id"] = batch_id
        response = await self._send("list", "GET", "/shipments", params=params)
        if response.status_code != 200:
            raise self._rejected("list", response)
        answer = self._http.json_object("list", response)
        data = answer.get("data")
        if not isinstance(data, list):
            raise self._unavailable("list", "Envoy's shipment list has no data")
        found = [summary_of(self._key, e) for e in data if isinstance(e, dict)]
        page = [summary for summary in found if summary is not None]
        following = answer.get("next_cursor")
        if not isinstance(following, str) or not following or following == cursor or not data:
            following = None
        return page, following

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- plumbing -----------------------------------------------------------------

    async def _send(self, operation: str, method: str, path: str, **kw: Any) -> httpx.Response:
        return await self._http.request(operation, method, path, headers=self._headers, **kw)

    async def _read(self, operation: str, shipment_id: str) -> EnvoyShipmentSummary:
        response = await self._send(operation, "GET", self._shipment_path(shipment_id))
        if response.status_code != 200:
            raise self._rejected(operation, response)
        return self._summary(operation, response, fallback_id=shipment_id)

    @staticmethod
    def _shipment_path(shipment_id: str) -> str:
        return f"/shipments/{url_quote(shipment_id, safe='')}"

    async def _poll(
        self,
        operation: str,
        shipment_id: str,
        deadline: float,
        done: Callable[[EnvoyShipmentSummary], bool],
    ) -> EnvoyShipmentSummary:
        """GET the shipment with exponential backoff until ``done`` or the deadline.
        Transient failures on the way end as EnvoyPending: the shipment exists."""
        delay = self._poll_initial_s
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(deadline):
                while True:
                    await asyncio.sleep(max(0.0, min(delay, deadline - loop.time())))
                    summary = await self._read(operation, shipment_id)
                    if done(summary):
                        return summary
                    delay = min(delay * 2, self._poll_max_s)
        except TimeoutError:
            raise EnvoyPending(shipment_id) from None
        except CarrierError as error:
            if error.code in (ErrorCode.CARRIER_UNAVAILABLE, ErrorCode.RATE_LIMITED):
                raise EnvoyPending(
                    shipment_id, f"{error.message} (shipment {shipment_id})"
                ) from None
            raise

    def _summary(
        self, operation: str, response: httpx.Response, fallback_id: str | None = None
    ) -> EnvoyShipmentSummary:
        answer = self._http.json_object(operation, response)
        if fallback_id is not None and not answer.get("id"):
            answer = {**answer, "id": fallback_id}
        summary = summary_of(self._key, answer)
        if summary is None:
            # A POST that said success without naming its shipment may have made one.
            uncertain = response.is_success and response.request.method == "POST"
            message = "Envoy's answer has no shipment id"
            raise self._http.fail(
                operation, ErrorCode.CARRIER_UNAVAILABLE, message, uncertain=uncertain
            )
        return summary

    def _rate_by_envoy_id(self, found: Sequence[Rate], envoy_id: str) -> Rate | None:
        for rate in found:
            try:
                if rates.decode_rate_id(self._key, rate.id).rate_id == envoy_id:
                    return rate
            except rates.RateIdRefused:
                continue
        return None

    def _labels_of(
        self, shipment: Shipment, summary: EnvoyShipmentSummary, format: DocumentFormat
    ) -> list[Document]:
        labels = [d for d in summary.documents if d.kind == DocumentKind.LABEL]
        wanted = [d for d in labels if d.format == format]
        if wanted:
            return wanted
        if labels:
            made = ", ".join(sorted({d.format.value for d in labels}))
            message = (
                f"Envoy made shipment {shipment.id}'s label as {made}, not {format.value}; "
                "the label format is chosen when the shipment is created"
            )
            problem = FieldError(ErrorCode.UNSUPPORTED, message, ("format",), CARRIER)
            raise self._invalid("labels", [problem])
        if summary.status != ShipmentStatus.CREATED:
            message = f"shipment {shipment.id} is not purchased at Envoy, so it has no label"
            raise self._http.fail("labels", ErrorCode.INVALID_STATE, message)
        message = f"Envoy has no label for shipment {shipment.id} yet"
        raise self._http.fail("labels", ErrorCode.NOT_FOUND, message)

    def _log(self, summary: EnvoyShipmentSummary) -> TrackingLog:
        return webhooks.log_of(summary, self._clock())

    def _no_rates(self, operation: str, draft: EnvoyDraft) -> CarrierError:
        texts = "; ".join(error.message for error in draft.errors)
        message = texts or f"Envoy offered no rates for shipment {draft.shipment_id}"
        return self._http.fail(operation, ErrorCode.VALIDATION, message)

    def _rejected(
        self,
        operation: str,
        response: httpx.Response,
        *,
        purchase: bool = False,
        request: ShipmentRequest | None = None,
    ) -> CarrierError:
        status = response.status_code
        if status >= 500:
            return self._unavailable(operation, f"Envoy answered {status}")
        try:
            body: object = safe_json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        code, message, field_errors = errors.rejection(
            status, body, purchase=purchase, request=request
        )
        return self._http.fail(operation, code, message, field_errors=field_errors)

    def _unavailable(self, operation: str, message: str) -> CarrierError:
        return self._http.fail(operation, ErrorCode.CARRIER_UNAVAILABLE, message)

    def _invalid(self, operation: str, problems: Sequence[FieldError]) -> CarrierError:
        message = "; ".join(problem.message for problem in problems)
        return self._http.fail(operation, problems[0].code, message, field_errors=problems)
