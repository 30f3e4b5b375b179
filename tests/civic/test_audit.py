"""The hash-chained audit log on SQLite and PostgreSQL: exact hashes, the append-only guard, tampering of
every kind found by `verify` (and by `shahr civic audit`), and concurrent writers that never fork it."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from shahr.civic import audit
from shahr.civic.audit import GENESIS, AuditEntry, ImmutableEntry
from shahr.cli import app

TEHRAN = timezone(timedelta(hours=3, minutes=30))
AT = datetime(2025, 10, 5, 8, 0, tzinfo=TEHRAN)
ENTRIES = audit.AuditEntry.__table__


def _three(session: Session) -> list[AuditEntry]:
    entries = [
        audit.record(
            session,
            "report.status",
            "report:42",
            actor="staff:Sara",
            at=AT,
            data={"from": "filed", "to": "acknowledged"},
        ),
        audit.record(
            session, "proposal.support", "proposal:7", actor="person:ab12", at=AT + timedelta(minutes=1)
        ),
        audit.record(
            session,
            "proposal.comment",
            "proposal:7",
            actor="person:cd34",
            at=AT + timedelta(minutes=2),
            data={"text": "ایستگاه نزدیک‌تر", "n": 3, "ok": True, "none": None, "list": [1, "a"]},
        ),
    ]
    session.commit()
    return entries


def test_first_entry_hash_is_sha256_of_the_canonical_json(session: Session) -> None:
    first, second, _ = _three(session)
    # Sorted keys, no spaces, time in UTC with microseconds (08:00 Tehran is 04:30 UTC), data as its text.
    canonical = (
        '{"actor":"staff:Sara","at":"2025-10-05T04:30:00.000000+00:00",'
        '"data":"{\\"from\\":\\"filed\\",\\"to\\":\\"acknowledged\\"}","kind":"report.status",'
        f'"prev_hash":"{GENESIS}","seq":1,"subject":"report:42"}}'
    )
    assert first.data == '{"from":"filed","to":"acknowledged"}'
    assert first.hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert first.hash == "639025b717f6f708bacab3a70fe06630a7a525fe1bc53f2776570ce763bbbfff"
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert (second.seq, second.prev_hash, second.data) == (2, first.hash, "{}")


def test_verify_an_intact_chain_and_the_head(session: Session) -> None:
    assert audit.head(session) == (0, GENESIS)
    assert audit.verify(session) == audit.AuditCheck(0, 0, GENESIS, None)
    *_, last = _three(session)
    check = audit.verify(session)
    assert check.intact
    assert (check.entries, check.head_seq, check.head_hash) == (3, 3, last.hash)
    assert audit.head(session) == (3, last.hash)
    stored = session.scalars(select(AuditEntry).where(AuditEntry.seq == 3)).one()
    assert stored.data == '{"list":[1,"a"],"n":3,"none":null,"ok":true,"text":"ایستگاه نزدیک‌تر"}'


def test_a_naive_time_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        audit.record(session, "x", "y", actor="system", at=datetime(2025, 10, 5, 8, 0))


def test_entries_cannot_be_changed_or_deleted_through_the_orm(session: Session) -> None:
    entry, *_ = _three(session)
    entry.kind = "something else"
    with pytest.raises(ImmutableEntry, match="entry 1 cannot be changed"):
        session.flush()
    session.rollback()
    session.delete(session.get(AuditEntry, 1))
    with pytest.raises(ImmutableEntry, match="entry 1 cannot be deleted"):
        session.flush()
    session.rollback()
    with pytest.raises(ImmutableEntry):
        session.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(kind="x"))
    with pytest.raises(ImmutableEntry):
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 1))
    session.rollback()
    assert audit.verify(session).intact


def _tamper(session: Session, entry: int, **values: Any) -> None:
    """Change a stored entry under the ORM's guard, as someone with database access would."""
    session.connection().execute(update(ENTRIES).where(ENTRIES.c.seq == entry).values(**values))


@pytest.mark.parametrize(
    ("seq", "values", "broken_at", "reason"),
    [
        (2, {"actor": "person:zz99"}, 2, "its hash does not match its content"),
        (2, {"data": '{"extra":1}'}, 2, "its hash does not match its content"),
        (1, {"at": AT + timedelta(microseconds=1)}, 1, "its hash does not match its content"),
        (2, {"hash": "f" * 64}, 2, "its hash does not match its content"),
        (3, {"prev_hash": "e" * 64}, 3, "its previous hash is not entry 2's"),
        (3, {"seq": 9}, 9, "follows entry 2: entries are missing or renumbered"),
    ],
)
def test_tampering_names_the_first_broken_entry(
    session: Session, seq: int, values: dict[str, Any], broken_at: int, reason: str
) -> None:
    _three(session)
    _tamper(session, seq, **values)
    broken = audit.verify(session).broken
    assert broken is not None
    assert broken.seq == broken_at
    assert broken.reason.startswith(reason)


def test_a_rewritten_entry_with_its_hash_recomputed_breaks_the_next_link(session: Session) -> None:
    first, second, _ = _three(session)
    forged = audit.entry_hash(
        2, second.at, second.kind, second.subject, "person:zz99", second.data, first.hash
    )
    _tamper(session, 2, actor="person:zz99", hash=forged)
    broken = audit.verify(session).broken
    assert broken == audit.Broken(3, "its previous hash is not entry 2's: that entry or this one was changed")


def test_removed_entries_are_found(session: Session) -> None:
    _three(session)
    session.connection().execute(delete(ENTRIES).where(ENTRIES.c.seq == 3))
    broken = audit.verify(session).broken
    assert broken is not None and broken.seq == 3
    assert broken.reason.startswith("the head names entry 3")
    session.rollback()
    session.connection().execute(delete(ENTRIES).where(ENTRIES.c.seq == 2))
    assert audit.verify(session).broken == audit.Broken(
        3, "follows entry 1: entries are missing or renumbered"
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_tampering_with_any_stored_entry_is_detected(
    sessions: sessionmaker[Session], data: st.DataObject
) -> None:
    """Property: one stored entry changed in any column, to any other value, or removed: `verify` fails.
    Each example tampers inside a transaction and rolls back, so the chain is built once."""
    with sessions() as session:
        if audit.head(session)[0] == 0:
            for index in range(5):
                audit.record(
                    session,
                    "proposal.support",
                    f"proposal:{index}",
                    actor=f"person:{index}",
                    at=AT,
                    data={"i": index},
                )
            session.commit()
        rows = {row.seq: row for row in session.connection().execute(select(ENTRIES))}
        seq = data.draw(st.integers(1, 5), label="seq")
        column = data.draw(
            st.sampled_from(["at", "kind", "subject", "actor", "data", "prev_hash", "hash", "seq", "remove"]),
            label="column",
        )
        original = getattr(rows[seq], column, None)
        if column == "remove":
            session.connection().execute(delete(ENTRIES).where(ENTRIES.c.seq == seq))
        else:
            new = data.draw(_other_value(column, rows, original), label="new")
            _tamper(session, seq, **{column: new})
        assert not audit.verify(session).intact
        session.rollback()
        assert audit.verify(session).intact


def _other_value(column: str, rows: dict[int, Any], original: Any) -> st.SearchStrategy[Any]:
    if column == "at":
        return (
            st.integers(-(10**12), 10**12).filter(bool).map(lambda us: original + timedelta(microseconds=us))
        )
    if column == "seq":
        return st.integers(6, 10**9)
    if column in ("hash", "prev_hash"):
        taken = {row.hash for row in rows.values()} | {row.prev_hash for row in rows.values()}
        return st.text("0123456789abcdef", min_size=64, max_size=64).filter(lambda h: h not in taken)
    return st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40).filter(
        lambda text: text != original
    )


def test_concurrent_writers_never_fork_the_chain(engine: Engine, sessions: sessionmaker[Session]) -> None:
    """Four threads, each with its own session, append 10 entries each at once: 40 entries in one chain."""
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            barrier.wait()
            for index in range(10):
                with sessions() as session:
                    audit.record(
                        session,
                        "test",
                        f"writer:{name}",
                        actor="system",
                        at=datetime.now(UTC),
                        data={"i": index},
                    )
                    session.commit()
        except BaseException as exc:  # reported below: a thread's exception would otherwise vanish
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(str(n),)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with sessions() as session:
        check = audit.verify(session)
        assert check.intact
        assert (check.entries, check.head_seq) == (40, 40)


def test_cli_exits_non_zero_on_tampering(database_url: str, session: Session) -> None:
    _three(session)
    runner = CliRunner()
    result = runner.invoke(app, ["civic", "audit", "--url", database_url])
    assert result.exit_code == 0, result.output
    assert "audit log intact: 3 entries" in result.output
    _tamper(session, 2, subject="proposal:8")
    session.commit()
    result = runner.invoke(app, ["civic", "audit", "--url", database_url])
    assert result.exit_code == 1
    assert "audit log BROKEN at entry 2: its hash does not match its content" in result.output
