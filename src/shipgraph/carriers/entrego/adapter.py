"""The Entrego carrier: book (standard and marketplace), patch, cancel, waybills,
places, webhooks (entrego.txt), and refresh by reading the order its booking answer
named. ``track`` by number stays UNSUPPORTED: the document offers no lookup by
tracking number."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from shipgraph import safe_json
from shipgraph.carriers.base import (
    CallGuard,
    CarrierBase,
    CarrierError,
    CarrierInfo,
    camel_case,
    unsupported_fields,
)
from shipgraph.carriers.entrego import errors, places, requests, webhooks
from shipgraph.carriers.entrego.auth import TokenSource, expiry
from shipgraph.carriers.entrego.mapping import CARRIER, ORDER_STATE, province_name
from shipgraph.carriers.http import CarrierHttp
from shipgraph.carriers.parsing import identifier
from shipgraph.domain import (
    Address,
    BookedShipment,
    Capability,
    CleanedAddress,
    Document,
    DocumentFormat,
    DocumentKind,
    ErrorCode,
    FieldError,
    Location,
    LocationLevel,
    PortCode,
    Shipment,
    ShipmentPatch,
    ShipmentRequest,
    ShipmentStatus,
    Tracking,
    TrackingLog,
    TrackingUpdate,
)

INFO = CarrierInfo(
    code=CARRIER,
    name="Entrego",
    countries=("PH",),
    capabilities=frozenset(
        {
            Capability.CREATE,
            Capability.UPDATE,
            Capability.CANCEL,
            Capability.TRACK,  # refresh and the poller only; see EntregoCarrier.track
            Capability.WEBHOOKS,
            Capability.LABELS,
            Capability.LOCATIONS,
            Capability.ADDRESS_CLEANUP,
            Capability.CASH_ON_DELIVERY,
        }
    ),
)

WAYBILL_CHUNK = 500  # "The maximum number of tracking numbers per request is 500."
POLL_FIRST_S = 0.25
POLL_MAX_S = 2.0
# The document's failed cancellation: 500 with "Transition from PICKED_UP to CANCEL failed".
CANCEL_REFUSED = re.compile(r"Transition from (\w+) to CANCEL failed", re.IGNORECASE)
_STATUS_CODES = {
    400: ErrorCode.VALIDATION,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    422: ErrorCode.VALIDATION,
    429: ErrorCode.RATE_LIMITED,
}


def _now() -> datetime:
    return datetime.now(UTC)


class EntregoCarrier(CarrierBase):
    info = INFO

    def __init__(
        self,
        *,
        base_url: str,
        core_url: str,
        access_key: str,
        secret_key: str,
        webhook_token: str | None,
        timeout_s: float,
        tokens: TokenSource,
        transport: httpx.AsyncBaseTransport | None = None,
        guard: CallGuard | None = None,
        clock: Callable[[], datetime] = _now,
        waybill_client_name: str = "shipgraph",
        waybill_requested_by: str = "shipgraph",
    ) -> None:
        def http(url: str) -> CarrierHttp:
            return CarrierHttp(CARRIER, url, timeout_s=timeout_s, transport=transport, guard=guard)

        self._base_url = base_url.rstrip("/") + "/"
        self._api = http(base_url)
        self._core = http(core_url)
        self._keys = {"accessKey": access_key, "secretKey": secret_key}
        self._webhook_token = webhook_token
        self._timeout_s = timeout_s
        self._tokens = tokens
        self._clock = clock
        self._waybill_names = {
            "clientName": waybill_client_name,
            "requestedBy": waybill_requested_by,
        }

    # --- bookings -------------------------------------------------------------------

    async def create(self, request: ShipmentRequest, rate_id: str | None = None) -> BookedShipment:
        if rate_id is not None:
            problem = FieldError(ErrorCode.UNSUPPORTED, "Entrego offers no rates", ("rateId",))
            raise self._invalid("create", [problem])
        options, option_problems = requests.parse_options(request)
        problems = requests.check_request(request) + option_problems
        if problems:
            raise self._invalid("create", problems)
        clusters = await self._clusters(request, requests.missing_ports(options))
        ports = {party: found.port_code for party, found in clusters.items() if found.port_code}
        options = requests.with_ports(options, ports)
        problems = requests.check_ports(options)
        if problems:
            raise self._invalid("create", problems)
        body = requests.order_body(request, options)
        path = "/v1/sales-order/marketplace" if options.marketplace else "/v1/sales-order"
        response = await self._call("create", self._api, "POST", path, json=body)
        if response.status_code not in (200, 201):
            raise self._rejected("create", response)
        location = response.headers.get("location")
        # entrego.txt's 201 names the order in its headers too: Location and X-LMS-params.
        tracking_header = response.headers.get("x-lms-params")
        try:
            order = self._api.json_object("create", response)
        except CarrierError:
            if not (location and tracking_header):
                raise
            order = {}
        order_number = _id(order.get("orderNumber")) or identifier(
            (location or "").rstrip("/").rpartition("/")[2]
        )
        tracking = (
            _id(order.get("trackingNumber"))
            or identifier(body.get("trackingNumber"))
            or identifier(tracking_header)
        )
        if not order_number or not tracking:
            message = (
                "Entrego said created but its answer has no readable orderNumber or trackingNumber"
            )
            raise self._http_fail("create", ErrorCode.CARRIER_UNAVAILABLE, message, uncertain=True)
        state = identifier(order.get("fsmState"), 64) or "NEW"
        return BookedShipment(
            carrier_shipment_id=str(order_number),
            tracking_number=str(tracking),
            status=ORDER_STATE[state],
            carrier_status=state,
            estimated_pickup_at=request.pickup_at,
            estimated_delivery_at=request.deliver_by,
            carrier_data={
                "shipperReference": identifier(order.get("shipperReference")) or request.reference,
                "orderNumber": str(order_number),
                "location": location,
                "marketplace": options.marketplace,
                "contactNumberMasked": options.waybill_masked,
                "sent": {**requests.sent_patchables(body), **requests.sent_patchables(order)},
                **({"clusters": _clusters_data(clusters)} if clusters else {}),
            },
        )

    async def _clusters(
        self, request: ShipmentRequest, parties: Sequence[str]
    ) -> dict[str, places.Cluster]:
        """The barangay-cluster answers for the parties whose port code is to be looked up."""
        addresses = {"recipient": request.destination, "pickup": request.origin}
        found = await asyncio.gather(*(self._cluster(addresses[party]) for party in parties))
        return {party: c for party, c in zip(parties, found, strict=True) if c is not None}

    async def _cluster(self, address: Address) -> places.Cluster | None:
        """entrego.txt, portCode: "Refer to Location API on how to generate": the
        barangay-cluster of the address's province, city and barangay; where that names
        no port code, the one of its province and city."""
        path = "/v2/locations/barangay-cluster"
        params = {
            "provinceName": province_name(address.province) or "",
            "cityName": address.city or "",
        }
        found = None
        if address.village:
            query = {**params, "barangayName": address.village}
            found = places.cluster(await self._read("port_code_for", path, query, missing_ok=True))
        if found is None or found.port_code is None:
            city = places.cluster(await self._read("port_code_for", path, params, missing_ok=True))
            if city is not None:
                found = places.Cluster(city.port_code, found.barangay_cluster if found else None)
        return found

    # find_booking stays UNSUPPORTED: entrego.txt reads a sales order only at the 201's
    # Location (by orderNumber, which a lost answer never gave us), never by shipperReference.

    async def update(self, shipment: Shipment, patch: ShipmentPatch) -> None:
        given = patch.given_fields()
        problems = unsupported_fields(CARRIER, given, requests.PATCHABLE, ("patch",))
        built = requests.patch_body(shipment, patch)
        problems += built.errors
        if problems:
            raise self._invalid("update", problems)
        if not built.payload:
            return
        body = {"trackingNumber": self._tracking("update", shipment), "patchPayload": built.payload}
        response = await self._call("update", self._api, "PATCH", "/v1/sales-order", json=body)
        if response.status_code in (200, 204):
            return
        if response.status_code != 202:
            raise self._rejected("update", response, patch=True)
        names = _not_updated(_json_or_none(response), list(built.payload))
        conflicts = [
            FieldError(
                ErrorCode.CONFLICT,
                f"Entrego did not update {name}: its value is no longer "
                f"{built.payload[name]['oldValue']!r}",
                errors.patch_path(name) or ("patch",),
                CARRIER,
            )
            for name in names
        ]
        refused = {field[1] for field in (errors.patch_path(name) for name in names) if field}
        applied = replace(patch, **{name: None for name in given if camel_case(name) in refused})
        message = "Entrego did not update " + ", ".join(names)
        raise self._http_fail(
            "update", ErrorCode.CONFLICT, message, field_errors=conflicts, applied=applied
        )

    async def cancel(self, shipment: Shipment, reason: str | None) -> TrackingUpdate:
        tracking = self._tracking("cancel", shipment)
        body = {"trackingNumber": tracking}
        if reason:
            body["cancellationReason"] = reason
        path = "/v1/sales-order/marketplace/cancel"
        response = await self._call("cancel", self._api, "POST", path, json=body)
        if response.status_code >= 500:
            answer = _json_or_none(response)
            text = (
                " ".join(str(answer.get(key) or "") for key in ("message", "details"))
                if isinstance(answer, dict)
                else ""
            )
            refused = CANCEL_REFUSED.search(text)
            if refused:
                message = f"Entrego cannot cancel a shipment in state {refused.group(1)}"
                raise self._http_fail("cancel", ErrorCode.INVALID_STATE, message)
        if response.status_code != 200:
            raise self._rejected("cancel", response)
        answer = self._api.json_object("cancel", response)
        state = str(answer.get("state") or "CANCELLED")
        if ORDER_STATE[state] != ShipmentStatus.CANCELLED:
            raise self._unavailable("cancel", f"Entrego answered state {state}")
        log = TrackingLog(
            status=ShipmentStatus.CANCELLED,
            carrier_status=state,
            occurred_at=self._clock(),
            message=f"Cancelled: {reason}" if reason else "Cancelled",
        )
        return TrackingUpdate(
            carrier=CARRIER,
            event_id=f"entrego:cancel:{tracking}",
            carrier_shipment_id=shipment.carrier_shipment_id,
            tracking_number=tracking,
            status=ShipmentStatus.CANCELLED,
            carrier_status=state,
            log=log,
        )

    # --- reading an order back ---------------------------------------------------------

    async def track(self, tracking_number: str) -> Tracking:
        message = (
            "Entrego offers no lookup by tracking number (entrego.txt reads an order only "
            "at the Location its booking answer named): refreshShipment reads a shipment "
            "booked through shipgraph"
        )
        raise CarrierError(CARRIER, ErrorCode.UNSUPPORTED, message)

    async def refresh(self, shipment: Shipment) -> TrackingUpdate:
        # entrego.txt: a 201's Location names the created resource and GET retrieves a
        # resource, but no GET answer is shown. We take it to be the sales order as the
        # create answer gives it, its fsmState moving on through Appendix C's statuses
        # (the webhook's), and read trackingNumber, orderNumber and fsmState only.
        response = await self._call("refresh", self._api, "GET", self._order_url(shipment))
        if response.status_code != 200:
            raise self._rejected("refresh", response)
        order = self._api.json_object("refresh", response)
        self._check_same_order(shipment, order)
        state = identifier(order.get("fsmState"), 64)
        if state is None:
            raise self._unavailable("refresh", "Entrego's order has no readable fsmState")
        status = ORDER_STATE[state]
        log = None
        if state != shipment.carrier_status:
            # The order carries no time of its change: the log is dated when it was read.
            log = TrackingLog(status=status, carrier_status=state, occurred_at=self._clock())
        return TrackingUpdate(
            carrier=CARRIER,
            event_id=f"entrego:order:{shipment.carrier_shipment_id}:{state}:"
            f"{len(shipment.tracking_logs)}",
            carrier_shipment_id=shipment.carrier_shipment_id,
            tracking_number=shipment.tracking_number,
            status=status,
            carrier_status=state,
            log=log,
        )

    def _order_url(self, shipment: Shipment) -> str:
        """The order's URL: the 201's Location, resolved against the API host. Without
        one on that host, the path both of the document's 201 examples show."""
        location = shipment.carrier_data.get("location")
        if isinstance(location, str) and location.strip():
            url = urljoin(self._base_url, location.strip())
            # Our token goes only to the API host, wherever a Location points.
            if _origin(url) == _origin(self._base_url):
                return url
        order_number = quote(shipment.carrier_shipment_id, safe="")
        return urljoin(self._base_url, f"v1/sales-order/{order_number}")

    def _check_same_order(self, shipment: Shipment, order: Mapping[str, Any]) -> None:
        answered = _id(order.get("orderNumber"))
        tracking = identifier(order.get("trackingNumber"))
        if (answered is not None and answered != shipment.carrier_shipment_id) or (
            tracking is not None
            and shipment.tracking_number is not None
            and tracking != shipment.tracking_number
        ):
            message = f"Entrego answered about order {answered or tracking}, not this one"
            raise self._unavailable("refresh", message)

    # --- waybills ---------------------------------------------------------------------

    async def labels(
        self, shipments: Sequence[Shipment], format: DocumentFormat
    ) -> dict[str, list[Document]]:
        if format != DocumentFormat.PDF:
            message = f"Entrego waybills are PDF only, not {format.value}"
            problem = FieldError(ErrorCode.UNSUPPORTED, message, ("format",), CARRIER)
            raise self._http_fail("labels", ErrorCode.UNSUPPORTED, message, field_errors=[problem])
        numbers = {shipment.id: self._tracking("labels", shipment) for shipment in shipments}
        # One request masks all its numbers or none: shipments go by their choice.
        groups: dict[bool, dict[str, None]] = {}
        for shipment in shipments:
            groups.setdefault(_masked(shipment), {})[numbers[shipment.id]] = None
        chunks: list[tuple[bool, list[str]]] = []
        for masked, group in groups.items():
            unique = list(group)
            for i in range(0, len(unique), WAYBILL_CHUNK):
                chunks.append((masked, unique[i : i + WAYBILL_CHUNK]))
        deadline = asyncio.get_running_loop().time() + self._timeout_s
        answers = await asyncio.gather(
            *(self._waybill(chunk, masked, deadline) for masked, chunk in chunks),
            return_exceptions=True,
        )
        urls: dict[str, str] = {}
        for (_, chunk), answer in zip(chunks, answers, strict=True):
            if isinstance(answer, BaseException):
                raise answer
            urls.update(dict.fromkeys(chunk, answer))
        return {
            shipment_id: [Document(DocumentKind.WAYBILL, DocumentFormat.PDF, url=urls[number])]
            for shipment_id, number in numbers.items()
        }

    async def _waybill(self, tracking_numbers: list[str], masked: bool, deadline: float) -> str:
        """Steps 2 and 3 of the Waybill API: a document id, then its PDF when ready."""
        body: dict[str, Any] = dict(self._waybill_names)
        if masked:
            # "set it to true to mask or drop it if not needed"; a string in the example.
            body["contactNumberMasked"] = "true"
        body["trackingNumbers"] = tracking_numbers
        try:
            async with asyncio.timeout_at(deadline):
                path = "/v1/awb-tool/client-waybill-generation"
                answer = await self._json("labels", self._core, "POST", path, json=body)
                document_id = answer.get("documentID") or answer.get("documentId")
                if not isinstance(document_id, str) or not document_id:
                    raise self._unavailable("labels", "Entrego's answer has no documentID")
                return await self._poll_waybill(document_id)
        except TimeoutError:
            message = f"Entrego's waybill was not ready within {self._timeout_s:g} s"
            raise self._unavailable("labels", message) from None

    async def _poll_waybill(self, document_id: str) -> str:
        path = "/v1/awb-tool/client-generate-output/getByDocumentId"
        delay = POLL_FIRST_S
        while True:
            params = {"documentId": document_id}
            answer = await self._json("labels", self._core, "GET", path, params=params)
            status = str(answer.get("pdfStatus") or "").lower()
            url = answer.get("pdfUrl")
            if status == "success":
                if not isinstance(url, str) or not url:
                    raise self._unavailable("labels", "Entrego's waybill succeeded without pdfUrl")
                return url
            if status == "failed":
                message = f"Entrego could not generate the waybill (document {document_id})"
                raise self._http_fail("labels", ErrorCode.VALIDATION, message)
            await asyncio.sleep(delay)
            delay = min(delay * 2, POLL_MAX_S)

    # --- places (core URL; no caching here: the resolver caches) ---------------------

    async def locations(self, level: LocationLevel, parent_id: str | None) -> list[Location]:
        if level == LocationLevel.PROVINCE:
            path, parent_id = "/v1/locations/provinces", None
        elif parent_id is None:
            message = f"{level.value.lower()}s are listed per parent: give parentId"
            problem = FieldError(ErrorCode.VALIDATION, message, ("parentId",), CARRIER)
            raise self._invalid("locations", [problem])
        elif level == LocationLevel.MUNICIPALITY:
            path = f"/v1/locations/provinces/{quote(parent_id, safe='')}/municipalities"
        else:
            path = f"/v1/locations/municipalities/{quote(parent_id, safe='')}/barangays"
        # Response shape assumed: see places.py (a list of {id, name[, isoCode]}).
        return places.locations(await self._read("locations", path), level, parent_id)

    async def port_codes(self, island: str | None) -> list[PortCode]:
        path = "/v1/locations/port-codes"
        if island:
            path += f"/islands/{quote(island, safe='')}"
        # Response shape assumed: a list of {portCode|code, name, island}.
        return places.port_codes(await self._read("port_codes", path))

    async def port_code(self, code: str) -> PortCode | None:
        # entrego.txt's Location API table spells this path "port-cides" once, but its
        # sample URL reads /v1/locations/port-codes/SOU: we follow the sample.
        path = f"/v1/locations/port-codes/{quote(code, safe='')}"
        found = places.port_codes(await self._read("port_code", path, missing_ok=True))
        return found[0] if found else None

    async def province(self, iso_code: str | None, name: str | None) -> Location | None:
        if iso_code:
            path = f"/v1/locations/provinces/iso/{quote(iso_code, safe='')}"
        elif name:
            path = f"/v1/locations/provinces/{quote(name, safe='')}"
        else:
            problem = FieldError(
                ErrorCode.VALIDATION, "give isoCode or name", ("isoCode",), CARRIER
            )
            raise self._invalid("province", [problem])
        # Response shape assumed: see places.py (one {id, name, isoCode} object).
        return places.province(await self._read("province", path, missing_ok=True))

    async def port_code_for(
        self, province: str, city: str, barangay: str | None
    ) -> PortCode | None:
        params = {"provinceName": province, "cityName": city}
        if barangay:
            params["barangayName"] = barangay
        path = "/v2/locations/barangay-cluster"
        # Response shape assumed: one {portCode|code, ...} object, or a list of them.
        found = places.port_codes(await self._read("port_code_for", path, params, missing_ok=True))
        return found[0] if found else None

    async def clean_address(self, address: str) -> CleanedAddress | None:
        # The document's request body carries "pdfStatus": "pending"; we send it as shown.
        body = {"address": address, "pdfStatus": "pending"}
        path = "/v1/cleanup/address"
        answer = await self._read("clean_address", path, json=body, method="POST", missing_ok=True)
        return places.cleaned_address(answer)

    # --- webhooks ---------------------------------------------------------------------

    def verify_webhook(
        self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> None:
        webhooks.verify(self._webhook_token, headers)

    def parse_webhook(self, body: bytes) -> list[TrackingUpdate]:
        return webhooks.parse(body, self._clock())

    async def aclose(self) -> None:
        await self._api.aclose()
        await self._core.aclose()

    # --- plumbing ---------------------------------------------------------------------

    async def _fetch_token(self) -> tuple[str, datetime]:
        response = await self._api.request(
            "authenticate", "POST", "/v1/authenticate", json=self._keys, idempotent=True
        )
        if response.status_code >= 500:
            raise self._unavailable("authenticate", f"Entrego answered {response.status_code}")
        if response.status_code != 200:
            message = f"Entrego refused the access key ({response.status_code})"
            raise self._http_fail("authenticate", ErrorCode.CARRIER_AUTH, message)
        jwt = _issued_token(response)
        if jwt is None:
            raise self._unavailable("authenticate", "Entrego's answer has no jwt")
        return jwt, expiry(jwt, self._clock())

    async def _send(
        self, http: CarrierHttp, token: str, operation: str, method: str, path: str, **kw: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return await http.request(operation, method, path, headers=headers, **kw)

    async def _call(
        self, operation: str, http: CarrierHttp, method: str, path: str, **kw: Any
    ) -> httpx.Response:
        """One call with the shared JWT; on 401/403 the token is dropped and the call
        made once more with a fresh one."""
        token = await self._tokens.get(self._fetch_token)
        response = await self._send(http, token, operation, method, path, **kw)
        if response.status_code not in (401, 403):
            return response
        await self._tokens.invalidate(token)
        token = await self._tokens.get(self._fetch_token)
        response = await self._send(http, token, operation, method, path, **kw)
        if response.status_code in (401, 403):
            message = f"Entrego answered {response.status_code} with a fresh token"
            raise self._http_fail(operation, ErrorCode.CARRIER_AUTH, message)
        return response

    async def _json(
        self, operation: str, http: CarrierHttp, method: str, path: str, **kw: Any
    ) -> dict[str, Any]:
        response = await self._call(operation, http, method, path, **kw)
        if not 200 <= response.status_code < 300:
            raise self._rejected(operation, response)
        return http.json_object(operation, response)

    async def _read(
        self,
        operation: str,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        json: Any = None,
        method: str = "GET",
        missing_ok: bool = False,
    ) -> Any:
        """A Location API answer: any JSON (None for a 404 when ``missing_ok``)."""
        response = await self._call(operation, self._core, method, path, params=params, json=json)
        if response.status_code == 404 and missing_ok:
            return None
        if not 200 <= response.status_code < 300:
            raise self._rejected(operation, response)
        if not response.content:
            return None
        try:
            return safe_json.loads(response.content)
        except ValueError:
            raise self._unavailable(operation, "Entrego answered with malformed JSON") from None

    def _rejected(
        self, operation: str, response: httpx.Response, *, patch: bool = False
    ) -> CarrierError:
        status = response.status_code
        if status >= 500:
            return self._unavailable(operation, f"Entrego answered {status}")
        answer = _json_or_none(response)
        body = answer if isinstance(answer, dict) else {}
        code = _STATUS_CODES.get(status, ErrorCode.INTERNAL)
        field_errors = errors.field_errors(body, patch=patch) if status in (400, 422) else []
        message = errors.message_of(body, status)
        return self._http_fail(operation, code, message, field_errors=field_errors)

    def _tracking(self, operation: str, shipment: Shipment) -> str:
        if not shipment.tracking_number:
            message = f"shipment {shipment.id} has no Entrego tracking number"
            raise self._http_fail(operation, ErrorCode.NOT_FOUND, message)
        return shipment.tracking_number

    def _http_fail(self, operation: str, code: ErrorCode, message: str, **kw: Any) -> CarrierError:
        return self._api.fail(operation, code, message, **kw)

    def _unavailable(self, operation: str, message: str) -> CarrierError:
        return self._api.fail(operation, ErrorCode.CARRIER_UNAVAILABLE, message)

    def _invalid(self, operation: str, problems: Sequence[FieldError]) -> CarrierError:
        message = "; ".join(problem.message for problem in problems)
        return self._http_fail(operation, problems[0].code, message, field_errors=problems)


def _id(value: object) -> str | None:
    """An id Entrego may write as a string or a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return identifier(value)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _masked(shipment: Shipment) -> bool:
    """The shipment's contactNumberMasked option (masked when booked without one)."""
    return shipment.carrier_data.get("contactNumberMasked") is not False


def _clusters_data(clusters: Mapping[str, places.Cluster]) -> dict[str, Any]:
    """What the lookups answered, barangayCluster included: no order field takes it."""
    return {
        party: {"portCode": found.port_code, "barangayCluster": found.barangay_cluster}
        for party, found in clusters.items()
    }


def _issued_token(response: httpx.Response) -> str | None:
    """entrego.txt, Authentication, Method 1: the token comes as the body's ``jwt`` and
    as the ``Authorization: Bearer`` header; either will do."""
    answer = _json_or_none(response)
    jwt = answer.get("jwt") if isinstance(answer, dict) else None
    if isinstance(jwt, str) and jwt.strip():
        return jwt.strip()
    scheme, _, token = response.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return safe_json.loads(response.content) if response.content else None
    except ValueError:
        return None


def _not_updated(answer: Any, sent: list[str]) -> list[str]:
    """The 202 answer's "fields that are not updated". Its shape is not shown: we accept
    a list of names (or of {"field": name}), or an object keyed by field name, bare or
    under ``fields``/``notUpdated``/``fieldsNotUpdated``/``patchPayload``; with nothing
    readable, every field sent is reported."""
    if isinstance(answer, dict):
        for key in ("fieldsNotUpdated", "notUpdated", "fields", "patchPayload"):
            if key in answer:
                return _not_updated(answer[key], sent)
        names = [key for key in answer if key in sent]
    elif isinstance(answer, list):
        names = []
        for entry in answer:
            name = entry.get("field") if isinstance(entry, dict) else entry
            if isinstance(name, str) and name in sent:
                names.append(name)
    else:
        names = []
    return list(dict.fromkeys(names)) or sent
