"""Tap ingestion: each (device_id, seq) stored once and answered the same way every time, malformed taps
and taps of unknown cards quarantined with the field named, and nothing acknowledged lost.

Fares are on the demo feed under `mashhad-distance`: the metro from st_vakilabad to st_airport is 22.992 km
along the rails: 22,000 base (first 10 km) + 3 steps of 5 km (10-15, 15-20, 20-22.992) x 2,000 = 28,000.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shahr.backoffice import cards, ledger
from shahr.backoffice.errors import InvalidCommand
from shahr.backoffice.ingest import BatchResult, ingest_batch
from shahr.backoffice.quarantine import list_quarantine, replay_quarantine
from shahr.backoffice.tables import Transaction
from shahr.backoffice.taps import MALFORMED, UNKNOWN_CARD, TapRecord, TapStatus
from shahr.fares.load import Policy
from shahr.network import Network

TEHRAN = ZoneInfo("Asia/Tehran")
DAY = date(2025, 10, 5)
NOW = datetime(2025, 10, 5, 12, 0, tzinfo=TEHRAN)
"""Uploads arrive at noon on the demo day; the day closes at 04:00 the next morning."""


def at(clock: str, day: date = DAY) -> str:
    """A local Tehran time on the demo day, as a device sends it (ISO 8601 with offset)."""
    return datetime.combine(day, datetime.strptime(clock, "%H:%M").time(), tzinfo=TEHRAN).isoformat()


def tap(
    seq: int, card_id: str, kind: str, clock: str, stop_id: str, route_id: str | None = None
) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "seq": seq,
        "card_id": card_id,
        "kind": kind,
        "tapped_at": at(clock),
        "stop_id": stop_id,
    }
    if route_id is not None:
        raw["route_id"] = route_id
    return raw


def fares(session: Session, card_id: str) -> int:
    """What the card has paid in fares (it was never topped up: its balance is minus its fares)."""
    return -ledger.balance(session, f"card:{card_id}")


class Ingest(Protocol):
    def __call__(self, device_id: str, taps: list[Any], now: datetime = NOW) -> BatchResult: ...


def make_ingest(session: Session, policy: Policy, network: Network) -> Ingest:
    """Upload a batch from a device, with the given policy and network."""

    def run(device_id: str, taps: list[Any], now: datetime = NOW) -> BatchResult:
        return ingest_batch(session, device_id, taps, policy=policy, network=network, now=now)

    return run


@pytest.fixture
def ingest(session: Session, mashhad_distance: Policy, mashhad_network: Network) -> Ingest:
    return make_ingest(session, mashhad_distance, mashhad_network)


def test_a_batch_is_stored_once_and_a_resent_batch_gets_the_same_answer(
    session: Session, ingest: Ingest
) -> None:
    card = cards.create_card(session, "adult").id
    batch = [tap(1, card, "on", "07:30", "st_vakilabad"), tap(2, card, "off", "08:20", "st_airport")]
    first = ingest("gate-7", batch)
    session.commit()
    again = ingest("gate-7", batch)
    session.commit()
    assert [(a.seq, a.status, a.replayed) for a in first.answers] == [
        (1, TapStatus.ACCEPTED, False),
        (2, TapStatus.ACCEPTED, False),
    ]
    assert [(a.seq, a.status, a.reason_code) for a in again.answers] == [
        (a.seq, a.status, a.reason_code) for a in first.answers
    ]
    assert all(a.replayed and not a.conflict for a in again.answers)
    assert (again.accepted, again.quarantined) == (2, 0)
    # One transaction for the card-day: 22,000 at the tap-on + 6,000 of distance at the tap-off.
    assert [(b.amount_minor, b.reason) for b in first.bookings] == [(28_000, "fare")]
    assert again.bookings == ()
    assert fares(session, card) == 28_000
    assert session.scalar(select(func.count()).select_from(TapRecord)) == 2
    assert ledger.is_balanced(session)


def test_taps_are_rated_in_time_order_whatever_the_upload_order(session: Session, ingest: Ingest) -> None:
    card = cards.create_card(session, "adult").id
    ingest("gate-9", [tap(8, card, "off", "08:20", "st_airport")])
    ingest("gate-1", [tap(3, card, "on", "07:30", "st_vakilabad")])
    # The tap-off alone is an orphan (tap_off_without_tap_on = "free": 0); with its tap-on: 28,000.
    assert fares(session, card) == 28_000


def test_a_tap_repeated_within_a_batch_is_stored_once(session: Session, ingest: Ingest) -> None:
    card = cards.create_card(session, "adult").id
    on = tap(1, card, "on", "07:30", "st_vakilabad")
    result = ingest("gate-7", [on, on])
    assert [(a.status, a.replayed) for a in result.answers] == [
        (TapStatus.ACCEPTED, False),
        (TapStatus.ACCEPTED, True),
    ]
    assert fares(session, card) == 22_000


def test_a_reused_seq_keeps_the_first_tap_and_says_so(session: Session, ingest: Ingest) -> None:
    card = cards.create_card(session, "adult").id
    ingest("gate-7", [tap(1, card, "on", "07:30", "st_vakilabad")])
    result = ingest("gate-7", [tap(1, card, "on", "09:30", "st_kowsar")])
    assert (result.answers[0].replayed, result.answers[0].conflict) == (True, True)
    stored = session.scalars(select(TapRecord)).one()
    assert stored.stop_id == "st_vakilabad"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stop_id": None}, "stop_id"),
        ({"kind": "sideways"}, "kind"),
        ({"tapped_at": "yesterday"}, "tapped_at"),
        ({"tapped_at": "2025-10-05T08:00:00"}, "tapped_at"),  # naive: no offset
        ({"tapped_at": at("12:06")}, "tapped_at"),  # 6 minutes after the upload at 12:00
        ({"card_id": 42}, "card_id"),
        ({"seq": "3"}, "seq"),
    ],
)
def test_a_malformed_tap_is_acknowledged_and_quarantined_naming_the_field(
    session: Session, ingest: Ingest, change: dict[str, Any], field: str
) -> None:
    card = cards.create_card(session, "adult").id
    raw = {
        k: v for k, v in {**tap(3, card, "on", "07:30", "st_vakilabad"), **change}.items() if v is not None
    }
    first = ingest("gate-7", [raw])
    again = ingest("gate-7", [raw])
    answer = first.answers[0]
    assert (answer.status, answer.reason_code) == (TapStatus.QUARANTINED, MALFORMED)
    assert (first.accepted, first.quarantined) == (0, 1)
    assert answer.reason_detail is not None and answer.reason_detail.startswith(f"{field}:")
    assert (again.answers[0].replayed, again.answers[0].reason_detail) == (True, answer.reason_detail)
    [kept] = list_quarantine(session, reason_code=MALFORMED)
    assert kept.payload == raw
    assert fares(session, card) == 0


def test_a_tap_five_minutes_ahead_of_the_upload_is_accepted(session: Session, ingest: Ingest) -> None:
    card = cards.create_card(session, "adult").id
    result = ingest("gate-7", [tap(1, card, "on", "12:05", "st_vakilabad")])
    assert result.answers[0].status is TapStatus.ACCEPTED


def test_a_tap_before_the_policy_s_first_version_is_quarantined_not_the_batch(
    session: Session, ingest: Ingest
) -> None:
    card = cards.create_card(session, "adult").id
    old = tap(1, card, "on", "08:00", "st_vakilabad") | {"tapped_at": "2025-03-20T08:00:00+03:30"}
    result = ingest("gate-7", [old, tap(2, card, "on", "09:00", "st_vakilabad")])
    # mashhad-distance applies from 1 Farvardin 1404 (2025-03-21); the other tap of the batch is rated.
    assert [(a.status, a.reason_code) for a in result.answers] == [
        (TapStatus.QUARANTINED, "no_tariff"),
        (TapStatus.ACCEPTED, None),
    ]
    assert result.answers[0].reason_detail == (
        "tapped_at: service date 2025-03-20 is before the policy's first version (2025-03-21)"
    )


def test_the_engine_refusing_a_tap_quarantines_it_with_the_anomaly(session: Session, ingest: Ingest) -> None:
    card = cards.create_card(session, "adult").id
    result = ingest(
        "bus-3",
        [tap(1, card, "on", "09:00", "b_nowhere", "T01"), tap(2, card, "on", "09:40", "b_vakilabad", "T99")],
    )
    assert [(a.status, a.reason_code) for a in result.answers] == [
        (TapStatus.QUARANTINED, "unknown_stop"),
        (TapStatus.QUARANTINED, "unknown_route"),
    ]
    assert [t.seq for t in list_quarantine(session, device_id="bus-3")] == [1, 2]
    assert fares(session, card) == 0


def test_an_unknown_card_is_quarantined_then_charged_once_registered(
    session: Session,
    ingest: Ingest,
    mashhad_distance: Policy,
    mashhad_network: Network,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batch = [
        tap(1, "c0ffee00c0ffee00", "on", "07:30", "st_vakilabad"),
        tap(2, "c0ffee00c0ffee00", "off", "08:20", "st_airport"),
    ]
    result = ingest("gate-7", batch)
    assert {(a.status, a.reason_code) for a in result.answers} == {(TapStatus.QUARANTINED, UNKNOWN_CARD)}
    assert result.bookings == ()

    # Nothing to release yet.
    assert replay_quarantine(session, policy=mashhad_distance, network=mashhad_network).released == ()
    # The card is registered (its printed id, as sold before registration).
    monkeypatch.setattr(cards, "new_card_id", lambda: "c0ffee00c0ffee00")
    cards.create_card(session, "adult")
    replay = replay_quarantine(session, policy=mashhad_distance, network=mashhad_network)
    assert (replay.examined, [t.seq for t in replay.released]) == (2, [1, 2])
    assert [(b.amount_minor, b.reason) for b in replay.bookings] == [(28_000, "fare")]
    # Resending the batch now answers with the taps' current status, and books nothing.
    again = ingest("gate-7", batch)
    assert {a.status for a in again.answers} == {TapStatus.ACCEPTED} and again.bookings == ()
    assert replay_quarantine(session, policy=mashhad_distance, network=mashhad_network).examined == 0
    assert fares(session, "c0ffee00c0ffee00") == 28_000
    assert session.scalar(select(func.count()).select_from(Transaction)) == 1
    assert ledger.is_balanced(session)


def test_a_tap_without_a_seq_is_kept_once(session: Session, ingest: Ingest) -> None:
    raw = {"card_id": "x", "kind": "on"}
    ingest("gate-7", [raw])
    again = ingest("gate-7", [raw], now=NOW + timedelta(minutes=1))
    assert again.answers[0].replayed
    [kept] = list_quarantine(session)
    assert (kept.seq, kept.payload) == (None, raw)
    assert kept.reason_detail is not None and "seq: Field required" in kept.reason_detail


def test_something_that_is_not_a_tap_is_still_kept(session: Session, ingest: Ingest) -> None:
    result = ingest("gate-7", ["garbage"])
    assert (result.answers[0].status, result.answers[0].reason_code) == (TapStatus.QUARANTINED, MALFORMED)
    assert [t.payload for t in list_quarantine(session)] == [{"tap": "garbage"}]


def test_a_batch_without_a_device_is_refused(ingest: Ingest) -> None:
    with pytest.raises(InvalidCommand, match="device_id"):
        ingest("", [])
