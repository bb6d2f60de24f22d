"""The Envoy simulator over real HTTP, checked against /work/shared/carrier-docs/envoy.txt."""

from __future__ import annotations

import asyncio
import base64
import copy
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.routing import Mount

from shipgraph.sandbox.envoy import EnvoySandboxState, create_envoy_sandbox
from tests.support.fixtures import fixture
from tests.support.servers import serve

pytestmark = pytest.mark.asyncio(loop_scope="module")

TOKEN = "envoy-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXPONENTS = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "BHD": 3}


def doc(name: str) -> Any:
    return copy.deepcopy(fixture("envoy", name))


def create_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = doc("create_request")
    body.update(changes)
    return body


def to_country(country: str) -> dict[str, Any]:
    body = create_body()
    body["addresses"]["destination"]["address"].update(
        {"country_code": country, "city": "Manama", "post_code": None, "province": None}
    )
    return body


@dataclass
class Sandbox:
    url: str
    client: httpx.AsyncClient
    state: EnvoySandboxState

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=AUTH, **kwargs)

    async def create(self, body: dict[str, Any] | None = None, status: int = 201) -> Any:
        response = await self.call("POST", "/shipments", json=body or create_body())
        assert response.status_code == status, response.text
        return response.json()

    async def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.client.request(method, f"/_control{path}", **kwargs)
        assert response.status_code == 200, response.text
        return response.json()


@asynccontextmanager
async def running(app: Starlette, prefix: str = "") -> AsyncIterator[Sandbox]:
    async with serve(app) as url, httpx.AsyncClient(base_url=url + prefix, timeout=5) as client:
        yield Sandbox(url, client, app.state.envoy if not prefix else app.state.inner)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def sandbox_server() -> AsyncIterator[Sandbox]:
    async with running(create_envoy_sandbox(access_token=TOKEN, async_delay_s=0.2)) as box:
        yield box


@pytest_asyncio.fixture(loop_scope="module")
async def sandbox(sandbox_server: Sandbox) -> Sandbox:
    await sandbox_server.control("POST", "/reset")
    sandbox_server.state.async_delay_s = 0.2
    return sandbox_server


def error_codes(response: httpx.Response, status: int) -> list[str]:
    assert response.status_code == status, response.text
    entries = response.json()["errors"]
    for entry in entries:
        assert {"type", "code", "source", "message"} <= set(entry)
    return [e["code"] for e in entries]


def fields(response: httpx.Response) -> dict[str, str]:
    assert error_codes(response, 422)
    return {e["field"]: e["message"] for e in response.json()["errors"]}


# -- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/shipments"),
        ("GET", "/shipments"),
        ("GET", "/shipments/shp_x"),
        ("POST", "/shipments/shp_x/purchase"),
    ],
)
async def test_every_route_needs_the_bearer_token(sandbox: Sandbox, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}):
        response = await sandbox.client.request(method, path, json={}, headers=headers)
        assert error_codes(response, 401) == ["unauthorized"]
        assert response.json()["errors"][0]["type"] == "authentication_error"
    assert (await sandbox.control("GET", "/counters"))["creates"] == 0


# -- create ----------------------------------------------------------------------------------


async def test_create_with_the_documents_example_answers_a_rated_shipment(
    sandbox: Sandbox,
) -> None:
    shipment = await sandbox.create()
    assert set(shipment) == set(doc("create_response"))
    assert shipment["id"].startswith("shp_") and len(shipment["id"]) == 31
    assert shipment["status"] == "rated"
    assert shipment["name"] == "ORDER-273548"
    request = doc("create_request")
    assert shipment["addresses"]["destination"] == request["addresses"]["destination"]
    assert shipment["packages"] == [
        {
            "name": None,
            "geometry": {"length": 600, "width": 400, "height": 250, "mass": 4500},
            "predefined_package_code": None,
        }
    ]
    assert shipment["service"] is None and shipment["documents"] is None
    assert shipment["created_at"].endswith("Z")
    rate_keys = set(doc("create_response")["rates"][0])
    assert all(set(rate) == rate_keys for rate in shipment["rates"])
    again = await sandbox.call("GET", f"/shipments/{shipment['id']}")
    assert again.status_code == 200 and again.json() == shipment


async def test_rates_are_integer_minor_units_in_several_currencies(sandbox: Sandbox) -> None:
    rates = (await sandbox.create())["rates"]
    carriers = {r["carrier"]["handle"] for r in rates}
    assert carriers == {"ups", "dhl_express", "yamato"}
    currencies = {r["carrier"]["handle"]: r["currency_code"] for r in rates}
    assert currencies == {"ups": "USD", "dhl_express": "EUR", "yamato": "JPY"}
    for rate in rates:
        assert isinstance(rate["rate"], int) and rate["rate"] > 0
        assert rate["id"].startswith("rate_")
        assert isinstance(rate["delivery_days"], int)
        assert rate["delivery_date"] > rate["ship_date"]
    ups = [r for r in rates if r["carrier"]["handle"] == "ups"]
    assert {r["carrier_service"]["handle"] for r in ups} == {"express", "ground"}
    express = next(r for r in ups if r["carrier_service"]["handle"] == "express")
    assert express["guaranteed_delivery_date"] is not None
    # JPY has no minor unit: a ~USD 16 quote is some thousand yen, not some hundred thousand.
    yen = next(r for r in rates if r["currency_code"] == "JPY")["rate"]
    assert 1_000 < yen < 10_000


async def test_requested_currency_is_honoured_only_by_ups(sandbox: Sandbox) -> None:
    body = create_body(
        options={"shipping": {"currency_code": "GBP", "date": "2024-06-18T14:15:22Z"}}
    )
    rates = (await sandbox.create(body))["rates"]
    by_carrier = {r["carrier"]["handle"]: r["currency_code"] for r in rates}
    assert by_carrier["ups"] == "GBP" and by_carrier["dhl_express"] == "EUR"
    assert all(r["ship_date"] == "2024-06-18T14:15:22Z" for r in rates)
    ground = next(r for r in rates if r["carrier_service"]["handle"] == "ground")
    assert ground["delivery_days"] == 4 and ground["delivery_date"] == "2024-06-22T14:15:22Z"


async def test_a_carrier_that_never_serves_the_destination_is_rates_unavailable(
    sandbox: Sandbox,
) -> None:
    us = await sandbox.create()
    entry = doc("rates_unavailable_error")
    assert us["errors"] == [{**entry, "carrier": {**us["errors"][0]["carrier"]}}]
    assert us["errors"][0]["carrier"]["handle"] == "aramex"
    bahrain = await sandbox.create(to_country("BH"))
    assert bahrain["errors"] is None
    bhd = next(r for r in bahrain["rates"] if r["carrier"]["handle"] == "aramex")
    assert bhd["currency_code"] == "BHD" and isinstance(bhd["rate"], int)
    # International: dearer and slower than the domestic quote of the same service.
    ups_us = next(r for r in us["rates"] if r["carrier_service"]["handle"] == "ground")
    ups_bh = next(r for r in bahrain["rates"] if r["carrier_service"]["handle"] == "ground")
    assert ups_bh["rate"] > ups_us["rate"] and ups_bh["delivery_days"] > ups_us["delivery_days"]


async def test_a_carrier_stopped_by_control_answers_rates_unavailable(sandbox: Sandbox) -> None:
    await sandbox.control("POST", "/carriers/ups", json={"quoting": False})
    shipment = await sandbox.create()
    assert "ups" not in {r["carrier"]["handle"] for r in shipment["rates"]}
    assert {e["carrier"]["handle"] for e in shipment["errors"]} == {"ups", "aramex"}
    assert {e["code"] for e in shipment["errors"]} == {"rates_unavailable"}
    for handle in ("dhl_express", "yamato"):
        await sandbox.control("POST", f"/carriers/{handle}", json={"quoting": False})
    failed = await sandbox.create()
    assert failed["status"] == "failed" and failed["rates"] == []
    assert len(failed["errors"]) == 4
    response = await sandbox.call(
        "POST", f"/shipments/{failed['id']}/purchase", json={"rate": "rate_x"}
    )
    assert error_codes(response, 409) == ["shipment_not_rated"]


async def test_a_requested_carrier_and_service_limit_the_rates(sandbox: Sandbox) -> None:
    body = create_body(carrier={"carrier_code": "ups", "service_code": "express"})
    rates = (await sandbox.create(body))["rates"]
    assert [(r["carrier"]["handle"], r["carrier_service"]["handle"]) for r in rates] == [
        ("ups", "express")
    ]
    bad = await sandbox.call("POST", "/shipments", json=create_body(carrier={"carrier_code": "x"}))
    assert "carrier.carrier_code" in fields(bad)


async def test_a_single_package_carrier_does_not_quote_two(sandbox: Sandbox) -> None:
    """Shipment Model, packages: "only certain carriers and services support multi package
    shipments, others require one package per shipment"."""
    package = doc("create_request")["packages"][0]
    shipment = await sandbox.create(create_body(packages=[package, package]))
    assert "yamato" not in {r["carrier"]["handle"] for r in shipment["rates"]}
    [error] = [e for e in shipment["errors"] if e["carrier"]["handle"] == "yamato"]
    assert error["code"] == "rates_unavailable"
    assert error["message"] == "Yamato Transport requires one package per shipment"
    carriers = (await sandbox.control("GET", "/carriers"))["carriers"]
    assert [c["handle"] for c in carriers if not c["multi_package"]] == ["yamato"]


async def test_a_service_code_alone_limits_nothing(sandbox: Sandbox) -> None:
    """Shipment Carrier Model: service_code is "Only used if the carrier_code field is set"."""
    everything = await sandbox.create()
    alone = await sandbox.create(create_body(carrier={"service_code": "express"}))
    assert len(alone["rates"]) == len(everything["rates"]) > 1


async def test_carrier_accounts_are_an_array(sandbox: Sandbox) -> None:
    model = doc("carrier_model")  # the Shipment Carrier Model's example
    model.update(carrier_code="ups", service_code="ground")
    assert len((await sandbox.create(create_body(carrier=model)))["rates"]) == 1
    bad = create_body(carrier={"carrier_accounts": "ca_2iBgUOHPuWh0Hvjc81euqKXTW5N"})
    assert list(fields(await sandbox.call("POST", "/shipments", json=bad))) == [
        "carrier.carrier_accounts"
    ]


async def test_volumetric_mass_prices_bulky_packages(sandbox: Sandbox) -> None:
    light = create_body(packages=[{"geometry": {"mass": 500}}])
    bulky = create_body(
        packages=[{"geometry": {"length": 1000, "width": 800, "height": 600, "mass": 500}}]
    )

    def ground(shipment: dict[str, Any]) -> int:
        return int(
            next(r for r in shipment["rates"] if r["carrier_service"]["handle"] == "ground")["rate"]
        )

    assert ground(await sandbox.create(bulky)) > ground(await sandbox.create(light))


async def test_validation_errors_list_every_field(sandbox: Sandbox) -> None:
    body = create_body()
    del body["addresses"]["origin"]
    dest = body["addresses"]["destination"]
    del dest["address"]["city"]
    dest["address"]["country_code"] = "USA"
    dest["contact"] = {"email_address": "x@example.com"}
    body["packages"] = [
        {"geometry": {"length": 10.5, "width": 0, "height": 1, "mass": None}},
        {"name": "no geometry"},
    ]
    body["options"] = {"label": {"format": "gif", "size": "2x2"}}
    got = fields(await sandbox.call("POST", "/shipments", json=body))
    assert set(got) == {
        "addresses.origin",
        "addresses.destination.address.city",
        "addresses.destination.address.country_code",
        "addresses.destination.contact",
        "packages.0.geometry.length",
        "packages.0.geometry.width",
        "packages.0.geometry.mass",
        "packages.1.geometry",
        "options.label.format",
        "options.label.size",
    }
    assert {
        e["code"] for e in (await sandbox.call("POST", "/shipments", json=body)).json()["errors"]
    } == {"validation_failed"}
    assert "packages" in fields(
        await sandbox.call("POST", "/shipments", json=create_body(packages=[]))
    )
    too_many = create_body(packages=[{"geometry": {"mass": 100}}] * 21)
    assert "packages" in fields(await sandbox.call("POST", "/shipments", json=too_many))
    assert "addresses" in fields(await sandbox.call("POST", "/shipments", json={"packages": []}))
    bad_json = await sandbox.call("POST", "/shipments", content=b"[1,")
    assert error_codes(bad_json, 400) == ["invalid_json"]
    assert (await sandbox.control("GET", "/counters"))["creates"] == 0


# -- async create (202) ----------------------------------------------------------------------


async def test_async_create_answers_202_then_completes(sandbox: Sandbox) -> None:
    setting = await sandbox.control("POST", "/async-create", json={"count": 1, "delay_s": 0.3})
    assert setting == {"count": 1, "delay_s": 0.3}
    accepted = await sandbox.create(status=202)
    assert accepted["status"] == "creating" and accepted["rates"] is None
    shipment_id = accepted["id"]
    early = await sandbox.call("POST", f"/shipments/{shipment_id}/purchase", json={"rate": "x"})
    assert error_codes(early, 409) == ["shipment_not_ready"]
    polled = (await sandbox.call("GET", f"/shipments/{shipment_id}")).json()
    assert polled["status"] == "creating"
    await asyncio.sleep(0.35)
    done = (await sandbox.call("GET", f"/shipments/{shipment_id}")).json()
    assert done["status"] == "rated" and done["rates"]
    assert (await sandbox.create())["status"] == "rated"  # only the next 1 was async
    counters = await sandbox.control("GET", "/counters")
    assert counters["creates"] == 2 and counters["creates_accepted"] == 1


async def test_control_can_complete_a_creating_shipment(sandbox: Sandbox) -> None:
    await sandbox.control("POST", "/async-create", json={"count": 1, "delay_s": 60})
    accepted = await sandbox.create(status=202)
    done = await sandbox.control("POST", f"/shipments/{accepted['id']}/complete")
    assert done["shipment"]["status"] == "rated"


# -- list ------------------------------------------------------------------------------------


async def test_list_walks_every_page_with_cursors(sandbox: Sandbox) -> None:
    ids = [(await sandbox.create(create_body(name=f"ORDER-{i}")))["id"] for i in range(7)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = (await sandbox.call("GET", "/shipments", params=params)).json()
        assert set(page) == set(doc("list_response")) and page["limit"] == 3
        assert (page["previous_cursor"] is None) == (pages == 0)
        seen += [item["id"] for item in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert base64.b64decode(cursor).startswith(b'["')
    assert seen == ids and pages == 3
    back = (
        await sandbox.call(
            "GET", "/shipments", params={"cursor": page["previous_cursor"], "limit": 3}
        )
    ).json()
    assert [item["id"] for item in back["data"]] == ids[3:6]
    assert back["next_cursor"] is not None
    default = (await sandbox.call("GET", "/shipments")).json()
    assert default["limit"] == 20 and len(default["data"]) == 7 and default["next_cursor"] is None


async def test_list_rejects_bad_cursor_and_limit(sandbox: Sandbox) -> None:
    bad = await sandbox.call("GET", "/shipments", params={"cursor": "not-a-cursor"})
    assert error_codes(bad, 400) == ["invalid_cursor"]
    assert "limit" in fields(await sandbox.call("GET", "/shipments", params={"limit": "0"}))
    assert "limit" in fields(await sandbox.call("GET", "/shipments", params={"limit": "x"}))
    unknown = await sandbox.call("GET", "/shipments", params={"include_fields": "rates,price"})
    assert "include_fields" in fields(unknown)


async def test_list_filters_by_batch_id(sandbox: Sandbox) -> None:
    ids = [(await sandbox.create())["id"] for _ in range(4)]
    batch = await sandbox.control("POST", "/batches", json={"shipment_ids": ids[1:3]})
    assert batch["batch_id"].startswith("bat_")
    page = (await sandbox.call("GET", "/shipments", params={"batch_id": batch["batch_id"]})).json()
    assert [item["id"] for item in page["data"]] == ids[1:3]
    named = await sandbox.create(create_body(batch_id="bat_mine"))
    mine = (await sandbox.call("GET", "/shipments", params={"batch_id": "bat_mine"})).json()
    assert [item["id"] for item in mine["data"]] == [named["id"]]
    assert "batch_id" not in named
    none = (await sandbox.call("GET", "/shipments", params={"batch_id": "bat_none"})).json()
    assert none["data"] == [] and none["next_cursor"] is None


async def test_include_fields_adds_the_optional_parts(sandbox: Sandbox) -> None:
    shipment = await sandbox.create()
    await sandbox.call(
        "POST", f"/shipments/{shipment['id']}/purchase", json={"rate": shipment["rates"][0]["id"]}
    )
    bare = (await sandbox.call("GET", "/shipments")).json()["data"][0]
    for key in ("rates", "service", "documents", "errors"):
        assert key not in bare
    assert set(bare["addresses"]) == {"location_configuration_id"}
    assert bare["status"] == "purchased" and bare["packages"]
    query = "origin_address,destination_address,return_address,rates,selected_rate,documents,errors"
    full = (await sandbox.call("GET", "/shipments", params={"include_fields": query})).json()
    item = full["data"][0]
    assert item == (await sandbox.call("GET", f"/shipments/{shipment['id']}")).json()
    some = (
        await sandbox.call("GET", "/shipments", params={"include_fields": "rates,origin_address"})
    ).json()
    assert set(some["data"][0]["addresses"]) == {"origin", "location_configuration_id"}
    assert "rates" in some["data"][0] and "documents" not in some["data"][0]


def assert_valid_png(data: bytes) -> None:
    """Every chunk's CRC holds and the pixel data inflates to the size IHDR announces."""
    position, chunks = 8, {}
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        payload = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + payload) & 0xFFFFFFFF
        chunks[kind] = payload
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 0) and b"IEND" in chunks
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (width + 1)


# -- purchase --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "file_type", "magic"),
    [
        ("pdf", "application/pdf", b"%PDF-"),
        ("png", "image/png", b"\x89PNG\r\n\x1a\n"),
        ("zpl", "application/zpl", b"^XA"),
    ],
)
async def test_purchase_labels_in_each_format(
    sandbox: Sandbox, fmt: str, file_type: str, magic: bytes
) -> None:
    shipment = await sandbox.create(create_body(options={"label": {"format": fmt, "size": "4x6"}}))
    rate = next(r for r in shipment["rates"] if r["carrier"]["handle"] == "ups")
    body = doc("purchase_request") | {"rate": rate["id"]}
    response = await sandbox.call("POST", f"/shipments/{shipment['id']}/purchase", json=body)
    assert response.status_code == 200, response.text
    bought = response.json()
    assert set(bought) == set(doc("purchase_response"))
    assert bought["status"] == "purchased"
    assert bought["service"]["rate"] == rate["id"]
    assert bought["service"]["carrier"] == rate["carrier"]
    assert bought["service"]["carrier_service"] == rate["carrier_service"]
    assert set(bought["service"]["carrier_account"]) == {"id", "name", "handle"}
    [label] = bought["documents"]
    assert set(label) == set(doc("purchase_response")["documents"][0])
    assert label["type"] == "label" and label["file_type"] == file_type
    assert label["id"].startswith("doc_") and label["file_name"].endswith(f"_label_0.{fmt}")
    assert label["file_url"].startswith(sandbox.url + "/files/labels/")
    file = await sandbox.client.get(label["file_url"])  # pre-signed: no token
    assert file.status_code == 200 and file.content.startswith(magic)
    assert file.headers["content-type"].startswith(file_type)
    assert len(file.content) == label["file_size"]
    if fmt == "png":
        assert_valid_png(file.content)
    if fmt == "zpl":
        assert file.content.rstrip().endswith(b"^XZ") and shipment["id"].encode() in file.content


async def test_an_unsupported_format_falls_back_to_pdf(sandbox: Sandbox) -> None:
    shipment = await sandbox.create(create_body(options={"label": {"format": "zpl"}}))
    rate = next(r for r in shipment["rates"] if r["carrier"]["handle"] == "yamato")
    bought = await sandbox.call(
        "POST", f"/shipments/{shipment['id']}/purchase", json={"rate": rate["id"]}
    )
    assert bought.json()["documents"][0]["file_type"] == "application/pdf"


async def test_purchase_errors(sandbox: Sandbox) -> None:
    shipment = await sandbox.create()
    path = f"/shipments/{shipment['id']}/purchase"
    unknown = await sandbox.call("POST", path, json={"rate": "rate_unknown"})
    assert error_codes(unknown, 422) == ["rate_not_found"]
    assert unknown.json()["errors"][0]["field"] == "rate"
    assert "rate" in fields(await sandbox.call("POST", path, json={}))
    missing = await sandbox.call("POST", "/shipments/shp_missing/purchase", json={"rate": "r"})
    assert error_codes(missing, 404) == ["shipment_not_found"]
    ok = await sandbox.call("POST", path, json={"rate": shipment["rates"][0]["id"]})
    assert ok.status_code == 200
    twice = await sandbox.call("POST", path, json={"rate": shipment["rates"][1]["id"]})
    assert error_codes(twice, 409) == ["shipment_already_purchased"]
    assert len((await sandbox.call("GET", f"/shipments/{shipment['id']}")).json()["documents"]) == 1
    counters = await sandbox.control("GET", "/counters")
    assert counters["purchases"] == 1 and counters["purchase_attempts"] == 4
    assert counters["creates"] == 1
    assert error_codes(await sandbox.call("GET", "/shipments/shp_missing"), 404) == [
        "shipment_not_found"
    ]


# -- control, faults, mounting ---------------------------------------------------------------


async def test_control_lists_shipments_and_carriers(sandbox: Sandbox) -> None:
    created = await sandbox.create(create_body(batch_id="bat_1"))
    listed = await sandbox.control("GET", "/shipments")
    assert [s["id"] for s in listed["shipments"]] == [created["id"]]
    assert listed["shipments"][0]["batch_id"] == "bat_1"
    carriers = await sandbox.control("GET", "/carriers")
    assert {c["handle"] for c in carriers["carriers"]} == {"ups", "dhl_express", "yamato", "aramex"}
    assert carriers["currency_exponents"]["JPY"] == 0 and carriers["currency_exponents"]["BHD"] == 3
    unknown = await sandbox.client.post("/_control/carriers/fedex", json={"quoting": False})
    assert unknown.status_code == 404


async def test_faults_use_the_error_envelope_and_spare_control(sandbox: Sandbox) -> None:
    await sandbox.control(
        "POST", "/faults", json={"status": 503, "times": 1, "path_prefix": "/shipments"}
    )
    faulted = await sandbox.call("POST", "/shipments", json=create_body())
    assert error_codes(faulted, 503) == ["service_unavailable"]
    assert (await sandbox.control("GET", "/counters"))["creates"] == 0
    assert (await sandbox.call("POST", "/shipments", json=create_body())).status_code == 201
    await sandbox.control("POST", "/faults", json={"malformed": True})
    assert (await sandbox.client.get("/_control/shipments")).status_code == 200
    broken = await sandbox.call("GET", "/shipments")
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    await sandbox.control("DELETE", "/faults")
    assert (await sandbox.call("GET", "/shipments")).status_code == 200


async def test_a_lost_purchase_answer_still_buys_and_the_list_names_it(sandbox: Sandbox) -> None:
    shipment = await sandbox.create(create_body(name="ORDER-LOST"))
    path = f"/shipments/{shipment['id']}/purchase"
    await sandbox.control("POST", "/faults", json={"lost_answer": True, "path_prefix": path})
    with pytest.raises(httpx.ReadTimeout):
        await sandbox.call("POST", path, json={"rate": shipment["rates"][0]["id"]}, timeout=0.3)
    await sandbox.control("DELETE", "/faults")
    params = {"include_fields": "selected_rate,documents"}
    (listed,) = (await sandbox.call("GET", "/shipments", params=params)).json()["data"]
    assert (listed["name"], listed["status"]) == ("ORDER-LOST", "purchased")
    assert listed["service"]["rate"] == shipment["rates"][0]["id"]
    assert [d["type"] for d in listed["documents"]] == ["label"]
    again = await sandbox.call("POST", path, json={"rate": shipment["rates"][0]["id"]})
    assert error_codes(again, 409) == ["shipment_already_purchased"]


async def test_a_fault_status_can_carry_retry_after(sandbox: Sandbox) -> None:
    await sandbox.control("POST", "/faults", json={"status": 429, "retry_after_s": 5, "times": 1})
    limited = await sandbox.call("GET", "/shipments")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "5")


async def test_works_mounted_under_a_prefix() -> None:
    inner = create_envoy_sandbox(access_token=TOKEN)
    outer = Starlette(routes=[Mount("/sandbox/envoy", app=inner)])
    outer.state.inner = inner.state.envoy
    async with running(outer, "/sandbox/envoy") as box:
        shipment = await box.create(create_body(options={"label": {"format": "png"}}))
        bought = await box.call(
            "POST",
            f"/shipments/{shipment['id']}/purchase",
            json={"rate": shipment["rates"][0]["id"]},
        )
        url = bought.json()["documents"][0]["file_url"]
        assert url.startswith(box.url + "/sandbox/envoy/files/labels/")
        assert (await box.client.get(url)).content.startswith(b"\x89PNG")
        assert box.state.counters["purchases"] == 1
