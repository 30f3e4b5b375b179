"""An append-only audit log whose entries are chained by hash, so a changed, removed or inserted past
entry (a support added or taken away by someone with database access) is found by `verify`.

Each entry stores the previous entry's hash and its own: the sha256 of a canonical JSON of its content
and that previous hash. A one-row head (`civic_audit_head`) holds the last entry's position and hash:
`record` advances it with one `UPDATE ... RETURNING`, which takes the row's lock on PostgreSQL and the
database's write lock on SQLite, so writers are serialised and the chain never forks (the entry's
position is also its primary key and its previous hash is unique, a second guard at the database).
Entries are never updated or deleted through the ORM (a session guard raises `ImmutableEntry`).

What it does not do: someone who rewrites every entry from some point on, and the head, with hashes
recomputed, leaves a valid chain. Copies of the head hash kept outside the database (the public
`GET /civic/audit/head`, a daily print-out) are what catch that.

    ShahrError
     └── AuditError
          └── ImmutableEntry    an entry updated or deleted through the ORM
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from shahr.backoffice.tables import UTCDateTime
from shahr.db.base import Base
from shahr.errors import ShahrError

GENESIS = "0" * 64
"""The previous hash of the first entry."""
_HEAD = 1

ACTOR_MAX = 128
"""The actor column's length: a longer actor (`staff:` and a staff name near its own 128) is cut to it."""

JSONValue = str | int | bool | None | list["JSONValue"] | dict[str, "JSONValue"]
"""What an entry's `data` may hold: no floats, whose text form differs between writers."""


class AuditError(ShahrError):
    """The audit log refuses an operation."""


class ImmutableEntry(AuditError):
    """Code tried to change or remove an audit entry: the log is append-only."""


class AuditEntry(Base):
    """One event: what happened (`kind`), to what (`subject`, e.g. `proposal:12`), by whom (`actor`,
    e.g. `person:3f2a...` or `staff:Sara`), when, with details in `data` (canonical JSON text)."""

    __tablename__ = "civic_audit_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128), index=True)
    actor: Mapped[str] = mapped_column(String(ACTOR_MAX))
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's last position and hash, in one row: the lock writers queue on, and what tells a
    removed tail from a short log."""

    __tablename__ = "civic_audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class Broken:
    seq: int
    reason: str


@dataclass(frozen=True)
class AuditCheck:
    """What `verify` found: the entries read, the head, and the first broken entry if any."""

    entries: int
    head_seq: int
    head_hash: str
    broken: Broken | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def record(
    session: Session,
    kind: str,
    subject: str,
    *,
    actor: str,
    at: datetime,
    data: Mapping[str, JSONValue] | None = None,
) -> AuditEntry:
    """Append an entry and return it; flushed, not committed, so it commits or rolls back with the
    change it records.

    `kind` names the event (`proposal.support`, `report.status`), `subject` the thing (`report:42`),
    `actor` who did it (`person:<id>`, `staff:<name>`, `system`), `at` when (aware), `data` details as
    JSON (no floats, no personal data: the log outlives the records it describes). Example:
    `record(session, "report.status", "report:42", actor="staff:Sara", at=now,
    data={"from": "filed", "to": "acknowledged"})`.

    The chain's lock is held from here to the end of the caller's transaction: record last, commit soon.
    """
    if at.utcoffset() is None:
        raise ValueError(f"audit time {at.isoformat()} has no time zone")
    actor = actor[:ACTOR_MAX]
    data_text = canonical_json(dict(data or {}))
    seq, prev_hash = _advance_head(session)
    digest = entry_hash(seq, at, kind, subject, actor, data_text, prev_hash)
    entry = AuditEntry(
        seq=seq,
        at=at,
        kind=kind,
        subject=subject,
        actor=actor,
        data=data_text,
        prev_hash=prev_hash,
        hash=digest,
    )
    session.add(entry)
    session.flush()
    session.execute(
        update(AuditHead).where(AuditHead.id == _HEAD).values(hash=digest),
        execution_options={"synchronize_session": False},
    )
    return entry


def head(session: Session) -> tuple[int, str]:
    """The last entry's position and hash ((0, GENESIS) before the first): the value to copy outside
    the database so that a rewritten chain can be told from the real one."""
    row = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == _HEAD)).one_or_none()
    return (0, GENESIS) if row is None else (row.seq, row.hash)


def verify(session: Session) -> AuditCheck:
    """Recompute the chain from the first entry and name the first entry that breaks it: a gap in the
    positions, a previous hash that is not the previous entry's, a hash that is not its content's, or a
    head that does not point at the last entry (entries removed from the end)."""
    head_seq, head_hash = head(session)
    expected, prev_hash, count = 1, GENESIS, 0
    statement = select(AuditEntry.__table__).order_by(AuditEntry.seq).execution_options(yield_per=1000)
    with session.execute(statement) as rows:  # closed on an early return: a server-side cursor on PostgreSQL
        for row in rows:
            count += 1
            broken = _check(row, expected, prev_hash)
            if broken is not None:
                return AuditCheck(count, head_seq, head_hash, broken)
            expected, prev_hash = row.seq + 1, row.hash
    last = expected - 1
    if (head_seq, head_hash) != (last, prev_hash):
        reason = f"the head names entry {head_seq} ({head_hash[:12]}...) but the last entry is {last}"
        return AuditCheck(count, head_seq, head_hash, Broken(max(head_seq, last), reason))
    return AuditCheck(count, head_seq, head_hash, None)


def entry_hash(seq: int, at: datetime, kind: str, subject: str, actor: str, data: str, prev_hash: str) -> str:
    """sha256 (hex) of the canonical JSON of the entry's content and the previous hash."""
    content = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "kind": kind,
        "subject": subject,
        "actor": actor,
        "data": data,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def canonical_json(value: Mapping[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 text as is: one text per value, whoever writes it."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _check(row: Any, expected: int, prev_hash: str) -> Broken | None:
    if row.seq != expected:
        return Broken(row.seq, f"follows entry {expected - 1}: entries are missing or renumbered")
    if row.prev_hash != prev_hash:
        return Broken(
            row.seq, f"its previous hash is not entry {expected - 1}'s: that entry or this one was changed"
        )
    recomputed = entry_hash(row.seq, row.at, row.kind, row.subject, row.actor, row.data, row.prev_hash)
    if recomputed != row.hash:
        return Broken(row.seq, "its hash does not match its content: the entry was changed")
    return None


def _advance_head(session: Session) -> tuple[int, str]:
    """Take the chain's lock and the next position with the previous hash. The head row is created on
    first use; two first writers racing to create it are settled by its primary key."""
    advance = (
        update(AuditHead)
        .where(AuditHead.id == _HEAD)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(advance).one_or_none()
    if row is None:
        try:
            with session.begin_nested():
                session.execute(insert(AuditHead).values(id=_HEAD, seq=0, hash=GENESIS))
        except IntegrityError:
            pass
        row = session.execute(advance).one()
    return row.seq, row.hash


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    for entry in session.dirty:
        if isinstance(entry, AuditEntry) and session.is_modified(entry):
            raise ImmutableEntry(f"audit entry {entry.seq} cannot be changed: the log is append-only")
    for entry in session.deleted:
        if isinstance(entry, AuditEntry):
            raise ImmutableEntry(f"audit entry {entry.seq} cannot be deleted: the log is append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state: ORMExecuteState) -> None:
    """`session.execute(update(AuditEntry)...)` bypasses the flush guard; refuse it here."""
    if (state.is_update or state.is_delete) and any(m.class_ is AuditEntry for m in state.all_mappers):
        raise ImmutableEntry("audit entries cannot be updated or deleted: the log is append-only")
