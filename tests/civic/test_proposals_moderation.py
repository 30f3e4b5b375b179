"""Moderation on SQLite and PostgreSQL: screening holds texts back, residents' flags hide an item once
three distinct persons flagged it, moderators approve or remove, and each decision is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.civic import audit
from shahr.civic.proposals import moderation, queries, workflow
from shahr.civic.proposals.errors import AlreadyFlagged, InvalidProposal, ProposalNotFound
from shahr.civic.proposals.tables import Decision, Flag, TargetKind, Visibility
from shahr.civic.settings import CivicSettings
from tests.civic.test_proposals import NOW, SETTINGS, people, propose


def test_screening_reasons() -> None:
    words = CivicSettings(screen_words=("قمار",))
    assert moderation.screen("Night buses, please", words) == []
    assert moderation.screen("see <b>this</b> at www.example.org", words) == ["markup", "link"]
    assert moderation.screen("visit shahr.ir", words) == ["link"]
    assert moderation.screen("write to [email]", words) == []
    assert moderation.screen("سایت قمار", words) == ["screened word 'قمار'"]


def test_a_screened_proposal_waits_for_a_moderator(session: Session) -> None:
    (author,) = people(session, 1)
    proposal = propose(session, author, "Read <script>alert(1)</script> about the night buses.")
    session.commit()
    assert proposal.visibility is Visibility.PENDING
    assert (
        proposal.body == "Read <script>alert(1)</script> about the night buses."
    )  # stored as text, escaped on pages
    (item,) = moderation.list_queue(session)
    assert (item.kind, item.target_id, item.title, item.reasons, item.user_flags) == (
        TargetKind.PROPOSAL,
        proposal.id,
        "Night buses",
        ("markup",),
        0,
    )
    assert item.first_flagged_at == NOW
    visibility = moderation.decide(
        session,
        TargetKind.PROPOSAL,
        proposal.id,
        Decision.APPROVED,
        moderator="Reza",
        now=NOW + timedelta(hours=1),
    )
    session.commit()
    assert visibility is Visibility.PUBLISHED
    assert moderation.list_queue(session) == []
    flag = session.scalars(select(Flag)).one()
    assert (flag.resolved_by, flag.decision, flag.resolved_at) == (
        "Reza",
        Decision.APPROVED,
        NOW + timedelta(hours=1),
    )
    assert queries.get_proposal(session, proposal.id, settings=SETTINGS, now=NOW).id == proposal.id
    decision = session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.seq.desc())).first()
    assert decision is not None
    assert (decision.kind, decision.subject, decision.actor, decision.data) == (
        "moderation.decision",
        f"proposal:{proposal.id}",
        "staff:Reza",
        '{"decision":"approved","flags":1,"from":"pending","to":"published"}',
    )


def test_three_residents_hide_a_comment_until_a_moderator_removes_it(session: Session) -> None:
    author, a, b, c, d = people(session, 5)
    proposal = propose(session, author)
    workflow.support(session, proposal.id, a, settings=SETTINGS, now=NOW)
    workflow.support(session, proposal.id, b, settings=SETTINGS, now=NOW)
    comment = workflow.comment(session, proposal.id, d, "You are all fools", settings=SETTINGS, now=NOW)
    session.commit()

    def flag(person: object) -> Visibility:
        return moderation.flag(
            session,
            TargetKind.COMMENT,
            comment.id,
            person,
            "insulting",
            settings=SETTINGS,
            now=NOW,  # type: ignore[arg-type]
        )

    assert flag(a) is Visibility.PUBLISHED
    with pytest.raises(AlreadyFlagged):
        flag(a)
    assert flag(b) is Visibility.PUBLISHED
    assert [view.id for view in queries.list_comments(session, proposal.id)] == [comment.id]
    assert flag(c) is Visibility.PENDING
    session.commit()
    assert queries.list_comments(session, proposal.id) == []
    with pytest.raises(ProposalNotFound):
        flag(author)  # hidden: nothing left to flag
    (item,) = moderation.list_queue(session)
    assert (item.kind, item.proposal_id, item.title, item.body, item.reasons, item.user_flags) == (
        TargetKind.COMMENT,
        proposal.id,
        None,
        "You are all fools",
        ("insulting",),
        3,
    )
    removed = moderation.decide(
        session, TargetKind.COMMENT, comment.id, Decision.REMOVED, moderator="Reza", now=NOW
    )
    session.commit()
    assert removed is Visibility.REMOVED
    assert moderation.list_queue(session) == []
    assert queries.list_comments(session, proposal.id) == []
    assert [kind for kind in session.scalars(select(audit.AuditEntry.kind))][-2:] == [
        "moderation.hidden",
        "moderation.decision",
    ]
    assert audit.verify(session).intact


def test_flag_reasons_and_missing_items(session: Session) -> None:
    author, a = people(session, 2)
    proposal = propose(session, author)
    with pytest.raises(InvalidProposal) as refused:
        moderation.flag(session, TargetKind.PROPOSAL, proposal.id, a, "  ", settings=SETTINGS, now=NOW)
    assert refused.value.field == "body.reason"
    with pytest.raises(ProposalNotFound):
        moderation.flag(session, TargetKind.COMMENT, 999, a, "spam", settings=SETTINGS, now=NOW)
    with pytest.raises(ProposalNotFound):
        moderation.decide(session, TargetKind.PROPOSAL, 999, Decision.REMOVED, moderator="Reza", now=NOW)
