"""Property: rating a batch's card-days as one set books exactly what rating them one card-day at a time
books. Two fresh databases get the same history; then the same taps arrive, in the first as one batch
touching many card-days (several cards, several days, days of one card re-capping each other under a
monthly cap), in the second as one batch per card-day in (card, date) order. Everything must then be
the same: each card-day's fare transactions (amount, reason, instant, in order), the card-days, the rated
journeys and each tap's status. SQLite in memory, a fresh pair of databases per example.

Under `mashhad-distance` with the adult monthly cap lowered to 70,000 (the daily cap stays 60,000), a card
riding three buses a day (20,000 each) reaches the month's cap on its second day, so a tap arriving late
for an earlier day re-caps the later ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from shahr.backoffice import cards
from shahr.backoffice.ingest import ingest_batch
from shahr.backoffice.rating import Booking, close_service_day
from shahr.backoffice.tables import Transaction, TransactionKind
from shahr.backoffice.taps import CardDay, RatedJourney, TapRecord
from shahr.db import Base, make_engine, session_factory
from shahr.fares.load import Policy, parse_policy
from shahr.network import Network
from tests.backoffice.test_ingest import TEHRAN, at

DAYS = (date(2025, 10, 4), date(2025, 10, 5), date(2025, 10, 6))
"""Three days of one Jalali month (Mehr 1404)."""
CARDS = 3
RIDES = (
    ("07:30", "on", "b_vakilabad", "T01"),
    ("08:10", "off", "b_haram", "T01"),
    ("12:00", "on", "st_kowsar", None),
    ("12:20", "off", "st_shariati", None),
    ("18:00", "on", "b_vakilabad", "T01"),
    ("18:40", "off", "b_haram", "T01"),
)
TAPS = [(card, day, ride) for card in range(CARDS) for day in range(len(DAYS)) for ride in range(len(RIDES))]
"""Every tap the cards could make: (card, day, ride), its seq its index."""
NOW = datetime.combine(DAYS[-1] + timedelta(days=2), datetime.min.time(), tzinfo=TEHRAN)
"""Every upload arrives after the last day ended, so days can be closed between uploads."""


def low_monthly_cap() -> Policy:
    text = (resources.files("shahr.fares") / "presets" / "mashhad-distance.toml").read_text(encoding="utf-8")
    monthly = "monthly = { adult = 1000000,"
    assert monthly in text
    return parse_policy(text.replace(monthly, "monthly = { adult = 70000,"), source="low monthly cap")


POLICY = low_monthly_cap()


def payload(index: int, card_ids: list[str]) -> dict[str, Any]:
    card, day, ride = TAPS[index]
    clock, kind, stop, route = RIDES[ride]
    raw: dict[str, Any] = {
        "seq": index,
        "card_id": card_ids[card],
        "kind": kind,
        "tapped_at": at(clock, DAYS[day]),
        "stop_id": stop,
    }
    return raw | ({"route_id": route} if route else {})


@st.composite
def plans(draw: st.DrawFn) -> tuple[list[int], list[int], list[int]]:
    """Taps uploaded first (the same way to both databases), days closed then, and the taps that follow
    (some of them re-sent)."""
    indices = st.sampled_from(range(len(TAPS)))
    before = draw(st.lists(indices, unique=True, max_size=30))
    closed = draw(st.lists(st.sampled_from(range(len(DAYS))), unique=True, max_size=2))
    after = draw(st.lists(indices, unique=True, min_size=1, max_size=40))
    return before, closed, after


@contextmanager
def fresh_database() -> Iterator[tuple[Session, list[str]]]:
    engine = make_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    try:
        with session_factory(engine)() as session:
            yield session, [cards.create_card(session, "adult").id for _ in range(CARDS)]
    finally:
        engine.dispose()


def upload(session: Session, network: Network, indices: list[int], card_ids: list[str]) -> list[Booking]:
    taps = [payload(i, card_ids) for i in indices]
    return list(ingest_batch(session, "gate", taps, policy=POLICY, network=network, now=NOW).bookings)


def one_card_day_at_a_time(
    session: Session, network: Network, indices: list[int], card_ids: list[str]
) -> list[Booking]:
    by_day: dict[tuple[str, int], list[int]] = {}
    for i in indices:
        card, day, _ = TAPS[i]
        by_day.setdefault((card_ids[card], day), []).append(i)
    return [booking for key in sorted(by_day) for booking in upload(session, network, by_day[key], card_ids)]


def state(session: Session, card_ids: list[str], bookings: list[Booking]) -> dict[str, Any]:
    """Everything rating leaves behind, with the cards named by their number (ids differ per database)."""
    number = {card_id: str(n) for n, card_id in enumerate(card_ids)}

    def named(text: str | None) -> str | None:
        for card_id, n in number.items():
            text = text.replace(card_id, f"card{n}") if text is not None else None
        return text

    fares = session.scalars(
        select(Transaction).where(Transaction.kind == TransactionKind.FARE).order_by(Transaction.id)
    )
    days = session.scalars(select(CardDay))
    journeys = session.scalars(select(RatedJourney))
    return {
        "transactions": sorted(
            (
                named(t.reference),
                [(named(p.account.code), p.amount_minor) for p in t.postings],
                t.reason,
                t.id,
            )
            for t in fares
        ),
        "card_days": sorted(
            (number[d.card_id], d.service_date, d.charged_through, d.fares_minor, d.total_minor)
            + (d.capped_by, d.closed)
            for d in days
        ),
        "journeys": sorted(
            (number[j.card_id], j.service_date, j.journey_seq, j.fare_minor, j.charged_minor)
            + (j.operator_shares, j.charged_shares, j.explanation["legs"])
            for j in journeys
        ),
        "taps": sorted(
            (t.seq, t.status, t.reason_code, t.service_date) for t in session.scalars(select(TapRecord))
        ),
        "bookings": sorted(
            (number[b.card_id], b.service_date, b.amount_minor, b.total_minor, b.reason) for b in bookings
        ),
    }


def in_card_day_order(transactions: list[Any]) -> list[Any]:
    """Each card-day's fare transactions in booking order, without their ids (the databases interleave
    card-days differently)."""
    ranked = sorted(transactions, key=lambda t: (t[0], t[3]))
    return [t[:3] for t in ranked]


@settings(max_examples=40, deadline=None)
@given(plan=plans())
def test_a_batch_books_what_rating_one_card_day_at_a_time_books(
    plan: tuple[list[int], list[int], list[int]], mashhad_network: Network
) -> None:
    before, closed, after = plan
    seen = []
    for rate in (upload, one_card_day_at_a_time):
        with fresh_database() as (session, card_ids):
            if before:
                upload(session, mashhad_network, before, card_ids)
            for day in closed:
                close_service_day(session, DAYS[day], policy=POLICY, network=mashhad_network, now=NOW)
            bookings = rate(session, mashhad_network, after, card_ids)
            found = state(session, card_ids, bookings)
            found["transactions"] = in_card_day_order(found["transactions"])
            seen.append(found)
    batch, one_by_one = seen
    assert batch == one_by_one
