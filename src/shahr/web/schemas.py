"""The API's input and output shapes, kept apart from the tables: a field added to a table is not
published until it is added here. Money is integer rials (minor units)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field, StringConstraints

from shahr.backoffice.auth_tables import DeviceStatus
from shahr.backoffice.deny_list import DenyReason
from shahr.backoffice.tables import CardStatus
from shahr.backoffice.taps import TapStatus

MAX_AMOUNT = 10**12
"""A sanity bound on one movement of money (10^12 rials): anything bigger is a typo, and stays far
from the 64-bit columns' limit however many movements add up."""

Amount = Annotated[int, Field(gt=0, le=MAX_AMOUNT, description="Rials (minor units), positive.")]

FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2999, 12, 31)
"""The service days the API takes (paths, statement periods): anything outside is a typo, and near the
ends of Python's calendar a day's end (04:00 the next day) or its Jalali date cannot be computed, which
would be a 500 rather than a 422 naming the field."""
FIRST_BIRTH_DATE = date(1900, 1, 1)
DATE_RANGE = f"From {FIRST_DATE} to {LAST_DATE}."
ServiceDatePath = Annotated[
    date, Path(ge=FIRST_DATE, le=LAST_DATE, description=f"A service day, e.g. 2025-10-05. {DATE_RANGE}")
]

NO_NUL = r"^[^\x00]*$"
"""Text either database can hold: PostgreSQL refuses NUL (0x00) in text, at the query, as a 500; refused
here instead with a 422 naming the field. Every string the API takes carries it."""
NoNulStr = Annotated[str, StringConstraints(pattern=NO_NUL)]
"""A string with `NO_NUL`, for the items of a list parameter."""
RowIdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="A row id (64-bit).")]
"""A row id in a path: beyond 64 bits is 422 naming it, not a 500 from the database (or the ORM's
identity map) asked for a number its id columns cannot hold."""
CARD_ID_LENGTH = 32
DEVICE_ID_LENGTH = 64
CardIdPath = Annotated[str, Path(min_length=1, max_length=CARD_ID_LENGTH, pattern=NO_NUL)]
DeviceIdPath = Annotated[str, Path(min_length=1, max_length=DEVICE_ID_LENGTH, pattern=NO_NUL)]


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


RETRY_AFTER = {
    "Retry-After": {"description": "Seconds until the limit's window ends.", "schema": {"type": "integer"}}
}
RATE_LIMITED: dict[int | str, dict[str, Any]] = {429: {"model": ErrorBody, "headers": RETRY_AFTER}}
"""The OpenAPI entry of a rate-limited operation's 429 `rate_limited` (`civic.ratelimit`)."""


class CardCreate(BaseModel):
    rider_category: str = Field(min_length=1, max_length=32, pattern=NO_NUL, examples=["adult", "youth"])
    medium: str = Field("card", min_length=1, max_length=16, pattern=NO_NUL, examples=["card", "qr"])
    birth_date: date | None = Field(
        None,
        ge=FIRST_BIRTH_DATE,
        le=LAST_DATE,
        description="Needed for an age-limited category (youth); only the category's end is kept.",
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
    reason: str = Field(min_length=1, max_length=500, pattern=NO_NUL)


class ReceiptPublic(BaseModel):
    """What a money command booked; `replayed` is true when the idempotency key had been seen."""

    transaction_id: int
    card_id: str
    amount_minor: int
    balance_minor: int
    replayed: bool


class DeviceCreate(BaseModel):
    device_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    operator: str = Field(
        min_length=1, max_length=64, pattern=NO_NUL, description="The operator's agency_id."
    )


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


MAX_BATCH = 1_000
"""Taps in one upload: a validator offline for a shift sends several batches."""


class TapBatchIn(BaseModel):
    """A device's upload. Each tap is taken as sent (`backoffice.taps.TapIn`: seq, card_id, kind,
    tapped_at, stop_id, route_id?, trip_id?, medium?): one that does not fit is acknowledged and
    quarantined with the field named, never refused with the whole batch."""

    taps: list[Any] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        examples=[
            [
                {
                    "seq": 41,
                    "card_id": "3f9a0c2e7b1d4e55",
                    "kind": "on",
                    "tapped_at": "2025-10-05T07:30:00+03:30",
                    "stop_id": "st_vakilabad",
                    "route_id": "M1",
                }
            ]
        ],
    )


class TapAnswerPublic(BaseModel):
    """What the device is told about one tap, in batch order."""

    index: int = Field(description="The tap's place in the batch, from 0.")
    seq: int | None = Field(description="The tap's seq; null when it had no usable one.")
    status: TapStatus
    reason_code: str | None = Field(description="Why quarantined: malformed, unknown_card, unknown_stop...")
    reason_detail: str | None = Field(description="Names the field: `tapped_at: Input should have...`.")
    replayed: bool = Field(description="Already stored: this is its stored answer and nothing was booked.")
    conflict: bool = Field(
        description="Re-sent with other content than stored (a reused seq); the stored one stands."
    )


class BatchResultPublic(BaseModel):
    """Every tap of the batch acknowledged: keep none of them for re-sending once this is received."""

    device_id: str
    accepted: int
    quarantined: int
    answers: list[TapAnswerPublic]


class QuarantinedTapPublic(BaseModel):
    """A tap kept aside, with the payload exactly as the device sent it."""

    tap_id: int
    device_id: str
    seq: int | None
    card_id: str | None
    tapped_at: datetime | None
    received_at: datetime
    reason_code: str | None
    reason_detail: str | None
    payload: dict[str, Any]


class ReplayResultPublic(BaseModel):
    """A quarantine replay: the taps looked at again, those released (now accepted and charged), and the
    fare transactions booked for their card-days."""

    examined: int
    released: int
    bookings: int


class ServiceDayClosed(BaseModel):
    """A service day closed: the card-days settled now, and what their fare transactions add up to
    (journeys left open settled by the missing-tap-off rule; 0 bookings when run again)."""

    service_date: date
    bookings: int
    amount_minor: int = Field(description="Rials debited from cards by this run (negative: credited).")


class DenyEntryPublic(BaseModel):
    card_id: str
    reason: DenyReason


class DenyListPublic(BaseModel):
    """The validators' deny list at `version`. `full`: the whole list, to replace what the device holds
    (`since` null); otherwise the net changes after `since`: list `entries` (new, or with a new reason) and
    drop `removed`. Keep `version` to ask `since` it next time."""

    version: int = Field(description="0 before anything was ever listed.")
    since: int | None
    full: bool
    entries: list[DenyEntryPublic] = Field(description="By card_id.")
    removed: list[str] = Field(description="Card ids to take off the list; empty when `full`.")


class DenyListPublished(BaseModel):
    """A publish: the current version, and the cards it changed (0: nothing changed, no new version)."""

    version: int
    changes: int


class PassProductPublic(BaseModel):
    """A pass the policy sells: its days, how it is paid and its price per rider category."""

    product_id: str
    name: str
    days: int
    payment: str = Field(
        description="prepaid: bought from stored value; postpaid: fares capped at the price."
    )
    price_minor: dict[str, int] = Field(description="Rider category -> price; only these categories buy it.")


class PassIn(BaseModel):
    product_id: str = Field(min_length=1, max_length=64)
    first_day: date | None = Field(
        default=None, description="The pass's first service day; today's when omitted. Never in the past."
    )


class CardPassPublic(BaseModel):
    pass_id: int
    card_id: str
    product_id: str
    name: str
    payment: str
    first_day: date
    last_day: date
    price_minor: int


class PassReceiptPublic(CardPassPublic):
    paid_minor: int = Field(description="Taken from the card now: the price if prepaid, else 0.")
    balance_minor: int
    rebooked_minor: int = Field(
        description="Fares already charged on the pass's days and given back (negative) by re-capping them."
    )
    replayed: bool
