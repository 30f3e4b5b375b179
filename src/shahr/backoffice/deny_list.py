"""The validators' deny list: the cards a validator must refuse while offline, published as numbered
versions so that a validator downloads only what changed since the version it holds.

A card is listed when its status is blocked, lost or replaced (the status is the reason), or when it is
active and its balance is below the least one boarding could cost it (`low_balance`, `minimum_fare`).

`publish` compares what should be listed now with the last published state and, when anything changed,
writes version N+1: a `deny_list_versions` row and one entry per card that changed (its new reason, or
none when it leaves the list). Nothing is updated or deleted, so the state at any version can be rebuilt
and `get_deny_list` can answer "what changed since version V" for every V. The version row's primary key
lets only one of two concurrent publishers write N+1: the other gets an `IntegrityError` (PostgreSQL
blocks its insert until the first commits; SQLite makes it wait for the write lock) inside a savepoint,
reads the new version and compares again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, UniqueConstraint, and_, event, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from shahr.backoffice.errors import ImmutableRecord, InvalidCommand
from shahr.backoffice.ledger import NORMAL_SIGN, check_aware
from shahr.backoffice.tables import ID, AccountKind, Card, CardPass, CardStatus, Posting, UTCDateTime
from shahr.db.base import Base
from shahr.fares.load import Policy
from shahr.fares.policy import Tariff
from shahr.fares.rules.base import base_fare, is_free


class DenyReason(StrEnum):
    BLOCKED = "blocked"
    LOST = "lost"
    REPLACED = "replaced"
    LOW_BALANCE = "low_balance"
    """Active, but holding less than the cheapest boarding it could make."""


STATUS_REASONS: dict[CardStatus, DenyReason] = {
    CardStatus.BLOCKED: DenyReason.BLOCKED,
    CardStatus.LOST: DenyReason.LOST,
    CardStatus.REPLACED: DenyReason.REPLACED,
}
"""Statuses that list a card whatever its balance; an active card is listed only for its balance."""

_ATTEMPTS = 5
"""Races a publish may lose before it settles for the version the winners wrote."""


class DenyListVersion(Base):
    """One published version; its primary key is what makes concurrent publishers take turns."""

    __tablename__ = "deny_list_versions"

    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    entries: Mapped[list[DenyListEntry]] = relationship(order_by="DenyListEntry.card_id")


class DenyListEntry(Base):
    """A card's change at a version: listed with `reason`, or taken off the list when `reason` is None.
    A card's state at version V is its entry with the highest version up to V."""

    __tablename__ = "deny_list_entries"
    __table_args__ = (UniqueConstraint("version", "card_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    version: Mapped[int] = mapped_column(ForeignKey("deny_list_versions.version"))
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"), index=True)
    reason: Mapped[DenyReason | None] = mapped_column(
        Enum(
            DenyReason,
            name="deny_reason",
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda members: [member.value for member in members],
        )
    )


class VersionAhead(InvalidCommand):
    """A `since` newer than anything published: the device holds a list from another database (or one
    restored from an older backup), so it must take the full list instead."""

    def __init__(self, since: int, current: int) -> None:
        self.since = since
        self.current = current
        super().__init__(
            f"since {since} is newer than the deny list's current version {current}: this service never "
            "published it; download the full list (no since)",
            field="query.since",
        )


@dataclass(frozen=True, slots=True)
class DenyList:
    """The list at `version`: all of it (`since` None), or the net changes after `since`: the cards to
    list with their reason (new or changed) and the cards to drop."""

    version: int
    since: int | None
    entries: dict[str, DenyReason]
    removed: tuple[str, ...] = ()

    @property
    def full(self) -> bool:
        return self.since is None


@dataclass(frozen=True, slots=True)
class Published:
    """The current version after a publish, and the entries it wrote (0: nothing changed, no version)."""

    version: int
    changes: int


def minimum_fare(tariff: Tariff, medium: str, category: str) -> int:
    """The least one boarding can cost this medium and rider category: the cheapest mode's base fare at
    the cheapest time of day (time rules change a fare only at their bands' edges: those are the times
    to try). 0 when a mode is free for the category or no mode has a fare for it: it never runs short."""
    times = {time(0), *(edge for rule in tariff.time_rules for edge in (rule.start, rule.end))}
    fares = [
        0
        if is_free(tariff, mode_id, category)
        else base_fare(tariff, mode_id, medium, category, at, first=True)[0]
        for mode_id, mode in tariff.modes.items()
        if category in mode.base_fare.get(medium, {})
        for at in times
    ]
    return min(fares, default=0)


def listed_now(session: Session, tariff: Tariff, service_date: date) -> dict[str, DenyReason]:
    """Card id -> reason for every card that should be on the list under `tariff` on `service_date`. A
    card holding a prepaid pass for the day rides whatever its balance: it is not listed for it."""
    covered = set(
        session.scalars(
            select(CardPass.card_id).where(
                CardPass.payment == "prepaid",
                CardPass.first_day <= service_date,
                CardPass.last_day >= service_date,
            )
        )
    )
    pairs = session.execute(select(Card.rider_category, Card.medium).distinct()).all()
    minimums = {(category, medium): minimum_fare(tariff, medium, category) for category, medium in pairs}
    sums = (
        select(Posting.account_id, func.sum(Posting.amount_minor).label("raw"))
        .group_by(Posting.account_id)
        .subquery()
    )
    balance = NORMAL_SIGN[AccountKind.CARD_LIABILITY] * func.coalesce(sums.c.raw, 0)
    rows = session.execute(
        select(Card.id, Card.status, Card.rider_category, Card.medium, balance)
        .outerjoin(sums, sums.c.account_id == Card.account_id)
        .where(or_(Card.status != CardStatus.ACTIVE, balance < max(minimums.values(), default=0)))
    )
    listed: dict[str, DenyReason] = {}
    for card_id, status, category, medium, balance_minor in rows:
        if status in STATUS_REASONS:
            listed[card_id] = STATUS_REASONS[status]
        elif int(balance_minor) < minimums[(category, medium)] and card_id not in covered:
            listed[card_id] = DenyReason.LOW_BALANCE
    return listed


def current_version(session: Session) -> int:
    """The newest published version; 0 before the first."""
    return int(session.scalars(select(func.coalesce(func.max(DenyListVersion.version), 0))).one())


def publish(session: Session, policy: Policy, now: datetime) -> Published:
    """Write a new version if what should be listed (under the tariff in force on `now`'s service day)
    differs from the last published state; otherwise write nothing and return the current version.

    On a lost race (another publisher wrote the same version first) it compares again with the winner's
    version; after `_ATTEMPTS` lost races it returns the newest version, which is no older than this call.
    Flushed, not committed.
    """
    service_date = policy.service_date(check_aware("now", now))
    tariff = policy.version_for(service_date)
    for _ in range(_ATTEMPTS):
        latest = current_version(session)
        listed = listed_now(session, tariff, service_date)
        before = _state_at(session, latest)
        changes = {
            card_id: listed.get(card_id)
            for card_id in sorted(listed.keys() | before.keys())
            if listed.get(card_id) != before.get(card_id)
        }
        if not changes:
            return Published(latest, 0)
        entries = [DenyListEntry(card_id=card_id, reason=reason) for card_id, reason in changes.items()]
        try:
            with session.begin_nested():
                session.add(DenyListVersion(version=latest + 1, created_at=now, entries=entries))
        except IntegrityError:
            continue
        return Published(latest + 1, len(changes))
    return Published(current_version(session), 0)


def get_deny_list(session: Session, since: int | None = None) -> DenyList:
    """The published list: whole when `since` is None or 0 (nothing held), else the net changes after
    `since`. A card listed and dropped again after `since` is in `removed` if it was listed at `since`,
    and absent otherwise. `VersionAhead` when `since` is newer than the current version."""
    current = current_version(session)
    if since is not None and since > current:
        raise VersionAhead(since, current)
    if not since:
        return DenyList(current, None, _state_at(session, current))
    touched = select(DenyListEntry.card_id).where(
        DenyListEntry.version > since, DenyListEntry.version <= current
    )
    rows = session.execute(
        select(DenyListEntry.card_id, DenyListEntry.version, DenyListEntry.reason)
        .where(DenyListEntry.card_id.in_(touched), DenyListEntry.version <= current)
        .order_by(DenyListEntry.card_id, DenyListEntry.version)
    )
    before: dict[str, DenyReason | None] = {}
    after: dict[str, DenyReason | None] = {}
    for card_id, version, reason in rows:
        if version <= since:
            before[card_id] = reason
        after[card_id] = reason
    entries = {
        card_id: reason
        for card_id, reason in after.items()
        if reason is not None and before.get(card_id) != reason
    }
    removed = tuple(
        card_id for card_id, reason in after.items() if reason is None and before.get(card_id) is not None
    )
    return DenyList(current, since, entries, removed)


def _state_at(session: Session, version: int) -> dict[str, DenyReason]:
    """Card id -> reason of every card listed at `version`."""
    last = (
        select(DenyListEntry.card_id, func.max(DenyListEntry.version).label("version"))
        .where(DenyListEntry.version <= version)
        .group_by(DenyListEntry.card_id)
        .subquery()
    )
    rows = session.execute(
        select(DenyListEntry.card_id, DenyListEntry.reason)
        .join(last, and_(DenyListEntry.card_id == last.c.card_id, DenyListEntry.version == last.c.version))
        .order_by(DenyListEntry.card_id)
    )
    return {card_id: reason for card_id, reason in rows if reason is not None}


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Published versions are append-only: a device holding one must be able to trust every delta."""
    for record in [*(dirty for dirty in session.dirty if session.is_modified(dirty)), *session.deleted]:
        if isinstance(record, DenyListVersion | DenyListEntry):
            raise ImmutableRecord(f"deny list {type(record).__name__} is published: it cannot be changed")
