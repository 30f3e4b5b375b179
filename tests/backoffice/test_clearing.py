"""Daily clearing: operators' amounts add up to the cards' fare debits to the rial, a late tap changing a
fare changes the clearing and is listed as an adjustment, and booking the clearing is idempotent.

Fares on the demo feed under `mashhad-distance` (apportionment by distance):
- card A, metro st_vakilabad -> st_airport, 22.992 km: 22,000 + 3 steps x 2,000 = 28,000, all MURC;
- card B, feeder F03 b_golshahr -> b_tabarsi (5,533 m, MBUS) then metro st_tabarsi -> st_shariati
  (9,173 m, MURC) within the transfer window: one journey of 14.706 km, 22,000 (metro base) + 1 step x
  2,000 = 24,000. Split by distance: 24,000 x 5,533 / 14,706 = 9,029 remainder 11,526 and
  24,000 x 9,173 / 14,706 = 14,970 remainder 3,180; the rial left over (24,000 - 23,999) goes to the
  largest remainder, the feeder leg: MBUS 9,030, MURC 14,970.
So MURC is owed 28,000 + 14,970 = 42,970 for 2 journeys and 2 legs, MBUS 9,030 for 1 and 1: 52,000.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from shahr.backoffice import cards, ledger
from shahr.backoffice.clearing import (
    OperatorAmount,
    RatingAdjustment,
    book_clearing,
    clearing_report,
    to_csv,
)
from shahr.backoffice.errors import InvalidCommand
from shahr.backoffice.rating import close_service_day
from shahr.fares.load import Policy
from shahr.network import Network
from tests.backoffice.test_ingest import DAY, TEHRAN, Ingest, make_ingest, tap

AFTER_CLOSE = datetime(2025, 10, 6, 9, 0, tzinfo=TEHRAN)
"""The morning after the demo day: its service day ended at 04:00."""


@pytest.fixture
def ingest(session: Session, mashhad_distance: Policy, mashhad_network: Network) -> Ingest:
    return make_ingest(session, mashhad_distance, mashhad_network)


def close_day(session: Session, policy: Policy, network: Network) -> None:
    close_service_day(session, DAY, policy=policy, network=network, now=AFTER_CLOSE)


def ride_the_demo_day(session: Session, ingest: Ingest) -> tuple[str, str]:
    """Card A rides the metro, card B the feeder then the metro; returns their ids."""
    a, b = cards.create_card(session, "adult").id, cards.create_card(session, "adult").id
    ingest("gate-vak", [tap(1, a, "on", "07:30", "st_vakilabad")])
    ingest("gate-air", [tap(1, a, "off", "08:20", "st_airport")])
    ingest(
        "bus-3",
        [tap(1, b, "on", "08:00", "b_golshahr", "F03"), tap(2, b, "off", "08:10", "b_tabarsi", "F03")],
    )
    ingest("gate-tab", [tap(1, b, "on", "08:15", "st_tabarsi")])
    ingest("gate-sha", [tap(1, b, "off", "08:30", "st_shariati")])
    return a, b


def test_the_operators_amounts_add_up_to_the_card_debits(
    session: Session, ingest: Ingest, mashhad_distance: Policy, mashhad_network: Network
) -> None:
    ride_the_demo_day(session, ingest)
    close_day(session, mashhad_distance, mashhad_network)
    report = clearing_report(session, DAY)
    assert report.operators == (
        OperatorAmount(operator="MBUS", amount_minor=9_030, journeys=1, legs=1),
        OperatorAmount(operator="MURC", amount_minor=42_970, journeys=2, legs=2),
    )
    assert (report.total_minor, report.card_debits_minor, report.difference_minor) == (52_000, 52_000, 0)
    assert report.balanced and report.day_closed
    assert (report.taps_received, report.taps_accepted, report.taps_quarantined) == (6, 6, 0)
    assert (report.card_days, report.journeys, report.journeys_fare_minor) == (2, 2, 52_000)
    # Card A was charged 22,000 at the tap-on, then 6,000 at the tap-off, uploaded apart: two fare
    # transactions for new taps, the normal course, not adjustments.
    assert (report.adjustments, report.adjustments_minor) == ((), 0)


def test_the_csv_carries_the_check(
    session: Session, ingest: Ingest, mashhad_distance: Policy, mashhad_network: Network
) -> None:
    ride_the_demo_day(session, ingest)
    close_day(session, mashhad_distance, mashhad_network)
    assert to_csv(clearing_report(session, DAY)) == (
        "service_date,operator,amount_minor,journeys,legs\n"
        "2025-10-05,MBUS,9030,1,1\n"
        "2025-10-05,MURC,42970,2,2\n"
        "2025-10-05,(total),52000,2,3\n"
        "2025-10-05,(card debits),52000,,\n"
        "2025-10-05,(difference),0,,\n"
    )


def test_an_open_day_shows_its_difference(session: Session, ingest: Ingest) -> None:
    ride_the_demo_day(session, ingest)
    # Each card's last journey is still open (it could take a transfer): charged, not yet rated.
    report = clearing_report(session, DAY)
    assert (report.day_closed, report.operators, report.journeys) == (False, (), 0)
    assert (report.total_minor, report.card_debits_minor, report.difference_minor) == (0, 52_000, -52_000)
    with pytest.raises(InvalidCommand, match="not closed"):
        book_clearing(session, DAY, AFTER_CLOSE)


def test_a_late_tap_changes_the_clearing_and_is_listed(
    session: Session, ingest: Ingest, mashhad_distance: Policy, mashhad_network: Network
) -> None:
    card = cards.create_card(session, "adult").id
    ingest("gate-vak", [tap(1, card, "on", "07:30", "st_vakilabad")])
    close_day(session, mashhad_distance, mashhad_network)
    # No tap-off: the metro's missing tap-off rule charges no distance, 22,000.
    before = clearing_report(session, DAY)
    assert [(o.operator, o.amount_minor) for o in before.operators] == [("MURC", 22_000)]
    assert (before.card_debits_minor, before.adjustments) == (22_000, ())
    first = book_clearing(session, DAY, AFTER_CLOSE)
    assert first is not None
    assert ledger.balance(session, "operator:MURC") == 22_000

    ingest("gate-air", [tap(7, card, "off", "08:20", "st_airport")], now=AFTER_CLOSE)
    after = clearing_report(session, DAY)
    assert [(o.operator, o.amount_minor) for o in after.operators] == [("MURC", 28_000)]
    assert (after.card_debits_minor, after.difference_minor) == (28_000, 0)
    [late] = after.adjustments
    assert late == RatingAdjustment(
        transaction_id=late.transaction_id,
        card_id=card,
        amount_minor=6_000,
        reason="re-rating: late tap device gate-air seq 7",
        effective_at=datetime(2025, 10, 5, 8, 20, tzinfo=TEHRAN),
    )
    assert after.adjustments_minor == 6_000

    second = book_clearing(session, DAY, AFTER_CLOSE)
    assert second is not None
    assert sorted((p.account.code, p.amount_minor) for p in second.postings) == [
        ("clearing:fares", 6_000),
        ("operator:MURC", -6_000),
    ]
    assert book_clearing(session, DAY, AFTER_CLOSE) is None
    assert ledger.balance(session, "operator:MURC") == 28_000
    assert ledger.balance(session, ledger.CLEARING_FARES) == 0
    assert ledger.is_balanced(session)


def test_booking_the_clearing_pays_every_operator_once(
    session: Session, ingest: Ingest, mashhad_distance: Policy, mashhad_network: Network
) -> None:
    ride_the_demo_day(session, ingest)
    close_day(session, mashhad_distance, mashhad_network)
    booked = book_clearing(session, DAY, AFTER_CLOSE)
    assert booked is not None
    assert sorted((p.account.code, p.amount_minor) for p in booked.postings) == [
        ("clearing:fares", 52_000),
        ("operator:MBUS", -9_030),
        ("operator:MURC", -42_970),
    ]
    session.commit()
    assert book_clearing(session, DAY, AFTER_CLOSE) is None
    assert (ledger.balance(session, "operator:MBUS"), ledger.balance(session, "operator:MURC")) == (
        9_030,
        42_970,
    )
    assert ledger.balance(session, ledger.CLEARING_FARES) == 0
    assert ledger.is_balanced(session)
