"""GET client and GET bank-cards through the adapter, fed the document's answers."""

from __future__ import annotations

from datetime import date

import pytest

from shipgraph.carriers.base import CarrierError
from shipgraph.carriers.borzo.account import BankCard, ClientProfile
from shipgraph.domain import ErrorCode, PaymentCard, PaymentOptions
from tests.support.fixtures import fixture
from tests.unit.test_borzo_adapter import FakeBorzo, carrier


@pytest.fixture
def fake() -> FakeBorzo:
    return FakeBorzo()


async def test_client_profile_is_the_documents_example(fake: FakeBorzo) -> None:
    fake.on("GET /client", fixture("borzo", "client_response"))
    profile = await carrier(fake).client_profile()
    assert profile == ClientProfile(
        name="Name",
        phone="6288800000001",
        email="[email protected]",
        legal_type="individual_person",
        allowed_payment_methods=("cash", "bank_card"),
    )
    [request] = fake.seen
    assert request.headers["X-DV-Auth-Token"] == "SECRET_AUTH_TOKEN"


async def test_bank_cards_are_the_documents_example(fake: FakeBorzo) -> None:
    fake.on("GET /bank-cards", fixture("borzo", "bank_cards_response"))
    assert await carrier(fake).bank_cards() == [
        BankCard(
            bank_card_id=80,
            number_mask="411111XXXXXX1111",
            expiration_date=date(2029, 1, 31),
            card_type="visa",
        )
    ]


async def test_cards_without_a_usable_id_are_skipped_and_odd_fields_dropped(
    fake: FakeBorzo,
) -> None:
    cards = [
        {"bank_card_id": "80"},
        {"bank_card_id": True},
        "card",
        {"bank_card_id": 81, "expiration_date": "31/01/2029", "card_type": 5},
    ]
    fake.on("GET /bank-cards", {"is_successful": True, "bank_cards": cards})
    assert await carrier(fake).bank_cards() == [BankCard(81, None, None, None)]


async def test_odd_payment_methods_are_dropped(fake: FakeBorzo) -> None:
    answer = {"is_successful": True, "client": {"allowed_payment_methods": ["cash", 3, None]}}
    fake.on("GET /client", answer)
    profile = await carrier(fake).client_profile()
    assert profile.allowed_payment_methods == ("cash",)
    assert profile.name is None


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("GET /client", {"is_successful": True}),
        ("GET /client", {"is_successful": True, "client": []}),
        ("GET /bank-cards", {"is_successful": True, "bank_cards": {}}),
    ],
)
async def test_unusable_answers_are_unavailable(
    fake: FakeBorzo, path: str, answer: dict[str, object]
) -> None:
    fake.on(path, answer)
    borzo = carrier(fake)
    with pytest.raises(CarrierError) as caught:
        await (borzo.client_profile() if path == "GET /client" else borzo.bank_cards())
    assert caught.value.code == ErrorCode.CARRIER_UNAVAILABLE


async def test_a_refusal_is_the_documents_error(fake: FakeBorzo) -> None:
    fake.on("GET /bank-cards", {"is_successful": False, "errors": ["invalid_auth_token"]}, 400)
    with pytest.raises(CarrierError) as caught:
        await carrier(fake).bank_cards()
    assert caught.value.code == ErrorCode.CARRIER_AUTH


async def test_payment_options_are_the_methods_and_with_bank_card_the_cards(
    fake: FakeBorzo,
) -> None:
    fake.on("GET /client", fixture("borzo", "client_response"))
    fake.on("GET /bank-cards", fixture("borzo", "bank_cards_response"))
    options = await carrier(fake).payment_options()
    assert options == PaymentOptions(
        methods=("cash", "bank_card"),
        cards=(PaymentCard("80", "411111XXXXXX1111", date(2029, 1, 31), "visa"),),
    )


async def test_without_bank_card_no_cards_are_asked_for(fake: FakeBorzo) -> None:
    client = fixture("borzo", "client_response")
    client["client"]["allowed_payment_methods"] = ["cash"]
    fake.on("GET /client", client)
    assert await carrier(fake).payment_options() == PaymentOptions(methods=("cash",))
    assert [request.url.path.rsplit("/", 1)[-1] for request in fake.seen] == ["client"]
