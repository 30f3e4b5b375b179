"""Rating card-days: late taps re-rate the whole card-day and only the difference is booked, with the
reason; closing the service day settles missing tap-offs; rated journeys are kept for statements.

Distances on the demo feed (metro along the rails, buses along their route):
- metro st_vakilabad -> st_airport 22.992 km: 22,000 + 3 steps x 2,000 = 28,000;
- metro st_kowsar -> st_shariati 6.377 km: 22,000 (within the 10 km base);
- trunk bus T01 b_vakilabad -> b_haram 18.233 km: 20,000 (a bus alone charges no distance);
- trunk bus T01 b_shariati -> b_haram 2.687 km.
"""

from __future__ import annotations

from datetime import date, datetime
from importlib import resources

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.backoffice import cards, ledger
from shahr.backoffice.errors import InvalidCommand
from shahr.backoffice.rating import close_service_day
from shahr.backoffice.tables import Transaction, TransactionKind
from shahr.backoffice.taps import CardDay, RatedJourney
from shahr.fares.load import Policy, parse_policy
from shahr.network import Network
from tests.backoffice.test_ingest import DAY, TEHRAN, Ingest, fares, make_ingest, tap

END = datetime(2025, 10, 6, 4, 0, tzinfo=TEHRAN)
"""The demo day's service day ends at 04:00 the next morning."""


@pytest.fixture
def ingest(session: Session, mashhad_distance: Policy, mashhad_network: Network) -> Ingest:
    return make_ingest(session, mashhad_distance, mashhad_network)


@pytest.fixture(scope="module")
def max_fare_metro() -> Policy:
    """mashhad-distance with a metro exit never tapped charged as a 30 km ride: 22,000 + 4 x 2,000."""
    text = (resources.files("shahr.fares") / "presets" / "mashhad-distance.toml").read_text(encoding="utf-8")
    rule = 'route_scope = "mode"\nmissing_tap_off = { rule = "void_transfer" }'
    assert rule in text
    changed = text.replace(
        rule, 'route_scope = "mode"\nmissing_tap_off = { rule = "max_fare", max_distance_km = 30 }'
    )
    return parse_policy(changed, source="mashhad-distance, metro max_fare 30 km")


def fare_reasons(session: Session) -> list[tuple[int, str, datetime]]:
    """Each fare transaction as (amount debited to the card, reason, effective_at), in booking order."""
    rows = session.scalars(
        select(Transaction).where(Transaction.kind == TransactionKind.FARE).order_by(Transaction.id)
    )
    return [(_card_side(t), t.reason, t.effective_at) for t in rows]


def _card_side(transaction: Transaction) -> int:
    return next(p.amount_minor for p in transaction.postings if p.account.code.startswith("card:"))


def test_a_late_tap_off_raising_the_fare_books_the_difference(session: Session, ingest: Ingest) -> None:
    card = cards.create_card(session, "adult").id
    ingest("gate-vak", [tap(1, card, "on", "07:30", "st_vakilabad")])
    ingest(
        "bus-12",
        [tap(1, card, "on", "09:00", "b_vakilabad", "T01"), tap(2, card, "off", "10:10", "b_haram", "T01")],
    )
    # No metro tap-off yet: the bus tap-on voids it (metro 22,000 flat), the bus is a new journey: 20,000.
    assert fares(session, card) == 42_000
    late = ingest("gate-air", [tap(7, card, "off", "08:20", "st_airport")])
    # Metro 28,000; the bus boards 40 minutes after the exit, past the 30 minute window: 20,000 again.
    assert fares(session, card) == 48_000
    assert [(b.amount_minor, b.total_minor, b.reason) for b in late.bookings] == [
        (6_000, 48_000, "re-rating: late tap device gate-air seq 7")
    ]
    assert fare_reasons(session)[-1][2] == datetime.fromisoformat(
        tap(7, card, "off", "08:20", "x")["tapped_at"]
    )
    assert ledger.is_balanced(session)


def test_a_late_tap_off_lowering_the_fare_credits_the_difference(
    session: Session, ingest: Ingest, mashhad_distance: Policy, mashhad_network: Network
) -> None:
    card = cards.create_card(session, "adult").id
    ingest("gate-kow", [tap(1, card, "on", "07:45", "st_kowsar")])
    ingest(
        "bus-17",
        [tap(1, card, "on", "08:12", "b_shariati", "T01"), tap(2, card, "off", "08:25", "b_haram", "T01")],
    )
    assert fares(session, card) == 42_000  # 22,000 metro (exit voided) + 20,000 bus
    late = ingest("gate-sha", [tap(9, card, "off", "08:05", "st_shariati")])
    # With the exit: one journey, metro then bus 7 minutes later, 6.377 + 2.687 = 9.064 km: base 22,000.
    assert [(b.amount_minor, b.reason) for b in late.bookings] == [
        (-20_000, "re-rating: late tap device gate-sha seq 9")
    ]
    assert fares(session, card) == 22_000
    # The journey could still take a transfer: it is kept once closed, here by the end of the day.
    assert session.scalars(select(RatedJourney)).all() == []
    assert close_service_day(session, DAY, policy=mashhad_distance, network=mashhad_network, now=END) == []
    [journey] = session.scalars(select(RatedJourney).where(RatedJourney.card_id == card)).all()
    assert journey.fare_minor == 22_000
    assert sum(journey.operator_shares.values()) == 22_000
    assert [leg["mode"] for leg in journey.explanation["legs"]] == ["metro", "bus"]
    # Booked amounts are never changed: the history reads 22,000, 20,000, -20,000.
    assert [amount for amount, _, _ in fare_reasons(session)] == [22_000, 20_000, -20_000]
    assert ledger.is_balanced(session)


def test_closing_the_day_charges_a_missing_tap_off_by_the_policy_rule(
    session: Session, mashhad_network: Network, max_fare_metro: Policy
) -> None:
    upload = make_ingest(session, max_fare_metro, mashhad_network)
    card = cards.create_card(session, "adult").id
    upload("gate-vak", [tap(1, card, "on", "07:30", "st_vakilabad")])
    assert fares(session, card) == 22_000  # what the gate charged

    with pytest.raises(InvalidCommand, match="too early"):
        close_service_day(
            session, DAY, policy=max_fare_metro, network=mashhad_network, now=END.replace(minute=0, hour=3)
        )
    closing = close_service_day(session, DAY, policy=max_fare_metro, network=mashhad_network, now=END)
    # No exit: charged as a 30 km ride, 22,000 + 4 steps (10-15-20-25-30 km) x 2,000 = 30,000: 8,000 more.
    assert [(b.amount_minor, b.reason) for b in closing] == [(8_000, "end of service day")]
    assert fare_reasons(session)[-1][2] == END
    [journey] = session.scalars(select(RatedJourney)).all()
    assert journey.explanation["legs"][0]["exit_status"] == "assumed_max"
    assert close_service_day(session, DAY, policy=max_fare_metro, network=mashhad_network, now=END) == []

    # The tap-off turns up after the close: 28,000 for the ride as tapped, 2,000 back.
    upload("gate-air", [tap(7, card, "off", "08:20", "st_airport")])
    assert fares(session, card) == 28_000
    assert fare_reasons(session)[-1][:2] == (-2_000, "re-rating: late tap device gate-air seq 7")
    assert session.get(CardDay, (card, DAY)) is not None
    assert ledger.is_balanced(session)


def test_closing_under_void_transfer_charges_nothing_more(
    session: Session, ingest: Ingest, mashhad_distance: Policy, mashhad_network: Network
) -> None:
    card = cards.create_card(session, "adult").id
    ingest("gate-vak", [tap(1, card, "on", "07:30", "st_vakilabad")])
    assert close_service_day(session, DAY, policy=mashhad_distance, network=mashhad_network, now=END) == []
    # The metro exit was never tapped: void_transfer closes the journey as it stood, 22,000 (no distance).
    card_day = session.get(CardDay, (card, DAY))
    assert card_day is not None and (card_day.closed, card_day.total_minor) == (True, 22_000)
    [journey] = session.scalars(select(RatedJourney)).all()
    assert journey.explanation["legs"][0]["exit_status"] == "missing"
    # A first tap for another card after the close is rated closed, and named late.
    other = cards.create_card(session, "adult").id
    result = ingest("bus-12", [tap(4, other, "on", "09:00", "b_vakilabad", "T01")], now=END)
    assert [(b.amount_minor, b.reason) for b in result.bookings] == [
        (20_000, "re-rating: late tap device bus-12 seq 4")
    ]
    assert fares(session, card) == 22_000
    assert ledger.is_balanced(session)


def test_days_are_rated_apart(session: Session, ingest: Ingest) -> None:
    card = cards.create_card(session, "adult").id
    # 02:00 on the 6th belongs to the service day of the 5th; 07:00 on the 6th to the 6th.
    night = {**tap(1, card, "on", "07:30", "st_vakilabad"), "tapped_at": "2025-10-06T02:00:00+03:30"}
    morning = {**tap(2, card, "on", "07:30", "st_vakilabad"), "tapped_at": "2025-10-06T07:00:00+03:30"}
    result = ingest("gate-vak", [night, morning], now=datetime(2025, 10, 6, 8, 0, tzinfo=TEHRAN))
    assert sorted((b.service_date, b.amount_minor) for b in result.bookings) == [
        (DAY, 22_000),
        (date(2025, 10, 6), 22_000),
    ]
