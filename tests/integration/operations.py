"""GraphQL operations and inputs the integration tests share."""

from __future__ import annotations

from typing import Any

from tests.support.clock import days_ahead, stamp

# Tomorrow morning and the day after, Jakarta time: valid whatever day the suite runs.
PICKUP_AT = stamp(days_ahead(1, 9))
DELIVER_BY = stamp(days_ahead(2, 17))

SHIPMENT_FIELDS = """
  id reference carrier carrierShipmentId trackingNumber status carrierStatus version
  cashOnDelivery { amount currency }
  courier { name phone vehicle }
  parcels { items { sku name quantity } }
  documents { kind format url }
  trackingLogs { status carrierStatus message occurredAt }
  estimatedPickupAt estimatedDeliveryAt deliveredAt receivedBy createdAt updatedAt
"""

CREATE = f"""
mutation Create($input: CreateShipmentInput!) {{
  createShipment(input: $input) {{
    shipment {{ {SHIPMENT_FIELDS} }}
    userErrors {{ field code message carrier }}
  }}
}}
"""

UPDATE = f"""
mutation Update($input: UpdateShipmentInput!) {{
  updateShipment(input: $input) {{
    shipment {{ {SHIPMENT_FIELDS} }}
    userErrors {{ field code message carrier }}
  }}
}}
"""

CANCEL = f"""
mutation Cancel($input: CancelShipmentInput!) {{
  cancelShipment(input: $input) {{
    shipment {{ {SHIPMENT_FIELDS} }}
    userErrors {{ field code message carrier }}
  }}
}}
"""

GET = f"query Get($id: ID!) {{ shipment(id: $id) {{ {SHIPMENT_FIELDS} }} }}"

LIST = """
query List($first: Int, $after: String, $filter: ShipmentFilter) {
  shipments(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id reference status } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

SUBSCRIBE = """
subscription Updates($id: ID, $statuses: [ShipmentStatus!]) {
  shipmentUpdated(id: $id, statuses: $statuses) {
    shipment { id status version courier { name } }
    previousStatus
    log { status carrierStatus message }
    occurredAt
  }
}
"""


def shipment_input(reference: str = "SO-1001", **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "reference": reference,
        "origin": {
            "name": "Budi Santoso",
            "company": "Gudang Kosambi",
            "phone": "628767438745",
            "line1": "Jl. Raya Perancis No. 17",
            "village": "Belimbing",
            "district": "Kosambi",
            "city": "Kabupaten Tangerang",
            "province": "Banten",
            "countryCode": "ID",
            "latitude": -6.0925,
            "longitude": 106.7037,
        },
        "destination": {
            "name": "Sapta Apriyana",
            "phone": "6285156701828",
            "line1": "Jl. Pengadegan Utara No. 1",
            "village": "Cikoko",
            "district": "Pancoran",
            "city": "Jakarta Selatan",
            "province": "DKI Jakarta",
            "countryCode": "ID",
        },
        "parcels": [
            {
                "weightKg": 1.2,
                "lengthCm": 10,
                "widthCm": 30,
                "heightCm": 20,
                "items": [
                    {
                        "sku": "2192x127y",
                        "name": "Air Mineral 300 ML",
                        "quantity": 1,
                        "unitPrice": {"amount": "12500", "currency": "IDR"},
                    }
                ],
            }
        ],
        "cashOnDelivery": {"amount": "23000", "currency": "IDR"},
        "pickupAt": PICKUP_AT,
        "deliverBy": DELIVER_BY,
    }
    values.update(changes)
    return values


def create_input(reference: str = "SO-1001", **extra: Any) -> dict[str, Any]:
    return {"input": {"carrier": "ENVIO", "shipment": shipment_input(reference), **extra}}
