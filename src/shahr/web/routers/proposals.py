"""Proposals over JSON: phone verification, proposing, supporting, the debate's comments, the city's
answer, moderation, and the audit log's head. Handlers call `shahr.civic` and commit nothing.

Residents act with a person token (`Authorization: Person <token>`, from verification); reading is open
to anyone and never returns a person's id. Proposing, supporting, commenting and asking for a code are
rate-limited per person (or phone) and per client address: 429 `rate_limited` with `Retry-After`.
Answers take an office (or admin) staff token, moderation a moderator (or admin) one. Errors are the app's
(`web.errors.STATUS`).

`CivicDep`, `civic_settings` and `CIVIC_STATUS` are the pages' and their tests' names for what `web.deps`
and `web.errors` define.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, status
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader

from shahr.backoffice.auth import NotAuthenticated
from shahr.civic import audit, verification
from shahr.civic.proposals import moderation, queries, workflow
from shahr.civic.proposals import schemas as s
from shahr.civic.proposals.tables import ProposalStatus, TargetKind
from shahr.civic.settings import Action
from shahr.web.deps import CivicDep as CivicDep
from shahr.web.deps import (
    DistrictsDep,
    ModeratorDep,
    OfficeDep,
    RateLimitDep,
    SessionDep,
    SettingsDep,
)
from shahr.web.deps import civic_settings as civic_settings
from shahr.web.errors import STATUS, error_body
from shahr.web.schemas import NO_NUL, RATE_LIMITED, RowIdPath, error_responses

CIVIC_STATUS = STATUS
"""The app's error table, under the name the pages' error route (`web/pages/route.py`) imports."""

router = APIRouter(tags=["proposals"], responses=error_responses(422))

ChallengeId = Annotated[str, Path(min_length=1, max_length=32, pattern=NO_NUL)]


@lru_cache(maxsize=4)
def _load_sender(path: str, environment: str) -> verification.CodeSender:
    return verification.load_sender(path, environment)


def code_sender(settings: SettingsDep, civic: CivicDep) -> verification.CodeSender:
    """One sender per process, as the settings name it; tests override this dependency."""
    return _load_sender(civic.code_sender, settings.environment)


_person_header = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    scheme_name="PersonToken",
    description=(
        "A verified person's token (`POST /civic/verifications/{id}`): `Authorization: Person <token>`."
    ),
)


def _person(
    session: SessionDep, settings: SettingsDep, authorization: Annotated[str | None, Depends(_person_header)]
) -> verification.Person:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "person" or not token.strip():
        raise NotAuthenticated(
            "verify your phone and send Authorization: Person <token>", field="header.authorization"
        )
    return verification.person_from_token(session, token.strip(), settings.secret_key, datetime.now(UTC))


def _limited(action: Action) -> Callable[..., verification.Person]:
    """The person, once `action` is counted for them and their address (429 when either is over)."""

    def dependency(
        person: Annotated[verification.Person, Depends(_person)], count: RateLimitDep
    ) -> verification.Person:
        count(action, person.id)
        return person

    return dependency


ProposerDep = Annotated[verification.Person, Depends(_limited(Action.PROPOSAL))]
SupporterDep = Annotated[verification.Person, Depends(_limited(Action.SUPPORT))]
CommenterDep = Annotated[verification.Person, Depends(_limited(Action.COMMENT))]
PersonDep = Annotated[verification.Person, Depends(_person)]


@router.post(
    "/civic/verifications",
    status_code=status.HTTP_201_CREATED,
    response_model=s.ChallengeStarted,
    responses={**RATE_LIMITED, **error_responses(503)},
)
def start_verification(
    body: s.VerificationStart,
    session: SessionDep,
    settings: SettingsDep,
    civic: CivicDep,
    count: RateLimitDep,
    sender: Annotated[verification.CodeSender, Depends(code_sender)],
) -> s.ChallengeStarted:
    """Send a one-time code to a phone; limited per phone number and per address."""
    now = datetime.now(UTC)
    count(Action.VERIFICATION, verification.phone_hash(body.phone, civic, settings.secret_key))
    challenge = verification.start_verification(
        session, body.phone, sender=sender, settings=civic, secret=settings.secret_key, now=now
    )
    return s.ChallengeStarted(
        challenge_id=challenge.id,
        expires_at=_local(challenge.expires_at, settings.timezone),
        code_length=civic.code_length,
    )


@router.post(
    "/civic/verifications/{challenge_id}",
    response_model=s.PersonVerified,
    responses=error_responses(404, 409),
)
def confirm_verification(
    challenge_id: str,
    body: s.VerificationConfirm,
    session: SessionDep,
    settings: SettingsDep,
    civic: CivicDep,
) -> s.PersonVerified | JSONResponse:
    """The code back: a person token, or 422 `wrong_code` (the attempt is counted and committed)."""
    outcome = verification.confirm_verification(
        session, challenge_id, body.code, settings=civic, secret=settings.secret_key, now=datetime.now(UTC)
    )
    if isinstance(outcome, verification.WrongCode):
        message = f"wrong code: {outcome.attempts_left} attempts left"
        return JSONResponse(error_body("wrong_code", message, "body.code"), status_code=422)
    return s.PersonVerified(
        person_token=outcome.token, expires_at=_local(outcome.expires_at, settings.timezone)
    )


@router.get("/civic/audit/head", response_model=s.AuditHeadPublic)
def audit_head(session: SessionDep) -> s.AuditHeadPublic:
    """The audit log's last position and hash, for anyone to keep a copy of."""
    seq, digest = audit.head(session)
    return s.AuditHeadPublic(seq=seq, hash=digest)


@router.post(
    "/proposals",
    status_code=status.HTTP_201_CREATED,
    response_model=s.ProposalSubmitted,
    responses={**RATE_LIMITED, **error_responses(401)},
)
def propose(
    body: s.ProposalCreate,
    session: SessionDep,
    civic: CivicDep,
    person: ProposerDep,
    city: DistrictsDep,
) -> s.ProposalSubmitted:
    """A new proposal; `visibility: pending` when it waits for a moderator before it is shown."""
    proposal = workflow.create_proposal(
        session,
        person,
        title=body.title,
        body=body.body,
        category=body.category,
        district_code=body.district_code,
        districts=city,
        settings=civic,
        now=datetime.now(UTC),
    )
    return s.ProposalSubmitted(proposal_id=proposal.id, visibility=proposal.visibility)


@router.get("/proposals", response_model=list[s.ProposalPublic])
def list_proposals(
    session: SessionDep,
    settings: SettingsDep,
    civic: CivicDep,
    status: ProposalStatus | None = None,
    district_code: Annotated[str | None, Query(max_length=32, pattern=NO_NUL)] = None,
    category: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    q: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="Words in the title or text.")
    ] = None,
    order: queries.Order = "newest",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[s.ProposalPublic]:
    views = queries.list_proposals(
        session,
        settings=civic,
        now=datetime.now(UTC),
        status=status,
        district_code=district_code,
        category=category,
        text=q,
        order=order,
        limit=limit,
        offset=offset,
    )
    return [_proposal(view, settings.timezone) for view in views]


@router.get("/proposals/overdue", response_model=list[s.ProposalPublic])
def list_overdue(session: SessionDep, settings: SettingsDep, civic: CivicDep) -> list[s.ProposalPublic]:
    """Proposals the city had to answer and has not, by the deadline: the longest overdue first."""
    views = queries.list_overdue(session, settings=civic, now=datetime.now(UTC))
    return [_proposal(view, settings.timezone) for view in views]


@router.get("/proposals/{proposal_id}", response_model=s.ProposalPublic, responses=error_responses(404))
def read_proposal(
    proposal_id: RowIdPath, session: SessionDep, settings: SettingsDep, civic: CivicDep
) -> s.ProposalPublic:
    view = queries.get_proposal(session, proposal_id, settings=civic, now=datetime.now(UTC))
    return _proposal(view, settings.timezone)


@router.post(
    "/proposals/{proposal_id}/supports",
    status_code=status.HTTP_201_CREATED,
    response_model=s.SupportPublic,
    responses={**RATE_LIMITED, **error_responses(401, 404, 409)},
)
def support(
    proposal_id: RowIdPath, session: SessionDep, civic: CivicDep, person: SupporterDep
) -> s.SupportPublic:
    """Support a proposal, once per person: a second support is 409 `already_supported`."""
    done = workflow.support(session, proposal_id, person, settings=civic, now=datetime.now(UTC))
    return s.SupportPublic(
        proposal_id=done.proposal_id,
        support_count=done.support_count,
        participant_count=done.participant_count,
        status=done.status,
        reached=list(done.reached),
    )


@router.get(
    "/proposals/{proposal_id}/comments", response_model=list[s.CommentPublic], responses=error_responses(404)
)
def list_comments(
    proposal_id: RowIdPath,
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[s.CommentPublic]:
    comments = queries.list_comments(session, proposal_id, limit=limit, offset=offset)
    return [
        s.CommentPublic(
            id=c.id,
            proposal_id=c.proposal_id,
            body=c.body,
            created_at=_local(c.created_at, settings.timezone),
        )
        for c in comments
    ]


@router.post(
    "/proposals/{proposal_id}/comments",
    status_code=status.HTTP_201_CREATED,
    response_model=s.CommentSubmitted,
    responses={**RATE_LIMITED, **error_responses(401, 404, 409)},
)
def add_comment(
    proposal_id: RowIdPath, body: s.CommentCreate, session: SessionDep, civic: CivicDep, person: CommenterDep
) -> s.CommentSubmitted:
    """Comment in a proposal's debate; 409 `proposal_closed` before the debate opens or after the answer."""
    entry = workflow.comment(session, proposal_id, person, body.body, settings=civic, now=datetime.now(UTC))
    return s.CommentSubmitted(comment_id=entry.id, visibility=entry.visibility)


@router.post(
    "/proposals/{proposal_id}/flags",
    status_code=status.HTTP_201_CREATED,
    response_model=s.VisibilityPublic,
    responses=error_responses(401, 404, 409),
)
def flag_proposal(
    proposal_id: RowIdPath, body: s.FlagCreate, session: SessionDep, civic: CivicDep, person: PersonDep
) -> s.VisibilityPublic:
    """Ask moderators to look at a proposal; enough flags from distinct persons hide it until they do."""
    visibility = moderation.flag(
        session, TargetKind.PROPOSAL, proposal_id, person, body.reason, settings=civic, now=datetime.now(UTC)
    )
    return s.VisibilityPublic(visibility=visibility)


@router.post(
    "/proposals/comments/{comment_id}/flags",
    status_code=status.HTTP_201_CREATED,
    response_model=s.VisibilityPublic,
    responses=error_responses(401, 404, 409),
)
def flag_comment(
    comment_id: RowIdPath, body: s.FlagCreate, session: SessionDep, civic: CivicDep, person: PersonDep
) -> s.VisibilityPublic:
    visibility = moderation.flag(
        session, TargetKind.COMMENT, comment_id, person, body.reason, settings=civic, now=datetime.now(UTC)
    )
    return s.VisibilityPublic(visibility=visibility)


@router.post(
    "/proposals/{proposal_id}/answer",
    response_model=s.ProposalPublic,
    responses=error_responses(401, 403, 404, 409),
)
def answer(
    proposal_id: RowIdPath,
    body: s.AnswerCreate,
    session: SessionDep,
    settings: SettingsDep,
    civic: CivicDep,
    staff: OfficeDep,
) -> s.ProposalPublic:
    """The city's official answer (an office, or admin staff), once the debate is open."""
    now = datetime.now(UTC)
    proposal = workflow.answer(
        session, proposal_id, office=body.office, text=body.text, staff=staff.name, now=now
    )
    return _proposal(queries.view(proposal, civic, now), settings.timezone)


@router.get("/moderation/queue", response_model=list[s.QueueItemPublic], responses=error_responses(401, 403))
def moderation_queue(
    session: SessionDep, settings: SettingsDep, _staff: ModeratorDep
) -> list[s.QueueItemPublic]:
    """Everything flagged or held and not yet decided, oldest first (moderators)."""
    return [
        s.QueueItemPublic(
            kind=item.kind,
            target_id=item.target_id,
            proposal_id=item.proposal_id,
            title=item.title,
            body=item.body,
            visibility=item.visibility,
            reasons=list(item.reasons),
            user_flags=item.user_flags,
            first_flagged_at=_local(item.first_flagged_at, settings.timezone),
        )
        for item in moderation.list_queue(session)
    ]


@router.post(
    "/moderation/{kind}/{target_id}/decision",
    response_model=s.VisibilityPublic,
    responses=error_responses(401, 403, 404),
)
def decide(
    kind: TargetKind, target_id: RowIdPath, body: s.DecisionIn, session: SessionDep, staff: ModeratorDep
) -> s.VisibilityPublic:
    """Approve (publish) or remove (hide for good) a proposal or comment (moderators)."""
    visibility = moderation.decide(
        session, kind, target_id, body.decision, moderator=staff.name, now=datetime.now(UTC)
    )
    return s.VisibilityPublic(visibility=visibility)


def _proposal(view: queries.ProposalView, timezone: str) -> s.ProposalPublic:
    def local(value: datetime | None) -> datetime | None:
        return None if value is None else _local(value, timezone)

    return s.ProposalPublic(
        id=view.id,
        title=view.title,
        body=view.body,
        district_code=view.district_code,
        category=view.category,
        status=view.status,
        support_count=view.support_count,
        participant_count=view.participant_count,
        debate_threshold=view.debate_threshold,
        answer_threshold=view.answer_threshold,
        created_at=_local(view.created_at, timezone),
        expires_at=_local(view.expires_at, timezone),
        debate_opened_at=local(view.debate_opened_at),
        answer_due_at=local(view.answer_due_at),
        answered_at=local(view.answered_at),
        answer_office=view.answer_office,
        answer_text=view.answer_text,
        overdue=view.overdue,
        answered_late=view.answered_late,
    )


def _local(value: datetime, timezone: str) -> datetime:
    return value.astimezone(ZoneInfo(timezone))
