"""Envoy statuses, documents, and refusals as CarrierErrors."""

from __future__ import annotations

from typing import Any

import pytest

from shipgraph.carriers.envoy import errors, mapping
from shipgraph.domain import (
    Document,
    DocumentFormat,
    DocumentKind,
    ErrorCode,
    FieldError,
    ShipmentStatus,
)
from tests.unit.test_envoy_requests import doc_request

# envoy.txt, Shipment Model example, "documents"[0].
DOC_DOCUMENT: dict[str, Any] = {
    "id": "doc_2iBgUNtezju7lmzmfOoJO8cnsVS",
    "type": "label",
    "file_name": "2iBgUMZPAyHoQlX2RnuaobI5yKk_label_0.png",
    "file_type": "image/png",
    "file_size": 129842,
    "file_url": "https://envoy-shipment-files.s3.amazonaws.com/labels/"
    "2iBgUMZPAyHoQlX2RnuaobI5yKk_label_0.png?AWSAccessKeyId=AKIAY27LA84LC8DHB20X"
    "&Signature=kZY1RHl%2BBIClJ0UpjpKtAeqZqJA%3D&Expires=1725464510",
    "created_at": "2019-08-24T14:15:22Z",
    "updated_at": "2019-08-24T14:15:22Z",
}


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("creating", ShipmentStatus.DRAFT),
        ("created", ShipmentStatus.DRAFT),
        ("rated", ShipmentStatus.DRAFT),
        ("failed", ShipmentStatus.DRAFT),
        ("purchased", ShipmentStatus.CREATED),
        ("cancelled", ShipmentStatus.UNKNOWN),
        ("in_transit", ShipmentStatus.UNKNOWN),
        (None, ShipmentStatus.UNKNOWN),
    ],
)
def test_status_table(value: str | None, status: ShipmentStatus) -> None:
    assert mapping.status_of(value) == (status, value or "")


def test_status_table_lists_the_documents_values() -> None:
    # Buy Shipment's "created & rated", then "purchased"; the Manifest's creating, failed.
    assert mapping.STATUS.values() == ["creating", "created", "rated", "failed", "purchased"]


def doc(**changes: Any) -> dict[str, Any]:
    return {**DOC_DOCUMENT, **changes}


def test_documents_per_format() -> None:
    found = mapping.documents_of(
        {
            "documents": [
                DOC_DOCUMENT,
                doc(file_type="application/pdf", file_name="l.pdf", file_url="https://x/l.pdf"),
                doc(file_type=None, file_name="l.zpl", file_url="https://x/l.zpl"),
                doc(file_type=None, file_name=None, file_url="https://x/l.pdf?sig=1"),
                doc(type="commercial_invoice", file_type="application/pdf"),
                doc(file_url=None, content="XlhB", file_type="application/zpl"),
                doc(file_type="application/msword", file_name="x.doc", file_url="https://x/x.doc"),
                doc(file_url=None),
                "junk",
            ]
        }
    )
    assert [(d.kind, d.format) for d in found] == [
        (DocumentKind.LABEL, DocumentFormat.PNG),
        (DocumentKind.LABEL, DocumentFormat.PDF),
        (DocumentKind.LABEL, DocumentFormat.ZPL),
        (DocumentKind.LABEL, DocumentFormat.PDF),
        (DocumentKind.OTHER, DocumentFormat.PDF),
        (DocumentKind.LABEL, DocumentFormat.ZPL),
    ]
    assert found[0] == Document(
        DocumentKind.LABEL, DocumentFormat.PNG, url=DOC_DOCUMENT["file_url"]
    )
    assert found[-1] == Document(DocumentKind.LABEL, DocumentFormat.ZPL, content="XlhB")


def test_shipment_errors() -> None:
    shipment = {
        "errors": [
            {
                "type": "rate_error",
                "code": "rates_unavailable",
                "source": "provider",
                "message": "rates are not available for the provided shipment",
            }
        ]
    }
    (error,) = mapping.shipment_errors(shipment)
    assert error.code == ErrorCode.VALIDATION
    assert error.message == (
        "Envoy: rates_unavailable (rates are not available for the provided shipment)"
    )
    assert not error.retryable


@pytest.mark.parametrize(
    ("envoy", "ours"),
    [
        ("name", ("shipment", "reference")),
        ("addresses.origin.address.post_code", ("shipment", "origin", "postalCode")),
        ("addresses.origin.contact.phone_number", ("shipment", "origin", "phone")),
        ("addresses.return.address.line_1", ("shipment", "origin", "line1")),
        ("addresses.destination.address.country_code", ("shipment", "destination", "countryCode")),
        ("/addresses/destination/contact/email_address", ("shipment", "destination", "email")),
        ("addresses.destination", ("shipment", "destination")),
        ("packages[0].geometry.mass", ("shipment", "parcels", "0", "weightKg")),
        ("packages.1.geometry.length", ("shipment", "parcels", "1", "lengthCm")),
        ("/packages/2/geometry/width", ("shipment", "parcels", "2", "widthCm")),
        ("packages[0].geometry.height", ("shipment", "parcels", "0", "heightCm")),
        ("packages[0].name", ("shipment", "parcels", "0", "description")),
        ("packages", ("shipment", "parcels")),
        ("options.shipping.handling_instructions", ("shipment", "instructions")),
        ("options.shipping.date", ("shipment", "pickupAt")),
        ("options.insurance.value", ("shipment", "declaredValue", "amount")),
        ("options.shipping.currency_code", None),
        ("options.label.format", ("format",)),
        ("options.label", ("format",)),
        # Shipment Options Model: options only carrierOptions.ENVOY can set.
        ("options.label.size", ("shipment", "carrierOptions", "ENVOY", "label", "size")),
        (
            "options.shipping.dry_ice_mass",
            ("shipment", "carrierOptions", "ENVOY", "shipping", "dry_ice_mass"),
        ),
        (
            "options.shipping.signature_type",
            ("shipment", "carrierOptions", "ENVOY", "shipping", "signature_type"),
        ),
        ("tax_identifiers[0].value", ("shipment", "carrierOptions", "ENVOY", "tax_identifiers")),
        ("location_configuration_id", None),
        (
            "addresses.location_configuration_id",
            ("shipment", "carrierOptions", "ENVOY", "location_configuration_id"),
        ),
        ("", None),
    ],
)
def test_input_paths(envoy: str, ours: tuple[str, ...] | None) -> None:
    assert errors.input_path(envoy) == ours


def test_a_rate_currency_given_in_carrier_options_is_pointed_at() -> None:
    options = {"ENVOY": {"shipping": {"currency_code": "USD"}}}
    given = doc_request(carrier_options=options)
    where = errors.input_path("options.shipping.currency_code", given)
    assert where == ("shipment", "carrierOptions", "ENVOY", "shipping", "currency_code")
    assert errors.input_path("options.shipping.currency_code", doc_request()) is None


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, ErrorCode.VALIDATION),
        (422, ErrorCode.VALIDATION),
        (401, ErrorCode.CARRIER_AUTH),
        (403, ErrorCode.CARRIER_AUTH),
        (404, ErrorCode.NOT_FOUND),
        (409, ErrorCode.CONFLICT),
        (429, ErrorCode.RATE_LIMITED),
        (418, ErrorCode.INTERNAL),
    ],
)
def test_status_codes(status: int, code: ErrorCode) -> None:
    assert errors.rejection(status, {"message": "no"})[0] == code


def test_409_on_purchase_is_invalid_state() -> None:
    assert errors.rejection(409, None, purchase=True)[0] == ErrorCode.INVALID_STATE


def test_field_errors_from_each_accepted_shape() -> None:
    listed = {
        "errors": [
            {
                "type": "validation_error",
                "code": "invalid",
                "field": "addresses.origin.address.post_code",
                "message": "bad post code",
            },
            {"code": "required", "path": ["packages", 0, "geometry", "mass"]},
        ]
    }
    code, message, found = errors.rejection(422, listed)
    assert code == ErrorCode.VALIDATION
    assert "addresses.origin.address.post_code: invalid: bad post code" in message
    assert found == [
        FieldError(
            ErrorCode.VALIDATION,
            "Envoy: addresses.origin.address.post_code: invalid: bad post code",
            ("shipment", "origin", "postalCode"),
            mapping.CARRIER,
        ),
        FieldError(
            ErrorCode.VALIDATION,
            "Envoy: packages.0.geometry.mass: required",
            ("shipment", "parcels", "0", "weightKg"),
            mapping.CARRIER,
        ),
    ]
    keyed = {"errors": {"packages[1].geometry.length": ["too long", "not an integer"]}}
    _, _, found = errors.rejection(400, keyed)
    assert [f.field for f in found] == [("shipment", "parcels", "1", "lengthCm")] * 2
    _, message, found = errors.rejection(400, {"error": {"message": "bad", "pointer": "/name"}})
    assert [f.field for f in found] == [("shipment", "reference")]
    _, message, found = errors.rejection(400, {"message": "Bad request"})
    assert message == "Envoy answered 400: Bad request"
    assert [f.field for f in found] == [None]
    assert errors.rejection(400, None)[1:] == ("Envoy answered 400", [])
    assert errors.rejection(401, {"error": "unauthorised"})[2] == []
