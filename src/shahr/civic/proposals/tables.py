"""The proposals' tables. Texts are stored as published: cleaned and with personal data masked
(`civic.text`), never the raw text, so nothing a resident typed by mistake (a phone number) is kept.

Counts are kept on the proposal (`support_count`, `participant_count`) and changed only with its row
locked, beside the rows they count: one support per (proposal, person) and one participant row per
(proposal, person) are unique at the database, so no count can be incremented twice for one person.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shahr.backoffice.tables import ID, UTCDateTime
from shahr.db.base import Base


class ProposalStatus(StrEnum):
    OPEN = "open"
    """Collecting supports until `expires_at`."""
    DEBATE = "debate"
    """Reached the debate threshold: open for comments, still collecting supports."""
    AWAITING_ANSWER = "awaiting_answer"
    """Reached the answer threshold: the city must answer by `answer_due_at`."""
    ANSWERED = "answered"
    EXPIRED = "expired"
    """Did not reach the debate threshold in time."""


ACCEPTING_SUPPORT = frozenset({ProposalStatus.OPEN, ProposalStatus.DEBATE, ProposalStatus.AWAITING_ANSWER})
IN_DEBATE = frozenset({ProposalStatus.DEBATE, ProposalStatus.AWAITING_ANSWER})
"""Where comments are allowed, and where the city may answer."""


class Visibility(StrEnum):
    PUBLISHED = "published"
    PENDING = "pending"
    """Flagged by screening or by enough residents: hidden until a moderator decides."""
    REMOVED = "removed"
    """A moderator refused it: hidden for good."""


class TargetKind(StrEnum):
    PROPOSAL = "proposal"
    COMMENT = "comment"


class FlagSource(StrEnum):
    SCREENING = "screening"
    USER = "user"


class Decision(StrEnum):
    APPROVED = "approved"
    REMOVED = "removed"


def _enum(cls: type[StrEnum], name: str) -> Enum:
    """A string column with a CHECK, as in the back office's tables (no native type to migrate)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


class Proposal(Base):
    __tablename__ = "civic_proposals"
    __table_args__ = (
        CheckConstraint("support_count >= 0 AND participant_count >= support_count", name="counts"),
        Index("ix_civic_proposals_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)
    """`civic.text.normalize` of title and body: what search matches."""
    district_code: Mapped[str | None] = mapped_column(String(32), index=True)
    """None: the whole city."""
    category: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[str] = mapped_column(ForeignKey("civic_persons.id"), index=True)
    status: Mapped[ProposalStatus] = mapped_column(_enum(ProposalStatus, "proposal_status"))
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility, "visibility"))
    support_count: Mapped[int] = mapped_column(Integer)
    participant_count: Mapped[int] = mapped_column(Integer)
    """Distinct persons who supported or commented."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    debate_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_office: Mapped[str | None] = mapped_column(String(200))
    answer_text: Mapped[str | None] = mapped_column(Text)


class Support(Base):
    __tablename__ = "civic_proposal_supports"
    __table_args__ = (UniqueConstraint("proposal_id", "person_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("civic_proposals.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("civic_persons.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Participant(Base):
    """A person who supported or commented on a proposal, once."""

    __tablename__ = "civic_proposal_participants"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("civic_proposals.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("civic_persons.id"), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime)


class Comment(Base):
    __tablename__ = "civic_proposal_comments"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("civic_proposals.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("civic_persons.id"))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility, "visibility"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Flag(Base):
    """Why a proposal or comment was sent to moderation: by screening (no person) or by a resident (once
    per person and item). Resolved, with the decision, when a moderator decides."""

    __tablename__ = "civic_moderation_flags"
    __table_args__ = (
        UniqueConstraint("target_kind", "target_id", "person_id"),
        Index("ix_civic_moderation_flags_open", "resolved_at", "target_kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    target_kind: Mapped[TargetKind] = mapped_column(_enum(TargetKind, "moderation_target"))
    target_id: Mapped[int] = mapped_column(ID)
    source: Mapped[FlagSource] = mapped_column(_enum(FlagSource, "flag_source"))
    reason: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[str | None] = mapped_column(ForeignKey("civic_persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    decision: Mapped[Decision | None] = mapped_column(_enum(Decision, "moderation_decision"))
