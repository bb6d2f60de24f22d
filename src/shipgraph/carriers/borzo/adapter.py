"""The Borzo carrier: quote, book, edit, cancel, track, courier, labels, callbacks
(borzo.txt, Business API 1.6)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from shipgraph.carriers.base import (
    CallGuard,
    CallLimiter,
    CarrierBase,
    CarrierError,
    CarrierInfo,
    unsupported_fields,
)
from shipgraph.carriers.borzo import errors, rates, requests, webhooks
from shipgraph.carriers.borzo.account import BankCard, ClientProfile, bank_cards_of, client_of
from shipgraph.carriers.borzo.mapping import (
    CARRIER,
    CURRENCY,
    OrderView,
    courier_of,
    destination_point,
    has_client_order_id,
    order_id_of,
    order_view,
    parse_order_id,
    pickup_point,
    point_refs,
    vehicle_name,
)
from shipgraph.carriers.http import CarrierHttp
from shipgraph.carriers.parsing import amount, geo_point
from shipgraph.domain import (
    BookedShipment,
    Capability,
    Courier,
    Document,
    DocumentFormat,
    DocumentKind,
    ErrorCode,
    FieldError,
    Money,
    PaymentCard,
    PaymentOptions,
    Rate,
    Shipment,
    ShipmentPatch,
    ShipmentRequest,
    ShipmentStatus,
    Tracking,
    TrackingLog,
    TrackingUpdate,
)
from shipgraph.observability import get_logger

log = get_logger("shipgraph.carriers.borzo")

INFO = CarrierInfo(
    code=CARRIER,
    name="Borzo",
    countries=("ID",),
    capabilities=frozenset(
        {
            Capability.RATES,
            Capability.CREATE,
            Capability.UPDATE,
            Capability.CANCEL,
            Capability.TRACK,
            Capability.WEBHOOKS,
            Capability.LABELS,
            Capability.COURIER_LOCATION,
            Capability.CASH_ON_DELIVERY,
            Capability.MULTI_STOP,
        }
    ),
)

PATCHABLE = (
    "description",
    "instructions",
    "cash_on_delivery",
    "parcels",
    "pickup_at",
    "deliver_by",
)
LABEL_TYPES = {DocumentFormat.PDF: "pdf", DocumentFormat.ZPL: "zpl"}
LIST_PAGE = 50
MAX_LIST_PAGES = 20
"""find_booking reads at most this many pages (the 1 000 newest orders): each is a
request out of Borzo's 100 a minute."""


def _now() -> datetime:
    return datetime.now(UTC)


class BorzoCarrier(CarrierBase):
    info = INFO

    def __init__(
        self,
        *,
        base_url: str,
        auth_token: str,
        callback_secret: str | None,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
        guard: CallGuard | None = None,
        limiter: CallLimiter | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._http = CarrierHttp(
            CARRIER,
            base_url,
            timeout_s=timeout_s,
            headers={"X-DV-Auth-Token": auth_token},
            transport=transport,
            limiter=limiter,
            guard=guard,
        )
        self._secret = callback_secret
        self._clock = clock
        self._rate_key = rates.signing_key(auth_token)

    # --- quotes and bookings --------------------------------------------------------

    async def rates(self, request: ShipmentRequest) -> list[Rate]:
        problems = requests.check_request(request, booking=False)
        options, option_problems = requests.parse_options(request)
        if problems + option_problems:
            raise self._invalid("rates", problems + option_problems)
        chosen = options.order.get("vehicle_type_id")
        vehicles = (chosen,) if isinstance(chosen, int) else rates.DEFAULT_VEHICLES
        quoted_at = self._clock().replace(microsecond=0)
        # Built once for every vehicle, and before any answer is waited for.
        built = self._order_body("rates", request, options, quoted_at)
        quoted = rates.fingerprint(request)
        answers = await asyncio.gather(
            *(
                self._quote(
                    built,
                    vehicle,
                    rates.encode_rate_id(self._rate_key, quoted, vehicle, options.order, quoted_at),
                    quoted_at,
                )
                for vehicle in vehicles
            ),
            return_exceptions=True,
        )
        found: list[Rate] = []
        failures: list[CarrierError] = []
        for answer in answers:
            if isinstance(answer, Rate):
                found.append(answer)
            elif isinstance(answer, CarrierError):
                failures.append(answer)
            else:
                raise answer
        if not found:
            raise failures[0]
        for failure in failures:
            log.warning("borzo quote failed", code=failure.code.value, message=failure.message)
        return found

    async def _quote(
        self, built: requests.Built, vehicle: int, rate_id: str, quoted_at: datetime
    ) -> Rate:
        body = {**built.body, "vehicle_type_id": vehicle}
        answer = await self._call("rates", "POST", "/calculate-order", body, layout=built.layout)
        try:
            return rates.rate_of(answer, vehicle, rate_id, quoted_at, built.layout)
        except ValueError as exc:
            raise self._unavailable("rates", f"Borzo's quote is unusable: {exc}") from None

    async def create(self, request: ShipmentRequest, rate_id: str | None = None) -> BookedShipment:
        problems = requests.check_request(request, booking=True)
        options, option_problems = requests.parse_options(request)
        problems += option_problems + requests.check_stops(options)
        vehicle = None
        if rate_id is not None:
            try:
                offer = rates.decode_rate_id(self._rate_key, rate_id, request, self._clock())
            except rates.RateIdRefused as refused:
                problems.append(
                    FieldError(ErrorCode.VALIDATION, str(refused), ("rateId",), CARRIER)
                )
            else:
                vehicle = offer.vehicle_type_id
                options = replace(options, order={**options.order, **offer.options})
        if problems:
            raise self._invalid("create", problems)
        built = self._order_body(
            "create",
            request,
            options,
            self._clock(),
            vehicle_from_rate=vehicle,
            client_order_id=request.reference,
        )
        answer = await self._call(
            "create", "POST", "/create-order", built.body, layout=built.layout
        )
        order = answer.get("order")
        if not isinstance(order, dict) or order_id_of(order.get("order_id")) is None:
            # It said is_successful: the order may well exist; find_booking can tell.
            message = "Borzo said success but its answer has no order_id"
            raise self._http.fail("create", ErrorCode.CARRIER_UNAVAILABLE, message, uncertain=True)
        return self._booked(order, request, vehicle)

    def _order_body(
        self,
        operation: str,
        request: ShipmentRequest,
        options: requests.Options,
        now: datetime,
        **extra: Any,
    ) -> requests.Built:
        try:
            return requests.order_body(request, options, now=now, **extra)
        except requests.ScheduleRefused as refused:
            raise self._invalid(operation, [self._refused_schedule(refused)]) from None

    @staticmethod
    def _refused_schedule(refused: requests.ScheduleRefused) -> FieldError:
        return FieldError(ErrorCode.VALIDATION, str(refused), refused.field, CARRIER)

    async def find_booking(self, request: ShipmentRequest) -> BookedShipment | None:
        """The order a point of which carries the reference as ``client_order_id``,
        scanning borzo.txt's "List of orders" (newest first; it filters by order_id and
        status only). None once every order was seen without it."""
        offset = 0
        seen: set[int] = set()
        for _ in range(MAX_LIST_PAGES):
            # The document names orders_count ("for pagination") but no paging
            # parameters; offset/count are Borzo's usual ones, which the sandbox serves.
            params = {"offset": str(offset), "count": str(LIST_PAGE)}
            answer = await self._call("find_booking", "GET", "/orders", params=params)
            listed = answer.get("orders")
            if not isinstance(listed, list):
                raise self._unavailable("find_booking", "Borzo's answer has no orders list")
            if not listed:
                return None
            orders = {
                order_id: order
                for order in listed
                if isinstance(order, dict)
                and (order_id := order_id_of(order.get("order_id"))) is not None
            }
            for order in orders.values():
                if has_client_order_id(order, request.reference):
                    return self._booked(order, request, None)
            if not orders:
                raise self._unavailable("find_booking", "Borzo listed orders without order_id")
            if orders.keys() <= seen:
                message = "Borzo's list of orders does not page; cannot rule the booking out"
                raise self._unavailable("find_booking", message)
            seen |= orders.keys()
            offset += len(listed)
            total = order_id_of(answer.get("orders_count"))
            if total is not None and offset >= total:
                return None
        message = f"the booking is not among Borzo's {offset} newest orders; cannot rule it out"
        raise self._unavailable("find_booking", message)

    def _booked(
        self, order: dict[str, Any], request: ShipmentRequest, vehicle: int | None
    ) -> BookedShipment:
        view = order_view(order, None, self._clock())
        assert view is not None  # the caller checked the order_id
        destination = destination_point(order) or {}
        pickup = pickup_point(order) or {}
        price = amount(order.get("payment_amount"))
        return BookedShipment(
            carrier_shipment_id=str(view.order_id),
            tracking_number=view.order_name,
            status=view.state.status if view.state else ShipmentStatus.CREATED,
            carrier_status=view.state.carrier_status if view.state else None,
            price=Money(price, CURRENCY) if price is not None else None,
            estimated_pickup_at=view.estimated_pickup_at or request.pickup_at,
            estimated_delivery_at=view.estimated_delivery_at or request.deliver_by,
            carrier_data={
                "order_id": view.order_id,
                "vehicle_type_id": order.get("vehicle_type_id", vehicle),
                "destination_point_id": destination.get("point_id"),
                "points": point_refs(order),
            },
            origin_coordinates=geo_point(pickup.get("latitude"), pickup.get("longitude")),
            destination_coordinates=geo_point(
                destination.get("latitude"), destination.get("longitude")
            ),
        )

    async def update(self, shipment: Shipment, patch: ShipmentPatch) -> None:
        problems = unsupported_fields(CARRIER, patch.given_fields(), PATCHABLE, ("patch",))
        problems += requests.check_patch(patch)
        if problems:
            raise self._invalid("update", problems)
        if not patch.given_fields():
            return
        order_id = self._order_id("update", shipment)
        # Edit against the order as Borzo has it now: its current point and package
        # ids are what an edit must repeat to keep them.
        order = await self._fetch_order("update", order_id)
        destination_id = shipment.carrier_data.get("destination_point_id")
        if destination_point(order, destination_id) is None:
            raise self._unavailable("update", "Borzo's order has no destination point")
        try:
            built = requests.edit_body(order_id, order, destination_id, patch, now=self._clock())
        except requests.ScheduleRefused as refused:
            raise self._invalid("update", [self._refused_schedule(refused)]) from None
        await self._call("update", "POST", "/edit-order", built.body, layout=built.layout)

    async def cancel(self, shipment: Shipment, reason: str | None) -> TrackingUpdate:
        order_id = self._order_id("cancel", shipment)
        await self._call("cancel", "POST", "/cancel-order", {"order_id": order_id})
        log_entry = TrackingLog(
            status=ShipmentStatus.CANCELLED,
            carrier_status="canceled",
            occurred_at=self._clock(),
            message=f"Cancelled: {reason}" if reason else "Cancelled",
        )
        return TrackingUpdate(
            carrier=CARRIER,
            event_id=f"borzo:cancel:{order_id}",
            carrier_shipment_id=str(order_id),
            status=ShipmentStatus.CANCELLED,
            carrier_status="canceled",
            log=log_entry,
        )

    # --- where things are -------------------------------------------------------------

    async def track(self, tracking_number: str) -> Tracking:
        # Borzo reads orders by order_id only; an order_name is not an order_id, and
        # neither is "0" + an order_id: one order, one spelling.
        order_id = parse_order_id(tracking_number)
        if order_id is None:
            message = "Borzo tracks by order_id (up to 18 digits, no leading zero)"
            raise self._http.fail("track", ErrorCode.NOT_FOUND, message)
        order = await self._fetch_order("track", order_id)
        view = order_view(order, None, self._clock())
        if view is None or view.state is None:
            raise self._unavailable("track", "Borzo's order has no status")
        return Tracking(
            carrier=CARRIER,
            carrier_shipment_id=str(view.order_id),
            tracking_number=view.order_name or str(view.order_id),
            status=view.state.status,
            carrier_status=view.state.carrier_status,
            estimated_delivery_at=view.estimated_delivery_at,
            delivered_at=view.delivered_at,
            received_by=view.received_by,
            courier=view.courier,
            logs=(view.log,) if view.log else (),
        )

    def tracking_key(self, shipment: Shipment) -> str:
        # The order_name the gateway hands out is no key for Borzo's reads (borzo.txt:
        # GET /orders takes order_id), so a booked shipment is tracked by its order_id.
        return shipment.carrier_shipment_id

    async def refresh(self, shipment: Shipment) -> TrackingUpdate:
        order_id = self._order_id("refresh", shipment)
        order = await self._fetch_order("refresh", order_id)
        destination_id = shipment.carrier_data.get("destination_point_id")
        view = order_view(order, None, self._clock(), destination_id)
        if view is None:
            raise self._unavailable("refresh", "Borzo's order has no order_id")
        state = view.state
        courier = order.get("courier")
        courier_id = courier.get("courier_id") if isinstance(courier, dict) else None
        status_text = state.carrier_status if state else "-"
        return TrackingUpdate(
            carrier=CARRIER,
            event_id=f"borzo:track:{order_id}:{status_text}:{courier_id or '-'}{_told(view)}",
            carrier_shipment_id=str(order_id),
            tracking_number=view.order_name,
            status=state.status if state else None,
            carrier_status=state.carrier_status if state else None,
            log=view.log,
            courier=view.courier,
            delivered_at=view.delivered_at,
            received_by=view.received_by,
            estimated_pickup_at=view.estimated_pickup_at,
            estimated_delivery_at=view.estimated_delivery_at,
            cash_on_delivery=view.cash_on_delivery,
            proof_of_delivery=view.proof_of_delivery,
            tracking_url=view.tracking_url,
            picked_up_at=view.picked_up_at,
        )

    async def courier(self, shipment: Shipment) -> Courier | None:
        order_id = self._order_id("courier", shipment)
        answer = await self._call("courier", "GET", "/courier", params={"order_id": str(order_id)})
        vehicle = vehicle_name(shipment.carrier_data.get("vehicle_type_id"))
        return courier_of(answer.get("courier"), self._clock(), vehicle)

    async def labels(
        self, shipments: Sequence[Shipment], format: DocumentFormat
    ) -> dict[str, list[Document]]:
        label_type = LABEL_TYPES.get(format)
        if label_type is None:
            message = f"Borzo labels are PDF or ZPL, not {format.value}"
            problem = FieldError(ErrorCode.UNSUPPORTED, message, ("format",), CARRIER)
            raise self._http.fail("labels", ErrorCode.UNSUPPORTED, message, field_errors=[problem])
        if not shipments:
            return {}
        ids = {shipment.id: self._order_id("labels", shipment) for shipment in shipments}
        # order_id[] repeats, so the query is written out as the document writes it.
        query = "&".join([f"type={label_type}", *(f"order_id[]={i}" for i in ids.values())])
        answer = await self._call("labels", "GET", f"/labels?{query}")
        by_order: dict[int, list[Document]] = {}
        for label in answer.get("labels") or []:
            if not isinstance(label, dict):
                continue
            order_id = order_id_of(label.get("order_id"))
            content = _label_content(label)
            if order_id is None or content is None:
                continue
            document = Document(kind=DocumentKind.LABEL, format=format, content=content)
            by_order.setdefault(order_id, []).append(document)
        return {shipment_id: by_order.get(order_id, []) for shipment_id, order_id in ids.items()}

    # --- payment methods ----------------------------------------------------------------

    async def client_profile(self) -> ClientProfile:
        """GET client: among others, the payment methods this account's orders may use."""
        answer = await self._call("client", "GET", "/client")
        try:
            return client_of(answer)
        except ValueError as exc:
            raise self._unavailable("client", f"Borzo's client answer is unusable: {exc}") from None

    async def bank_cards(self) -> list[BankCard]:
        """GET bank-cards: the cards whose bank_card_id a bank_card order may name."""
        answer = await self._call("bank_cards", "GET", "/bank-cards")
        try:
            return bank_cards_of(answer)
        except ValueError as exc:
            message = f"Borzo's bank-cards answer is unusable: {exc}"
            raise self._unavailable("bank_cards", message) from None

    async def payment_options(self) -> PaymentOptions:
        """GET client's allowed payment methods, and with bank_card among them the
        account's cards (GET bank-cards), whose id carrierOptions.BORZO.bank_card_id
        names."""
        profile = await self.client_profile()
        methods = profile.allowed_payment_methods
        cards = await self.bank_cards() if "bank_card" in methods else []
        return PaymentOptions(
            methods=methods,
            cards=tuple(
                PaymentCard(
                    id=str(card.bank_card_id),
                    number_mask=card.number_mask,
                    expires_on=card.expiration_date,
                    card_type=card.card_type,
                )
                for card in cards
            ),
        )

    # --- callbacks --------------------------------------------------------------------

    def verify_webhook(
        self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> None:
        webhooks.verify(self._secret, headers, body)

    def parse_webhook(self, body: bytes) -> list[TrackingUpdate]:
        return webhooks.parse(body, self._clock())

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- plumbing -----------------------------------------------------------------------

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        layout: requests.Layout | None = None,
    ) -> dict[str, Any]:
        response = await self._http.request(
            operation,
            method,
            path,
            json=body,
            params=params,
            idempotent=method == "GET" or operation == "rates",
        )
        status = response.status_code
        if status >= 500:
            raise self._unavailable(operation, f"Borzo answered {status}")
        if status == 429:
            raise self._http.fail(operation, ErrorCode.RATE_LIMITED, "Borzo answered 429")
        if status in (401, 403):
            raise self._http.fail(operation, ErrorCode.CARRIER_AUTH, f"Borzo answered {status}")
        answer = self._http.json_object(operation, response)
        if status == 200 and answer.get("is_successful") is True:
            return answer
        if status == 400 or isinstance(answer.get("errors"), list):
            code, message, field_errors = errors.rejection(answer, layout)
            raise self._http.fail(operation, code, message, field_errors=field_errors)
        raise self._unavailable(operation, f"Borzo answered {status} without success")

    async def _fetch_order(self, operation: str, order_id: int) -> dict[str, Any]:
        answer = await self._call(operation, "GET", "/orders", params={"order_id": str(order_id)})
        orders = answer.get("orders")
        if not isinstance(orders, list):
            raise self._unavailable(operation, "Borzo's answer has no orders list")
        for order in orders:
            if isinstance(order, dict) and order_id_of(order.get("order_id")) == order_id:
                return order
        raise self._http.fail(operation, ErrorCode.NOT_FOUND, f"Borzo has no order {order_id}")

    def _order_id(self, operation: str, shipment: Shipment) -> int:
        order_id = order_id_of(shipment.carrier_shipment_id)
        if order_id is None:
            message = f"{shipment.carrier_shipment_id!r} is not a Borzo order_id"
            raise self._http.fail(operation, ErrorCode.NOT_FOUND, message)
        return order_id

    def _unavailable(self, operation: str, message: str) -> CarrierError:
        return self._http.fail(operation, ErrorCode.CARRIER_UNAVAILABLE, message)

    def _invalid(self, operation: str, problems: Sequence[FieldError]) -> CarrierError:
        message = "; ".join(problem.message for problem in problems)
        return self._http.fail(operation, problems[0].code, message, field_errors=problems)


def _told(view: OrderView) -> str:
    """A digest of what a read can add under an unchanged status (photos, a check-in,
    a tracking link, the pick-up time): a read that adds them is another event."""
    told = (view.proof_of_delivery, view.tracking_url, view.picked_up_at)
    if told == (None, None, None):
        return ""
    return ":" + hashlib.sha256(repr(told).encode()).hexdigest()[:16]


def _label_content(label: Mapping[str, Any]) -> str | None:
    """Base64 content: PDF labels come as ``content_base64``, ZPL labels as the ZPL
    text in ``content`` (the labels examples), which we encode."""
    encoded = label.get("content_base64")
    if isinstance(encoded, str) and encoded:
        return encoded
    raw = label.get("content")
    if isinstance(raw, str) and raw:
        return base64.b64encode(raw.encode()).decode()
    return None
