"""Domain -> Borzo request bodies (calculate-order, create-order, edit-order), and the
layout that lets an answer's ``parameter_errors`` be traced back to our input.

A booking's points are, in route order: the origin (Borzo wants the pick-up point
first), the extra stops of ``carrierOptions.BORZO.points`` in the order given, and
the destination last. Parcels, cash on delivery and instructions belong to the
destination; each point may add its own details (``details.PointDetails``): a stop in
its entry of ``points``, the origin and destination under ``origin`` / ``destination``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from shipgraph.carriers.borzo.details import ORDER_PAYMENT_HERE, TEXTS, PointDetails, parse_details
from shipgraph.carriers.borzo.mapping import (
    CARRIER,
    CURRENCY,
    borzo_time,
    coordinate_text,
    destination_point,
    money_text,
    points_of,
)
from shipgraph.carriers.borzo.windows import Window, WindowRefused, edited_windows, route_windows
from shipgraph.carriers.parsing import amount, parse_time
from shipgraph.domain import (
    Address,
    ErrorCode,
    FieldError,
    GeoPoint,
    Money,
    Parcel,
    ShipmentPatch,
    ShipmentRequest,
)
from shipgraph.phones import InvalidPhone, to_e164

Path = tuple[str, ...]
OPTIONS_PATH: Path = ("shipment", "carrierOptions", CARRIER.value)
PAYMENT_METHODS = ("cash", "balance", "bank_card")
MAX_LOADERS = 11

# carrierOptions.BORZO keys sent as they are at the top of the order.
ORDER_OPTIONS = (
    "vehicle_type_id",
    "loaders_count",
    "is_motobox_required",
    "is_thermobox_required",
    "payment_method",
    "bank_card_id",
    "is_contact_person_notification_enabled",
    "is_client_notification_enabled",
    "is_return_required",
    "backpayment_details",
)
BOOLEAN_OPTIONS = frozenset(
    {"is_motobox_required", "is_thermobox_required", "is_return_required"}
    | {"is_contact_person_notification_enabled", "is_client_notification_enabled"}
)
MAX_BACKPAYMENT_DETAILS = 1000  # ours: the document gives no length
MAX_POINTS = 99  # the document: "Maximum is 99 points"
MAX_ADDRESS = 350  # the point's address: "Maximum length is 350 characters"
POINT_DETAILS = frozenset({*TEXTS, "takingAmount", "buyoutAmount", "packages", ORDER_PAYMENT_HERE})
# The document's goods buyout: buyout_amount "belongs to the pickup point", taking_amount
# to delivery points; the destination's taking_amount is the shipment's cashOnDelivery.
ORIGIN_DETAILS = frozenset({*TEXTS, "buyoutAmount", ORDER_PAYMENT_HERE})
DESTINATION_DETAILS = frozenset({*TEXTS, ORDER_PAYMENT_HERE})
# An extra stop: an AddressInput (camelCase, as in the GraphQL input) plus instructions.
STOP_FIELDS = frozenset(
    {"name", "company", "phone", "email", "line1", "line2", "village", "district", "city"}
    | {"province", "postalCode", "countryCode", "latitude", "longitude", "instructions"}
    | POINT_DETAILS
)


@dataclass(frozen=True, slots=True)
class Stop:
    address: Address
    instructions: str | None = None
    details: PointDetails = field(default_factory=PointDetails)


@dataclass(frozen=True, slots=True)
class Options:
    """carrierOptions.BORZO, checked."""

    order: dict[str, Any] = field(default_factory=dict)
    stops: tuple[Stop, ...] = ()
    origin: PointDetails = field(default_factory=PointDetails)
    destination: PointDetails = field(default_factory=PointDetails)


@dataclass(frozen=True, slots=True)
class Slot:
    """One point of a body: its role and the input path of its address (None when
    the body does not carry the address, as in an edit)."""

    role: str
    address: Path | None = None
    details: frozenset[str] = frozenset()
    """The point parameters set from carrierOptions.BORZO (details.PointDetails)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """How a body was made from the input: ``root`` is ("shipment",) or ("patch",);
    ``packages[j]`` is the (parcel, item) the destination's package j came from."""

    root: Path
    points: tuple[Slot, ...] = ()
    packages: tuple[tuple[int, int | None], ...] = ()
    option_keys: frozenset[str] = frozenset()
    vehicle_from_rate: bool = False


@dataclass(frozen=True, slots=True)
class Built:
    body: dict[str, Any]
    layout: Layout


def _error(path: Path, message: str) -> FieldError:
    return FieldError(ErrorCode.VALIDATION, message, path, CARRIER)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- checks -------------------------------------------------------------------------


def parse_options(request: ShipmentRequest) -> tuple[Options, list[FieldError]]:
    raw = request.carrier_options.get(CARRIER.value)
    if raw is None:
        return Options(), []
    if not isinstance(raw, dict):
        return Options(), [_error(OPTIONS_PATH, "must be an object")]
    errors: list[FieldError] = []
    order: dict[str, Any] = {}
    stops: tuple[Stop, ...] = ()
    ends: dict[str, PointDetails] = {}
    for key, value in raw.items():
        path = (*OPTIONS_PATH, str(key))
        problem = None
        if key in ("vehicle_type_id", "bank_card_id"):
            problem = None if _is_int(value) and value > 0 else "must be a positive integer"
        elif key == "loaders_count":
            ok = _is_int(value) and 0 <= value <= MAX_LOADERS
            problem = None if ok else f"must be an integer from 0 to {MAX_LOADERS}"
        elif key in BOOLEAN_OPTIONS:
            problem = None if isinstance(value, bool) else "must be true or false"
        elif key == "backpayment_details":
            problem = _backpayment_problem(value)
        elif key == "payment_method":
            choices = ", ".join(PAYMENT_METHODS)
            problem = None if value in PAYMENT_METHODS else f"must be one of {choices}"
        elif key == "points":
            stops, stop_errors = _parse_stops(value, path)
            errors += stop_errors
            continue
        elif key in ("origin", "destination"):
            ends[key], end_errors = _parse_end(key, value, path)
            errors += end_errors
            continue
        else:
            known = ", ".join((*ORDER_OPTIONS, "points", "origin", "destination"))
            problem = f"unknown option; Borzo takes {known}"
        if problem is None:
            order[key] = value
        else:
            errors.append(_error(path, problem))
    if order.get("payment_method") == "bank_card" and "bank_card_id" not in raw:
        errors.append(_error((*OPTIONS_PATH, "bank_card_id"), "required with bank_card"))
    options = Options(
        order=order,
        stops=stops,
        origin=ends.get("origin", PointDetails()),
        destination=ends.get("destination", PointDetails()),
    )
    if len(stops) + 2 > MAX_POINTS:
        message = f"Borzo takes at most {MAX_POINTS} points with the origin and destination"
        errors.append(_error((*OPTIONS_PATH, "points"), message))
    errors += _check_order_payment(options)
    if not errors:
        errors += _check_buyout(options, request.cash_on_delivery)
    return options, errors


def _check_order_payment(options: Options) -> list[FieldError]:
    """borzo.txt, order_payment_only_one_point: "Order payment can be specified only
    for one point"."""
    paid = [("origin",), ("destination",)] + [("points", str(n)) for n in range(len(options.stops))]
    details = [options.origin, options.destination, *(stop.details for stop in options.stops)]
    chosen = [where for where, one in zip(paid, details, strict=True) if one.order_payment_here]
    message = "only one point may be where the order is paid (orderPaymentHere)"
    return [_error((*OPTIONS_PATH, *where, ORDER_PAYMENT_HERE), message) for where in chosen[1:]]


def _backpayment_problem(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "must be your bank account details, as text"
    if len(value) > MAX_BACKPAYMENT_DETAILS:
        return f"must be at most {MAX_BACKPAYMENT_DETAILS} characters"
    return None


def _parse_end(key: str, value: object, path: Path) -> tuple[PointDetails, list[FieldError]]:
    """``origin`` / ``destination``: the details of the route's first and last points."""
    if not isinstance(value, dict):
        return PointDetails(), [_error(path, "must be an object")]
    allowed = ORIGIN_DETAILS if key == "origin" else DESTINATION_DETAILS
    errors = []
    for name in value:
        if name in allowed:
            continue
        message = f"unknown field; {key} takes {', '.join(sorted(allowed))}"
        if key == "destination" and name == "takingAmount":
            message = "the destination's takingAmount is shipment.cashOnDelivery"
        errors.append(_error((*path, str(name)), message))
    details, found = parse_details(value, path, allowed)
    return details, errors + found


def _check_buyout(options: Options, cod: Money | None) -> list[FieldError]:
    """The document's goods buyout: the sum of all buyout_amount values "can never
    exceed" the sum of all taking_amount values."""
    points: list[tuple[Path, PointDetails]] = [((*OPTIONS_PATH, "origin"), options.origin)]
    for index, stop in enumerate(options.stops):
        points.append(((*OPTIONS_PATH, "points", str(index)), stop.details))
    buyout = sum((d.buyout_amount or Decimal(0) for _, d in points), Decimal(0))
    if buyout == 0:
        return []
    taking = sum((d.taking_amount or Decimal(0) for _, d in points), Decimal(0))
    taking += cod.amount if cod is not None and cod.amount > 0 else Decimal(0)
    if buyout <= taking:
        return []
    where = next(path for path, details in points if details.buyout_amount)
    message = f"the buyout total {buyout} exceeds the cash taken ({taking}), as Borzo forbids"
    return [_error((*where, "buyoutAmount"), message)]


def _parse_stops(value: object, path: Path) -> tuple[tuple[Stop, ...], list[FieldError]]:
    if not isinstance(value, list):
        return (), [_error(path, "must be a list of addresses")]
    stops: list[Stop] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(value):
        here = (*path, str(index))
        if not isinstance(raw, dict):
            errors.append(_error(here, "must be an address object"))
            continue
        found = [_error((*here, str(k)), "unknown field") for k in raw if k not in STOP_FIELDS]
        texts: dict[str, str | None] = {}
        for key in sorted(STOP_FIELDS - {"latitude", "longitude"} - POINT_DETAILS):
            item = raw.get(key)
            if item is not None and not isinstance(item, str):
                found.append(_error((*here, key), "must be a string"))
            texts[key] = item if isinstance(item, str) and item.strip() else None
        if texts["line1"] is None and not any(e.field == (*here, "line1") for e in found):
            found.append(_error((*here, "line1"), "must not be empty"))
        if (texts["countryCode"] or "ID") != "ID":
            found.append(_error((*here, "countryCode"), "Borzo serves ID only"))
        coordinates, coordinate_errors = _coordinates(raw, here)
        found += coordinate_errors
        phone, phone_errors = _stop_phone(texts["phone"], here)
        found += phone_errors
        errors += found
        if found:
            continue
        address = Address(
            line1=str(texts["line1"]),
            country_code="ID",
            name=texts["name"],
            company=texts["company"],
            phone=phone,
            email=texts["email"],
            line2=texts["line2"],
            village=texts["village"],
            district=texts["district"],
            city=texts["city"],
            province=texts["province"],
            postal_code=texts["postalCode"],
            coordinates=coordinates,
        )
        details, detail_errors = parse_details(raw, here, POINT_DETAILS)
        detail_errors += _address_length(address, here)
        errors += detail_errors
        if not detail_errors:
            stops.append(Stop(address, texts["instructions"], details))
    return tuple(stops), errors


def _stop_phone(text: str | None, path: Path) -> tuple[str | None, list[FieldError]]:
    """An extra stop's phone in E.164, as the API makes every address's (Borzo serves
    ID only: a national number is Indonesian)."""
    if text is None:
        return None, []
    try:
        return to_e164(text, "ID"), []
    except InvalidPhone as problem:
        return None, [_error((*path, "phone"), str(problem))]


def borzo_phone(e164: str) -> str:
    """Parameter data types > phone: digits with the country code, no plus
    ("6288800000001")."""
    return e164.removeprefix("+")


def _coordinates(raw: Mapping[str, Any], path: Path) -> tuple[GeoPoint | None, list[FieldError]]:
    if raw.get("latitude") is None and raw.get("longitude") is None:
        return None, []
    found: dict[str, float] = {}
    errors = []
    for key, limit in (("latitude", 90), ("longitude", 180)):
        value = raw.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) <= limit:
            found[key] = float(value)
        else:
            errors.append(_error((*path, key), f"must be a number from -{limit} to {limit}"))
    if errors:
        return None, errors
    return GeoPoint(found["latitude"], found["longitude"]), []


def _idr(money: Money | None, path: Path) -> list[FieldError]:
    if money is None or money.currency == CURRENCY:
        return []
    return [_error((*path, "currency"), f"Borzo works in {CURRENCY} only, got {money.currency}")]


def _parcel_money(parcels: Sequence[Parcel], path: Path) -> list[FieldError]:
    errors: list[FieldError] = []
    for p, parcel in enumerate(parcels):
        for i, item in enumerate(parcel.items):
            errors += _idr(item.unit_price, (*path, str(p), "items", str(i), "unitPrice"))
    return errors


def check_request(request: ShipmentRequest, *, booking: bool) -> list[FieldError]:
    """What Borzo needs that the contract leaves open. A quote may lack contact data
    and the description (calculate-order takes incomplete orders); a booking may not."""
    errors: list[FieldError] = []
    for side, address in (("origin", request.origin), ("destination", request.destination)):
        if address.country_code != "ID":
            errors.append(_error(("shipment", side, "countryCode"), "Borzo serves ID only"))
        errors += _address_length(address, ("shipment", side))
        if booking and not (address.phone or "").strip():
            errors.append(_error(("shipment", side, "phone"), "Borzo requires a contact phone"))
    if booking and not (request.description or "").strip():
        message = "Borzo requires a description of the contents (its matter)"
        errors.append(_error(("shipment", "description"), message))
    errors += _idr(request.cash_on_delivery, ("shipment", "cashOnDelivery"))
    errors += _idr(request.declared_value, ("shipment", "declaredValue"))
    errors += _parcel_money(request.parcels, ("shipment", "parcels"))
    return errors


def _address_length(address: Address, path: Path) -> list[FieldError]:
    """The one line Borzo takes (address_line) within its 350 characters: each part may
    be within its own limit and the line they make still too long."""
    length = len(address_line(address))
    if length <= MAX_ADDRESS:
        return []
    message = (
        f"Borzo takes an address of at most {MAX_ADDRESS} characters; line1, line2 and "
        f"the area names and postal code make {length}"
    )
    return [_error(path, message)]


def check_stops(options: Options) -> list[FieldError]:
    """A booking needs a contact phone at every extra stop too."""
    return [
        _error((*OPTIONS_PATH, "points", str(i), "phone"), "Borzo requires a contact phone")
        for i, stop in enumerate(options.stops)
        if not stop.address.phone
    ]


def check_patch(patch: ShipmentPatch) -> list[FieldError]:
    errors = _idr(patch.cash_on_delivery, ("patch", "cashOnDelivery"))
    return errors + _parcel_money(patch.parcels or (), ("patch", "parcels"))


# --- bodies -------------------------------------------------------------------------


def address_line(address: Address) -> str:
    """One line, as Borzo geocodes it: line1, line2, then each area name the line does
    not already contain (Indonesian line1s often carry the city and province)."""
    line = ", ".join(part.strip() for part in (address.line1, address.line2) if part)
    areas = (address.village, address.district, address.city, address.province)
    for part in (*areas, address.postal_code):
        if part and part.strip() and part.strip().lower() not in line.lower():
            line = f"{line}, {part.strip()}"
    return line


def _point(address: Address) -> dict[str, Any]:
    point: dict[str, Any] = {"address": address_line(address)}
    phone = borzo_phone(address.phone) if address.phone else None
    contact = {"name": address.name or address.company, "phone": phone}
    contact = {key: value for key, value in contact.items() if value}
    if contact:
        point["contact_person"] = contact
    if address.coordinates is not None:
        point["latitude"] = coordinate_text(address.coordinates.latitude)
        point["longitude"] = coordinate_text(address.coordinates.longitude)
    return point


def _count(quantity: float) -> int | float:
    return int(quantity) if float(quantity).is_integer() else quantity


def packages(
    parcels: Sequence[Parcel],
) -> tuple[list[dict[str, Any]], list[tuple[int, int | None]]]:
    """One package per parcel item; a parcel without items but with a description is
    one package of one; a bare parcel only counts in the total weight."""
    found: list[dict[str, Any]] = []
    origins: list[tuple[int, int | None]] = []
    for p, parcel in enumerate(parcels):
        if not parcel.items:
            if parcel.description:
                found.append({"description": parcel.description, "items_count": 1})
                origins.append((p, None))
            continue
        for i, item in enumerate(parcel.items):
            package: dict[str, Any] = {}
            if item.sku:
                package["ware_code"] = item.sku
            package["description"] = item.name
            package["items_count"] = _count(item.quantity)
            if item.unit_price is not None:
                package["item_payment_amount"] = money_text(item.unit_price.amount)
            found.append(package)
            origins.append((p, i))
    return found, origins


def total_weight_kg(parcels: Sequence[Parcel]) -> int | None:
    """Whole kilograms, rounded up. A parcel without its own weight weighs its items'
    weights times their quantities (an item's weightKg is taken per unit, like its
    unitPrice)."""
    total = 0.0
    for parcel in parcels:
        if parcel.weight_kg is not None:
            total += parcel.weight_kg
        else:
            total += sum((i.weight_kg or 0) * i.quantity for i in parcel.items)
    return math.ceil(total) if total > 0 else None


class ScheduleRefused(ValueError):
    """The times asked for leave no window Borzo would take; ``field`` is the domain path."""

    def __init__(self, field: Path, message: str) -> None:
        super().__init__(message)
        self.field = field


def _window_of(point: Mapping[str, Any]) -> Window | None:
    start = parse_time(point.get("required_start_datetime"))
    finish = parse_time(point.get("required_finish_datetime"))
    return Window(start, finish) if start is not None and finish is not None else None


def _set_window(point: dict[str, Any], window: Window) -> None:
    point["required_start_datetime"] = borzo_time(window.start)
    point["required_finish_datetime"] = borzo_time(window.finish)


def order_body(
    request: ShipmentRequest,
    options: Options,
    *,
    now: datetime,
    vehicle_from_rate: int | None = None,
    client_order_id: str | None = None,
) -> Built:
    """The calculate-order / create-order body. ``vehicle_from_rate`` is the vehicle a
    quoted rate was for (it wins over the option). ``client_order_id`` goes on the
    destination point: the point model's field (borzo.txt's order examples) that lets
    a booking be found again in the list of orders. Raises ScheduleRefused when
    ``deliver_by`` leaves no time after the pick-up."""
    body: dict[str, Any] = {}
    if request.description:
        body["matter"] = request.description
    body.update(options.order)
    if vehicle_from_rate is not None:
        body["vehicle_type_id"] = vehicle_from_rate
    weight = total_weight_kg(request.parcels)
    if weight is not None:
        body["total_weight_kg"] = weight
    if request.declared_value is not None and request.declared_value.amount > 0:
        body["insurance_amount"] = money_text(request.declared_value.amount)

    # borzo.txt's use cases: COD sends a cash voucher with taking_amount; goods buyout and
    # cash remittance send taking_amount alone ("cod_is_not_allowed_with_buyout").
    ends = (options.origin, *(stop.details for stop in options.stops))
    voucher = "backpayment_details" not in options.order and not any(
        details.buyout_amount for details in ends
    )
    pickup = {**_point(request.origin), **options.origin.fields()}
    slots = [Slot("pickup", ("shipment", "origin"), frozenset(options.origin.fields()))]
    points = [pickup]
    for index, stop in enumerate(options.stops):
        point = {**_point(stop.address), **stop.details.fields()}
        if stop.instructions:
            point["note"] = stop.instructions
        if voucher and stop.details.taking_amount:
            point["is_cod_cash_voucher_required"] = True
        points.append(point)
        here = (*OPTIONS_PATH, "points", str(index))
        slots.append(Slot("stop", here, frozenset(stop.details.fields())))
    destination = {**_point(request.destination), **options.destination.fields()}
    if client_order_id is not None:
        destination["client_order_id"] = client_order_id
    if request.instructions:
        destination["note"] = request.instructions
    cod = request.cash_on_delivery
    if cod is not None and cod.amount > 0:
        destination["taking_amount"] = money_text(cod.amount)
        if voucher:
            destination["is_cod_cash_voucher_required"] = True
    found, origins = packages(request.parcels)
    if found:
        destination["packages"] = found
    points.append(destination)
    given = frozenset(options.destination.fields())
    slots.append(Slot("destination", ("shipment", "destination"), given))
    try:
        windows = route_windows(request.pickup_at, request.deliver_by, len(points) - 1, now)
    except WindowRefused as refused:
        raise ScheduleRefused(("shipment", "deliverBy"), str(refused)) from None
    for point, window in zip(points, windows or (), strict=False):
        _set_window(point, window)
    body["points"] = points
    layout = Layout(
        root=("shipment",),
        points=tuple(slots),
        packages=tuple(origins),
        option_keys=frozenset(options.order),
        vehicle_from_rate=vehicle_from_rate is not None,
    )
    return Built(body, layout)


def voucher_allowed(order: Mapping[str, Any]) -> bool:
    """Whether cash taken may come with a COD voucher, as order_body decides at creation:
    not beside goods buyout ("cod_is_not_allowed_with_buyout") nor in a cash remittance
    order (one with backpayment_details), where taking_amount goes alone."""
    remittance = order.get("backpayment_details")
    if isinstance(remittance, str) and remittance.strip():
        return False
    return not any((amount(point.get("buyout_amount")) or 0) > 0 for point in points_of(order))


def edit_body(
    order_id: int,
    order: Mapping[str, Any],
    destination_id: object,
    patch: ShipmentPatch,
    *,
    now: datetime,
) -> Built:
    """The edit-order body for ``patch`` against the order as Borzo has it now.

    Every point goes with its point_id, and every package we do not replace with its
    order_package_id: the document deletes the points and packages an edit leaves out
    (see its editing examples 3 and 4).
    """
    body: dict[str, Any] = {"order_id": order_id}
    if patch.description is not None:
        body["matter"] = patch.description
    target = destination_point(order, destination_id)
    new_packages: list[dict[str, Any]] | None = None
    origins: list[tuple[int, int | None]] = []
    if patch.parcels is not None:
        new_packages, origins = packages(patch.parcels)
        weight = total_weight_kg(patch.parcels)
        if weight is not None:
            body["total_weight_kg"] = weight
    current = points_of(order)
    windows: dict[int, Window] = {}
    if current and (patch.pickup_at is not None or patch.deliver_by is not None):
        at = next((i for i, point in enumerate(current) if point is target), len(current) - 1)
        try:
            windows = edited_windows(
                [_window_of(point) for point in current], at, patch.pickup_at, patch.deliver_by, now
            )
        except WindowRefused as refused:
            raise ScheduleRefused(("patch", "deliverBy"), str(refused)) from None
    points: list[dict[str, Any]] = []
    slots: list[Slot] = []
    for index, point in enumerate(current):
        entry: dict[str, Any] = {"point_id": point.get("point_id")}
        if index in windows:
            _set_window(entry, windows[index])
        kept = [
            {"order_package_id": package["order_package_id"]}
            for package in point.get("packages") or []
            if isinstance(package, dict) and package.get("order_package_id") is not None
        ]
        role = "stop"
        if index == 0:
            role = "pickup"
        elif point is target:
            role = "destination"
            if patch.instructions is not None:
                entry["note"] = patch.instructions
            cod = patch.cash_on_delivery
            if cod is not None:
                if cod.amount <= 0 or voucher_allowed(order):
                    entry["is_cod_cash_voucher_required"] = cod.amount > 0
                entry["taking_amount"] = money_text(cod.amount)
            if new_packages is not None:
                entry["packages"] = new_packages
        if kept and "packages" not in entry:
            entry["packages"] = kept
        points.append(entry)
        slots.append(Slot(role))
    body["points"] = points
    layout = Layout(root=("patch",), points=tuple(slots), packages=tuple(origins))
    return Built(body, layout)
