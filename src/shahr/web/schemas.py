"""The API's input and output shapes, kept apart from the tables: a field added to a table is not
published until it is added here. Money is integer rials (minor units)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from shahr.backoffice.auth_tables import DeviceStatus
from shahr.backoffice.tables import CardStatus

MAX_AMOUNT = 10**12
"""A sanity bound on one movement of money (10^12 rials): anything bigger is a typo, and stays far
from the 64-bit columns' limit however many movements add up."""

Amount = Annotated[int, Field(gt=0, le=MAX_AMOUNT, description="Rials (minor units), positive.")]


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, for clients to branch on (e.g. insufficient_balance).")
    message: str
    field: str | None = Field(description="Where the problem is: body.amount, header.x-signature...")


class ErrorBody(BaseModel):
    """Every error the API returns (`shahr.web.errors`)."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an operation can answer with, all shaped as `ErrorBody`."""
    return {status: {"model": ErrorBody} for status in statuses}


class CardCreate(BaseModel):
    rider_category: str = Field(min_length=1, max_length=32, examples=["adult", "youth"])
    medium: str = Field("card", min_length=1, max_length=16, examples=["card", "qr"])
    birth_date: date | None = Field(
        None, description="Needed for an age-limited category (youth); only the category's end is kept."
    )


class CardPublic(BaseModel):
    """A card as staff see it."""

    card_id: str
    rider_category: str
    category_valid_until: date | None
    medium: str
    status: CardStatus
    replaced_by: str | None
    balance_minor: int
    created_at: datetime


class CardIssued(CardPublic):
    """A new card with the token its holder uses on `GET /me/card` (`Authorization: Card <token>`)."""

    card_token: str


class CardHolderView(BaseModel):
    """What a card holder sees of their own card."""

    card_id: str
    rider_category: str
    category_valid_until: date | None
    status: CardStatus
    balance_minor: int


class MoneyIn(BaseModel):
    amount: Amount


class AdjustmentIn(BaseModel):
    amount: Annotated[
        int,
        Field(
            ge=-MAX_AMOUNT, le=MAX_AMOUNT, description="Rials: positive credits the card, negative debits."
        ),
    ]
    reason: str = Field(min_length=1, max_length=500)


class ReceiptPublic(BaseModel):
    """What a money command booked; `replayed` is true when the idempotency key had been seen."""

    transaction_id: int
    card_id: str
    amount_minor: int
    balance_minor: int
    replayed: bool


class DeviceCreate(BaseModel):
    device_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    operator: str = Field(min_length=1, max_length=64, description="The operator's agency_id.")


class DevicePublic(BaseModel):
    device_id: str
    operator: str
    status: DeviceStatus
    created_at: datetime


class DeviceRegistered(DevicePublic):
    """Registration's answer: the only time the secret is shown."""

    secret: str


class Pong(BaseModel):
    """A device's signed ping: who the service took it for, and the server's clock to check drift against
    the replay window."""

    device_id: str
    operator: str
    server_time: datetime
