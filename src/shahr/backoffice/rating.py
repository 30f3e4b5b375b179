"""Rating card-days with the fare engine and booking what changed.

A card-day is always re-rated whole, from all the taps assigned to it in (tapped_at, device_id, seq)
order, so the answer does not depend on the order taps arrived in. While the service day is open the
taps are folded through `FareEngine.tap` without `close`: the total is what validators would have
charged. Once the day is closed (`close_service_day`), `close` settles open journeys by the policy's
missing-tap-off rule. The ledger is then brought to the new total by one `fare` transaction for the
difference (negative when a late tap lowered the fare): booked amounts are never changed, so the ledger
keeps the history of every re-rating. Taps the engine refuses are quarantined with the anomaly's code;
the next re-rating of their card-day looks at them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from shahr.backoffice import ledger
from shahr.backoffice.errors import ServiceDayNotEnded
from shahr.backoffice.tables import Account, Card, CardPass, Posting, Transaction, TransactionKind
from shahr.backoffice.taps import CardDay, RatedJourney, ServiceDay, TapIn, TapRecord, TapStatus
from shahr.fares.apportion import apportion, operator_shares
from shahr.fares.capping import Capped, HeldPass, cap_day, limits, month_of, split_charge
from shahr.fares.engine import CardState, FareEngine
from shahr.fares.explain import journey_data
from shahr.fares.load import Policy
from shahr.fares.model import Journey, Tap
from shahr.fares.network import FareNetwork

END_OF_DAY = "end of service day"


@dataclass(frozen=True, slots=True)
class Booking:
    """A fare transaction booked for a card-day: `amount_minor` is what the card was debited (negative:
    credited back), `total_minor` the card-day's fare after it."""

    card_id: str
    service_date: date
    amount_minor: int
    total_minor: int
    transaction_id: int
    reason: str


def card_day_reference(card_id: str, service_date: date) -> str:
    """The `reference` of a card-day's fare transactions: their sum is what the ledger holds for it."""
    return f"card-day:{card_id}:{service_date.isoformat()}"


def service_day_end(policy: Policy, service_date: date) -> datetime:
    """The instant the service day ends: the next calendar day at the policy's service_day_start."""
    start = policy.header.service_day_start
    return datetime.combine(service_date + timedelta(days=1), start, tzinfo=policy.tz)


def rate_card_days(
    session: Session, policy: Policy, network: FareNetwork, taps: Sequence[TapRecord]
) -> list[Booking]:
    """Re-rate every card-day `taps` were assigned to (taps not assigned are skipped), in card order so
    concurrent uploads lock cards in the same order."""
    by_day: dict[tuple[str, date], list[TapRecord]] = {}
    for tap in taps:
        if tap.card_id is not None and tap.service_date is not None:
            by_day.setdefault((tap.card_id, tap.service_date), []).append(tap)
    engine = FareEngine(policy, network)
    return [
        booking for key in sorted(by_day) for booking in rate_card_day(session, engine, *key, by_day[key])
    ]


def close_service_day(
    session: Session, service_date: date, *, policy: Policy, network: FareNetwork, now: datetime
) -> list[Booking]:
    """Close a service day that has ended: every card-day of it not yet closed is re-rated with the
    engine's `close`. Safe to run again: a card-day rated open by an upload that raced the first run is
    closed by the second; closed card-days are left alone."""
    end = service_day_end(policy, service_date)
    if ledger.check_aware("now", now) < end:
        raise ServiceDayNotEnded(service_date, end)
    if session.get(ServiceDay, service_date) is None:
        session.add(ServiceDay(service_date=service_date, closed_at=now))
        session.flush()
    closed = select(CardDay.card_id).where(CardDay.service_date == service_date, CardDay.closed)
    card_ids = session.scalars(
        select(TapRecord.card_id)
        .where(TapRecord.service_date == service_date, TapRecord.card_id.not_in(closed))
        .distinct()
    ).all()
    engine = FareEngine(policy, network)
    return [
        booking
        for card_id in sorted(filter(None, card_ids))
        for booking in rate_card_day(session, engine, card_id, service_date, ())
    ]


def rate_card_day(
    session: Session, engine: FareEngine, card_id: str, service_date: date, new: Sequence[TapRecord]
) -> list[Booking]:
    """Re-rate one card-day after `new` taps were assigned to it (none: the day is being closed), book
    the difference to what the ledger holds for it, then re-cap the card's later days whose caps depend
    on this one (a monthly cap, a postpaid pass)."""
    card = session.scalars(select(Card).where(Card.id == card_id).with_for_update()).one()
    closed = session.get(ServiceDay, service_date) is not None
    card_day = session.get(CardDay, (card_id, service_date))
    if card_day is None:
        card_day = CardDay(
            card_id=card_id, service_date=service_date, fares_minor=0, total_minor=0, closed=False
        )
        session.add(card_day)
    reason = _reason(new, card_day, closed)
    records = session.scalars(
        select(TapRecord)
        .where(TapRecord.card_id == card_id, TapRecord.service_date == service_date)
        .order_by(TapRecord.tapped_at, TapRecord.device_id, TapRecord.seq)
    ).all()
    fares, journeys = _fold(engine, card, records, closed)
    _keep_journeys(session, engine.policy, card_id, service_date, journeys)
    card_day.charged_through = max(
        (_when(r) for r in records if r.status is TapStatus.ACCEPTED), default=None
    )
    card_day.fares_minor = fares
    card_day.closed = closed
    when = service_day_end(engine.policy, service_date) if not new else max(map(_when, new))
    booking = _charge(session, engine.policy, card, card_day, reason, when)
    later = recap(
        session,
        engine.policy,
        card,
        service_date + timedelta(days=1),
        cap_horizon(session, engine.policy, card, service_date),
        reason=f"re-capping after a change on {service_date.isoformat()}",
        at=when,
    )
    return [booking, *later] if booking is not None else later


def recap(
    session: Session, policy: Policy, card: Card, first: date, last: date, *, reason: str, at: datetime
) -> list[Booking]:
    """Apply the caps and passes again to the card's rated days from `first` to `last`, in date order
    (each day's monthly or postpaid allowance depends on the days before it), booking what changed."""
    if last < first:
        return []
    days = session.scalars(
        select(CardDay)
        .where(CardDay.card_id == card.id, CardDay.service_date.between(first, last))
        .order_by(CardDay.service_date)
    ).all()
    bookings = (_charge(session, policy, card, day, reason, at) for day in days)
    return [booking for booking in bookings if booking is not None]


def cap_horizon(session: Session, policy: Policy, card: Card, service_date: date) -> date:
    """The last day whose cap depends on what `service_date` is charged: the end of its month when the
    card's category has a monthly cap, the last day of a postpaid pass covering it; else the day itself."""
    tariff = policy.version_for(service_date)
    ends = [service_date]
    if card.rider_category in tariff.caps.monthly:
        ends.append(month_of(service_date, tariff.caps.month_calendar)[1])
    ends += [held.last_day for held in _held(session, card.id, service_date) if held.payment == "postpaid"]
    return max(ends)


def _charge(
    session: Session, policy: Policy, card: Card, card_day: CardDay, reason: str, at: datetime
) -> Booking | None:
    """Cap the card-day's fares, split the charge over its journeys, and book the difference to what
    the ledger holds for it."""
    capped = _capped(session, policy, card, card_day.service_date, card_day.fares_minor)
    card_day.total_minor = capped.charged_minor
    card_day.capped_by = capped.binding.product if capped.binding is not None else None
    _charge_journeys(session, card.id, card_day.service_date, capped.charged_minor)
    session.flush()
    difference = capped.charged_minor - _booked(session, card, card_day.service_date)
    if difference == 0:
        return None
    transaction = ledger.post(
        session,
        TransactionKind.FARE,
        [(card.account_code, difference), (ledger.CLEARING_FARES, -difference)],
        effective_at=at,
        reason=reason,
        reference=card_day_reference(card.id, card_day.service_date),
    )
    return Booking(card.id, card_day.service_date, difference, capped.charged_minor, transaction.id, reason)


def _capped(session: Session, policy: Policy, card: Card, service_date: date, fares_minor: int) -> Capped:
    """The card-day's fares within the caps of its tariff and the passes the card holds for the day."""
    tariff = policy.version_for(service_date)
    paid_in_month = 0
    if card.rider_category in tariff.caps.monthly:
        month_first, _ = month_of(service_date, tariff.caps.month_calendar)
        paid_in_month = _paid(session, card.id, month_first, service_date)
    held = [
        (h, _paid(session, card.id, h.first_day, service_date) if h.payment == "postpaid" else 0)
        for h in _held(session, card.id, service_date)
    ]
    day_limits = limits(
        tariff, card.rider_category, service_date, paid_in_month_before=paid_in_month, passes=held
    )
    return cap_day(fares_minor, day_limits)


def _held(session: Session, card_id: str, service_date: date) -> list[HeldPass]:
    """The passes the card holds that cover `service_date`."""
    rows = session.scalars(
        select(CardPass).where(
            CardPass.card_id == card_id, CardPass.first_day <= service_date, CardPass.last_day >= service_date
        )
    )
    return [held_pass(row) for row in rows]


def held_pass(row: CardPass) -> HeldPass:
    payment: Literal["prepaid", "postpaid"] = "prepaid" if row.payment == "prepaid" else "postpaid"
    return HeldPass(row.name, payment, row.first_day, row.last_day, row.price_minor)


def _paid(session: Session, card_id: str, first: date, before: date) -> int:
    """What the card's days from `first` up to (not including) `before` were charged."""
    total = session.scalar(
        select(func.coalesce(func.sum(CardDay.total_minor), 0)).where(
            CardDay.card_id == card_id, CardDay.service_date >= first, CardDay.service_date < before
        )
    )
    return int(total or 0)


def _charge_journeys(session: Session, card_id: str, service_date: date, charged_minor: int) -> None:
    """Each rated journey's part of the day's charge (`capping.split_charge`, in journey order) and that
    part split between its operators in the proportions of their shares of its fare."""
    rated = session.scalars(
        select(RatedJourney)
        .where(RatedJourney.card_id == card_id, RatedJourney.service_date == service_date)
        .order_by(RatedJourney.journey_seq)
    ).all()
    parts = split_charge([journey.fare_minor for journey in rated], charged_minor)
    for journey, part in zip(rated, parts, strict=True):
        journey.charged_minor = part
        journey.charged_shares = _scaled(journey.operator_shares, part)


def _scaled(shares: dict[str, int], amount: int) -> dict[str, int]:
    """`amount` split in the proportions of `shares`, in whole rials adding up to it (largest remainder)."""
    operators = sorted(shares)
    parts = apportion(
        np.array([amount], dtype=np.int64),
        np.zeros(len(operators), dtype=np.int64),
        np.array([shares[o] for o in operators], dtype=np.int64),
    )
    return {operator: int(part) for operator, part in zip(operators, parts, strict=True)}


def _fold(
    engine: FareEngine, card: Card, records: Sequence[TapRecord], closed: bool
) -> tuple[int, list[Journey]]:
    """The card-day's taps through the engine: the sum of the step charges and the journeys closed.
    Each tap's status is set from the engine's verdict."""
    state = CardState()
    total = 0
    journeys: list[Journey] = []
    for record in records:
        step = engine.tap(state, _engine_tap(record, card))
        refusal = next((anomaly for anomaly in step.anomalies if anomaly.rejects_tap), None)
        record.status = TapStatus.ACCEPTED if refusal is None else TapStatus.QUARANTINED
        record.reason_code = None if refusal is None else refusal.code.value
        record.reason_detail = None if refusal is None else refusal.detail
        state = step.state
        total += step.charge_minor
        journeys += step.closed
    if closed:
        end = engine.close(state)
        total += end.charge_minor
        journeys += end.closed
    return total, journeys


def _engine_tap(record: TapRecord, card: Card) -> Tap:
    """The engine's tap, from the payload as received (validated again: it passed at screening); the
    rider category and, unless the device says, the medium come from the card."""
    tap = TapIn.model_validate(record.payload)
    return Tap(
        tap.kind,
        tap.tapped_at,
        tap.stop_id,
        tap.route_id,
        tap.trip_id,
        medium=tap.medium or card.medium,
        rider_category=card.rider_category,
        tap_id=record.label,
    )


def _keep_journeys(
    session: Session, policy: Policy, card_id: str, service_date: date, journeys: list[Journey]
) -> None:
    """Replace the card-day's rated journeys (derived data, not money: deleting them is fine). What each
    was charged is set by `_charge_journeys` once the day's caps are known."""
    session.execute(
        delete(RatedJourney).where(RatedJourney.card_id == card_id, RatedJourney.service_date == service_date)
    )
    for seq, journey in enumerate(journeys, start=1):
        shares = operator_shares(policy, journey)
        session.add(
            RatedJourney(
                card_id=card_id,
                service_date=service_date,
                journey_seq=seq,
                fare_minor=journey.fare_minor,
                operator_shares=shares,
                charged_minor=journey.fare_minor,
                charged_shares=shares,
                explanation=journey_data(policy, journey),
            )
        )


def _booked(session: Session, card: Card, service_date: date) -> int:
    """What the ledger already holds for the card-day: the sum of its fare transactions on the card."""
    query = (
        select(func.coalesce(func.sum(Posting.amount_minor), 0))
        .join(Transaction, Posting.transaction_id == Transaction.id)
        .join(Account, Posting.account_id == Account.id)
        .where(
            Account.code == card.account_code,
            Transaction.kind == TransactionKind.FARE,
            Transaction.reference == card_day_reference(card.id, service_date),
        )
    )
    return int(session.scalars(query).one())


def _reason(new: Sequence[TapRecord], card_day: CardDay, closed: bool) -> str:
    """Why the card-day is re-rated: its day closing, a tap arriving for a card-day already charged
    beyond it (or already closed), or simply new taps."""
    if not new:
        return END_OF_DAY
    through = card_day.charged_through
    late = [t for t in new if closed or (through is not None and _when(t) < through)]
    if not late:
        return "fare"
    more = f" (and {len(late) - 1} more)" if len(late) > 1 else ""
    first = min(late, key=lambda t: (_when(t), t.device_id, t.seq or 0))
    return f"re-rating: late tap {first.label}{more}"


def _when(tap: TapRecord) -> datetime:
    """The time of a tap assigned to a card-day (screening set it)."""
    if tap.tapped_at is None:
        raise ValueError(f"tap {tap.label} has no time: it was never assigned to a card-day")
    return tap.tapped_at
