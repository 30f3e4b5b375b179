"""The proposal commands. Each flushes and does not commit (the caller owns the transaction, one command
per transaction), locks the proposal's row before it reads a count or a status, and records what it did
in the audit log last, so the chain's lock is held briefly and always after the proposal's (no deadlock).

    create_proposal  -> Proposal (`visibility` pending when screening stopped it)
    support          -> Supported, or AlreadySupported / ProposalClosed / ProposalNotFound
    comment          -> Comment, or ProposalClosed before the debate opens or after the answer
    answer           -> Proposal, answered
    expire_due       -> the ids of proposals that expired

Status: open -> debate (supports >= debate_threshold) -> awaiting_answer (participants >=
answer_threshold; due `answer_days` later) -> answered; open -> expired at `expires_at`. A proposal past
`expires_at` is expired for every command at once; `expire_due` writes the change down.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shahr.civic import audit
from shahr.civic.geo import Districts, GeoError
from shahr.civic.proposals.errors import (
    AlreadySupported,
    InvalidProposal,
    ProposalClosed,
    ProposalNotFound,
)
from shahr.civic.proposals.locking import lock, lock_where
from shahr.civic.proposals.moderation import hold_for_screening, screen
from shahr.civic.proposals.tables import (
    ACCEPTING_SUPPORT,
    IN_DEBATE,
    Comment,
    Participant,
    Proposal,
    ProposalStatus,
    Support,
    TargetKind,
    Visibility,
)
from shahr.civic.settings import CivicSettings
from shahr.civic.text import clean_text, mask_personal_data, normalize
from shahr.civic.verification import Person

TITLE_CHARS = (5, 200)
BODY_CHARS = (20, 4000)
COMMENT_CHARS = (1, 2000)
ANSWER_CHARS = (1, 8000)


@dataclass(frozen=True)
class Supported:
    """The counts after the support, and the statuses it moved the proposal through (usually none)."""

    proposal_id: int
    support_count: int
    participant_count: int
    status: ProposalStatus
    reached: tuple[ProposalStatus, ...]


def create_proposal(
    session: Session,
    author: Person,
    *,
    title: str,
    body: str,
    category: str,
    district_code: str | None,
    districts: Districts,
    settings: CivicSettings,
    now: datetime,
) -> Proposal:
    """A new open proposal, its texts cleaned and masked; held for moderation if screening objects."""
    title, body = _text(title, TITLE_CHARS, "body.title"), _text(body, BODY_CHARS, "body.body")
    if category not in settings.categories:
        choices = ", ".join(settings.categories)
        raise InvalidProposal(f"category {category!r} is not one of {choices}", field="body.category")
    if district_code is not None:
        try:
            districts.get(district_code)
        except GeoError as exc:
            raise InvalidProposal(str(exc), field="body.district_code") from exc
    title, body = mask_personal_data(title), mask_personal_data(body)
    reasons = screen(f"{title}\n{body}", settings)
    proposal = Proposal(
        title=title,
        body=body,
        search_text=normalize(f"{title} {body}"),
        district_code=district_code,
        category=category,
        author_id=author.id,
        status=ProposalStatus.OPEN,
        visibility=Visibility.PENDING if reasons else Visibility.PUBLISHED,
        support_count=0,
        participant_count=0,
        created_at=now,
        expires_at=now + timedelta(days=settings.expiry_days),
    )
    session.add(proposal)
    session.flush()
    hold_for_screening(session, TargetKind.PROPOSAL, proposal.id, reasons, now)
    data = {
        "category": category,
        "district_code": district_code,
        "visibility": proposal.visibility.value,
        "text_sha256": _sha256(f"{title}\n{body}"),
    }
    audit.record(session, "proposal.created", _subject(proposal), actor=_person(author), at=now, data=data)
    return proposal


def support(
    session: Session, proposal_id: int, person: Person, *, settings: CivicSettings, now: datetime
) -> Supported:
    """One support from a verified person; the second from the same person is `AlreadySupported` (checked
    under the proposal's lock, and by the unique constraint should anything bypass the lock)."""
    proposal = _locked(session, proposal_id, ACCEPTING_SUPPORT, now, "supported")
    if session.scalar(
        select(Support.id).where(Support.proposal_id == proposal_id, Support.person_id == person.id)
    ):
        raise AlreadySupported(f"you already support proposal {proposal_id}", field="path.proposal_id")
    try:
        with session.begin_nested():
            session.add(Support(proposal_id=proposal_id, person_id=person.id, created_at=now))
    except IntegrityError as exc:
        raise AlreadySupported(
            f"you already support proposal {proposal_id}", field="path.proposal_id"
        ) from exc
    _join(session, proposal, person, now)
    proposal.support_count += 1  # after the participant: the counts' CHECK holds at every flush
    moves = _advance(proposal, settings, now)
    session.flush()
    counts = {"support_count": proposal.support_count, "participant_count": proposal.participant_count}
    audit.record(session, "proposal.support", _subject(proposal), actor=_person(person), at=now, data=counts)
    _record_statuses(session, proposal, moves, now)
    reached = tuple(after for _, after in moves)
    return Supported(
        proposal.id, proposal.support_count, proposal.participant_count, proposal.status, reached
    )


def comment(
    session: Session, proposal_id: int, person: Person, text: str, *, settings: CivicSettings, now: datetime
) -> Comment:
    """A comment in a proposal's debate (refused before it opens and after the answer), masked, held for
    moderation if screening objects; the commenter counts as a participant."""
    text = _text(text, COMMENT_CHARS, "body.body")
    proposal = _locked(session, proposal_id, IN_DEBATE, now, "commented on")
    text = mask_personal_data(text)
    reasons = screen(text, settings)
    entry = Comment(
        proposal_id=proposal_id,
        author_id=person.id,
        body=text,
        visibility=Visibility.PENDING if reasons else Visibility.PUBLISHED,
        created_at=now,
    )
    session.add(entry)
    _join(session, proposal, person, now)
    moves = _advance(proposal, settings, now)
    session.flush()
    hold_for_screening(session, TargetKind.COMMENT, entry.id, reasons, now)
    data = {
        "comment_id": entry.id,
        "visibility": entry.visibility.value,
        "participant_count": proposal.participant_count,
        "text_sha256": _sha256(entry.body),
    }
    audit.record(session, "proposal.comment", _subject(proposal), actor=_person(person), at=now, data=data)
    _record_statuses(session, proposal, moves, now)
    return entry


def answer(
    session: Session, proposal_id: int, *, office: str, text: str, staff: str, now: datetime
) -> Proposal:
    """The responsible office's official answer, published as written (it is the city speaking, not a
    resident). Allowed once the debate is open, before the answer threshold too."""
    office = _text(office, (1, 200), "body.office")
    text = _text(text, ANSWER_CHARS, "body.text")
    proposal = _locked(session, proposal_id, IN_DEBATE, now, "answered")
    before = proposal.status
    proposal.status = ProposalStatus.ANSWERED
    proposal.answered_at, proposal.answer_office, proposal.answer_text = now, office, text
    session.flush()
    late = proposal.answer_due_at is not None and now > proposal.answer_due_at
    data: dict[str, audit.JSONValue] = {"office": office, "late": late, "text_sha256": _sha256(text)}
    audit.record(session, "proposal.answer", _subject(proposal), actor=f"staff:{staff}", at=now, data=data)
    _record_status(session, proposal, before, ProposalStatus.ANSWERED, now)
    return proposal


def expire_due(session: Session, *, now: datetime) -> list[int]:
    """Mark every open proposal past `expires_at` expired (locked together, in id order, before the first
    audit entry); returns their ids. Safe to run any time, from any number of processes."""
    due = lock_where(session, Proposal, Proposal.status == ProposalStatus.OPEN, Proposal.expires_at <= now)
    for proposal in due:
        proposal.status = ProposalStatus.EXPIRED
    session.flush()
    for proposal in due:
        _record_status(session, proposal, ProposalStatus.OPEN, ProposalStatus.EXPIRED, now)
    return [proposal.id for proposal in due]


def _locked(
    session: Session, proposal_id: int, allowed: frozenset[ProposalStatus], now: datetime, action: str
) -> Proposal:
    proposal = lock(session, Proposal, proposal_id)
    if proposal is None or proposal.visibility is not Visibility.PUBLISHED:
        raise ProposalNotFound(f"no published proposal {proposal_id}", field="path.proposal_id")
    if proposal.status is ProposalStatus.OPEN and now >= proposal.expires_at:
        raise ProposalClosed(
            f"proposal {proposal_id} expired at {proposal.expires_at.isoformat()} without reaching "
            "the debate threshold: it can no longer be " + action,
            field="path.proposal_id",
        )
    if proposal.status not in allowed:
        raise ProposalClosed(
            f"proposal {proposal_id} is {proposal.status.value}: it cannot be {action} now",
            field="path.proposal_id",
        )
    return proposal


def _join(session: Session, proposal: Proposal, person: Person, now: datetime) -> None:
    """Count `person` as a participant once (under the proposal's lock)."""
    if session.get(Participant, (proposal.id, person.id)) is None:
        session.add(Participant(proposal_id=proposal.id, person_id=person.id, since=now))
        proposal.participant_count += 1


Transition = tuple[ProposalStatus, ProposalStatus]


def _advance(proposal: Proposal, settings: CivicSettings, now: datetime) -> list[Transition]:
    """Move the proposal through every threshold its counts now reach; returns the moves (from, to)."""
    moves = []
    if proposal.status is ProposalStatus.OPEN and proposal.support_count >= settings.debate_threshold:
        proposal.status, proposal.debate_opened_at = ProposalStatus.DEBATE, now
        moves.append((ProposalStatus.OPEN, ProposalStatus.DEBATE))
    if proposal.status is ProposalStatus.DEBATE and proposal.participant_count >= settings.answer_threshold:
        proposal.status = ProposalStatus.AWAITING_ANSWER
        proposal.answer_due_at = now + timedelta(days=settings.answer_days)
        moves.append((ProposalStatus.DEBATE, ProposalStatus.AWAITING_ANSWER))
    return moves


def _record_statuses(session: Session, proposal: Proposal, moves: list[Transition], now: datetime) -> None:
    for before, after in moves:
        _record_status(session, proposal, before, after, now)


def _record_status(
    session: Session, proposal: Proposal, before: ProposalStatus, after: ProposalStatus, now: datetime
) -> None:
    data: dict[str, audit.JSONValue] = {"from": before.value, "to": after.value}
    if after is ProposalStatus.AWAITING_ANSWER and proposal.answer_due_at is not None:
        data["answer_due_at"] = proposal.answer_due_at.isoformat()
    audit.record(session, "proposal.status", _subject(proposal), actor="system", at=now, data=data)


def _text(value: str, chars: tuple[int, int], field: str) -> str:
    text = clean_text(value)
    low, high = chars
    if not low <= len(text) <= high:
        raise InvalidProposal(
            f"{field.split('.')[-1]} has {len(text)} characters: {low} to {high} allowed", field=field
        )
    return text


def _subject(proposal: Proposal) -> str:
    return f"proposal:{proposal.id}"


def _person(person: Person) -> str:
    return f"person:{person.id}"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
