"""borzo.txt's "Client profile info" (GET client) and "Available bank cards" (GET
bank-cards): the payment methods an order may use, and the cards for ``bank_card``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class ClientProfile:
    name: str | None
    phone: str | None
    email: str | None
    legal_type: str | None
    allowed_payment_methods: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BankCard:
    bank_card_id: int
    number_mask: str | None
    expiration_date: date | None
    card_type: str | None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def client_of(answer: Mapping[str, Any]) -> ClientProfile:
    """Raises ValueError when the answer has no client object."""
    client = answer.get("client")
    if not isinstance(client, dict):
        raise ValueError("no client object")
    methods = client.get("allowed_payment_methods")
    allowed = tuple(m for m in methods if isinstance(m, str)) if isinstance(methods, list) else ()
    return ClientProfile(
        name=_text(client.get("name")),
        phone=_text(client.get("phone")),
        email=_text(client.get("email")),
        legal_type=_text(client.get("legal_type")),
        allowed_payment_methods=allowed,
    )


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def bank_cards_of(answer: Mapping[str, Any]) -> list[BankCard]:
    """The cards with a usable ID; raises ValueError when there is no bank_cards list."""
    cards = answer.get("bank_cards")
    if not isinstance(cards, list):
        raise ValueError("no bank_cards list")
    found = []
    for card in cards:
        if not isinstance(card, dict):
            continue
        card_id = card.get("bank_card_id")
        if isinstance(card_id, bool) or not isinstance(card_id, int) or card_id <= 0:
            continue
        found.append(
            BankCard(
                bank_card_id=card_id,
                number_mask=_text(card.get("bank_card_number_mask")),
                expiration_date=_date(card.get("expiration_date")),
                card_type=_text(card.get("card_type")),
            )
        )
    return found
