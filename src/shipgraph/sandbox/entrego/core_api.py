"""Entrego's core host: the Location API, address clean-up and the waybill tool.

The Location API and clean-up need no token (the document shows them without one; a
token sent along is ignored); the waybill steps need the bearer token (the document lists
the Authorization header), except the PDF itself, which stands in for a signed S3 URL.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shipgraph.sandbox.entrego import locations
from shipgraph.sandbox.entrego.api import Endpoint, answering_errors, json_body, protected
from shipgraph.sandbox.entrego.errors import ApiError, LmsResponse, ValidationFailed, not_found
from shipgraph.sandbox.entrego.state import EntregoSandboxState
from shipgraph.sandbox.entrego.waybill import MAX_TRACKING_NUMBERS, SUCCESS
from shipgraph.sandbox.faults import route_path
from shipgraph.sandbox.pdf import text_pdf

WAYBILL_FILES = "/v1/awb-tool/files"


def _found(value: Any, what: str) -> Any:
    if value is None:
        raise not_found(f"{what} not found")
    return value


def location_routes(state: EntregoSandboxState) -> list[Route]:
    def counted(handler: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            state.location_calls[route_path(request.scope)] += 1
            return await handler(request)

        return answering_errors(endpoint)

    async def provinces(request: Request) -> Response:
        return LmsResponse([p.to_json() for p in locations.PROVINCE_LIST])

    async def municipalities(request: Request) -> Response:
        province = _found(locations.province_by_id(request.path_params["id"]), "Province")
        return LmsResponse([m.to_json() for m in locations.municipalities_of(province)])

    async def barangays(request: Request) -> Response:
        city = _found(locations.municipality_by_id(request.path_params["id"]), "Municipality")
        return LmsResponse([b.to_json() for b in locations.barangays_of(city)])

    async def ports(request: Request) -> Response:
        return LmsResponse([p.to_json() for p in locations.PORT_LIST])

    async def port(request: Request) -> Response:
        found = _found(locations.port_by_code(request.path_params["code"]), "Port code")
        return LmsResponse(found.to_json())

    async def island_ports(request: Request) -> Response:
        # An unknown island has no ports: an empty list, not a 404 (our choice).
        return LmsResponse([p.to_json() for p in locations.ports_on(request.path_params["island"])])

    async def by_iso(request: Request) -> Response:
        found = _found(locations.province_by_iso(request.path_params["iso"]), "Province")
        return LmsResponse(found.to_json())

    async def by_name(request: Request) -> Response:
        found = _found(locations.province_by_name(request.path_params["name"]), "Province")
        return LmsResponse(found.to_json())

    async def cluster(request: Request) -> Response:
        query = request.query_params
        province, city = query.get("provinceName"), query.get("cityName")
        if not province or not city:
            errors = [
                {"field": name, "message": "must not be empty"}
                for name in ("provinceName", "cityName")
                if not query.get(name)
            ]
            raise ValidationFailed(errors)
        answer = locations.cluster(province, city, query.get("barangayName") or None)
        return LmsResponse(_found(answer, "Barangay cluster"))

    async def cleanup(request: Request) -> Response:
        body = await json_body(request)
        address = body.get("address")
        if not isinstance(address, str) or not address.strip():
            raise ValidationFailed([{"field": "address", "message": "must not be empty"}])
        return LmsResponse(locations.cleanup(address))

    base = "/v1/locations"
    return [
        Route(f"{base}/provinces", counted(provinces), methods=["GET"]),
        Route(f"{base}/provinces/iso/{{iso}}", counted(by_iso), methods=["GET"]),
        Route(f"{base}/provinces/{{id}}/municipalities", counted(municipalities), methods=["GET"]),
        Route(f"{base}/provinces/{{name}}", counted(by_name), methods=["GET"]),
        Route(f"{base}/municipalities/{{id}}/barangays", counted(barangays), methods=["GET"]),
        Route(f"{base}/port-codes", counted(ports), methods=["GET"]),
        Route(f"{base}/port-codes/islands/{{island}}", counted(island_ports), methods=["GET"]),
        Route(f"{base}/port-codes/{{code}}", counted(port), methods=["GET"]),
        # The document's table spells this one "port-cides" once (a slip); both answer.
        Route(f"{base}/port-cides/{{code}}", counted(port), methods=["GET"]),
        Route("/v2/locations/barangay-cluster", counted(cluster), methods=["GET"]),
        Route("/v1/cleanup/address", counted(cleanup), methods=["POST"]),
    ]


def waybill_routes(state: EntregoSandboxState) -> list[Route]:
    async def generate(request: Request) -> Response:
        body = await json_body(request)
        errors: list[dict[str, str]] = []
        for name in ("clientName", "requestedBy"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                errors.append({"field": name, "message": "must not be empty"})
        masked = body.get("contactNumberMasked", False)
        if masked in ("true", "false"):  # the document sends it as the string "true"
            masked = masked == "true"
        if masked is None:
            masked = False
        if not isinstance(masked, bool):
            errors.append({"field": "contactNumberMasked", "message": "must be a boolean"})
        numbers = body.get("trackingNumbers")
        if (
            not isinstance(numbers, list)
            or not numbers
            or not all(isinstance(n, str) and n for n in numbers)
        ):
            errors.append(
                {"field": "trackingNumbers", "message": "must be a non-empty list of strings"}
            )
        elif len(numbers) > MAX_TRACKING_NUMBERS:
            message = f"at most {MAX_TRACKING_NUMBERS} tracking numbers per request"
            errors.append({"field": "trackingNumbers", "message": message})
        if errors:
            raise ValidationFailed(errors)
        document = await state.new_waybill(
            body["clientName"], body["requestedBy"], bool(masked), list(numbers or [])
        )
        return LmsResponse({"documentID": document.id})

    async def output(request: Request) -> Response:
        document_id = request.query_params.get("documentId", "")
        document = state.waybills.get(document_id)
        if document is None:
            raise not_found(f"Document {document_id} not found")
        status = document.status()
        url = ""
        if status == SUCCESS:
            path = f"{request.scope.get('root_path', '')}{WAYBILL_FILES}/{document.id}.pdf"
            url = str(request.url.replace(path=path, query=""))
        return LmsResponse({"pdfUrl": url, "pdfStatus": status})

    async def download(request: Request) -> Response:
        document = state.waybills.get(request.path_params["document_id"])
        if document is None or document.status() != SUCCESS or document.pages is None:
            raise ApiError(404, "Waybill not found")
        return Response(text_pdf(document.pages), media_type="application/pdf")

    tool = "/v1/awb-tool"
    return [
        Route(f"{tool}/client-waybill-generation", protected(state, generate), methods=["POST"]),
        Route(
            f"{tool}/client-generate-output/getByDocumentId",
            protected(state, output),
            methods=["GET"],
        ),
        Route(f"{WAYBILL_FILES}/{{document_id}}.pdf", answering_errors(download), methods=["GET"]),
    ]
