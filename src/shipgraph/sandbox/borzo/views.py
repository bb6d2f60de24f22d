"""The JSON the document shows of orders, points, couriers and deliveries (its key order)."""

from __future__ import annotations

from typing import Any

from shipgraph.sandbox.borzo.geo import Position
from shipgraph.sandbox.borzo.model import (
    ACTIVE,
    COURIER_ASSIGNED,
    Courier,
    Order,
    Package,
    Point,
    money,
    ts,
)
from shipgraph.sandbox.borzo.pricing import price

CLIENT_ID = 180198
# The document's example client and bank card (GET /client, GET /bank-cards).
CLIENT = {
    "name": "Name",
    "phone": "6288800000001",
    "email": "[email protected]",
    "legal_type": "individual_person",
    "allowed_payment_methods": ["cash", "bank_card"],
}
BANK_CARDS = [
    {
        "bank_card_id": 80,
        "bank_card_number_mask": "411111XXXXXX1111",
        "expiration_date": "2029-01-31",
        "card_type": "visa",
    }
]


def coordinate(value: float | None) -> str | None:
    return None if value is None else f"{value:.7f}"


def package_json(package: Package) -> dict[str, Any]:
    return {
        "order_package_id": package.order_package_id,
        "ware_code": package.ware_code,
        "description": package.description,
        "items_count": package.items_count,
        "item_payment_amount": money(package.item_payment_amount),
    }


def point_json(point: Point) -> dict[str, Any]:
    position: Position | tuple[None, None] = point.position or (None, None)
    texts = point.texts
    return {
        "point_id": point.point_id,
        # Null in the document's example 1, but "deliveries are created automatically when
        # order is created", and their callbacks carry these IDs.
        "delivery_id": point.delivery.delivery_id if point.delivery else None,
        "client_order_id": texts["client_order_id"],
        "address": point.address,
        "latitude": coordinate(position[0]),
        "longitude": coordinate(position[1]),
        "required_start_datetime": ts(point.required_start),
        "required_finish_datetime": ts(point.required_finish),
        "arrival_start_datetime": ts(point.arrival_start),
        "arrival_finish_datetime": ts(point.arrival_finish),
        "estimated_arrival_datetime": ts(point.estimated_arrival),
        "courier_visit_datetime": ts(point.courier_visit),
        "contact_person": {"name": point.contact_name, "phone": point.contact_phone},
        "taking_amount": money(point.taking_amount),
        "buyout_amount": money(point.buyout_amount),
        "note": texts["note"],
        "packages": [package_json(package) for package in point.packages],
        "is_cod_cash_voucher_required": point.is_cod_cash_voucher_required,
        "is_order_payment_here": point.is_order_payment_here,
        "building_number": texts["building_number"],
        "entrance_number": texts["entrance_number"],
        "intercom_code": texts["intercom_code"],
        "floor_number": texts["floor_number"],
        "apartment_number": texts["apartment_number"],
        "invisible_mile_navigation_instructions": texts["invisible_mile_navigation_instructions"],
        "place_photo_url": point.place_photo_url,
        "sign_photo_url": point.sign_photo_url,
        "checkin_code": None,
        "checkin": point.checkin,
        "is_return_point": point.is_return_point,
        "tracking_url": point.tracking_url,
        "delivery": {"status": point.delivery.status} if point.delivery else None,
    }


def courier_location_shown(order: Order) -> bool:
    """The document: location "only for active orders, if the courier is on the way"."""
    return (
        order.status == ACTIVE
        and order.courier is not None
        and order.pickup_phase not in (None, COURIER_ASSIGNED)
    )


def courier_json(order: Order) -> dict[str, Any] | None:
    courier: Courier | None = order.courier
    if courier is None:
        return None
    shown = courier.position if courier_location_shown(order) else None
    return {
        "courier_id": courier.courier_id,
        "surname": courier.surname,
        "name": courier.name,
        "middlename": courier.middlename,
        "phone": courier.phone,
        "photo_url": courier.photo_url,
        "latitude": coordinate(shown[0]) if shown else None,
        "longitude": coordinate(shown[1]) if shown else None,
    }


def order_json(order: Order) -> dict[str, Any]:
    prices = order.prices or price(order)
    return {
        "type": order.type,
        "order_id": order.order_id,
        "order_name": order.order_name,
        "vehicle_type_id": order.vehicle_type_id,
        "created_datetime": ts(order.created),
        "finish_datetime": ts(order.finish_datetime),
        "status": order.status,
        "status_description": order.status_description,
        "matter": order.matter,
        "total_weight_kg": order.total_weight_kg,
        "is_client_notification_enabled": order.is_client_notification_enabled,
        "is_contact_person_notification_enabled": order.is_contact_person_notification_enabled,
        "loaders_count": order.loaders_count,
        "backpayment_details": order.backpayment_details,
        "points": [point_json(point) for point in order.points],
        "payment_amount": money(prices.payment_amount),
        "delivery_fee_amount": money(prices.delivery_fee_amount),
        "weight_fee_amount": money(prices.weight_fee_amount),
        "insurance_amount": money(prices.insurance_amount),
        "insurance_fee_amount": money(prices.insurance_fee_amount),
        "loading_fee_amount": money(prices.loading_fee_amount),
        "money_transfer_fee_amount": money(prices.money_transfer_fee_amount),
        "promo_code_discount_amount": money(prices.promo_code_discount_amount),
        "backpayment_amount": money(prices.backpayment_amount),
        "cod_fee_amount": money(prices.cod_fee_amount),
        "return_fee_amount": money(prices.return_fee_amount),
        "waiting_fee_amount": money(prices.waiting_fee_amount),
        "backpayment_photo_url": None,
        "itinerary_document_url": None,
        "waybill_document_url": None,
        "courier": courier_json(order),
        "is_motobox_required": order.is_motobox_required,
        "is_thermobox_required": order.is_thermobox_required,
        "payment_method": order.payment_method,
        "bank_card_id": order.bank_card_id,
        "applied_promo_code": prices.applied_promo_code,
        "is_return_required": order.is_return_required,
    }


def delivery_json(order: Order, point: Point) -> dict[str, Any]:
    """The "Notification about delivery changes" ``delivery`` object."""
    delivery = point.delivery
    assert delivery is not None
    prices = order.prices or price(order)
    share = prices.delivery_fee_amount / max(1, len(order.deliveries()))
    position: Position | tuple[None, None] = point.position or (None, None)
    texts = point.texts
    return {
        "delivery_id": delivery.delivery_id,
        "delivery_type": "plain",
        "order_id": order.order_id,
        "client_id": CLIENT_ID,
        "client_order_id": texts["client_order_id"],
        "address": point.address,
        "latitude": coordinate(position[0]),
        "longitude": coordinate(position[1]),
        "status": delivery.status,
        "status_description": delivery.status,
        "status_datetime": ts(delivery.status_datetime),
        "created_datetime": ts(delivery.created_datetime),
        "order_name": order.order_name,
        "order_payment_amount": money(prices.payment_amount),
        "delivery_price_amount": money(share),
        "point_id": point.point_id,
        "contact_person": {"name": point.contact_name, "phone": point.contact_phone},
        "note": texts["note"],
        "building_number": texts["building_number"],
        "apartment_number": texts["apartment_number"],
        "entrance_number": texts["entrance_number"],
        "intercom_code": texts["intercom_code"],
        "floor_number": texts["floor_number"],
        "invisible_mile_navigation_instructions": texts["invisible_mile_navigation_instructions"],
        "required_start_datetime": ts(point.required_start),
        "required_finish_datetime": ts(point.required_finish),
        "taking_amount": money(point.taking_amount),
        "buyout_amount": money(point.buyout_amount),
        "is_cod_cash_voucher_required": point.is_cod_cash_voucher_required,
        # The draft-only fields keep the values the document's example shows for an order.
        "is_motobox_required": False,
        "is_thermobox_required": False,
        "is_door_to_door": False,
        "is_return_to_first_point_required": False,
        "matter": None,
        "insurance_amount": "0.00",
        "weight_kg": 0,
        "courier": courier_json(order),
        "packages": [package_json(package) for package in point.packages],
        "checkin_issue_name": None,
        "tracking_url": point.tracking_url,
    }
