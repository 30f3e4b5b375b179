"""Daily clearing between operators: what each operator is owed for a service day, checked against what
the cards were charged, and its booking in the ledger.

Each rated journey's fare is already split between the operators of its legs in whole rials that add up
to the fare (`fares.apportion`), so the operators' amounts add up to the day's journey fares. The cards
were debited the day's fares by `fare` transactions referencing their card-days; the two totals must be
equal to the rial once the day is closed. A difference is reported as it is (`difference_minor`), never
absorbed: before the day closes, an open journey is charged but not yet rated, and any other difference
is a fault to look into. `book_clearing` refuses to book while there is one.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from shahr.backoffice import ledger
from shahr.backoffice.errors import InvalidCommand
from shahr.backoffice.tables import Account, AccountKind, CardPass, Posting, Transaction, TransactionKind
from shahr.backoffice.taps import CardDay, RatedJourney, ServiceDay, TapRecord, TapStatus

NEW_TAPS = "fare"
"""The reason `rating` gives a fare transaction charging taps after everything charged: not an adjustment."""


class OperatorAmount(BaseModel):
    """One operator's part of the day: the sum of its shares, and the journeys and legs they come from."""

    model_config = ConfigDict(frozen=True)

    operator: str = Field(description="The agency_id of the legs' routes (`unknown` when a leg has none).")
    amount_minor: int
    journeys: int = Field(description="Journeys with at least one leg of this operator.")
    legs: int


class RatingAdjustment(BaseModel):
    """A fare transaction that changed what a card-day had been charged for taps already rated: a late tap,
    the day's close settling a missing tap-off, or a reversal."""

    model_config = ConfigDict(frozen=True)

    transaction_id: int
    card_id: str
    amount_minor: int = Field(description="Debited to the card; negative when the fare went down.")
    reason: str
    effective_at: datetime


class ClearingReport(BaseModel):
    """A service day's clearing: operators' amounts, the check against card debits, and reconciliation."""

    model_config = ConfigDict(frozen=True)

    service_date: date
    day_closed: bool = Field(description="Closed by `close_service_day`: only then is the clearing final.")
    operators: tuple[OperatorAmount, ...]
    total_minor: int = Field(description="Sum of the operators' amounts.")
    card_debits_minor: int = Field(description="Sum of the fare transactions of the day's card-days.")
    difference_minor: int = Field(description="total_minor - card_debits_minor: 0 when they agree.")
    taps_received: int = Field(description="Taps assigned to the day (well formed, card known).")
    taps_accepted: int
    taps_quarantined: int = Field(description="Taps of the day the fare engine refused.")
    card_days: int
    journeys: int
    journeys_fare_minor: int = Field(description="Sum of the rated journeys' fares, before caps and passes.")
    capped_minor: int = Field(
        description="What fare caps and passes took off the day's fares: journeys_fare_minor less what the "
        "rated journeys were charged."
    )
    pass_sales: int = Field(description="Prepaid passes whose first day is the service day.")
    pass_sales_minor: int = Field(
        description="Their price, held in clearing:passes: a sale of the city, not shared by this report."
    )
    adjustments: tuple[RatingAdjustment, ...]
    adjustments_minor: int

    @property
    def balanced(self) -> bool:
        return self.difference_minor == 0


def clearing_report(session: Session, service_date: date) -> ClearingReport:
    """The clearing of one service day, from the rated journeys, the taps and the ledger as they are now."""
    operators, journeys, journeys_fare = _operators(session, service_date)
    total = sum(o.amount_minor for o in operators)
    charged = session.scalar(
        select(func.coalesce(func.sum(RatedJourney.charged_minor), 0)).where(
            RatedJourney.service_date == service_date
        )
    )
    sales, sales_minor = _pass_sales(session, service_date)
    debits = _card_debits(session, service_date)
    taps = dict(
        session.execute(
            select(TapRecord.status, func.count())
            .where(TapRecord.service_date == service_date)
            .group_by(TapRecord.status)
        ).all()
    )
    card_days = session.scalar(
        select(func.count()).select_from(CardDay).where(CardDay.service_date == service_date)
    )
    adjustments = _adjustments(session, service_date)
    accepted, quarantined = taps.get(TapStatus.ACCEPTED, 0), taps.get(TapStatus.QUARANTINED, 0)
    return ClearingReport(
        service_date=service_date,
        day_closed=session.get(ServiceDay, service_date) is not None,
        operators=operators,
        total_minor=total,
        card_debits_minor=debits,
        difference_minor=total - debits,
        taps_received=accepted + quarantined,
        taps_accepted=accepted,
        taps_quarantined=quarantined,
        card_days=card_days or 0,
        journeys=journeys,
        journeys_fare_minor=journeys_fare,
        capped_minor=journeys_fare - int(charged or 0),
        pass_sales=sales,
        pass_sales_minor=sales_minor,
        adjustments=adjustments,
        adjustments_minor=sum(a.amount_minor for a in adjustments),
    )


CSV_COLUMNS = ("service_date", "operator", "amount_minor", "journeys", "legs")


def to_csv(report: ClearingReport) -> str:
    """One row per operator, then `(total)`, `(card debits)` and `(difference)` rows: the check travels
    with the figures. Reconciliation counts are in the JSON report only."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    day = report.service_date.isoformat()
    for o in report.operators:
        writer.writerow((day, o.operator, o.amount_minor, o.journeys, o.legs))
    legs = sum(o.legs for o in report.operators)
    writer.writerow((day, "(total)", report.total_minor, report.journeys, legs))
    writer.writerow((day, "(card debits)", report.card_debits_minor, "", ""))
    writer.writerow((day, "(difference)", report.difference_minor, "", ""))
    return out.getvalue()


def operator_account_code(operator: str) -> str:
    return f"operator:{operator}"


def clearing_reference(service_date: date) -> str:
    """The `reference` of a day's clearing transactions: their sum is what has been booked for the day."""
    return f"clearing:{service_date.isoformat()}"


def book_clearing(session: Session, service_date: date, at: datetime) -> Transaction | None:
    """Book the day's clearing: debit `clearing:fares`, credit each `operator:` account its amount.

    Refused while the day is open or the report has a difference. Idempotent per day: only the difference
    from the day's clearing transactions already booked is booked (None when there is none), so running it
    again books nothing, and again after a late tap re-rated a closed day books the change. The day's row
    is locked so two runs cannot both book. Operator accounts are opened on first use. Flushed, not
    committed.
    """
    day = session.scalars(
        select(ServiceDay).where(ServiceDay.service_date == service_date).with_for_update()
    ).one_or_none()
    if day is None:
        raise InvalidCommand(f"service day {service_date} is not closed: its clearing is not final yet")
    report = clearing_report(session, service_date)
    if not report.balanced:
        raise InvalidCommand(
            f"clearing of {service_date}: operators {report.total_minor:,} but card debits "
            f"{report.card_debits_minor:,} (difference {report.difference_minor:,}); not booked"
        )
    booked = _booked_clearing(session, service_date)
    wanted = {operator_account_code(o.operator): -o.amount_minor for o in report.operators}
    postings = [
        (code, wanted.get(code, 0) - booked.get(code, 0))
        for code in sorted(wanted.keys() | booked.keys())
        if wanted.get(code, 0) != booked.get(code, 0)
    ]
    if not postings:
        return None
    for code, _ in postings:
        if ledger.find_account(session, code) is None:
            ledger.open_account(session, code, AccountKind.OPERATOR_REVENUE)
    postings.append((ledger.CLEARING_FARES, -sum(amount for _, amount in postings)))
    return ledger.post(
        session,
        TransactionKind.CLEARING,
        [(code, amount) for code, amount in postings if amount != 0],
        effective_at=at,
        reason=f"clearing of service day {service_date.isoformat()}",
        reference=clearing_reference(service_date),
    )


def _operators(session: Session, service_date: date) -> tuple[tuple[OperatorAmount, ...], int, int]:
    """Operators' amounts (their shares of what the cards were charged, after caps and passes), journeys
    and legs from the day's rated journeys; the journeys and their fares."""
    amounts: dict[str, int] = {}
    journeys: dict[str, int] = {}
    legs: dict[str, int] = {}
    count = fares = 0
    for journey in session.scalars(select(RatedJourney).where(RatedJourney.service_date == service_date)):
        count += 1
        fares += journey.fare_minor
        for operator, share in journey.charged_shares.items():
            amounts[operator] = amounts.get(operator, 0) + share
            journeys[operator] = journeys.get(operator, 0) + 1
        for leg in journey.explanation["legs"]:
            operator = leg["agency_id"] or "unknown"
            legs[operator] = legs.get(operator, 0) + 1
    operators = tuple(
        OperatorAmount(operator=o, amount_minor=amounts[o], journeys=journeys[o], legs=legs.get(o, 0))
        for o in sorted(amounts)
    )
    return operators, count, fares


def _card_day_of(service_date: date) -> ColumnElement[bool]:
    """Joins a fare transaction to the card-day it references (`rating.card_day_reference`)."""
    reference = literal("card-day:") + CardDay.card_id + literal(f":{service_date.isoformat()}")
    return and_(
        Transaction.kind == TransactionKind.FARE,
        CardDay.service_date == service_date,
        Transaction.reference == reference,
    )


def _card_debits(session: Session, service_date: date) -> int:
    """What the day's card-days were charged: the card side of their fare transactions."""
    query = (
        select(func.coalesce(func.sum(Posting.amount_minor), 0))
        .join(Transaction, Posting.transaction_id == Transaction.id)
        .join(Account, Posting.account_id == Account.id)
        .join(CardDay, _card_day_of(service_date))
        .where(Account.kind == AccountKind.CARD_LIABILITY)
    )
    return int(session.scalars(query).one())


def _adjustments(session: Session, service_date: date) -> tuple[RatingAdjustment, ...]:
    """The day's fare transactions that re-rated a card-day (a late tap, the day's close) or reverse one,
    in booking order; charges for taps after everything charged (reason `fare`) are the normal course."""
    query = (
        select(Transaction, CardDay.card_id)
        .join(CardDay, _card_day_of(service_date))
        .where(or_(Transaction.reason != NEW_TAPS, Transaction.reverses_id.is_not(None)))
        .order_by(Transaction.id)
    )
    return tuple(
        RatingAdjustment(
            transaction_id=transaction.id,
            card_id=card_id,
            amount_minor=sum(
                p.amount_minor for p in transaction.postings if p.account.kind is AccountKind.CARD_LIABILITY
            ),
            reason=transaction.reason,
            effective_at=transaction.effective_at,
        )
        for transaction, card_id in session.execute(query).all()
    )


def _pass_sales(session: Session, service_date: date) -> tuple[int, int]:
    """Prepaid passes whose first day is the service day, and what they were sold for."""
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(CardPass.price_minor), 0)).where(
            CardPass.first_day == service_date, CardPass.transaction_id.is_not(None)
        )
    ).one()
    return int(count), int(total)


def _booked_clearing(session: Session, service_date: date) -> dict[str, int]:
    """Raw sums (debit positive) per operator account of the day's clearing transactions so far."""
    rows = session.execute(
        select(Account.code, func.sum(Posting.amount_minor))
        .join(Transaction, Posting.transaction_id == Transaction.id)
        .join(Account, Posting.account_id == Account.id)
        .where(
            Transaction.kind == TransactionKind.CLEARING,
            Transaction.reference == clearing_reference(service_date),
            Account.kind == AccountKind.OPERATOR_REVENUE,
        )
        .group_by(Account.code)
    )
    return {code: int(total) for code, total in rows}
