"""Moderation: texts held back by screening or flagged by residents wait in a queue for a moderator.

Screening runs when a proposal or comment is written: markup, links and the configured words send it to
the queue hidden (`pending`). Personal data is not a reason: it is masked before anything is stored.
Residents flag what they see; once `user_flags_to_hide` distinct persons flagged an item it is hidden
until a moderator decides. A moderator approves (published, flags resolved) or removes (hidden for good);
either decision is recorded in the audit log. Moderators are staff tokens with a role the router admits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shahr.civic import audit
from shahr.civic.proposals.errors import AlreadyFlagged, InvalidProposal, ProposalNotFound
from shahr.civic.proposals.locking import lock
from shahr.civic.proposals.tables import (
    Comment,
    Decision,
    Flag,
    FlagSource,
    Proposal,
    TargetKind,
    Visibility,
)
from shahr.civic.settings import CivicSettings
from shahr.civic.text import clean_text, contains_html, normalize
from shahr.civic.verification import Person

_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|ir|org|net|info|xyz)\b", re.IGNORECASE)


@dataclass(frozen=True)
class QueueItem:
    """An item waiting for a moderator, with every open reason it was flagged for."""

    kind: TargetKind
    target_id: int
    proposal_id: int
    title: str | None
    """The proposal's title (None for a comment)."""
    body: str
    visibility: Visibility
    reasons: tuple[str, ...]
    user_flags: int
    first_flagged_at: datetime


def screen(text: str, settings: CivicSettings) -> list[str]:
    """The reasons `text` (already masked: an e-mail address is no link) should wait for a moderator
    before it is shown (empty: publish it)."""
    reasons = []
    if contains_html(text):
        reasons.append("markup")
    if _LINK.search(text):
        reasons.append("link")
    normalized = normalize(text)
    reasons += [f"screened word {word!r}" for word in settings.screen_words if normalize(word) in normalized]
    return reasons


def hold_for_screening(
    session: Session, kind: TargetKind, target_id: int, reasons: list[str], now: datetime
) -> None:
    """Queue a new item that screening stopped (the caller wrote it as `pending`)."""
    for reason in reasons:
        session.add(
            Flag(
                target_kind=kind,
                target_id=target_id,
                source=FlagSource.SCREENING,
                reason=reason,
                created_at=now,
            )
        )
    session.flush()


def flag(
    session: Session,
    kind: TargetKind,
    target_id: int,
    person: Person,
    reason: str,
    *,
    settings: CivicSettings,
    now: datetime,
) -> Visibility:
    """A resident flags a published item; returns its visibility after the flag (`pending` once enough
    distinct persons flagged it). `AlreadyFlagged` for a second flag by the same person."""
    reason = clean_text(reason)
    if not 1 <= len(reason) <= 200:
        raise InvalidProposal(
            f"a flag's reason has 1 to 200 characters, not {len(reason)}", field="body.reason"
        )
    target = _visible(session, kind, target_id)
    try:
        with session.begin_nested():
            session.add(
                Flag(
                    target_kind=kind,
                    target_id=target_id,
                    source=FlagSource.USER,
                    reason=reason,
                    person_id=person.id,
                    created_at=now,
                )
            )
    except IntegrityError as exc:
        raise AlreadyFlagged(f"you already flagged {kind.value} {target_id}", field="path.id") from exc
    open_flags = session.scalar(
        select(func.count()).where(*_open(kind, target_id), Flag.source == FlagSource.USER)
    )
    if target.visibility is Visibility.PUBLISHED and (open_flags or 0) >= settings.user_flags_to_hide:
        target.visibility = Visibility.PENDING
        session.flush()
        audit.record(
            session,
            "moderation.hidden",
            f"{kind.value}:{target_id}",
            actor="system",
            at=now,
            data={"user_flags": open_flags},
        )
    return target.visibility


def list_queue(session: Session) -> list[QueueItem]:
    """Every item with open flags, or hidden and waiting, oldest flag first."""
    flags = session.scalars(select(Flag).where(Flag.resolved_at.is_(None)).order_by(Flag.created_at, Flag.id))
    grouped: dict[tuple[TargetKind, int], list[Flag]] = {}
    for item in flags:
        grouped.setdefault((item.target_kind, item.target_id), []).append(item)
    queue = []
    for (kind, target_id), item_flags in grouped.items():
        target = _target(session, kind, target_id)
        if target is None:
            continue
        queue.append(
            QueueItem(
                kind=kind,
                target_id=target_id,
                proposal_id=target.id if isinstance(target, Proposal) else target.proposal_id,
                title=target.title if isinstance(target, Proposal) else None,
                body=target.body,
                visibility=target.visibility,
                reasons=tuple(dict.fromkeys(item.reason for item in item_flags)),
                user_flags=sum(item.source is FlagSource.USER for item in item_flags),
                first_flagged_at=item_flags[0].created_at,
            )
        )
    return queue


def decide(
    session: Session,
    kind: TargetKind,
    target_id: int,
    decision: Decision,
    *,
    moderator: str,
    now: datetime,
) -> Visibility:
    """A moderator's decision on any item (queued or not, or to undo an earlier one): `approved`
    publishes it, `removed` hides it for good; its open flags are resolved with the decision."""
    target = _lock_target(session, kind, target_id)
    if target is None:
        raise ProposalNotFound(f"no {kind.value} {target_id}", field="path.id")
    before = target.visibility
    target.visibility = Visibility.PUBLISHED if decision is Decision.APPROVED else Visibility.REMOVED
    resolved = 0
    for item in session.scalars(select(Flag).where(*_open(kind, target_id))):
        item.resolved_at, item.resolved_by, item.decision = now, moderator, decision
        resolved += 1
    session.flush()
    audit.record(
        session,
        "moderation.decision",
        f"{kind.value}:{target_id}",
        actor=f"staff:{moderator}",
        at=now,
        data={
            "decision": decision.value,
            "from": before.value,
            "to": target.visibility.value,
            "flags": resolved,
        },
    )
    return target.visibility


def _visible(session: Session, kind: TargetKind, target_id: int) -> Proposal | Comment:
    """The published item, locked (flag counts and the hiding decision must not race)."""
    target = _lock_target(session, kind, target_id)
    if target is None or target.visibility is not Visibility.PUBLISHED:
        raise ProposalNotFound(f"no published {kind.value} {target_id}", field="path.id")
    return target


def _lock_target(session: Session, kind: TargetKind, target_id: int) -> Proposal | Comment | None:
    if kind is TargetKind.PROPOSAL:
        return lock(session, Proposal, target_id)
    return lock(session, Comment, target_id)


def _target(session: Session, kind: TargetKind, target_id: int) -> Proposal | Comment | None:
    if kind is TargetKind.PROPOSAL:
        return session.get(Proposal, target_id)
    return session.get(Comment, target_id)


def _open(kind: TargetKind, target_id: int) -> tuple[ColumnElement[bool], ...]:
    return (Flag.target_kind == kind, Flag.target_id == target_id, Flag.resolved_at.is_(None))
