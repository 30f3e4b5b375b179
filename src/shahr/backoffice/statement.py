"""A card holder's statement: the money movements of a period with the running balance, and the journeys
rated in it with each fare's explanation, in Persian or English.

The period runs over whole service days: from the start of `since`'s service day (exclusive) to the end of
`until`'s (inclusive), the instants the ledger's balances are read at, so the closing balance is the
opening balance plus the movements listed, to the rial. Dates are shown in the Jalali and the Gregorian
calendar, in the policy's local time (Asia/Tehran); the Persian statement writes every number it builds in
Persian digits. The fare explanation lines are the engine's (`fares.explain.explain_lines`) and stay in
English in both languages: translating them needs the engine to emit structured phrases, not sentences.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

import jdatetime  # type: ignore[import-untyped]  # no stubs; pyproject has no override for it
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.backoffice import cards, ledger
from shahr.backoffice.errors import InvalidCommand
from shahr.backoffice.rating import service_day_end
from shahr.backoffice.tables import Posting, Transaction
from shahr.backoffice.taps import CardDay, RatedJourney
from shahr.fares.load import Policy

Language = Literal["fa", "en"]
MAX_DAYS = 366
"""The longest period one statement covers."""

_PERSIAN_DIGITS = str.maketrans("0123456789,", "۰۱۲۳۴۵۶۷۸۹٬")

LABELS: dict[Language, dict[str, str]] = {
    "en": {
        "title": "Card statement",
        "period": "Period",
        "opening_balance": "Opening balance",
        "closing_balance": "Closing balance",
        "movements": "Money in and out",
        "journeys": "Journeys",
        "explanation_note": "Fare explanations are in English.",
    },
    "fa": {
        "title": "صورت‌حساب کارت",
        "period": "دوره",
        "opening_balance": "مانده ابتدای دوره",
        "closing_balance": "مانده پایان دوره",
        "movements": "واریز و برداشت",
        "journeys": "سفرها",
        "explanation_note": "شرح محاسبه کرایه‌ها به زبان انگلیسی است.",
    },
}
"""Headings and fixed words of the statement, by language."""

KIND_LABELS: dict[Language, dict[str, str]] = {
    "en": {
        "top_up": "Top-up",
        "refund": "Refund",
        "adjustment": "Adjustment",
        "fare": "Fares",
        "transfer": "Balance transfer",
        "clearing": "Clearing",
        "pass_sale": "Pass",
    },
    "fa": {
        "top_up": "شارژ کارت",
        "refund": "بازپرداخت",
        "adjustment": "اصلاحیه",
        "fare": "کرایه",
        "transfer": "انتقال موجودی",
        "clearing": "تسویه",
        "pass_sale": "بلیت دوره‌ای",
    },
}
MODE_LABELS: dict[Language, dict[str, str]] = {
    "en": {"metro": "Metro", "bus": "Bus", "brt": "BRT", "feeder": "Feeder bus"},
    "fa": {"metro": "مترو", "bus": "اتوبوس", "brt": "اتوبوس تندرو", "feeder": "اتوبوس تغذیه‌کننده"},
}
"""Mode ids of the policies shipped with shahr; another mode is shown by its id."""
CURRENCY_LABELS: dict[Language, dict[str, str]] = {"en": {"IRR": "IRR"}, "fa": {"IRR": "ریال"}}


class Shown(BaseModel):
    """An instant in local time, in both calendars (Persian digits on the Persian statement)."""

    model_config = ConfigDict(frozen=True)

    jalali: str
    gregorian: str
    time: str


class Movement(BaseModel):
    """A ledger transaction on the card: `amount_minor` positive when money came onto the card."""

    model_config = ConfigDict(frozen=True)

    transaction_id: int
    kind: str
    label: str
    reason: str
    amount_minor: int
    amount: str
    balance_after_minor: int
    at: Shown


class StatementLeg(BaseModel):
    model_config = ConfigDict(frozen=True)

    mode: str
    route_id: str | None
    board_stop: str
    exit_stop: str | None
    boarded: Shown
    distance_km: str


class StatementJourney(BaseModel):
    """A rated journey with its fare's explanation lines (English, from the engine), and what the card
    paid for it when a fare cap or pass took some or all of it off (the last line says which)."""

    model_config = ConfigDict(frozen=True)

    service_date: date
    started: Shown
    fare_minor: int
    fare: str
    charged_minor: int
    charged: str
    legs: tuple[StatementLeg, ...]
    explanation: tuple[str, ...]


class Statement(BaseModel):
    model_config = ConfigDict(frozen=True)

    card_id: str
    language: Language
    labels: dict[str, str]
    currency: str
    since: date
    until: date
    period_start: Shown
    period_end: Shown
    opening_balance_minor: int
    opening_balance: str
    closing_balance_minor: int
    closing_balance: str
    movements: tuple[Movement, ...]
    journeys: tuple[StatementJourney, ...]


def statement(
    session: Session, card_id: str, *, since: date, until: date, language: Language, policy: Policy
) -> Statement:
    """The card's statement for the service days `since` to `until` (inclusive). `CardNotFound` for an
    unknown card; `InvalidCommand` when `since` is after `until` or the period exceeds `MAX_DAYS`."""
    if since > until:
        raise InvalidCommand(f"since {since} is after until {until}")
    if (until - since).days >= MAX_DAYS:
        raise InvalidCommand(f"a statement covers at most {MAX_DAYS} days; {since} to {until} is longer")
    card = cards.get_card(session, card_id)
    start = service_day_end(policy, since - timedelta(days=1))
    end = service_day_end(policy, until)
    fmt = _Format(policy, language)
    opening = ledger.balance(session, card.account_code, at=start)
    movements = _movements(session, card.account_id, start, end, opening, fmt)
    closing = movements[-1].balance_after_minor if movements else opening
    journeys = session.execute(
        select(RatedJourney, CardDay.capped_by)
        .join(
            CardDay,
            (CardDay.card_id == RatedJourney.card_id) & (CardDay.service_date == RatedJourney.service_date),
        )
        .where(
            RatedJourney.card_id == card.id,
            RatedJourney.service_date >= since,
            RatedJourney.service_date <= until,
        )
        .order_by(RatedJourney.service_date, RatedJourney.journey_seq)
    )
    return Statement(
        card_id=card.id,
        language=language,
        labels=LABELS[language],
        currency=fmt.currency,
        since=since,
        until=until,
        period_start=fmt.shown(start),
        period_end=fmt.shown(end),
        opening_balance_minor=opening,
        opening_balance=fmt.money(opening),
        closing_balance_minor=closing,
        closing_balance=fmt.money(closing),
        movements=movements,
        journeys=tuple(_journey(journey, capped_by, fmt) for journey, capped_by in journeys),
    )


class _Format:
    """How numbers, money, dates and names are written in one language."""

    def __init__(self, policy: Policy, language: Language) -> None:
        self.policy = policy
        self.language = language
        self.currency = CURRENCY_LABELS[language].get(policy.currency, policy.currency)

    def digits(self, text: str) -> str:
        return text.translate(_PERSIAN_DIGITS) if self.language == "fa" else text

    def money(self, amount_minor: int) -> str:
        return self.digits(f"{amount_minor:,}") + f" {self.currency}"

    def shown(self, moment: datetime) -> Shown:
        local = moment.astimezone(self.policy.tz)
        jalali = jdatetime.date.fromgregorian(date=local.date())
        return Shown(
            jalali=self.digits(jalali.strftime("%Y/%m/%d")),
            gregorian=self.digits(local.date().isoformat()),
            time=self.digits(local.strftime("%H:%M")),
        )

    def mode(self, mode: str) -> str:
        return MODE_LABELS[self.language].get(mode, mode)


def _movements(
    session: Session, account_id: int, start: datetime, end: datetime, opening: int, fmt: _Format
) -> tuple[Movement, ...]:
    """The card's transactions effective in (start, end], with the balance after each."""
    rows = session.execute(
        select(Transaction, Posting.amount_minor)
        .join(Posting, Posting.transaction_id == Transaction.id)
        .where(
            Posting.account_id == account_id,
            Transaction.effective_at > start,
            Transaction.effective_at <= end,
        )
        .order_by(Transaction.effective_at, Transaction.id)
    ).all()
    balance = opening
    movements = []
    for transaction, posted in rows:
        amount = -posted  # a card account is credit-normal: a credit is money onto the card
        balance += amount
        movements.append(
            Movement(
                transaction_id=transaction.id,
                kind=transaction.kind.value,
                label=KIND_LABELS[fmt.language][transaction.kind.value],
                reason=transaction.reason,
                amount_minor=amount,
                amount=fmt.money(amount),
                balance_after_minor=balance,
                at=fmt.shown(transaction.effective_at),
            )
        )
    return tuple(movements)


def _journey(journey: RatedJourney, capped_by: str | None, fmt: _Format) -> StatementJourney:
    data = journey.explanation
    lines = tuple(data["explanation"]["lines"])
    if journey.charged_minor < journey.fare_minor:
        lines += (
            f"{capped_by or 'cap'}: paid {journey.charged_minor:,} of the fare of {journey.fare_minor:,}",
        )
    return StatementJourney(
        service_date=journey.service_date,
        started=fmt.shown(datetime.fromisoformat(data["start"])),
        fare_minor=journey.fare_minor,
        fare=fmt.money(journey.fare_minor),
        charged_minor=journey.charged_minor,
        charged=fmt.money(journey.charged_minor),
        legs=tuple(_leg(leg, fmt) for leg in data["legs"]),
        explanation=lines,
    )


def _leg(leg: dict[str, Any], fmt: _Format) -> StatementLeg:
    return StatementLeg(
        mode=fmt.mode(leg["mode"]),
        route_id=leg["route_id"],
        board_stop=leg["board_stop"],
        exit_stop=leg["exit_stop"],
        boarded=fmt.shown(datetime.fromisoformat(leg["board_time"])),
        distance_km=fmt.digits(f"{leg['distance_m'] / 1000:.1f}"),
    )
