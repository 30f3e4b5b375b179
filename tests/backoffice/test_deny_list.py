"""The deny list: who is listed and why, versions and deltas, publishing races; on both databases, with
`mashhad-distance` on 2025-10-05.

An adult card's cheapest boarding under `mashhad-distance` is the feeder bus before 06:30: 16,000 less
the early-bird 20% = 12,800 rials. A QR medium gets no early-bird: its cheapest is the feeder's 16,000.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from shahr.backoffice import cards, deny_list, ledger
from shahr.backoffice.deny_list import (
    DenyList,
    DenyListEntry,
    DenyListVersion,
    DenyReason,
    Published,
    VersionAhead,
    get_deny_list,
    minimum_fare,
    publish,
)
from shahr.backoffice.errors import ImmutableRecord
from shahr.backoffice.passes import buy_pass
from shahr.backoffice.tables import AccountKind, CardStatus, TransactionKind, card_account_code
from shahr.db import Base, make_engine, session_factory
from shahr.fares.load import Policy, load_policy

TEHRAN = ZoneInfo("Asia/Tehran")
NOW = datetime(2025, 10, 5, 8, 0, tzinfo=TEHRAN)
BLOCKED, LOST, REPLACED, LOW = (
    DenyReason.BLOCKED,
    DenyReason.LOST,
    DenyReason.REPLACED,
    DenyReason.LOW_BALANCE,
)


def loaded(session: Session, amount: int, medium: str = "card") -> str:
    """A new adult card holding `amount` rials."""
    card = cards.create_card(session, "adult", medium)
    cards.top_up(session, card.id, amount, key=f"load-{card.id}", at=NOW)
    return card.id


def charge(session: Session, card_id: str, amount: int) -> None:
    """A fare booked as the tap rating books it: debit the card, credit clearing."""
    ledger.post(
        session,
        TransactionKind.FARE,
        [(card_account_code(card_id), amount), (ledger.CLEARING_FARES, -amount)],
        effective_at=NOW,
        reason="fare",
        reference=f"card-day:{card_id}:2025-10-05",
    )


def credit(session: Session, card_id: str, amount: int) -> None:
    """A top-up booked whatever the card's status (the command takes active cards only)."""
    ledger.post(
        session,
        TransactionKind.TOP_UP,
        [(ledger.FLOAT_TOPUPS, amount), (card_account_code(card_id), -amount)],
        effective_at=NOW,
        reason="top-up",
    )


def set_status(session: Session, card_id: str, status: CardStatus) -> None:
    """No command reactivates a card yet: the status is set as such a command would."""
    cards.get_card(session, card_id).status = status
    session.flush()


def count(session: Session, table: type[DenyListVersion] | type[DenyListEntry]) -> int:
    return session.scalars(select(func.count()).select_from(table)).one()


def test_minimum_fare_is_the_cheapest_boarding_of_the_medium_and_category() -> None:
    distance = load_policy("mashhad-distance").versions[0]
    assert minimum_fare(distance, "card", "adult") == 12_800  # feeder 16,000 - 20% early bird
    assert minimum_fare(distance, "qr", "adult") == 16_000  # the early bird is for cards only
    assert minimum_fare(distance, "card", "youth") == 8_000  # the early bird is for adults only
    assert minimum_fare(distance, "card", "tourist") == 0  # no fare for the category anywhere
    assert minimum_fare(distance, "paper", "adult") == 0  # nor for the medium
    seoul = load_policy("seoul-2025").versions[0]
    assert minimum_fare(seoul, "card", "senior") == 0  # seniors ride the subway free
    assert minimum_fare(seoul, "card", "adult") == 960  # the 1,200 village bus - 20% early bird


def test_a_blocked_card_is_listed_until_it_is_active_again(
    session: Session, mashhad_distance: Policy
) -> None:
    card = loaded(session, 100_000)
    loaded(session, 100_000)
    assert publish(session, mashhad_distance, NOW) == Published(0, 0)

    cards.block(session, card)
    assert publish(session, mashhad_distance, NOW) == Published(1, 1)
    assert get_deny_list(session) == DenyList(1, None, {card: BLOCKED})

    set_status(session, card, CardStatus.ACTIVE)
    assert publish(session, mashhad_distance, NOW) == Published(2, 1)
    assert get_deny_list(session) == DenyList(2, None, {})
    assert get_deny_list(session, since=1) == DenyList(2, 1, {}, (card,))


def test_a_card_left_below_the_cheapest_boarding_by_a_fare_is_listed_until_topped_up(
    session: Session, mashhad_distance: Policy
) -> None:
    qr = loaded(session, 15_000, medium="qr")  # below the QR minimum of 16,000
    card = loaded(session, 40_000)
    assert publish(session, mashhad_distance, NOW) == Published(1, 1)
    assert get_deny_list(session).entries == {qr: LOW}

    charge(session, card, 28_000)  # metro end to end: 12,000 left, under 12,800
    assert publish(session, mashhad_distance, NOW) == Published(2, 1)
    assert get_deny_list(session).entries == {qr: LOW, card: LOW}

    cards.top_up(session, card, 800, key="top-up", at=NOW)  # 12,800: exactly the cheapest boarding
    assert publish(session, mashhad_distance, NOW) == Published(3, 1)
    assert get_deny_list(session) == DenyList(3, None, {qr: LOW})
    assert get_deny_list(session, since=2) == DenyList(3, 2, {}, (card,))


def test_a_card_holding_a_prepaid_pass_for_the_day_is_not_listed_for_its_balance(
    session: Session, mashhad_distance: Policy
) -> None:
    card = loaded(session, 50_000)
    buy_pass(session, mashhad_distance, card, "pass-1", NOW.date(), key="day-pass", at=NOW)  # 50,000: 0 left
    assert publish(session, mashhad_distance, NOW) == Published(0, 0)
    next_day = NOW + timedelta(days=1)  # the pass is over: 0 is under the cheapest boarding
    assert publish(session, mashhad_distance, next_day) == Published(1, 1)
    assert get_deny_list(session).entries == {card: LOW}


def test_a_listed_card_changes_reason_when_lost_then_replaced(
    session: Session, mashhad_distance: Policy
) -> None:
    card = loaded(session, 12_000)
    assert publish(session, mashhad_distance, NOW) == Published(1, 1)
    cards.report_lost(session, card)
    assert publish(session, mashhad_distance, NOW) == Published(2, 1)
    assert get_deny_list(session, since=1) == DenyList(2, 1, {card: LOST})

    new = cards.replace(session, card, key="replace", at=NOW).id  # takes the 12,000: low balance too
    assert publish(session, mashhad_distance, NOW) == Published(3, 2)
    assert get_deny_list(session, since=2) == DenyList(3, 2, {card: REPLACED, new: LOW})
    assert get_deny_list(session).entries == {card: REPLACED, new: LOW}


def test_deltas_since_a_version_are_the_net_changes(session: Session, mashhad_distance: Policy) -> None:
    a, b, c = (loaded(session, 100_000) for _ in range(3))
    cards.block(session, a)
    assert publish(session, mashhad_distance, NOW).version == 1  # {a}
    cards.block(session, b)
    assert publish(session, mashhad_distance, NOW).version == 2  # {a, b}
    set_status(session, a, CardStatus.ACTIVE)
    cards.block(session, c)
    assert publish(session, mashhad_distance, NOW) == Published(3, 2)  # {b, c}
    set_status(session, c, CardStatus.ACTIVE)
    assert publish(session, mashhad_distance, NOW).version == 4  # {b}

    assert get_deny_list(session) == DenyList(4, None, {b: BLOCKED})
    assert get_deny_list(session, since=0) == DenyList(4, None, {b: BLOCKED})
    # c was listed and dropped after 1: a device holding 1 never had it and is not told
    assert get_deny_list(session, since=1) == DenyList(4, 1, {b: BLOCKED}, (a,))
    assert get_deny_list(session, since=2) == DenyList(4, 2, {}, (a,))
    assert get_deny_list(session, since=3) == DenyList(4, 3, {}, (c,))
    assert get_deny_list(session, since=4) == DenyList(4, 4, {})


def test_since_newer_than_the_current_version_is_refused(session: Session, mashhad_distance: Policy) -> None:
    assert get_deny_list(session) == DenyList(0, None, {})
    cards.block(session, loaded(session, 100_000))
    publish(session, mashhad_distance, NOW)
    with pytest.raises(VersionAhead, match="since 2 is newer than the deny list's current version 1") as info:
        get_deny_list(session, since=2)
    assert info.value.field == "query.since"


def test_publishing_with_nothing_changed_writes_no_version(
    session: Session, mashhad_distance: Policy
) -> None:
    cards.block(session, loaded(session, 100_000))
    assert publish(session, mashhad_distance, NOW) == Published(1, 1)
    assert publish(session, mashhad_distance, NOW) == Published(1, 0)
    assert (count(session, DenyListVersion), count(session, DenyListEntry)) == (1, 1)


def test_published_versions_cannot_be_changed(session: Session, mashhad_distance: Policy) -> None:
    cards.block(session, loaded(session, 100_000))
    publish(session, mashhad_distance, NOW)
    session.commit()
    entry = session.scalars(select(DenyListEntry)).one()
    entry.reason = None
    with pytest.raises(ImmutableRecord, match="DenyListEntry is published"):
        session.flush()
    session.rollback()
    session.delete(session.scalars(select(DenyListVersion)).one())
    with pytest.raises(ImmutableRecord, match="DenyListVersion is published"):
        session.flush()


def test_a_publisher_that_loses_the_race_compares_with_the_winners_version(
    session: Session, database_url: str, mashhad_distance: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    cards.block(session, loaded(session, 100_000))
    session.commit()
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as winner:
            assert publish(winner, mashhad_distance, NOW) == Published(1, 1)
            winner.commit()
    finally:
        engine.dispose()
    # the loser read the version before the winner committed: its version 1 collides, it reads again
    stale = [0]
    real = deny_list.current_version
    monkeypatch.setattr(deny_list, "current_version", lambda s: stale.pop() if stale else real(s))
    assert publish(session, mashhad_distance, NOW) == Published(1, 0)
    session.commit()
    assert (count(session, DenyListVersion), count(session, DenyListEntry)) == (1, 1)


def test_concurrent_publishers_write_one_version(
    session: Session, database_url: str, mashhad_distance: Policy
) -> None:
    """The second publisher's insert waits for the first to commit (PostgreSQL: for the row; SQLite: for
    the write lock), then collides and compares again."""
    cards.block(session, loaded(session, 100_000))
    session.commit()
    # the first publisher's transaction has written (on SQLite it holds the write lock until it commits)
    ledger.open_account(session, "operator:metro", AccountKind.OPERATOR_REVENUE)
    engine = make_engine(database_url)
    results: list[Published] = []

    def second() -> None:
        with session_factory(engine)() as other:
            results.append(publish(other, mashhad_distance, NOW))
            other.commit()

    try:
        assert publish(session, mashhad_distance, NOW) == Published(1, 1)
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        session.commit()
        thread.join(timeout=10)
    finally:
        engine.dispose()
    assert results == [Published(1, 0)]
    assert (count(session, DenyListVersion), count(session, DenyListEntry)) == (1, 1)


@contextmanager
def fresh_database() -> Iterator[Session]:
    engine = make_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


STATUSES = {"block": CardStatus.BLOCKED, "lose": CardStatus.LOST, "activate": CardStatus.ACTIVE}
Step = tuple[int, str, int]
"""(card index, action, amount): set a status, or move money onto (`top_up`) or off (`fare`) the card."""
steps = st.tuples(
    st.integers(0, 3), st.sampled_from([*STATUSES, "top_up", "fare"]), st.sampled_from([6_400, 12_800])
)


@settings(max_examples=60, deadline=None)
@given(rounds=st.lists(st.lists(steps, max_size=4), min_size=1, max_size=8))
def test_deltas_since_any_version_applied_to_its_full_list_give_the_list_now(
    rounds: list[list[Step]], mashhad_distance: Policy
) -> None:
    """SQLite in memory, a fresh database per example; a model in plain dicts says who should be listed."""
    with fresh_database() as session:
        card_ids = [cards.create_card(session, "adult").id for _ in range(4)]
        status = dict.fromkeys(card_ids, CardStatus.ACTIVE)
        balance = dict.fromkeys(card_ids, 0)
        history: dict[int, dict[str, DenyReason]] = {0: {}}
        for steps_of_round in rounds:
            for index, action, amount in steps_of_round:
                card_id = card_ids[index]
                if action in STATUSES:
                    set_status(session, card_id, STATUSES[action])
                    status[card_id] = STATUSES[action]
                elif action == "top_up":
                    credit(session, card_id, amount)
                    balance[card_id] += amount
                else:
                    charge(session, card_id, amount)
                    balance[card_id] -= amount
            expected = {
                card_id: LOW if status[card_id] is CardStatus.ACTIVE else DenyReason(status[card_id].value)
                for card_id in card_ids
                if status[card_id] is not CardStatus.ACTIVE or balance[card_id] < 12_800
            }
            before = max(history)
            published = publish(session, mashhad_distance, NOW)
            assert published.version == (before if expected == history[before] else before + 1)
            full = get_deny_list(session)
            assert (full.version, full.entries) == (published.version, expected)
            history[full.version] = full.entries

        now = history[max(history)]
        for version, held in history.items():
            delta = get_deny_list(session, since=version)
            assert all(held.get(card_id) != reason for card_id, reason in delta.entries.items())
            assert set(delta.removed) <= held.keys()
            applied = {card_id: reason for card_id, reason in held.items() if card_id not in delta.removed}
            assert applied | delta.entries == now
