"""Small factories for domain values in tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shipgraph.domain import (
    Address,
    CarrierCode,
    GeoPoint,
    Money,
    Parcel,
    ParcelItem,
    Shipment,
    ShipmentRequest,
    ShipmentStatus,
)

T0 = datetime(2023, 6, 8, 16, 24, tzinfo=UTC)
WIB = datetime.fromisoformat("2023-07-27T15:40:20+07:00").tzinfo


def doc_request(**changes: Any) -> ShipmentRequest:
    """The request the Envio document's create example was made from."""
    when = datetime.fromisoformat("2023-07-27T15:40:20+07:00")
    values: dict[str, Any] = {
        "reference": "ID_SO20230726000340",
        "origin": Address(
            line1="JL. RAYA PERANCIS NO.17, BELIMBING, KEC. KOSAMBI, KABUPATEN TANGERANG, "
            "BANTEN 15212",
            country_code="ID",
            name="PERGUDANGAN KOSAMBI PERMAI",
            company="PERGUDANGAN KOSAMBI PERMAI",
            phone="+628767438745",
            province="Banten",
            city="kabupaten tangerang",
            district="kosambi",
            village="belimbing",
            coordinates=GeoPoint(38.8951, -77.0364),
        ),
        "destination": Address(
            line1="JL.PENGADEGAN UTARA NO.1, KEL.CIKOKO, KEC.PANCORAN,KOTA JAKARTA SELATAN, "
            "DKI JAKARTA",
            country_code="ID",
            name="SAPTA APRIYANA",
            phone="+6285156701828",
            province="DKI Jakarta",
            city="Jakarta Selatan",
            district="Pancoran",
            village="cikoko",
            coordinates=GeoPoint(38.8951, -77.0364),
        ),
        "parcels": (
            Parcel(
                length_cm=10,
                height_cm=20,
                width_cm=30,
                items=(
                    ParcelItem(
                        name="Air Mineral 300 ML",
                        quantity=1,
                        sku="2192x127y",
                        unit_price=Money(Decimal("12500"), "IDR"),
                        weight_kg=10,
                    ),
                ),
            ),
        ),
        "cash_on_delivery": Money(Decimal("23000"), "IDR"),
        "pickup_at": when,
        "deliver_by": when,
    }
    values.update(changes)
    return ShipmentRequest(**values)


def shipment(**changes: Any) -> Shipment:
    values: dict[str, Any] = {
        "id": "shp_1",
        "tenant": "acme",
        "reference": "ID_SO20230726000386",
        "carrier": CarrierCode.ENVIO,
        "carrier_shipment_id": "53ab0a61-508d-4094-aa61-b4dbce0bd2d2",
        "tracking_number": "S4563844412",
        "status": ShipmentStatus.CREATED,
        "carrier_status": "new",
        "origin": Address(line1="Jl. A", country_code="ID"),
        "destination": Address(line1="Jl. B", country_code="ID"),
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(changes)
    return Shipment(**values)
