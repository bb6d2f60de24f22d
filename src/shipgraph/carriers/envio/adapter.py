"""The Envio carrier: create, update COD, track, cancel, webhooks (envio.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from shipgraph.carriers.base import (
    CallGuard,
    CarrierBase,
    CarrierError,
    CarrierInfo,
    unsupported_fields,
)
from shipgraph.carriers.envio import mapping, webhooks
from shipgraph.carriers.http import CarrierHttp
from shipgraph.carriers.parsing import identifier, parse_time, text, url
from shipgraph.domain import (
    BookedShipment,
    Capability,
    CarrierCode,
    Document,
    DocumentFormat,
    DocumentKind,
    ErrorCode,
    FieldError,
    Shipment,
    ShipmentPatch,
    ShipmentRequest,
    ShipmentStatus,
    Tracking,
    TrackingLog,
    TrackingUpdate,
)

INFO = CarrierInfo(
    code=CarrierCode.ENVIO,
    name="Envio Logistics",
    countries=("ID",),
    capabilities=frozenset(
        {
            Capability.CREATE,
            Capability.UPDATE,
            Capability.CANCEL,
            Capability.TRACK,
            Capability.WEBHOOKS,
            Capability.LABELS,
            Capability.CASH_ON_DELIVERY,
        }
    ),
)

# The document has no errors section. We assume (and the sandbox serves) the success
# envelope's shape for errors: {"message": ...} plus, on 422, {"errors": {path: [text]}}.
_STATUS_CODES = {
    401: ErrorCode.CARRIER_AUTH,
    403: ErrorCode.CARRIER_AUTH,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.INVALID_STATE,
    422: ErrorCode.VALIDATION,
    429: ErrorCode.RATE_LIMITED,
}

PATCHABLE = ("cash_on_delivery",)


def _now() -> datetime:
    return datetime.now(UTC)


class EnvioCarrier(CarrierBase):
    info = INFO

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        webhook_token: str | None,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
        guard: CallGuard | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._http = CarrierHttp(
            CarrierCode.ENVIO,
            base_url,
            timeout_s=timeout_s,
            headers={"Authorization": api_key},
            transport=transport,
            guard=guard,
        )
        self._webhook_token = webhook_token
        self._clock = clock

    async def create(self, request: ShipmentRequest, rate_id: str | None = None) -> BookedShipment:
        if rate_id is not None:
            raise self._http.fail("create", ErrorCode.UNSUPPORTED, "Envio offers no rate quotes")
        problems = mapping.validate_request(request)
        if problems:
            raise self._invalid("create", problems)
        options = request.carrier_options.get(CarrierCode.ENVIO.value) or {}
        if not isinstance(options, dict):
            raise self._invalid(
                "create",
                [_option_error("carrierOptions.ENVIO must be an object")],
            )
        option_problems = mapping.option_errors(options)
        if option_problems:
            raise self._invalid("create", option_problems)
        built = mapping.create_body(request, options)
        data = await self._call("create", "POST", "/distribution", built.body, built.item_origins)
        shipment_id, code = identifier(data.get("id")), identifier(data.get("code"))
        if shipment_id is None or code is None:
            message = "Envio said success but its answer has no readable id or code"
            raise self._http.fail("create", ErrorCode.CARRIER_UNAVAILABLE, message, uncertain=True)
        documents: tuple[Document, ...] = ()
        receipt = url(data.get("eprint_receipt"))
        if receipt is not None:
            documents = (_receipt(receipt),)
        return BookedShipment(
            carrier_shipment_id=shipment_id,
            tracking_number=code,
            status=ShipmentStatus.CREATED,
            carrier_status="new",
            documents=documents,
            estimated_pickup_at=request.pickup_at,
            estimated_delivery_at=request.deliver_by,
            carrier_data={"ref_code": identifier(data.get("ref_code")) or request.reference},
        )

    async def find_booking(self, request: ShipmentRequest) -> BookedShipment | None:
        """Tracking by ref_code: envio.md "Shipment Tracking" takes "your refference
        code or envio shipment code" as ``code``; 404 means Envio has neither."""
        try:
            data = await self._tracking(request.reference, "find_booking")
        except CarrierError as error:
            if error.code == ErrorCode.NOT_FOUND:
                return None
            raise
        shipment_id, code = data.get("id"), data.get("code")
        ref_code = data.get("ref_code")
        if ref_code != request.reference and (ref_code is not None or code == request.reference):
            # ``code`` matched another shipment's Envio code, which says nothing of ours.
            message = f"Envio's shipment code {request.reference!r} is another shipment's"
            raise self._http.fail("find_booking", ErrorCode.CONFLICT, message)
        if not isinstance(shipment_id, str) or not isinstance(code, str):
            message = "Envio's tracking answer has no id or code"
            raise self._http.fail("find_booking", ErrorCode.CARRIER_UNAVAILABLE, message)
        status_value = str(data.get("status") or "")
        status = mapping.TRACKING_STATUS[status_value] if status_value else ShipmentStatus.CREATED
        return BookedShipment(
            carrier_shipment_id=shipment_id,
            tracking_number=code,
            status=status,
            carrier_status=status_value or None,
            estimated_pickup_at=parse_time(data.get("etd_at")),
            estimated_delivery_at=parse_time(data.get("eta_at")),
            # The tracking answer has no eprint_receipt, so no receipt document.
            carrier_data={"ref_code": request.reference},
        )

    async def update(self, shipment: Shipment, patch: ShipmentPatch) -> None:
        problems = unsupported_fields(
            CarrierCode.ENVIO, patch.given_fields(), PATCHABLE, ("patch",)
        )
        cod = patch.cash_on_delivery
        if cod is not None and cod.currency != mapping.CURRENCY:
            message = f"Envio works in {mapping.CURRENCY} only, got {cod.currency}"
            field = ("patch", "cashOnDelivery", "currency")
            problems.append(FieldError(ErrorCode.VALIDATION, message, field, CarrierCode.ENVIO))
        if problems:
            raise self._invalid("update", problems)
        if cod is None:
            return
        body = {"ref_code": _ref_code(shipment), "cod_value": mapping.rupiah(cod.amount)}
        await self._call("update", "PUT", "/distribution", body, prefix=("patch",))

    async def cancel(self, shipment: Shipment, reason: str | None) -> TrackingUpdate:
        body = {"code": shipment.tracking_number, "ref_code": _ref_code(shipment)}
        await self._call("cancel", "DELETE", "/distribution", body, want_data=False)
        now = self._clock()
        log = TrackingLog(
            status=ShipmentStatus.CANCELLED,
            carrier_status="cancelled",
            occurred_at=now,
            message=f"Cancelled: {reason}" if reason else "Cancelled",
        )
        return TrackingUpdate(
            carrier=CarrierCode.ENVIO,
            event_id=f"envio:cancel:{shipment.carrier_shipment_id}",
            carrier_shipment_id=shipment.carrier_shipment_id,
            status=ShipmentStatus.CANCELLED,
            carrier_status="cancelled",
            log=log,
        )

    async def track(self, tracking_number: str) -> Tracking:
        # envio.md: ``code`` is "your refference code or envio shipment code", so the
        # answer, not the string asked with, says which shipment this is.
        data = await self._tracking(tracking_number)
        shipment_id, code = data.get("id"), data.get("code")
        if not isinstance(shipment_id, str) or not shipment_id or not isinstance(code, str):
            raise self._http.fail(
                "track", ErrorCode.CARRIER_UNAVAILABLE, "Envio's tracking answer has no id or code"
            )
        status_value = str(data.get("status") or "")
        return Tracking(
            carrier=CarrierCode.ENVIO,
            carrier_shipment_id=shipment_id,
            tracking_number=code,
            status=mapping.TRACKING_STATUS[status_value],
            carrier_status=status_value or None,
            estimated_delivery_at=parse_time(data.get("eta_at")),
            delivered_at=_delivered_at(data),
            received_by=_received_by(data),
            logs=mapping.tracking_logs(data),
        )

    async def refresh(self, shipment: Shipment) -> TrackingUpdate:
        data = await self._tracking(shipment.tracking_number or _ref_code(shipment))
        answered = data.get("id")
        if isinstance(answered, str) and answered != shipment.carrier_shipment_id:
            # A reference can match another shipment's code: never merge that one in.
            message = (
                f"Envio answered about shipment {answered}, not {shipment.carrier_shipment_id}"
            )
            raise self._http.fail("track", ErrorCode.CARRIER_UNAVAILABLE, message)
        status_value = str(data.get("status") or "")
        logs = mapping.tracking_logs(data, shipment.tracking_logs)
        return TrackingUpdate(
            carrier=CarrierCode.ENVIO,
            # Any field can change under one status (cod_status collected after delivery).
            event_id=webhooks.event_id(data, "envio:track"),
            carrier_shipment_id=shipment.carrier_shipment_id,
            status=mapping.TRACKING_STATUS[status_value] if status_value else None,
            carrier_status=status_value or None,
            logs=logs,
            estimated_pickup_at=parse_time(data.get("etd_at")),
            estimated_delivery_at=parse_time(data.get("eta_at")),
            delivered_at=_delivered_at(data),
            received_by=_received_by(data),
            cash_on_delivery=mapping.cod_money(data.get("cod_value")),
            picked_up_at=parse_time(data.get("atd_at")),
            cod_collection=mapping.cod_collection(data.get("cod_status"), data.get("cod_value")),
        )

    async def labels(
        self, shipments: Sequence[Shipment], format: DocumentFormat
    ) -> dict[str, list[Document]]:
        # Envio's only printable is the hosted receipt page from the create answer.
        if format != DocumentFormat.HTML:
            raise self._http.fail(
                "labels",
                ErrorCode.UNSUPPORTED,
                f"Envio's receipt is a hosted HTML page; ask for format HTML, not {format.value}",
                field_errors=[
                    FieldError(
                        ErrorCode.UNSUPPORTED,
                        f"Envio offers its receipt as HTML only, not {format.value}",
                        ("format",),
                        CarrierCode.ENVIO,
                    )
                ],
            )
        return {s.id: [d for d in s.documents if d.kind == DocumentKind.LABEL] for s in shipments}

    def verify_webhook(
        self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> None:
        webhooks.verify(self._webhook_token, headers, query, body)

    def parse_webhook(self, body: bytes) -> list[TrackingUpdate]:
        return webhooks.parse(body, self._clock())

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- plumbing -------------------------------------------------------------

    async def _tracking(self, code: str, operation: str = "track") -> dict[str, Any]:
        return await self._call(
            operation, "GET", "/tracking/distribution", None, params={"code": code}
        )

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        body: Any,
        item_origins: Sequence[tuple[int, int | None]] = (),
        *,
        params: Mapping[str, str] | None = None,
        prefix: tuple[str, ...] = (),
        want_data: bool = True,
    ) -> dict[str, Any]:
        response = await self._http.request(operation, method, path, json=body, params=params)
        if response.status_code >= 500:
            raise self._http.fail(
                operation,
                ErrorCode.CARRIER_UNAVAILABLE,
                f"Envio answered {response.status_code}",
            )
        answer = self._http.json_object(operation, response)
        message = str(answer.get("message") or f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise self._rejected(
                operation, response.status_code, message, answer, item_origins, prefix
            )
        if not want_data:
            return {}
        data = answer.get("data")
        if not isinstance(data, dict):
            raise self._http.fail(
                operation,
                ErrorCode.CARRIER_UNAVAILABLE,
                "Envio's answer has no data object",
                # A create that said success may have booked all the same.
                uncertain=operation == "create",
            )
        return data

    def _rejected(
        self,
        operation: str,
        status: int,
        message: str,
        answer: Mapping[str, Any],
        item_origins: Sequence[tuple[int, int | None]],
        prefix: tuple[str, ...],
    ) -> CarrierError:
        code = _STATUS_CODES.get(status, ErrorCode.CARRIER_UNAVAILABLE)
        if status == 400:
            # A body Envio cannot read is our fault, not the caller's.
            code = ErrorCode.INTERNAL
        errors = mapping.field_errors(answer.get("errors"), item_origins)
        if operation != "create":
            errors = [_reprefix(error, prefix) for error in errors]
        if any(error.code == ErrorCode.DUPLICATE for error in errors):
            code = ErrorCode.DUPLICATE
        return self._http.fail(operation, code, f"Envio: {message}", field_errors=errors)

    def _invalid(self, operation: str, problems: Sequence[FieldError]) -> CarrierError:
        code = problems[0].code
        message = "; ".join(problem.message for problem in problems)
        return self._http.fail(operation, code, message, field_errors=problems)


def _reprefix(error: FieldError, prefix: tuple[str, ...]) -> FieldError:
    """Outside create, Envio's paths (cod_value) map to the patch, not the shipment."""
    if error.field is None or error.field[:2] != ("shipment", "cashOnDelivery"):
        return FieldError(error.code, error.message, None, error.carrier)
    return FieldError(error.code, error.message, (*prefix, "cashOnDelivery"), error.carrier)


def _ref_code(shipment: Shipment) -> str:
    return str(shipment.carrier_data.get("ref_code") or shipment.reference)


def _receipt(url: str) -> Document:
    return Document(kind=DocumentKind.LABEL, format=DocumentFormat.HTML, url=url)


def _delivered_at(data: Mapping[str, Any]) -> datetime | None:
    return parse_time(data.get("ata_at")) if data.get("status") == "delivered" else None


def _received_by(data: Mapping[str, Any]) -> str | None:
    """The recipient of a delivery, as the "Delivered" callback gives it: a returned
    shipment's received_by is whoever took it back, not a recipient."""
    return text(data.get("received_by"), 200) if data.get("status") == "delivered" else None


def _option_error(message: str) -> FieldError:
    return FieldError(
        ErrorCode.VALIDATION, message, ("shipment", "carrierOptions"), CarrierCode.ENVIO
    )
