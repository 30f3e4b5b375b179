"""Rate limits in the database, on SQLite and PostgreSQL: exact counts per person and address, the
window's edge, `Retry-After`, sharing between processes, and concurrent requests that lose no count."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from shahr.civic import ratelimit
from shahr.civic.ratelimit import RateCounter, RateLimited
from shahr.civic.settings import Action, CivicSettings, Limit
from shahr.db import make_engine, session_factory

SECRET = "test-secret"
SETTINGS = CivicSettings(rate_window_s=60, support_limit=Limit(per_person=2, per_address=3))
NOW = datetime(2025, 10, 5, 10, 0, 30, tzinfo=UTC)
"""30 s into the window that starts at 10:00:00 UTC."""


def hit(
    sessions: sessionmaker[Session],
    person: str | None,
    address: str | None = "10.0.0.1",
    at: datetime = NOW,
    action: Action = Action.SUPPORT,
) -> None:
    ratelimit.consume(
        sessions, action, person=person, address=address, now=at, settings=SETTINGS, secret=SECRET
    )


def test_person_then_address_limits_with_retry_after(sessions: sessionmaker[Session]) -> None:
    hit(sessions, "p1")
    hit(sessions, "p1")
    with pytest.raises(RateLimited) as refused:
        hit(sessions, "p1")  # person p1: 3 > 2; the address has 3, its limit
    assert refused.value.retry_after_s == 30
    assert str(refused.value) == (
        "too many support requests from this person: at most 2 per 60 s; try again in 30 s"
    )
    with pytest.raises(RateLimited, match="from this address: at most 3 per 60 s") as refused:
        hit(sessions, "p2", at=NOW + timedelta(seconds=29, microseconds=1))  # address: 4 > 3
    assert refused.value.retry_after_s == 1
    hit(sessions, "p3", address="10.0.0.2")  # another address, another person


def test_the_next_window_starts_afresh(sessions: sessionmaker[Session]) -> None:
    for _ in range(2):
        hit(sessions, "p1")
    with pytest.raises(RateLimited):
        hit(sessions, "p1", at=datetime(2025, 10, 5, 10, 0, 59, 999999, tzinfo=UTC))
    hit(sessions, "p1", at=datetime(2025, 10, 5, 10, 1, 0, tzinfo=UTC))


def test_missing_subjects_and_other_actions_are_counted_apart(sessions: sessionmaker[Session]) -> None:
    for _ in range(5):
        hit(sessions, None, address=None)  # nothing to count
    hit(sessions, "p1", address=None)
    hit(sessions, "p1", address=None)
    hit(sessions, "p1", action=Action.COMMENT)  # comments have their own (default) budget
    with pytest.raises(RateLimited, match="person"):
        hit(sessions, "p1", address=None)


def test_processes_share_the_limits(database_url: str, sessions: sessionmaker[Session]) -> None:
    """A second engine on the same database stands for a second web process."""
    other = make_engine(database_url)
    try:
        hit(sessions, "p1")
        hit(session_factory(other), "p1")
        with pytest.raises(RateLimited):
            hit(session_factory(other), "p1")
    finally:
        other.dispose()


def test_no_address_or_person_is_stored(sessions: sessionmaker[Session]) -> None:
    hit(sessions, "p1", address="203.0.113.9")
    with sessions() as session:
        rows = session.scalars(select(RateCounter)).all()
    assert len(rows) == 2
    assert all(len(row.bucket) == 64 and "203.0.113.9" not in row.bucket for row in rows)
    assert {row.window_start for row in rows} == {datetime(2025, 10, 5, 10, 0, tzinfo=UTC)}
    assert {row.hits for row in rows} == {1}


def test_prune_deletes_ended_windows(sessions: sessionmaker[Session]) -> None:
    hit(sessions, "p1", at=NOW - timedelta(minutes=2))
    hit(sessions, "p1", at=NOW - timedelta(minutes=1))
    hit(sessions, "p1")
    with sessions() as session:
        assert ratelimit.prune(session, NOW, SETTINGS) == 4  # person and address, two ended windows
        session.commit()
        assert session.scalars(select(RateCounter.hits)).all() == [1, 1]


def test_concurrent_requests_lose_no_count(engine: Engine, sessions: sessionmaker[Session]) -> None:
    """Eight threads hit the same person 5 times each at once: exactly 2 pass, 38 are refused."""
    barrier = threading.Barrier(8)
    passed: list[int] = []
    refused: list[int] = []
    failures: list[BaseException] = []

    def client() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                try:
                    hit(sessions, "p1", address=None)
                    passed.append(1)
                except RateLimited:
                    refused.append(1)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert (len(passed), len(refused)) == (2, 38)
    with sessions() as session:
        assert session.scalars(select(RateCounter.hits)).all() == [40]
