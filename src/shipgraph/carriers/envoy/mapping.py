"""Envoy's vocabularies: statuses, documents and the shipment's own ``errors``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from shipgraph.carriers import parsing
from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.status import StatusTable
from shipgraph.domain import CarrierCode, Document, DocumentFormat, DocumentKind, ErrorCode
from shipgraph.domain import ShipmentStatus as _S

CARRIER = CarrierCode.ENVOY

# envoy.txt names a shipment "created & rated" before it is "purchased" (Buy Shipment);
# creating/created/failed are its Manifest statuses, which the simulator's shipments use.
# Anything else UNKNOWN (raw value kept).
STATUS = StatusTable(
    "envoy.shipment",
    {
        "creating": _S.DRAFT,
        "created": _S.DRAFT,
        "rated": _S.DRAFT,
        # "failed": its creation failed (errors say why); never bought: DRAFT, not EXCEPTION.
        "failed": _S.DRAFT,
        "purchased": _S.CREATED,
    },
)

LABEL_FORMATS = {DocumentFormat.PDF: "pdf", DocumentFormat.PNG: "png", DocumentFormat.ZPL: "zpl"}

_MIME_FORMATS = {
    "application/pdf": DocumentFormat.PDF,
    "image/png": DocumentFormat.PNG,
    "application/zpl": DocumentFormat.ZPL,
    "application/x-zpl": DocumentFormat.ZPL,
    "x-application/zpl": DocumentFormat.ZPL,
    "text/html": DocumentFormat.HTML,
}
_SUFFIX_FORMATS = {
    ".pdf": DocumentFormat.PDF,
    ".png": DocumentFormat.PNG,
    ".zpl": DocumentFormat.ZPL,
    ".html": DocumentFormat.HTML,
}
_KINDS = {"label": DocumentKind.LABEL}
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s_-]+")


def status_of(value: object) -> tuple[_S, str]:
    """(status, raw carrier status); a missing status is UNKNOWN with an empty raw value."""
    raw = parsing.identifier(value, 64) or ""
    return (STATUS[raw] if raw else _S.UNKNOWN), raw


def document_format(entry: Mapping[str, Any]) -> DocumentFormat | None:
    """From ``file_type`` (a MIME type in the document's example), else the file name's
    or URL's suffix, else a bare ``format`` ("pdf")."""
    mime = str(entry.get("file_type") or "").split(";")[0].strip().lower()
    if mime in _MIME_FORMATS:
        return _MIME_FORMATS[mime]
    for name in (entry.get("file_name"), urlsplit(str(entry.get("file_url") or "")).path):
        if isinstance(name, str) and name:
            suffix = PurePosixPath(name).suffix.lower()
            if suffix in _SUFFIX_FORMATS:
                return _SUFFIX_FORMATS[suffix]
    raw = str(entry.get("format") or "").upper()
    return DocumentFormat(raw) if raw in DocumentFormat.__members__ else None


def documents_of(shipment: Mapping[str, Any]) -> tuple[Document, ...]:
    """The shipment's ``documents``: a URL (``file_url``) as the document gives, or
    base64 content when an entry carries ``content`` instead (not in the document;
    accepted). Entries with neither, or of no known format, are skipped."""
    raw = shipment.get("documents")
    found = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict):
            continue
        fmt = document_format(entry)
        url = parsing.url(entry.get("file_url"))
        content = _base64(entry.get("content"))
        if fmt is None or (url is None and content is None):
            continue
        kind = _KINDS.get(str(entry.get("type") or "").lower(), DocumentKind.OTHER)
        found.append(Document(kind, fmt, url=url, content=None if url else content))
    return tuple(found)


MAX_CONTENT = 8 * 1024 * 1024
"""Characters of a document's base64 content: a label is far smaller."""


def _base64(value: object) -> str | None:
    """Base64 text (the alphabet and padding only, at most MAX_CONTENT), or None."""
    if not isinstance(value, str) or not value or len(value) > MAX_CONTENT:
        return None
    stripped = value.strip()
    return stripped if stripped and _BASE64.fullmatch(stripped) else None


def shipment_errors(shipment: Mapping[str, Any]) -> list[CarrierError]:
    """The shipment's ``errors`` ({type, code, source, message}) as CarrierErrors.
    They describe the shipment (no rates for it), so VALIDATION, not retryable."""
    raw = shipment.get("errors")
    found = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict):
            continue
        code = parsing.identifier(entry.get("code")) or parsing.identifier(entry.get("type"))
        code = code or "error"
        text = parsing.text(entry.get("message")) or ""
        message = f"Envoy: {code}" + (f" ({text})" if text else "")
        found.append(CarrierError(CARRIER, ErrorCode.VALIDATION, message))
    return found
