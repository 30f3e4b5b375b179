"""The JSON API's shapes for verification, proposals and moderation. Public shapes carry no person's id
and nothing else that could name who wrote, supported or flagged; times are in the city's time zone."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from shahr.civic.proposals.tables import Decision, ProposalStatus, TargetKind, Visibility
from shahr.web.schemas import NO_NUL


class VerificationStart(BaseModel):
    phone: str = Field(min_length=1, max_length=32, pattern=NO_NUL, examples=["09121234567", "+989121234567"])


class ChallengeStarted(BaseModel):
    """A code is on its way; send it back to `POST /civic/verifications/{challenge_id}`."""

    challenge_id: str
    expires_at: datetime
    code_length: int


class VerificationConfirm(BaseModel):
    code: str = Field(min_length=1, max_length=16, pattern=NO_NUL, examples=["042917"])


class PersonVerified(BaseModel):
    """The person token, for `Authorization: Person <token>` until `expires_at`."""

    person_token: str
    expires_at: datetime


class ProposalCreate(BaseModel):
    title: str = Field(min_length=1, max_length=400, pattern=NO_NUL)
    body: str = Field(min_length=1, max_length=8000, pattern=NO_NUL)
    category: str = Field(min_length=1, max_length=64, pattern=NO_NUL, examples=["transport"])
    district_code: str | None = Field(
        None, min_length=1, max_length=32, pattern=NO_NUL, description="None: the whole city."
    )


class ProposalSubmitted(BaseModel):
    """`visibility: pending` when screening sent it to moderation before it is shown."""

    proposal_id: int
    visibility: Visibility


class ProposalPublic(BaseModel):
    id: int
    title: str
    body: str
    district_code: str | None
    category: str
    status: ProposalStatus
    support_count: int
    participant_count: int = Field(description="Distinct persons who supported or commented.")
    debate_threshold: int
    answer_threshold: int
    created_at: datetime
    expires_at: datetime
    debate_opened_at: datetime | None
    answer_due_at: datetime | None
    answered_at: datetime | None
    answer_office: str | None
    answer_text: str | None
    overdue: bool = Field(description="The answer is past due and not given.")
    answered_late: bool


class SupportPublic(BaseModel):
    proposal_id: int
    support_count: int
    participant_count: int
    status: ProposalStatus
    reached: list[ProposalStatus] = Field(description="Statuses this support moved the proposal to.")


class CommentCreate(BaseModel):
    body: str = Field(min_length=1, max_length=4000, pattern=NO_NUL)


class CommentSubmitted(BaseModel):
    comment_id: int
    visibility: Visibility


class CommentPublic(BaseModel):
    id: int
    proposal_id: int
    body: str
    created_at: datetime


class FlagCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=400, pattern=NO_NUL, examples=["insulting"])


class VisibilityPublic(BaseModel):
    visibility: Visibility


class AnswerCreate(BaseModel):
    office: str = Field(min_length=1, max_length=400, pattern=NO_NUL, examples=["معاونت حمل‌ونقل و ترافیک"])
    text: str = Field(min_length=1, max_length=16000, pattern=NO_NUL)


class QueueItemPublic(BaseModel):
    """An item for moderators (staff only): its text as stored, why it is queued."""

    kind: TargetKind
    target_id: int
    proposal_id: int
    title: str | None
    body: str
    visibility: Visibility
    reasons: list[str]
    user_flags: int
    first_flagged_at: datetime


class DecisionIn(BaseModel):
    decision: Decision


class AuditHeadPublic(BaseModel):
    """The audit log's last entry: keep copies, and a rewritten log no longer matches them."""

    seq: int
    hash: str
