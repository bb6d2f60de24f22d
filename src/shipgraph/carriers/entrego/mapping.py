"""Entrego's vocabularies (entrego.txt appendices) and small value conversions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from shipgraph.carriers.status import StatusTable
from shipgraph.domain import CarrierCode, ShipmentStatus

CARRIER = CarrierCode.ENTREGO
CURRENCY = "PHP"
# The document's dates ("2018-09-15") carry no zone; we send the Philippine date (UTC+8).
PH_TIME = timezone(timedelta(hours=8), "PHT")

_S = ShipmentStatus
# ARCHITECTURE "Status mapping", Entrego webhook `status` (Appendix C values).
_APPENDIX_C: dict[str, ShipmentStatus] = {
    "PICKUP_PENDING": _S.PICKUP_SCHEDULED,
    "PICKED_UP": _S.PICKED_UP,
    "PICKUP_FAILED": _S.PICKUP_FAILED,
    "RECEIVED_AT_HUB": _S.AT_HUB,
    "BAGGED": _S.AT_HUB,
    "IN_TRANSIT": _S.IN_TRANSIT,
    "HANDOVER_TO_TRANSPORT": _S.IN_TRANSIT,
    "HANDOVER_TO_3PL": _S.IN_TRANSIT,
    "DELIVERY_PENDING": _S.OUT_FOR_DELIVERY,
    "DELIVERED": _S.DELIVERED,
    "DELIVERY_FAILED": _S.DELIVERY_FAILED,
    "READY_FOR_RTC": _S.RETURNING,
    "RECEIVED_AT_HUB_RTC": _S.RETURNING,
    "IN_TRANSIT_RTC": _S.RETURNING,
    "DELIVERY_PENDING_RTC": _S.RETURNING,
    "RETURNED_TO_SENDER": _S.RETURNED,
    "REJECTED_AND_RETURNED": _S.RETURNED,
    "CANCELLED": _S.CANCELLED,
    "LOST": _S.LOST,
    "NOT_RECEIVED": _S.EXCEPTION,
    "REJECTED": _S.EXCEPTION,
}
WEBHOOK_STATUS = StatusTable("entrego.webhook", _APPENDIX_C)
# ARCHITECTURE: order `fsmState` NEW -> CREATED; the cancel answer's `state` too. An
# order read later (refresh) has moved on: its fsmState is then an Appendix C status.
ORDER_STATE = StatusTable("entrego.order", {"NEW": _S.CREATED, **_APPENDIX_C})

# Appendix A: failed reasons.
FAILED_REASONS: dict[str, str] = {
    "1A": "Customer could not pay",
    "1B": "Customer refused to accept parcel",
    "1C": "Customer cancelled while parcel was in transit",
    "1D": "Customer re-scheduled delivery to another date",
    "1E": "Customer was not available during delivery",
    "1G": "Customer was not able to provide Valid ID for proper identification",
    "1H": "Customer deceased",
    "1I": "Customer is no longer affiliated with address",
    "1J": "Customer consignee with unidentified information",
    "2A": "Courier could not find customer address",
    "2B": "Customer is unknown in the area",
    "2C": "Business is no longer operational",
    "2D": "Erroneous issuance / not ordered",
    "2E": "Pullout / Client cancelled while parcel was in transit",
    "3A": "Courier faced technical issues",
    "3B": "Courier did not have enough time to deliver the package",
    "3C": "Unavoidable weather issues",
    "3D": "Courier lost the parcel",
    "3E": "Courier damaged the parcel",
    "3G": "Incorrect delivery details on package sticker",
    "3F": "Customer address is incomplete",
    "3H": "Courier attempted delivery outside office hours",
    "3I": "Force Majeure",
    "4A": "Merchant - Not Ready",
    "4B": "Merchant - Not Around",
}

# Appendix D: supported provinces, ISO code -> name as Entrego spells it.
PROVINCES: dict[str, str] = {
    "PH-ABR": "Abra",
    "PH-AGN": "Agusan del Norte",
    "PH-AGS": "Agusan del Sur",
    "PH-AKL": "Aklan",
    "PH-ALB": "Albay",
    "PH-ANT": "Antique",
    "PH-APA": "Apayao",
    "PH-AUR": "Aurora",
    "PH-BAS": "Basilan",
    "PH-BAN": "Bataan",
    "PH-BTN": "Batanes",
    "PH-BTG": "Batangas",
    "PH-BEN": "Benguet",
    "PH-BIL": "Biliran",
    "PH-BOH": "Bohol",
    "PH-BUK": "Bukidnon",
    "PH-BUL": "Bulacan",
    "PH-CAG": "Cagayan",
    "PH-CAN": "Camarines Norte",
    "PH-CAS": "Camarines Sur",
    "PH-CAM": "Camiguin",
    "PH-CAP": "Capiz",
    "PH-CAT": "Catanduanes",
    "PH-CAV": "Cavite",
    "PH-CEB": "Cebu",
    "PH-COM": "Compostela Valley",
    "PH-NCO": "Cotabato",
    "PH-DAV": "Davao del Norte",
    "PH-DAS": "Davao del Sur",
    "PH-DVO": "Davao Occidental",
    "PH-DAO": "Davao Oriental",
    "PH-DIN": "Dinagat Islands",
    "PH-EAS": "Eastern Samar",
    "PH-GUI": "Guimaras",
    "PH-IFU": "Ifugao",
    "PH-ILN": "Ilocos Norte",
    "PH-ILS": "Ilocos Sur",
    "PH-ILI": "Iloilo",
    "PH-ISA": "Isabela",
    "PH-KAL": "Kalinga",
    "PH-LUN": "La Union",
    "PH-LAG": "Laguna",
    "PH-LAN": "Lanao del Norte",
    "PH-LAS": "Lanao del Sur",
    "PH-LEY": "Leyte",
    "PH-MAG": "Maguindanao",
    "PH-MAD": "Marinduque",
    "PH-MAS": "Masbate",
    "PH-MSC": "Misamis Occidental",
    "PH-MSR": "Misamis Oriental",
    "PH-MOU": "Mountain Province",
    "PH-NEC": "Negros Occidental",
    "PH-NER": "Negros Oriental",
    "PH-NSA": "Northern Samar",
    "PH-NUE": "Nueva Ecija",
    "PH-NUV": "Nueva Vizcaya",
    "PH-MDC": "Occidental Mindoro",
    "PH-MDR": "Oriental Mindoro",
    "PH-PLW": "Palawan",
    "PH-PAM": "Pampanga",
    "PH-PAN": "Pangasinan",
    "PH-QUE": "Quezon",
    "PH-QUI": "Quirino",
    "PH-RIZ": "Rizal",
    "PH-ROM": "Romblon",
    "PH-WSA": "Samar",
    "PH-SAR": "Sarangani",
    "PH-SIG": "Siquijor",
    "PH-SOR": "Sorsogon",
    "PH-SCO": "South Cotabato",
    "PH-SLE": "Southern Leyte",
    "PH-SUK": "Sultan Kudarat",
    "PH-SLU": "Sulu",
    "PH-SUN": "Surigao del Norte",
    "PH-SUR": "Surigao del Sur",
    "PH-TAR": "Tarlac",
    "PH-TAW": "Tawi-Tawi",
    "PH-ZMB": "Zambales",
    "PH-ZAN": "Zamboanga del Norte",
    "PH-ZAS": "Zamboanga del Sur",
    "PH-ZSI": "Zamboanga Sibugay",
    "PH-00": "Metro Manila",
}
_PROVINCE_BY_NAME = {name.casefold(): name for name in PROVINCES.values()}
_PROVINCE_BY_ISO = {iso.casefold(): name for iso, name in PROVINCES.items()}


def province_name(given: str | None) -> str | None:
    """The Appendix D spelling of a province given by name or by its ISO code (any
    case), or None if not listed: orders take the name, Appendix D pairs both."""
    if not given:
        return None
    wanted = " ".join(given.split()).casefold()
    return _PROVINCE_BY_NAME.get(wanted) or _PROVINCE_BY_ISO.get(wanted)


def number(value: Decimal | float) -> int | float:
    """A JSON number as the document writes them: 900, 1.5."""
    decimal = Decimal(str(value))
    return int(decimal) if decimal == decimal.to_integral_value() else float(decimal)


def ph_date(value: datetime) -> str:
    return value.astimezone(PH_TIME).date().isoformat()
