"""Rating card-days with the fare engine and booking what changed.

A card-day is always re-rated whole, from all the taps assigned to it in (tapped_at, device_id, seq)
order, so the answer does not depend on the order taps arrived in. While the service day is open the
taps are folded through `FareEngine.tap` without `close`: the total is what validators would have
charged. Once the day is closed (`close_service_day`), `close` settles open journeys by the policy's
missing-tap-off rule. The ledger is then brought to the new total by one `fare` transaction for the
difference (negative when a late tap lowered the fare): booked amounts are never changed, so the ledger
keeps the history of every re-rating. Taps the engine refuses are quarantined with the anomaly's code;
the next re-rating of their card-day looks at them again.

The card-days of a batch are rated as one set, for throughput: the batch's cards are locked in one
`SELECT ... FOR UPDATE` in id order (concurrent batches sharing cards lock them in the same order, so they
cannot deadlock), then their card-days, taps, passes and booked amounts are read in a few grouped
queries, each card-day is folded and capped in memory in (card, date) order exactly as rating them one
at a time would (a day's monthly cap or postpaid pass sees the days rated before it in the same batch),
and what changed is written back in bulk: one statement per table, the fares through `ledger.post_many`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from sqlalchemy import Row, and_, delete, func, insert, literal, or_, select, union_all, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from shahr.backoffice import ledger
from shahr.backoffice.errors import ServiceDayNotEnded
from shahr.backoffice.tables import Card, CardPass, Posting, Transaction, TransactionKind, card_account_code
from shahr.backoffice.taps import CardDay, RatedJourney, ServiceDay, TapIn, TapRecord, TapStatus, tap_label
from shahr.fares.apportion import apportion, operator_shares
from shahr.fares.capping import Calendar, HeldPass, cap_day, limits, month_of, split_charge
from shahr.fares.engine import CardState, FareEngine
from shahr.fares.explain import journey_data
from shahr.fares.load import Policy
from shahr.fares.model import Journey, Tap
from shahr.fares.network import FareNetwork

END_OF_DAY = "end of service day"
CLOSE_CHUNK = 500
"""Cards rated together when a service day closes: a city's day is rated in sets this large, so the
memory a set takes stays small. The sets follow the database's order of card ids, the order every run
locks its cards in, so a close and concurrent uploads lock shared cards in the same order."""

Verdict = tuple[TapStatus, str | None, str | None]
"""A tap's status, reason code and reason detail, as the engine's last rating left them."""
DayKey = tuple[str, date]
"""(card_id, service_date)."""


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


@dataclass(frozen=True, slots=True)
class _Card:
    """What rating needs of a locked card."""

    id: str
    rider_category: str
    medium: str
    account_id: int


@dataclass(slots=True)
class _Day:
    """A card-day as read (or new) and as changed in memory; written back once, at the end of the run."""

    service_date: date
    charged_through: datetime | None = None
    fares_minor: int = 0
    total_minor: int = 0
    capped_by: str | None = None
    closed: bool = False
    stored: tuple[Any, ...] | None = None
    """`columns()` as read; None for a card-day this run creates."""
    journeys: list[dict[str, Any]] | None = None
    """Its rated journeys when this run re-rated the day; None: the stored ones stand."""

    def columns(self) -> tuple[Any, ...]:
        return (self.charged_through, self.fares_minor, self.total_minor, self.capped_by, self.closed)

    def recharged(self) -> bool:
        """A stored card-day whose charge this run changed without re-rating it (a re-capping)."""
        return self.journeys is None and self.stored is not None and self.stored[2] != self.total_minor


_DAY_COLUMNS = ("charged_through", "fares_minor", "total_minor", "capped_by", "closed")


@dataclass(slots=True)
class _CardDays:
    """One card in a run: its passes, its days from `first` to `last` (every day the run may charge, and
    those between), and what its days before `first` were charged, from each day a cap or pass counts
    from (`paid_before`). Days before `first` are never changed by the run."""

    card: _Card
    passes: list[HeldPass]
    first: date
    last: date
    days: dict[date, _Day] = field(default_factory=dict)
    booked: dict[date, int] = field(default_factory=dict)
    """What the ledger holds for each day the run may charge, kept up to date as it books differences."""
    paid_before: dict[date, int] = field(default_factory=dict)

    def held(self, service_date: date) -> list[HeldPass]:
        """The passes the card holds that cover `service_date`."""
        return [held for held in self.passes if held.covers(service_date)]

    def paid(self, since: date, before: date) -> int:
        """What the card's days from `since` up to (not including) `before` were charged, as now."""
        earlier = self.paid_before[since] if since < self.first else 0
        start = max(since, self.first)
        return earlier + sum(day.total_minor for when, day in self.days.items() if start <= when < before)

    def later(self, service_date: date, horizon: date) -> list[_Day]:
        """The card's days after `service_date` up to `horizon`, in date order."""
        return [self.days[when] for when in sorted(self.days) if service_date < when <= horizon]


@dataclass(frozen=True, slots=True)
class _Charge:
    """A difference to book for a card-day, before it has a transaction id."""

    card_id: str
    service_date: date
    amount_minor: int
    total_minor: int
    reason: str
    at: datetime


@dataclass(slots=True)
class _Run:
    """What a run changed besides the card-days: tap verdicts (only those that changed) and charges."""

    verdicts: dict[int, Verdict] = field(default_factory=dict)
    charges: list[_Charge] = field(default_factory=list)


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
    """Re-rate every card-day `taps` were assigned to (taps not assigned are skipped), as one set."""
    by_day: dict[DayKey, list[TapRecord]] = {}
    for tap in taps:
        if tap.card_id is not None and tap.service_date is not None:
            by_day.setdefault((tap.card_id, tap.service_date), []).append(tap)
    return _rate_set(session, FareEngine(policy, network), by_day)


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
        .order_by(TapRecord.card_id)
    ).all()
    engine = FareEngine(policy, network)
    bookings: list[Booking] = []
    ordered = list(filter(None, card_ids))  # the database's order, as `_lock_cards` locks them
    for start in range(0, len(ordered), CLOSE_CHUNK):
        chunk = ordered[start : start + CLOSE_CHUNK]
        bookings += _rate_set(session, engine, {(card_id, service_date): () for card_id in chunk})
    return bookings


def recap(
    session: Session, policy: Policy, card: Card, first: date, last: date, *, reason: str, at: datetime
) -> list[Booking]:
    """Apply the caps and passes again to the card's rated days from `first` to `last`, in date order
    (each day's monthly or postpaid allowance depends on the days before it), booking what changed."""
    if last < first:
        return []
    passes = _read_passes(session, [card.id], first).get(card.id, [])
    book = _CardDays(_Card(card.id, card.rider_category, card.medium, card.account_id), passes, first, last)
    _read_days(session, policy, {card.id: book}, set())
    run = _Run()
    for day in book.later(first - timedelta(days=1), last):
        _charge(policy, book, day, reason, at, run)
    _write(session, {card.id: book}, run)
    return _book_charges(session, run.charges)


def cap_horizon(session: Session, policy: Policy, card: Card, service_date: date) -> date:
    """The last day whose cap depends on what `service_date` is charged: the end of its month when the
    card's category has a monthly cap, the last day of a postpaid pass covering it; else the day itself."""
    held = _read_passes(session, [card.id], service_date).get(card.id, [])
    return _horizon(policy, card.rider_category, [h for h in held if h.covers(service_date)], service_date)


def held_pass(row: CardPass) -> HeldPass:
    payment: Literal["prepaid", "postpaid"] = "prepaid" if row.payment == "prepaid" else "postpaid"
    return HeldPass(row.name, payment, row.first_day, row.last_day, row.price_minor)


# -- a run: read, rate in memory, write ------------------------------------------------------------


def _rate_set(
    session: Session, engine: FareEngine, work: Mapping[DayKey, Sequence[TapRecord]]
) -> list[Booking]:
    """Rate the card-days of `work`, each with the taps newly assigned to it (none: its day is closing),
    in (card, date) order, each followed by the re-capping of the card's later days it affects."""
    if not work:
        return []
    policy = engine.policy
    cards = _lock_cards(session, {card_id for card_id, _ in work})
    dates = {service_date for _, service_date in work}
    books = _plan(policy, cards, _read_passes(session, cards, min(dates)), work)
    _read_days(session, policy, books, set(work))
    closed = set(session.scalars(select(ServiceDay.service_date).where(ServiceDay.service_date.in_(dates))))
    taps = _read_taps(session, work)
    run = _Run()
    for card_id, service_date in sorted(work):
        records = taps.get((card_id, service_date), [])
        book = books[card_id]
        _rate_day(
            engine, book, service_date, work[card_id, service_date], records, service_date in closed, run
        )
    _write(session, books, run)
    return _book_charges(session, run.charges)


def _rate_day(
    engine: FareEngine,
    book: _CardDays,
    service_date: date,
    new: Sequence[TapRecord],
    records: Sequence[Row[Any]],
    closed: bool,
    run: _Run,
) -> None:
    """Re-rate one card-day after `new` taps were assigned to it, charge the difference, then re-cap the
    card's later days whose caps depend on it (a monthly cap, a postpaid pass)."""
    policy = engine.policy
    day = book.days.setdefault(service_date, _Day(service_date))
    reason = _reason(new, day.charged_through, closed)
    fares, journeys, verdicts = _fold(engine, book.card, records, closed)
    for record, verdict in zip(records, verdicts, strict=True):
        if verdict != (record.status, record.reason_code, record.reason_detail):
            run.verdicts[record.id] = verdict
    day.journeys = [_journey_row(policy, journey) for journey in journeys]
    accepted = (r.tapped_at for r, v in zip(records, verdicts, strict=True) if v[0] is TapStatus.ACCEPTED)
    day.charged_through = max(accepted, default=None)
    day.fares_minor = fares
    day.closed = closed
    when = service_day_end(policy, service_date) if not new else max(map(_when, new))
    _charge(policy, book, day, reason, when, run)
    horizon = _horizon(policy, book.card.rider_category, book.held(service_date), service_date)
    for later in book.later(service_date, horizon):
        _charge(policy, book, later, f"re-capping after a change on {service_date.isoformat()}", when, run)


def _charge(policy: Policy, book: _CardDays, day: _Day, reason: str, at: datetime, run: _Run) -> None:
    """Cap the card-day's fares and record the difference to what the ledger holds for it, to book."""
    tariff = policy.version_for(day.service_date)
    category = book.card.rider_category
    paid_in_month = 0
    if category in tariff.caps.monthly:
        paid_in_month = book.paid(_month(day.service_date, tariff.caps.month_calendar)[0], day.service_date)
    held = [
        (h, book.paid(h.first_day, day.service_date) if h.payment == "postpaid" else 0)
        for h in book.held(day.service_date)
    ]
    day_limits = limits(tariff, category, day.service_date, paid_in_month_before=paid_in_month, passes=held)
    capped = cap_day(day.fares_minor, day_limits)
    day.total_minor = capped.charged_minor
    day.capped_by = capped.binding.product if capped.binding is not None else None
    difference = capped.charged_minor - book.booked.get(day.service_date, 0)
    if difference != 0:
        book.booked[day.service_date] = capped.charged_minor
        run.charges.append(
            _Charge(book.card.id, day.service_date, difference, capped.charged_minor, reason, at)
        )


def _horizon(policy: Policy, category: str, held: Iterable[HeldPass], service_date: date) -> date:
    """The last day whose cap depends on `service_date`'s charge (see `cap_horizon`); `held`: the passes
    covering the day."""
    tariff = policy.version_for(service_date)
    ends = [service_date]
    if category in tariff.caps.monthly:
        ends.append(_month(service_date, tariff.caps.month_calendar)[1])
    ends += [h.last_day for h in held if h.payment == "postpaid"]
    return max(ends)


def _counts_from(policy: Policy, category: str, held: Iterable[HeldPass], service_date: date) -> list[date]:
    """The days a cap or pass of `service_date` counts what was paid from: its month's first day (a
    monthly cap), a postpaid pass's first day."""
    tariff = policy.version_for(service_date)
    starts = [h.first_day for h in held if h.payment == "postpaid"]
    if category in tariff.caps.monthly:
        starts.append(_month(service_date, tariff.caps.month_calendar)[0])
    return starts


@lru_cache(maxsize=4096)
def _month(service_date: date, calendar: Calendar) -> tuple[date, date]:
    """`capping.month_of`, remembered: its Jalali conversion is slow (a locale lookup per call), and a
    batch asks about the same few days for every card."""
    return month_of(service_date, calendar)


# -- folding ---------------------------------------------------------------------------------------


def _fold(
    engine: FareEngine, card: _Card, records: Sequence[Row[Any]], closed: bool
) -> tuple[int, list[Journey], list[Verdict]]:
    """The card-day's taps through the engine: the sum of the step charges, the journeys closed, and
    each tap's verdict."""
    state = CardState()
    total = 0
    journeys: list[Journey] = []
    verdicts: list[Verdict] = []
    for record in records:
        step = engine.tap(state, _engine_tap(record, card))
        refusal = next((anomaly for anomaly in step.anomalies if anomaly.rejects_tap), None)
        if refusal is None:
            verdicts.append((TapStatus.ACCEPTED, None, None))
        else:
            verdicts.append((TapStatus.QUARANTINED, refusal.code.value, refusal.detail))
        state = step.state
        total += step.charge_minor
        journeys += step.closed
    if closed:
        end = engine.close(state)
        total += end.charge_minor
        journeys += end.closed
    return total, journeys, verdicts


def _engine_tap(record: Row[Any], card: _Card) -> Tap:
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
        tap_id=tap_label(record.device_id, record.seq),
    )


def _journey_row(policy: Policy, journey: Journey) -> dict[str, Any]:
    """A rated journey's columns but its key and what it was charged (set once the day's caps are)."""
    return {
        "fare_minor": journey.fare_minor,
        "operator_shares": operator_shares(policy, journey),
        "explanation": journey_data(policy, journey),
    }


def _reason(new: Sequence[TapRecord], through: datetime | None, closed: bool) -> str:
    """Why the card-day is re-rated: its day closing, a tap arriving for a card-day already charged
    beyond it (`through`, or already closed), or simply new taps."""
    if not new:
        return END_OF_DAY
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


# -- reading ---------------------------------------------------------------------------------------


def _lock_cards(session: Session, card_ids: set[str]) -> dict[str, _Card]:
    """The cards, locked (PostgreSQL: `FOR UPDATE`) in one statement in id order, so two batches sharing
    cards wait for each other instead of deadlocking."""
    rows = session.execute(
        select(Card.id, Card.rider_category, Card.medium, Card.account_id)
        .where(Card.id.in_(card_ids))
        .order_by(Card.id)
        .with_for_update()
    )
    cards = {row.id: _Card(*row) for row in rows}
    missing = card_ids - cards.keys()
    if missing:
        raise ValueError(f"taps assigned to cards that do not exist: {sorted(missing)[:5]}")
    return cards


def _read_passes(session: Session, card_ids: Iterable[str], since: date) -> dict[str, list[HeldPass]]:
    """The cards' passes that cover `since` or a later day."""
    rows = session.scalars(
        select(CardPass).where(CardPass.card_id.in_(list(card_ids)), CardPass.last_day >= since)
    )
    passes: dict[str, list[HeldPass]] = {}
    for row in rows:
        passes.setdefault(row.card_id, []).append(held_pass(row))
    return passes


def _plan(
    policy: Policy,
    cards: Mapping[str, _Card],
    passes: Mapping[str, list[HeldPass]],
    work: Iterable[DayKey],
) -> dict[str, _CardDays]:
    """Each card's span of days a run over `work` may charge: from its first day in `work` to the
    furthest day a cap or pass of one of its days reaches."""
    dates: dict[str, list[date]] = {}
    for card_id, service_date in work:
        dates.setdefault(card_id, []).append(service_date)
    books = {}
    for card_id, card_dates in dates.items():
        card = cards[card_id]
        held = passes.get(card_id, [])
        last = max(
            _horizon(policy, card.rider_category, [h for h in held if h.covers(d)], d) for d in card_dates
        )
        books[card_id] = _CardDays(card, held, min(card_dates), last)
    return books


def _read_days(session: Session, policy: Policy, books: Mapping[str, _CardDays], work: set[DayKey]) -> None:
    """Fill each card's days from `first` to `last`, what the ledger holds for each day it may charge
    (those and the days of `work`), and what its days before `first` were charged."""
    spans: dict[tuple[date, date], list[str]] = {}
    for card_id, book in books.items():
        spans.setdefault((book.first, book.last), []).append(card_id)
    columns = [getattr(CardDay, name) for name in _DAY_COLUMNS]
    query = select(CardDay.card_id, CardDay.service_date, *columns).where(
        or_(
            *(
                and_(CardDay.card_id.in_(ids), CardDay.service_date.between(first, last))
                for (first, last), ids in spans.items()
            )
        )
    )
    for card_id, service_date, *stored in session.execute(query):
        day = _Day(service_date, *stored)
        day.stored = day.columns()
        books[card_id].days[service_date] = day
    keys = {(card_id, when) for card_id, book in books.items() for when in book.days} | work
    _read_booked(session, books, keys)
    _read_paid_before(session, policy, books, work)


def _read_booked(session: Session, books: Mapping[str, _CardDays], keys: set[DayKey]) -> None:
    """What the ledger holds for each card-day of `keys`: the sum of its fare transactions' postings on
    its card, in one grouped query by reference (indexed)."""
    references = {card_day_reference(card_id, when): (card_id, when) for card_id, when in keys}
    rows = session.execute(
        select(Transaction.reference, Posting.account_id, func.sum(Posting.amount_minor))
        .join(Posting, Posting.transaction_id == Transaction.id)
        .where(Transaction.kind == TransactionKind.FARE, Transaction.reference.in_(list(references)))
        .group_by(Transaction.reference, Posting.account_id)
    )
    for reference, account_id, total in rows:
        card_id, when = references[str(reference)]
        if account_id == books[card_id].card.account_id:
            books[card_id].booked[when] = int(total)


def _read_paid_before(
    session: Session, policy: Policy, books: Mapping[str, _CardDays], work: set[DayKey]
) -> None:
    """What each card's days before its `first` were charged, counted from each day a cap or pass of a
    day the run may charge counts from: one grouped sum per distinct (from, first) pair, in one query."""
    rated: dict[str, set[date]] = {}
    for card_id, when in work:
        rated.setdefault(card_id, set()).add(when)
    wanted: dict[tuple[date, date], set[str]] = {}
    for card_id, book in books.items():
        for when in set(book.days) | rated.get(card_id, set()):
            for since in _counts_from(policy, book.card.rider_category, book.held(when), when):
                if since < book.first:
                    wanted.setdefault((since, book.first), set()).add(card_id)
    if not wanted:
        return
    spans = list(wanted.items())
    sums = [
        select(literal(index).label("span"), CardDay.card_id, func.sum(CardDay.total_minor))
        .where(CardDay.card_id.in_(ids), CardDay.service_date >= since, CardDay.service_date < first)
        .group_by(CardDay.card_id)
        for index, ((since, first), ids) in enumerate(spans)
    ]
    for (since, _), ids in spans:
        for card_id in ids:
            books[card_id].paid_before[since] = 0
    for index, card_id, total in session.execute(union_all(*sums) if len(sums) > 1 else sums[0]):
        books[card_id].paid_before[spans[index][0][0]] = int(total or 0)


def _read_taps(session: Session, work: Iterable[DayKey]) -> dict[DayKey, list[Row[Any]]]:
    """Every tap assigned to the card-days, in rating order (tapped_at, device_id, seq), in one query."""
    by_date: dict[date, list[str]] = {}
    for card_id, service_date in work:
        by_date.setdefault(service_date, []).append(card_id)
    query = (
        select(
            TapRecord.id,
            TapRecord.card_id,
            TapRecord.service_date,
            TapRecord.device_id,
            TapRecord.seq,
            TapRecord.payload,
            TapRecord.tapped_at,
            TapRecord.status,
            TapRecord.reason_code,
            TapRecord.reason_detail,
        )
        .where(
            or_(
                *(and_(TapRecord.service_date == d, TapRecord.card_id.in_(ids)) for d, ids in by_date.items())
            )
        )
        .order_by(
            TapRecord.card_id, TapRecord.service_date, TapRecord.tapped_at, TapRecord.device_id, TapRecord.seq
        )
    )
    taps: dict[DayKey, list[Row[Any]]] = {}
    for row in session.execute(query):
        taps.setdefault((row.card_id, row.service_date), []).append(row)
    return taps


# -- writing ---------------------------------------------------------------------------------------


def _write(session: Session, books: Mapping[str, _CardDays], run: _Run) -> None:
    """Write back what the run changed: card-days, rated journeys and tap verdicts, a statement each."""
    new_days, changed_days = [], []
    for card_id, book in books.items():
        for day in book.days.values():
            row = {
                "card_id": card_id,
                "service_date": day.service_date,
                **dict(zip(_DAY_COLUMNS, day.columns(), strict=True)),
            }
            if day.stored is None:
                new_days.append(row)
            elif day.stored != day.columns():
                changed_days.append(row)
    if new_days:
        session.execute(insert(CardDay), new_days)
    _update(session, CardDay, changed_days, ("card_id", "service_date"))
    _replace_journeys(session, books)
    _respread_journeys(session, books)
    _update(
        session,
        TapRecord,
        [
            {"id": tap_id, "status": status, "reason_code": code, "reason_detail": detail}
            for tap_id, (status, code, detail) in run.verdicts.items()
        ],
        ("id",),
    )


def _update(session: Session, table: type[Any], rows: list[dict[str, Any]], key: tuple[str, ...]) -> None:
    """Update rows by primary key in one executemany, and show the new values on any object of those
    rows the session holds (as if loaded), so no one reads a stale card-day or tap status."""
    if not rows:
        return
    session.execute(update(table), rows)
    for row in rows:
        found = session.identity_map.get(identity_key(table, tuple(row[name] for name in key)))
        if found is not None:
            for name, value in row.items():
                if name not in key:
                    set_committed_value(found, name, value)


def _replace_journeys(session: Session, books: Mapping[str, _CardDays]) -> None:
    """Replace the rated journeys of the days re-rated (derived data, not money: deleting them is fine),
    each charged its part of the day's charge."""
    rated = [
        (card_id, day)
        for card_id, book in books.items()
        for day in book.days.values()
        if day.journeys is not None
    ]
    if not rated:
        return
    by_date: dict[date, list[str]] = {}
    for card_id, day in rated:
        by_date.setdefault(day.service_date, []).append(card_id)
    session.execute(
        delete(RatedJourney).where(
            or_(
                *(
                    and_(RatedJourney.service_date == d, RatedJourney.card_id.in_(ids))
                    for d, ids in by_date.items()
                )
            )
        )
    )
    rows = []
    for card_id, day in rated:
        journeys = day.journeys or []
        parts = split_charge([journey["fare_minor"] for journey in journeys], day.total_minor)
        for seq, (journey, part) in enumerate(zip(journeys, parts, strict=True), start=1):
            rows.append(
                journey
                | {
                    "card_id": card_id,
                    "service_date": day.service_date,
                    "journey_seq": seq,
                    "charged_minor": part,
                    "charged_shares": _same_or(
                        journey["operator_shares"], _scaled(journey["operator_shares"], part)
                    ),
                }
            )
    if rows:
        session.execute(insert(RatedJourney), rows)


def _respread_journeys(session: Session, books: Mapping[str, _CardDays]) -> None:
    """Spread a new charge over the stored journeys of the days re-capped but not re-rated (their
    journeys' parts follow from their fares and the day's charge, so only a changed charge needs it)."""
    keys = [
        (card_id, day.service_date)
        for card_id, book in books.items()
        for day in book.days.values()
        if day.recharged()
    ]
    if not keys:
        return
    rows = session.execute(
        select(
            RatedJourney.id,
            RatedJourney.card_id,
            RatedJourney.service_date,
            RatedJourney.fare_minor,
            RatedJourney.operator_shares,
            RatedJourney.charged_minor,
            RatedJourney.charged_shares,
        )
        .where(or_(*(and_(RatedJourney.card_id == c, RatedJourney.service_date == d) for c, d in keys)))
        .order_by(RatedJourney.card_id, RatedJourney.service_date, RatedJourney.journey_seq)
    ).all()
    by_day: dict[DayKey, list[Any]] = {}
    for row in rows:
        by_day.setdefault((row.card_id, row.service_date), []).append(row)
    changes = []
    for (card_id, when), journeys in by_day.items():
        parts = split_charge([j.fare_minor for j in journeys], books[card_id].days[when].total_minor)
        for journey, part in zip(journeys, parts, strict=True):
            shares = _same_or(journey.charged_shares, _scaled(journey.operator_shares, part))
            if (part, shares) != (journey.charged_minor, journey.charged_shares):
                changes.append({"id": journey.id, "charged_minor": part, "charged_shares": shares})
    _update(session, RatedJourney, changes, ("id",))


def _same_or(stored: dict[str, int], new: dict[str, int]) -> dict[str, int]:
    """`stored` when `new` holds the same (keys in another order): what is stored is then left as it was,
    as the unit of work leaves an attribute set to an equal value."""
    return stored if new == stored else new


def _scaled(shares: dict[str, int], amount: int) -> dict[str, int]:
    """`amount` split in the proportions of `shares`, in whole rials adding up to it (largest remainder)."""
    operators = sorted(shares)
    parts = apportion(
        np.array([amount], dtype=np.int64),
        np.zeros(len(operators), dtype=np.int64),
        np.array([shares[o] for o in operators], dtype=np.int64),
    )
    return {operator: int(part) for operator, part in zip(operators, parts, strict=True)}


def _book_charges(session: Session, charges: Sequence[_Charge]) -> list[Booking]:
    """Book every difference of the run in one `ledger.post_many`: debit the card, credit
    `clearing:fares` (the reverse when a re-rating lowered the day)."""
    entries = [
        ledger.Entry(
            TransactionKind.FARE,
            [(card_account_code(c.card_id), c.amount_minor), (ledger.CLEARING_FARES, -c.amount_minor)],
            effective_at=c.at,
            reason=c.reason,
            reference=card_day_reference(c.card_id, c.service_date),
        )
        for c in charges
    ]
    ids = ledger.post_many(session, entries)
    return [
        Booking(c.card_id, c.service_date, c.amount_minor, c.total_minor, transaction_id, c.reason)
        for c, transaction_id in zip(charges, ids, strict=True)
    ]
