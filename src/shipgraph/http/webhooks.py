"""POST /webhooks/{carrier}: verify, parse, store, publish; answer after the write.

Beside the answers below: a shipment whose stored record cannot be read gets 202
(accepted, not applied; logged), since a retry would not help and the carrier must
not stop sending the others; 422 when what the event says cannot be stored.

401 for a bad token or signature and 400 for a body that is not an event (nothing
stored either way), 200 once applied (a duplicate too, applied once), 202 when the
shipment is not known yet (kept as an orphan), 503 when the store cannot take it
(so the carrier retries), 503 with Retry-After when it is busy (its connections
all taken, or the shipment being changed by other writers), 404 for a carrier that
is not enabled.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from shipgraph.carriers.base import CarrierError, WebhookRejected
from shipgraph.domain import CarrierCode
from shipgraph.events.ingest import Outcome
from shipgraph.observability import WEBHOOKS_RECEIVED, get_logger
from shipgraph.resolvers.context import Services
from shipgraph.store.base import CorruptRecord, StoreBusy, StoreUnavailable, UnstorableShipment

log = get_logger("shipgraph.webhooks")


def _answer(http_status: int, **body: object) -> JSONResponse:
    return JSONResponse(body, status_code=http_status)


async def receive_webhook(request: Request) -> JSONResponse:
    services: Services = request.app.state.services
    name = str(request.path_params["carrier"]).upper()
    if name not in CarrierCode.__members__:
        return _answer(404, error="unknown carrier")
    code = CarrierCode(name)
    try:
        carrier = services.registry.get(code)
    except CarrierError as error:
        return _answer(404, error=error.message)
    body = await request.body()
    try:
        carrier.verify_webhook(request.headers, request.query_params, body)
        updates = carrier.parse_webhook(body)
    except WebhookRejected as rejected:
        WEBHOOKS_RECEIVED.labels(code.value, "rejected").inc()
        log.warning(
            "webhook rejected", carrier=code.value, status=rejected.status, why=rejected.message
        )
        return _answer(rejected.status, error=rejected.message)
    updater = services.updater
    try:
        outcomes = [await updater.ingest(update) for update in updates]
    except StoreBusy as busy:
        WEBHOOKS_RECEIVED.labels(code.value, "busy").inc()
        response = _answer(503, error=f"{busy}; retry later")
        response.headers["Retry-After"] = str(busy.retry_after_s)
        return response
    except StoreUnavailable:
        WEBHOOKS_RECEIVED.labels(code.value, "unavailable").inc()
        return _answer(503, error="storage unavailable, retry later")
    except CorruptRecord:
        # read_shipment logged which record; this says which event it was.
        WEBHOOKS_RECEIVED.labels(code.value, "corrupt").inc()
        log.error("webhook not applied: stored shipment unreadable", carrier=code.value)
        detail = "the shipment's stored record is unreadable; the event was not applied"
        return _answer(202, result="accepted", detail=detail)
    except UnstorableShipment as refused:
        WEBHOOKS_RECEIVED.labels(code.value, "unstorable").inc()
        log.error("webhook not applied: cannot be stored", carrier=code.value, why=str(refused))
        return _answer(422, error="the event carries values that cannot be stored")
    for outcome in outcomes:
        WEBHOOKS_RECEIVED.labels(code.value, outcome.value).inc()
    if Outcome.ORPHAN in outcomes:
        return _answer(202, result="accepted", detail="shipment not known yet; kept")
    return _answer(200, result="ok", applied=sum(o == Outcome.APPLIED for o in outcomes))
