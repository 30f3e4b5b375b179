"""The rider's statement: movements with the running balance over whole service days, journeys with their
fare's explanation, dates in the Jalali and Gregorian calendars (2025-10-05 is 1404/07/13), Persian digits
on the Persian statement.

The card is topped up 10,000 the day before, 50,000 at 07:00 on the demo day, rides the metro
st_vakilabad -> st_airport 07:30-08:20 (22.992 km: 22,000 + 3 x 2,000 = 28,000, booked as 22,000 at the
tap-on and 6,000 at the tap-off, effective at the taps), and gets 5,000 refunded the next day at 10:00,
after the demo day's service day ended at 04:00. Opening 10,000; closing 10,000 + 50,000 - 28,000 = 32,000.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from shahr.backoffice import cards
from shahr.backoffice.errors import CardNotFound, InvalidCommand
from shahr.backoffice.statement import Language, Shown, Statement, statement
from shahr.fares.load import Policy
from shahr.network import Network
from tests.backoffice.test_clearing import close_day
from tests.backoffice.test_ingest import DAY, TEHRAN, make_ingest, tap


def ride(session: Session, policy: Policy, network: Network) -> str:
    card = cards.create_card(session, "adult").id
    cards.top_up(session, card, 10_000, key="t1", at=datetime(2025, 10, 4, 10, 0, tzinfo=TEHRAN))
    cards.top_up(session, card, 50_000, key="t2", at=datetime(2025, 10, 5, 7, 0, tzinfo=TEHRAN))
    ingest = make_ingest(session, policy, network)
    ingest("gate-vak", [tap(1, card, "on", "07:30", "st_vakilabad")])
    ingest("gate-air", [tap(1, card, "off", "08:20", "st_airport")])
    close_day(session, policy, network)
    cards.refund(session, card, 5_000, key="r1", at=datetime(2025, 10, 6, 10, 0, tzinfo=TEHRAN))
    return card


@pytest.fixture
def card(session: Session, mashhad_distance: Policy, mashhad_network: Network) -> str:
    return ride(session, mashhad_distance, mashhad_network)


def of_day(session: Session, card: str, language: Language, policy: Policy) -> Statement:
    return statement(session, card, since=DAY, until=DAY, language=language, policy=policy)


def test_the_english_statement(session: Session, card: str, mashhad_distance: Policy) -> None:
    shown = of_day(session, card, "en", mashhad_distance)
    assert (shown.opening_balance_minor, shown.closing_balance_minor) == (10_000, 32_000)
    assert (shown.opening_balance, shown.closing_balance) == ("10,000 IRR", "32,000 IRR")
    assert shown.period_start == Shown(jalali="1404/07/13", gregorian="2025-10-05", time="04:00")
    assert shown.period_end == Shown(jalali="1404/07/14", gregorian="2025-10-06", time="04:00")
    assert [
        (m.label, m.reason, m.amount_minor, m.balance_after_minor, m.at.time) for m in shown.movements
    ] == [
        ("Top-up", "top-up", 50_000, 60_000, "07:00"),
        ("Fares", "fare", -22_000, 38_000, "07:30"),
        ("Fares", "fare", -6_000, 32_000, "08:20"),
    ]
    [journey] = shown.journeys
    assert (journey.service_date, journey.fare_minor, journey.fare) == (DAY, 28_000, "28,000 IRR")
    assert journey.started == Shown(jalali="1404/07/13", gregorian="2025-10-05", time="07:30")
    assert [(leg.mode, leg.board_stop, leg.exit_stop, leg.distance_km) for leg in journey.legs] == [
        ("Metro", "st_vakilabad", "st_airport", "23.0")
    ]
    assert journey.explanation[0] == (
        "Fare 28,000 IRR for 1 leg(s), 23.0 km (adult, card; mashhad-distance from 2025-03-21)"
    )


def test_the_persian_statement_writes_persian_digits(
    session: Session, card: str, mashhad_distance: Policy
) -> None:
    shown = of_day(session, card, "fa", mashhad_distance)
    assert shown.closing_balance == "۳۲٬۰۰۰ ریال"
    assert shown.labels["closing_balance"] == "مانده پایان دوره"
    assert [(m.label, m.amount) for m in shown.movements] == [
        ("شارژ کارت", "۵۰٬۰۰۰ ریال"),
        ("کرایه", "-۲۲٬۰۰۰ ریال"),
        ("کرایه", "-۶٬۰۰۰ ریال"),
    ]
    [journey] = shown.journeys
    assert journey.started == Shown(jalali="۱۴۰۴/۰۷/۱۳", gregorian="۲۰۲۵-۱۰-۰۵", time="۰۷:۳۰")
    assert (journey.legs[0].mode, journey.legs[0].distance_km) == ("مترو", "۲۳.۰")
    # The engine's explanation lines stay in English.
    assert journey.explanation[0].startswith("Fare 28,000 IRR")


def test_closing_is_opening_plus_movements_over_any_period(
    session: Session, card: str, mashhad_distance: Policy
) -> None:
    for since, until in [(DAY - timedelta(days=1), DAY), (DAY, DAY + timedelta(days=1))]:
        shown = statement(session, card, since=since, until=until, language="en", policy=mashhad_distance)
        moved = sum(m.amount_minor for m in shown.movements)
        assert shown.closing_balance_minor == shown.opening_balance_minor + moved
    assert shown.closing_balance_minor == 27_000  # the refund on 2025-10-06 is in this period


def test_a_period_backwards_or_an_unknown_card_is_refused(
    session: Session, card: str, mashhad_distance: Policy
) -> None:
    with pytest.raises(InvalidCommand, match="after until"):
        statement(session, card, since=DAY, until=date(2025, 10, 1), language="en", policy=mashhad_distance)
    with pytest.raises(InvalidCommand, match="at most 366 days"):
        statement(session, card, since=date(2024, 1, 1), until=DAY, language="en", policy=mashhad_distance)
    with pytest.raises(CardNotFound):
        of_day(session, "0000000000000000", "en", mashhad_distance)
