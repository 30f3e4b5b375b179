"""What anyone may read: published proposals and comments, without a person's id or anything else that
could name who wrote or supported them. A proposal past `expires_at` reads as expired even before
`workflow.expire_due` writes it down, so the public never sees a stale status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from shahr.civic.proposals.errors import ProposalNotFound
from shahr.civic.proposals.tables import Comment, Proposal, ProposalStatus, Visibility
from shahr.civic.settings import CivicSettings
from shahr.civic.text import normalize

Order = Literal["newest", "most_supported"]


@dataclass(frozen=True)
class ProposalView:
    """A proposal as published. `overdue`: the answer is due and not given; `answered_late`: given after
    its due date. The thresholds are today's settings, for "37 of 100" on a page."""

    id: int
    title: str
    body: str
    district_code: str | None
    category: str
    status: ProposalStatus
    support_count: int
    participant_count: int
    debate_threshold: int
    answer_threshold: int
    created_at: datetime
    expires_at: datetime
    debate_opened_at: datetime | None
    answer_due_at: datetime | None
    answered_at: datetime | None
    answer_office: str | None
    answer_text: str | None
    overdue: bool
    answered_late: bool


@dataclass(frozen=True)
class CommentView:
    id: int
    proposal_id: int
    body: str
    created_at: datetime


def list_proposals(
    session: Session,
    *,
    settings: CivicSettings,
    now: datetime,
    status: ProposalStatus | None = None,
    district_code: str | None = None,
    category: str | None = None,
    text: str | None = None,
    order: Order = "newest",
    limit: int = 50,
    offset: int = 0,
) -> list[ProposalView]:
    """Published proposals, filtered; `text` matches title and body after `civic.text.normalize` (so
    Arabic and Persian spellings and digits find each other)."""
    conditions = [Proposal.visibility == Visibility.PUBLISHED]
    if status is not None:
        conditions.append(_status_is(status, now))
    if district_code is not None:
        conditions.append(Proposal.district_code == district_code)
    if category is not None:
        conditions.append(Proposal.category == category)
    if text:
        conditions.append(Proposal.search_text.contains(normalize(text), autoescape=True))
    sort = (Proposal.support_count.desc(),) if order == "most_supported" else ()
    statement = (
        select(Proposal)
        .where(*conditions)
        .order_by(*sort, Proposal.created_at.desc(), Proposal.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [view(proposal, settings, now) for proposal in session.scalars(statement)]


def get_proposal(
    session: Session, proposal_id: int, *, settings: CivicSettings, now: datetime
) -> ProposalView:
    """One published proposal, or `ProposalNotFound` (also for one hidden by moderation)."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.visibility is not Visibility.PUBLISHED:
        raise ProposalNotFound(f"no published proposal {proposal_id}", field="path.proposal_id")
    return view(proposal, settings, now)


def list_comments(
    session: Session, proposal_id: int, *, limit: int = 200, offset: int = 0
) -> list[CommentView]:
    """A published proposal's published comments, oldest first."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.visibility is not Visibility.PUBLISHED:
        raise ProposalNotFound(f"no published proposal {proposal_id}", field="path.proposal_id")
    statement = (
        select(Comment)
        .where(Comment.proposal_id == proposal_id, Comment.visibility == Visibility.PUBLISHED)
        .order_by(Comment.created_at, Comment.id)
        .limit(limit)
        .offset(offset)
    )
    return [CommentView(c.id, c.proposal_id, c.body, c.created_at) for c in session.scalars(statement)]


def list_overdue(session: Session, *, settings: CivicSettings, now: datetime) -> list[ProposalView]:
    """Published proposals whose answer is past due and not given, the longest overdue first."""
    statement = (
        select(Proposal)
        .where(
            Proposal.visibility == Visibility.PUBLISHED,
            Proposal.status == ProposalStatus.AWAITING_ANSWER,
            Proposal.answer_due_at < now,
        )
        .order_by(Proposal.answer_due_at, Proposal.id)
    )
    return [view(proposal, settings, now) for proposal in session.scalars(statement)]


def view(proposal: Proposal, settings: CivicSettings, now: datetime) -> ProposalView:
    due = proposal.answer_due_at
    return ProposalView(
        id=proposal.id,
        title=proposal.title,
        body=proposal.body,
        district_code=proposal.district_code,
        category=proposal.category,
        status=effective_status(proposal, now),
        support_count=proposal.support_count,
        participant_count=proposal.participant_count,
        debate_threshold=settings.debate_threshold,
        answer_threshold=settings.answer_threshold,
        created_at=proposal.created_at,
        expires_at=proposal.expires_at,
        debate_opened_at=proposal.debate_opened_at,
        answer_due_at=due,
        answered_at=proposal.answered_at,
        answer_office=proposal.answer_office,
        answer_text=proposal.answer_text,
        overdue=proposal.status is ProposalStatus.AWAITING_ANSWER and due is not None and now > due,
        answered_late=proposal.answered_at is not None and due is not None and proposal.answered_at > due,
    )


def effective_status(proposal: Proposal, now: datetime) -> ProposalStatus:
    if proposal.status is ProposalStatus.OPEN and now >= proposal.expires_at:
        return ProposalStatus.EXPIRED
    return proposal.status


def _status_is(status: ProposalStatus, now: datetime) -> ColumnElement[bool]:
    open_past_expiry = and_(Proposal.status == ProposalStatus.OPEN, Proposal.expires_at <= now)
    if status is ProposalStatus.EXPIRED:
        return or_(Proposal.status == ProposalStatus.EXPIRED, open_past_expiry)
    if status is ProposalStatus.OPEN:
        return and_(Proposal.status == ProposalStatus.OPEN, Proposal.expires_at > now)
    return Proposal.status == status
