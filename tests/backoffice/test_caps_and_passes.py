"""Caps and passes in the back office: what a card pays for its days, on SQLite and PostgreSQL.

Fares on the demo feed under mashhad-distance (see test_rating.py): a trunk bus T01 ride b_vakilabad ->
b_haram is 20,000 (a bus alone charges no distance); a metro ride st_kowsar -> st_shariati 22,000.
mashhad-distance caps an adult's day at 60,000 and a Jalali month at 1,000,000; it sells `pass-1`
(prepaid, 50,000), `pass-30` (prepaid, 800,000) and `pass-30-postpaid` (800,000).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.backoffice import cards, ledger
from shahr.backoffice.clearing import clearing_report
from shahr.backoffice.errors import CardNotUsable, InsufficientBalance, InvalidCommand, PassOverlap
from shahr.backoffice.ingest import ingest_batch
from shahr.backoffice.passes import buy_pass
from shahr.backoffice.rating import close_service_day
from shahr.backoffice.tables import Transaction, TransactionKind
from shahr.backoffice.taps import CardDay, RatedJourney
from shahr.fares.load import Policy, parse_policy
from shahr.network import Network
from tests.backoffice.test_ingest import DAY, TEHRAN, at

MORNING = datetime(2025, 10, 5, 6, 0, tzinfo=TEHRAN)


def bus_ride(card_id: str, seq: int, clock: str, day: date = DAY) -> list[dict[str, Any]]:
    """A T01 ride b_vakilabad -> b_haram boarding at `clock` (40 minutes): 20,000 for an adult."""
    off = (datetime.strptime(clock, "%H:%M") + timedelta(minutes=40)).strftime("%H:%M")
    common = {"card_id": card_id, "route_id": "T01"}
    return [
        common | {"seq": seq, "kind": "on", "tapped_at": at(clock, day), "stop_id": "b_vakilabad"},
        common | {"seq": seq + 1, "kind": "off", "tapped_at": at(off, day), "stop_id": "b_haram"},
    ]


def metro_ride(card_id: str, seq: int, clock: str) -> list[dict[str, Any]]:
    """st_kowsar -> st_shariati, 6.4 km within the 10 km base: 22,000 for an adult."""
    off = (datetime.strptime(clock, "%H:%M") + timedelta(minutes=20)).strftime("%H:%M")
    return [
        {"seq": seq, "card_id": card_id, "kind": "on", "tapped_at": at(clock), "stop_id": "st_kowsar"},
        {"seq": seq + 1, "card_id": card_id, "kind": "off", "tapped_at": at(off), "stop_id": "st_shariati"},
    ]


def upload(
    session: Session,
    policy: Policy,
    network: Network,
    device: str,
    taps: list[dict[str, Any]],
    day: date = DAY,
) -> None:
    now = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=TEHRAN)  # midnight after
    ingest_batch(session, device, taps, policy=policy, network=network, now=now)


def paid(session: Session, card_id: str) -> int:
    """What the card paid in fares and passes (it was topped up with `TOP_UP`)."""
    return TOP_UP - ledger.balance(session, f"card:{card_id}")


TOP_UP = 1_000_000


def new_card(session: Session, category: str = "adult") -> str:
    card = cards.create_card(session, category, birth_date=date(2010, 1, 1) if category == "youth" else None)
    cards.top_up(session, card.id, TOP_UP, key=f"top-up-{card.id}", at=MORNING - timedelta(days=30))
    return card.id


def variant(find: str, replace: str) -> Policy:
    text = (resources.files("shahr.fares") / "presets" / "mashhad-distance.toml").read_text(encoding="utf-8")
    assert find in text
    return parse_policy(text.replace(find, replace), source=f"mashhad-distance with {replace!r}")


def day_charged(session: Session, card_id: str, day: date = DAY) -> tuple[int, int]:
    """The card-day's (fares, charged): its journeys may still be open (the day not closed)."""
    row = session.get(CardDay, (card_id, day))
    assert row is not None
    return row.fares_minor, row.total_minor


def journeys_charged(session: Session, card_id: str, day: date = DAY) -> list[tuple[int, int]]:
    rows = session.scalars(
        select(RatedJourney)
        .where(RatedJourney.card_id == card_id, RatedJourney.service_date == day)
        .order_by(RatedJourney.journey_seq)
    )
    return [(row.fare_minor, row.charged_minor) for row in rows]


def test_the_daily_cap_limits_a_day_and_the_journey_that_reaches_it_pays_part(
    session: Session, mashhad_distance: Policy, mashhad_network: Network
) -> None:
    card = new_card(session)
    taps = metro_ride(card, 1, "07:00") + bus_ride(card, 3, "09:00") + bus_ride(card, 5, "13:00")
    taps += bus_ride(card, 7, "17:00")
    upload(session, mashhad_distance, mashhad_network, "dev-1", taps)
    close_service_day(
        session, DAY, policy=mashhad_distance, network=mashhad_network, now=MORNING + timedelta(1)
    )
    # Fares 22,000 + 3 x 20,000 = 82,000; the adult daily cap is 60,000: 22,000, 20,000, 18,000, 0.
    assert paid(session, card) == 60_000
    assert journeys_charged(session, card) == [
        (22_000, 22_000),
        (20_000, 20_000),
        (20_000, 18_000),
        (20_000, 0),
    ]
    day = session.get(CardDay, (card, DAY))
    assert day is not None and (day.fares_minor, day.total_minor, day.capped_by) == (
        82_000,
        60_000,
        "daily cap",
    )
    report = clearing_report(session, DAY)
    # Operators are paid what the card paid: 60,000, and the report says 22,000 was capped off.
    assert (report.total_minor, report.card_debits_minor, report.capped_minor) == (60_000, 60_000, 22_000)
    assert report.journeys_fare_minor == 82_000
    assert ledger.is_balanced(session)


def test_a_late_tap_on_an_earlier_day_re_caps_the_rest_of_the_month(
    session: Session, mashhad_network: Network
) -> None:
    policy = variant(
        "monthly = { adult = 1000000,", "monthly = { adult = 50000,"
    )  # adult: 50,000 a month, 60,000 a day
    card = new_card(session)
    upload(session, policy, mashhad_network, "dev-1", bus_ride(card, 1, "07:00") + bus_ride(card, 3, "17:00"))
    next_day = DAY + timedelta(days=1)
    upload(session, policy, mashhad_network, "dev-2", bus_ride(card, 1, "08:00", next_day), next_day)
    # 5 Oct: 40,000 (the month had 50,000 left); 6 Oct: 20,000 fare, 10,000 left of the month.
    assert paid(session, card) == 50_000
    assert day_charged(session, card, next_day) == (20_000, 10_000)
    # A device offline since the 5th sends a third ride of that day: the 5th now has 60,000 of fares,
    # charged 50,000 (the whole month); the 6th has nothing left: its 10,000 is given back.
    upload(session, policy, mashhad_network, "dev-3", bus_ride(card, 1, "12:00"), next_day)
    assert paid(session, card) == 50_000
    assert day_charged(session, card) == (60_000, 50_000)
    assert day_charged(session, card, next_day) == (20_000, 0)
    assert _fare_transactions(session, card)[-2:] == [
        # The 5th's third ride (before its 17:00 ride: a late tap), up to the month's 50,000.
        (10_000, "re-rating: late tap device dev-3 seq 1 (and 1 more)"),
        (-10_000, "re-capping after a change on 2025-10-05"),
    ]
    # 1 Aban (23 Oct) starts a new Jalali month: the full fare again.
    aban = date(2025, 10, 23)
    upload(session, policy, mashhad_network, "dev-4", bus_ride(card, 1, "08:00", aban), aban)
    assert day_charged(session, card, aban) == (20_000, 20_000)
    assert ledger.is_balanced(session)


def _fare_transactions(session: Session, card_id: str) -> list[tuple[int, str]]:
    """The card's fare transactions in booking order: (amount debited to the card, reason)."""
    rows = session.scalars(
        select(Transaction).where(Transaction.kind == TransactionKind.FARE).order_by(Transaction.id)
    )
    return [
        (posting.amount_minor, transaction.reason)
        for transaction in rows
        for posting in transaction.postings
        if posting.account.code == f"card:{card_id}"
    ]


def test_a_prepaid_pass_is_paid_from_stored_value_and_its_days_ride_free(
    session: Session, mashhad_distance: Policy, mashhad_network: Network
) -> None:
    card = new_card(session)
    receipt = buy_pass(session, mashhad_distance, card, "pass-30", DAY, key="k1", at=MORNING)
    # 30 days from 5 Oct 2025: to 3 Nov 2025.
    assert (receipt.last_day, receipt.paid_minor, receipt.balance_minor) == (
        date(2025, 11, 3),
        800_000,
        200_000,
    )
    upload(
        session,
        mashhad_distance,
        mashhad_network,
        "dev-1",
        metro_ride(card, 1, "07:00") + bus_ride(card, 3, "09:00"),
    )
    assert paid(session, card) == 800_000
    assert day_charged(session, card) == (42_000, 0)
    day = session.get(CardDay, (card, DAY))
    assert day is not None and day.capped_by == "30-day pass"
    # The same key again: the first answer, nothing booked.
    again = buy_pass(
        session, mashhad_distance, card, "pass-30", DAY, key="k1", at=MORNING + timedelta(hours=1)
    )
    assert again.replayed and again.pass_id == receipt.pass_id and paid(session, card) == 800_000
    close_service_day(
        session, DAY, policy=mashhad_distance, network=mashhad_network, now=MORNING + timedelta(1)
    )
    report = clearing_report(session, DAY)
    assert (report.pass_sales, report.pass_sales_minor) == (1, 800_000)
    assert (report.total_minor, report.card_debits_minor, report.capped_minor) == (0, 0, 42_000)
    assert ledger.balance(session, ledger.PASS_SALES) == 800_000
    assert ledger.is_balanced(session)


def test_a_day_pass_bought_after_riding_gives_the_day_s_fares_back(
    session: Session, mashhad_distance: Policy, mashhad_network: Network
) -> None:
    card = new_card(session)
    upload(session, mashhad_distance, mashhad_network, "dev-1", bus_ride(card, 1, "07:00"))
    assert paid(session, card) == 20_000
    receipt = buy_pass(
        session, mashhad_distance, card, "pass-1", DAY, key="k1", at=MORNING + timedelta(hours=4)
    )
    # 20,000 given back, 50,000 paid: 50,000 in all.
    assert (receipt.rebooked_minor, receipt.paid_minor) == (-20_000, 50_000)
    assert paid(session, card) == 50_000
    assert day_charged(session, card) == (20_000, 0)


def test_a_postpaid_pass_caps_its_days_at_its_price(session: Session, mashhad_network: Network) -> None:
    policy = variant(
        'payment = "postpaid"\nprice = { adult = 800000,', 'payment = "postpaid"\nprice = { adult = 50000,'
    )
    card = new_card(session)
    receipt = buy_pass(session, policy, card, "pass-30-postpaid", DAY, key="k1", at=MORNING)
    assert (receipt.paid_minor, receipt.price_minor) == (0, 50_000)
    upload(session, policy, mashhad_network, "dev-1", bus_ride(card, 1, "07:00") + bus_ride(card, 3, "09:00"))
    next_day = DAY + timedelta(days=1)
    upload(session, policy, mashhad_network, "dev-2", bus_ride(card, 1, "08:00", next_day), next_day)
    # 40,000 on the 5th; 20,000 on the 6th, of which 10,000 fits under the pass's 50,000.
    assert paid(session, card) == 50_000
    day = session.get(CardDay, (card, next_day))
    assert day is not None and (day.total_minor, day.capped_by) == (10_000, "30-day pass, postpaid")


def test_passes_that_cannot_be_sold(session: Session, mashhad_distance: Policy) -> None:
    card = new_card(session)
    with pytest.raises(InvalidCommand, match="no pass 'pass-7'.*sold: pass-30, pass-30-postpaid, pass-1"):
        buy_pass(session, mashhad_distance, card, "pass-7", DAY, key="a", at=MORNING)
    with pytest.raises(
        InvalidCommand, match="first_day 2025-10-04 must be from today's service date 2025-10-05"
    ):
        buy_pass(session, mashhad_distance, card, "pass-1", DAY - timedelta(days=1), key="b", at=MORNING)
    child = new_card(session, "child")
    with pytest.raises(InvalidCommand, match="not sold to rider category 'child'"):
        buy_pass(session, mashhad_distance, child, "pass-30", DAY, key="c", at=MORNING)
    buy_pass(session, mashhad_distance, card, "pass-30", DAY, key="d", at=MORNING)
    with pytest.raises(PassOverlap, match="already holds '30-day pass' from 2025-10-05 to 2025-11-03"):
        buy_pass(session, mashhad_distance, card, "pass-1", DAY + timedelta(days=29), key="e", at=MORNING)
    # 200,000 left after the 30-day pass: a second one, after the first, is more than the balance.
    with pytest.raises(InsufficientBalance, match="30-day pass of 800000 exceeds the balance of 200000"):
        buy_pass(session, mashhad_distance, card, "pass-30", DAY + timedelta(days=30), key="f", at=MORNING)
    cards.block(session, card)
    with pytest.raises(CardNotUsable, match="buy_pass is not allowed"):
        buy_pass(session, mashhad_distance, card, "pass-1", DAY + timedelta(days=30), key="g", at=MORNING)
