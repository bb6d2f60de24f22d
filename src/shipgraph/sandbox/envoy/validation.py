"""Checks of a create-shipment body against the document's Shipment model.

Required (the document): addresses.origin and addresses.destination, at least one
package (at most 20) whose geometry has an integer ``mass`` in grams. Our reading of
the Address: ``address.line_1``, ``address.city`` and a 2-letter ``address.country_code``
are required (``post_code`` not: some countries have none), and a ``contact`` with a
``name`` or a ``company`` (the document's example origin has only a company).
Lengths are integer millimetres (or null), masses integer grams, both above 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from shipgraph.sandbox.envoy.errors import FieldErrors, ValidationFailed, invalid_json

MAX_PACKAGES = 20
LABEL_FORMATS = ("pdf", "png", "zpl")
LABEL_SIZES = ("4x4", "4x5", "4x6", "4x7", "4x8", "8.5x11")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# envoy.txt's "Possible Enum Values" of the Customs Detail, Customs Identifier and
# Shipment Tax Identifier models.
CONTENTS_TYPES = (
    "documents",
    "gift",
    "merchandise",
    "returned_goods",
    "other",
    "commercial_sample",
)
INCOTERMS = ("EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF")
RESTRICTION_TYPES = ("none", "other", "quarantine", "sanitary_phytosanitary_inspection")
ENTITY_TYPES = ("import", "export", "all")
CUSTOMS_IDENTIFIER_TYPES = ("license", "certificate", "eei", "mrn", "other")
TAXABLE_ENTITY_TYPES = ("receiver", "sender")
# envoy.txt's "Possible Enum Values" of the Shipment Options Model's shipping options.
DROPOFF_TYPES = ("regular_pickup", "scheduled_pickup", "dropbox_location", "retail_location")
INVALID_ADDRESS_HANDLING = ("notify_and_discard", "forward_or_return", "return", "temp_return")
NON_DELIVERY = ("abandon", "return")
SIGNATURE_TYPES = ("standard", "standard_restricted", "indirect", "adult", "adult_restricted")
DRY_ICE = ("dry_ice", "dry_ice_medical")
TAX_IDENTIFIER_TYPES = (
    *("vat", "dan", "dtf", "duns", "ioss", "ein", "eori", "fed", "ftz"),
    *("gst", "pan", "ssn", "tan", "tin", "cnpj", "voec", "sta"),
)


def parse_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise invalid_json() from exc
    if not isinstance(body, dict):
        raise invalid_json()
    return body


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


class _Checker:
    def __init__(self) -> None:
        self.problems: FieldErrors = []

    def add(self, field: str, message: str) -> None:
        self.problems.append((field, message))

    def obj(self, parent: dict[str, Any], key: str, path: str, required: bool) -> dict[str, Any]:
        value = parent.get(key)
        if value is None:
            if required:
                self.add(path, "is required")
            return {}
        if not isinstance(value, dict):
            self.add(path, "must be an object")
            return {}
        return value

    def optional_str(self, parent: dict[str, Any], key: str, path: str) -> None:
        value = parent.get(key)
        if value is not None and not isinstance(value, str):
            self.add(path, "must be a string")

    def address(self, addresses: dict[str, Any], role: str, required: bool) -> None:
        path = f"addresses.{role}"
        party = addresses.get(role)
        if party is None:
            if required:
                self.add(path, "is required")
            return
        if not isinstance(party, dict):
            self.add(path, "must be an object")
            return
        address = self.obj(party, "address", f"{path}.address", True)
        if isinstance(party.get("address"), dict):
            for key in ("line_1", "city"):
                if not _text(address.get(key)):
                    self.add(f"{path}.address.{key}", "is required")
            for key in ("line_2", "line_3", "province", "post_code"):
                self.optional_str(address, key, f"{path}.address.{key}")
            country = address.get("country_code")
            if country is None:
                self.add(f"{path}.address.country_code", "is required")
            elif not (isinstance(country, str) and _COUNTRY.match(country)):
                self.add(f"{path}.address.country_code", "must be a 2-letter ISO country code")
        contact = self.obj(party, "contact", f"{path}.contact", True)
        if isinstance(party.get("contact"), dict) and not (
            _text(contact.get("name")) or _text(contact.get("company"))
        ):
            self.add(f"{path}.contact", "needs a name or a company")

    def packages(self, body: dict[str, Any]) -> None:
        packages = body.get("packages")
        if not isinstance(packages, list) or not packages:
            self.add("packages", "at least one package is required")
            return
        if len(packages) > MAX_PACKAGES:
            self.add("packages", f"at most {MAX_PACKAGES} packages per shipment")
        for index, package in enumerate(packages):
            path = f"packages.{index}"
            if not isinstance(package, dict):
                self.add(path, "must be an object")
                continue
            self.optional_str(package, "name", f"{path}.name")
            self.optional_str(package, "predefined_package_code", f"{path}.predefined_package_code")
            geometry = self.obj(package, "geometry", f"{path}.geometry", True)
            if not isinstance(package.get("geometry"), dict):
                continue
            mass = geometry.get("mass")
            if mass is None:
                self.add(f"{path}.geometry.mass", "is required (grams)")
            elif not _is_int(mass) or mass <= 0:
                self.add(f"{path}.geometry.mass", "must be a positive integer (grams)")
            for key in ("length", "width", "height"):
                value = geometry.get(key)
                if value is not None and (not _is_int(value) or value <= 0):
                    self.add(f"{path}.geometry.{key}", "must be a positive integer (millimetres)")

    def options(self, body: dict[str, Any]) -> None:
        options = self.obj(body, "options", "options", False)
        shipping = self.obj(options, "shipping", "options.shipping", False)
        currency = shipping.get("currency_code")
        if currency is not None and not (isinstance(currency, str) and _CURRENCY.match(currency)):
            self.add("options.shipping.currency_code", "must be a 3-letter currency code")
        date = shipping.get("date")
        if date is not None and parse_date(date) is None:
            self.add("options.shipping.date", "must be an RFC 3339 date-time")
        self.shipping_choices(shipping)
        label = self.obj(options, "label", "options.label", False)
        fmt = label.get("format")
        if fmt is not None and fmt not in LABEL_FORMATS:
            self.add("options.label.format", f"must be one of {', '.join(LABEL_FORMATS)}")
        size = label.get("size")
        if size is not None and size not in LABEL_SIZES:
            self.add("options.label.size", f"must be one of {', '.join(LABEL_SIZES)}")
        insurance = self.obj(options, "insurance", "options.insurance", False)
        value = insurance.get("value")
        if value is not None and (not _is_int(value) or value < 0):
            self.add("options.insurance.value", "must be an integer in minor units")
        currency = insurance.get("currency_code")
        if currency is not None and not (isinstance(currency, str) and _CURRENCY.match(currency)):
            self.add("options.insurance.currency_code", "must be a 3-letter currency code")

    def shipping_choices(self, shipping: dict[str, Any]) -> None:
        """options.shipping's enums, and dry_ice_mass: "in grams. Required if the
        restricted_substances field contains either the dry_ice or dry_ice_medical flags"."""
        path = "options.shipping"
        self.one_of(shipping, "dropoff_type", f"{path}.dropoff_type", DROPOFF_TYPES, False)
        handling = INVALID_ADDRESS_HANDLING
        self.one_of(
            shipping,
            "invalid_address_handling",
            f"{path}.invalid_address_handling",
            handling,
            False,
        )
        self.one_of(shipping, "non_delivery", f"{path}.non_delivery", NON_DELIVERY, False)
        self.one_of(shipping, "signature_type", f"{path}.signature_type", SIGNATURE_TYPES, False)
        substances = shipping.get("restricted_substances")
        if substances is not None and not (
            isinstance(substances, list) and all(_text(s) for s in substances)
        ):
            self.add(f"{path}.restricted_substances", "must be an array of identifiers")
            substances = None
        mass = shipping.get("dry_ice_mass")
        if mass is not None and (not _is_int(mass) or mass <= 0):
            self.add(f"{path}.dry_ice_mass", "must be a positive integer (grams)")
        elif mass is None and any(s in DRY_ICE for s in substances or []):
            self.add(f"{path}.dry_ice_mass", "is required with dry_ice or dry_ice_medical")

    def one_of(
        self, parent: dict[str, Any], key: str, path: str, values: Sequence[str], required: bool
    ) -> None:
        value = parent.get(key)
        if value is None:
            if required:
                self.add(path, "is required")
        elif value not in values:
            self.add(path, f"must be one of {', '.join(values)}")

    def integer(self, parent: dict[str, Any], key: str, path: str, required: bool) -> None:
        value = parent.get(key)
        if value is None:
            if required:
                self.add(path, "is required")
        elif not _is_int(value):
            self.add(path, "must be an integer")

    def required_str(self, parent: dict[str, Any], key: str, path: str) -> None:
        if not _text(parent.get(key)):
            self.add(path, "is required")

    def entries(
        self, parent: dict[str, Any], key: str, path: str
    ) -> list[tuple[str, dict[str, Any]]]:
        """(path, object) of each entry of an array,null field."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(path, "must be an array")
            return []
        found = []
        for index, entry in enumerate(value):
            if isinstance(entry, dict):
                found.append((f"{path}.{index}", entry))
            else:
                self.add(f"{path}.{index}", "must be an object")
        return found

    def customs(self, body: dict[str, Any]) -> None:
        """The Customs Detail Model: enums; contents_description "always [required] if
        the contents_type is set to other"; restriction_description "For any value other
        than none in the restriction_type field, this is required"; the incoterm in
        either case ("Any incoterm passed should be lowercased", the enum is capitals)."""
        customs = self.obj(body, "customs", "customs", False)
        if not customs:
            return
        self.one_of(customs, "contents_type", "customs.contents_type", CONTENTS_TYPES, False)
        for key in ("contents_description", "restriction_description", "declaration_message"):
            self.optional_str(customs, key, f"customs.{key}")
        if customs.get("contents_type") == "other":
            self.required_str(customs, "contents_description", "customs.contents_description")
        incoterm = customs.get("incoterm")
        if incoterm is not None and not (
            isinstance(incoterm, str) and incoterm.upper() in INCOTERMS
        ):
            self.add("customs.incoterm", f"must be one of {', '.join(INCOTERMS)} (lower case)")
        restriction = customs.get("restriction_type")
        self.one_of(
            customs, "restriction_type", "customs.restriction_type", RESTRICTION_TYPES, False
        )
        if restriction not in (None, "none"):
            self.required_str(customs, "restriction_description", "customs.restriction_description")
        declarant = self.obj(customs, "declarant", "customs.declarant", False)
        self.optional_str(declarant, "name", "customs.declarant.name")
        self.optional_str(declarant, "date", "customs.declarant.date")
        certify = declarant.get("certify")
        if certify is not None and not isinstance(certify, bool):
            self.add("customs.declarant.certify", "must be a boolean")
        for path, item in self.entries(customs, "items", "customs.items"):
            self.customs_item(item, path)
        for path, entry in self.entries(customs, "identifiers", "customs.identifiers"):
            self.one_of(entry, "entity_type", f"{path}.entity_type", ENTITY_TYPES, True)
            kinds = CUSTOMS_IDENTIFIER_TYPES
            self.one_of(entry, "identifier_type", f"{path}.identifier_type", kinds, True)
            self.required_str(entry, "value", f"{path}.value")
            self.optional_str(entry, "issuing_country_code", f"{path}.issuing_country_code")

    def customs_item(self, item: dict[str, Any], path: str) -> None:
        """The Customs Item Model: description, an integer quantity and an integer unit
        value in minor units; mass integer grams or null."""
        self.required_str(item, "description", f"{path}.description")
        self.integer(item, "quantity", f"{path}.quantity", True)
        self.integer(item, "value", f"{path}.value", True)
        self.integer(item, "mass", f"{path}.mass", False)
        currency = item.get("currency_code")
        if currency is not None and not (isinstance(currency, str) and _CURRENCY.match(currency)):
            self.add(f"{path}.currency_code", "must be a 3-letter currency code")
        for key in ("product_identifier", "hs_tariff_code"):
            self.optional_str(item, key, f"{path}.{key}")

    def tax_identifiers(self, body: dict[str, Any]) -> None:
        """The Shipment Tax Identifier Model; issuing_country_code is "The 2-letter
        country code"."""
        for path, entry in self.entries(body, "tax_identifiers", "tax_identifiers"):
            whose = TAXABLE_ENTITY_TYPES
            self.one_of(entry, "taxable_entity_type", f"{path}.taxable_entity_type", whose, False)
            kinds = TAX_IDENTIFIER_TYPES
            self.one_of(entry, "identifier_type", f"{path}.identifier_type", kinds, True)
            self.required_str(entry, "value", f"{path}.value")
            country = entry.get("issuing_country_code")
            if country is not None and not (isinstance(country, str) and _COUNTRY.match(country)):
                self.add(f"{path}.issuing_country_code", "must be a 2-letter ISO country code")


def validate_create(body: dict[str, Any]) -> dict[str, Any]:
    """The body itself when valid; raises :class:`ValidationFailed` listing every problem."""
    check = _Checker()
    addresses = check.obj(body, "addresses", "addresses", True)
    if isinstance(body.get("addresses"), dict):
        check.address(addresses, "origin", True)
        check.address(addresses, "destination", True)
        check.address(addresses, "return", False)
        location = "location_configuration_id"
        check.optional_str(addresses, location, f"addresses.{location}")
    check.packages(body)
    check.options(body)
    check.customs(body)
    check.tax_identifiers(body)
    check.optional_str(body, "name", "name")
    check.optional_str(body, "batch_id", "batch_id")
    carrier = check.obj(body, "carrier", "carrier", False)
    check.optional_str(carrier, "carrier_code", "carrier.carrier_code")
    check.optional_str(carrier, "service_code", "carrier.service_code")
    accounts = carrier.get("carrier_accounts")
    if accounts is not None and not (
        isinstance(accounts, list) and all(_text(account) for account in accounts)
    ):
        check.add("carrier.carrier_accounts", "must be an array of carrier account ids")
    if check.problems:
        raise ValidationFailed(check.problems)
    return body


def normalise_create(body: dict[str, Any]) -> dict[str, Any]:
    """The body as kept: each customs item's hs_tariff_code without spaces and periods
    (Customs Item Model: "Formatting such as spaces and periods are ignored, and may be
    removed"). ``body`` has passed validate_create."""
    customs = body.get("customs")
    items = customs.get("items") if isinstance(customs, dict) else None
    for item in items or []:
        code = item.get("hs_tariff_code")
        if isinstance(code, str):
            item["hs_tariff_code"] = code.replace(" ", "").replace(".", "")
    return body


def validate_purchase(body: dict[str, Any]) -> str:
    rate = body.get("rate")
    if not _text(rate):
        raise ValidationFailed([("rate", "is required (a rate id from the shipment's rates)")])
    assert isinstance(rate, str)
    return rate


_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def parse_date(value: object) -> datetime | None:
    """An RFC 3339 date-time (``Z`` or an offset, T and Z in either case, as RFC 3339
    allows; no basic ISO 8601 forms) as UTC, else None."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        return None
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(microsecond=0)
