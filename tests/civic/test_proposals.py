"""The proposal workflow on SQLite and PostgreSQL, with thresholds made small (debate at 2 supports, an
answer obliged at 3 participants, 10 days to answer, 30 days to reach the debate): every command's
outcomes, the statuses with their times, masking, and the audit log each step leaves."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from shahr.civic import audit
from shahr.civic.geo import load_districts
from shahr.civic.proposals import queries, workflow
from shahr.civic.proposals.errors import AlreadySupported, InvalidProposal, ProposalClosed, ProposalNotFound
from shahr.civic.proposals.tables import Proposal, ProposalStatus, Support, Visibility
from shahr.civic.settings import CivicSettings
from shahr.civic.verification import Person
from shahr.cli import app

SETTINGS = CivicSettings(debate_threshold=2, answer_threshold=3, answer_days=10, expiry_days=30)
NOW = datetime(2025, 10, 5, 8, 0, tzinfo=UTC)


def people(session: Session, count: int) -> list[Person]:
    persons = [
        Person(
            id=f"{n:016x}",
            phone_hash=hashlib.sha256(str(n).encode()).hexdigest(),
            created_at=NOW,
            verified_at=NOW,
        )
        for n in range(count)
    ]
    session.add_all(persons)
    session.flush()
    return persons


def propose(
    session: Session, author: Person, body: str = "Run the night buses until 2 am on weekends."
) -> Proposal:
    return workflow.create_proposal(
        session,
        author,
        title="Night buses",
        body=body,
        category="transport",
        district_code="d01",
        districts=load_districts(),
        settings=SETTINGS,
        now=NOW,
    )


def kinds(session: Session) -> list[str]:
    return list(session.scalars(select(audit.AuditEntry.kind).order_by(audit.AuditEntry.seq)))


def test_a_proposal_from_open_to_answered(session: Session) -> None:
    author, a, b, c = people(session, 4)
    proposal = propose(session, author, "Buses all night ۰۹۱۲۱۲۳۴۵۶۷ or night@example.com can help.")
    session.commit()
    assert proposal.body == "Buses all night [phone] or [email] can help."
    assert (proposal.status, proposal.visibility) == (ProposalStatus.OPEN, Visibility.PUBLISHED)
    assert proposal.expires_at == datetime(2025, 11, 4, 8, 0, tzinfo=UTC)

    first = workflow.support(session, proposal.id, a, settings=SETTINGS, now=NOW + timedelta(hours=1))
    assert first == workflow.Supported(proposal.id, 1, 1, ProposalStatus.OPEN, ())
    with pytest.raises(ProposalClosed, match="is open: it cannot be commented on now"):
        workflow.comment(session, proposal.id, c, "Yes please", settings=SETTINGS, now=NOW)
    second = workflow.support(session, proposal.id, b, settings=SETTINGS, now=NOW + timedelta(hours=2))
    assert second == workflow.Supported(proposal.id, 2, 2, ProposalStatus.DEBATE, (ProposalStatus.DEBATE,))
    assert proposal.debate_opened_at == NOW + timedelta(hours=2)

    # A commenter who never supported is a third participant: the answer is now obliged, due in 10 days.
    comment = workflow.comment(
        session, proposal.id, c, "Line 12 too", settings=SETTINGS, now=NOW + timedelta(hours=3)
    )
    assert comment.visibility is Visibility.PUBLISHED
    assert (proposal.status, proposal.participant_count) == (ProposalStatus.AWAITING_ANSWER, 3)
    assert proposal.answer_due_at == NOW + timedelta(days=10, hours=3)
    workflow.comment(session, proposal.id, a, "Agreed", settings=SETTINGS, now=NOW + timedelta(hours=4))
    assert proposal.participant_count == 3  # a supporter who comments is not counted twice
    session.commit()

    answered = workflow.answer(
        session,
        proposal.id,
        office="Transport deputy",
        text="From 1 December.",
        staff="Sara",
        now=NOW + timedelta(days=2),
    )
    session.commit()
    view = queries.get_proposal(session, proposal.id, settings=SETTINGS, now=NOW + timedelta(days=20))
    assert (answered.status, view.status, view.overdue, view.answered_late) == (
        ProposalStatus.ANSWERED,
        ProposalStatus.ANSWERED,
        False,
        False,
    )
    assert (view.answer_office, view.answer_text, view.answered_at) == (
        "Transport deputy",
        "From 1 December.",
        NOW + timedelta(days=2),
    )
    with pytest.raises(ProposalClosed, match="is answered"):
        workflow.support(session, proposal.id, c, settings=SETTINGS, now=NOW + timedelta(days=3))
    assert kinds(session) == [
        "proposal.created",
        "proposal.support",
        "proposal.support",
        "proposal.status",
        "proposal.comment",
        "proposal.status",
        "proposal.comment",
        "proposal.answer",
        "proposal.status",
    ]
    statuses = session.scalars(
        select(audit.AuditEntry.data)
        .where(audit.AuditEntry.kind == "proposal.status")
        .order_by(audit.AuditEntry.seq)
    ).all()
    assert statuses == [
        '{"from":"open","to":"debate"}',
        '{"answer_due_at":"2025-10-15T11:00:00+00:00","from":"debate","to":"awaiting_answer"}',
        '{"from":"awaiting_answer","to":"answered"}',
    ]
    assert audit.verify(session).intact


def test_a_replayed_support_is_refused_and_never_counted(session: Session) -> None:
    author, a = people(session, 2)
    proposal = propose(session, author)
    workflow.support(session, proposal.id, a, settings=SETTINGS, now=NOW)
    session.commit()
    with pytest.raises(AlreadySupported, match=f"you already support proposal {proposal.id}"):
        workflow.support(session, proposal.id, a, settings=SETTINGS, now=NOW)
    session.rollback()
    assert session.get(Proposal, proposal.id).support_count == 1  # type: ignore[union-attr]
    session.add(Support(proposal_id=proposal.id, person_id=a.id, created_at=NOW))
    with pytest.raises(IntegrityError):  # the database's own guard, for any path around the command
        session.flush()


def test_expiry_without_reaching_the_debate(session: Session) -> None:
    author, a = people(session, 2)
    proposal = propose(session, author)
    session.commit()
    expires = proposal.expires_at
    just_before = workflow.support(
        session, proposal.id, a, settings=SETTINGS, now=expires - timedelta(microseconds=1)
    )
    assert just_before.support_count == 1
    session.commit()
    with pytest.raises(ProposalClosed, match="expired at 2025-11-04T08:00:00"):
        workflow.support(session, proposal.id, author, settings=SETTINGS, now=expires)
    session.rollback()
    # Read as expired at once; written down by the sweep, once.
    assert (
        queries.get_proposal(session, proposal.id, settings=SETTINGS, now=expires).status
        is ProposalStatus.EXPIRED
    )
    listed = queries.list_proposals(session, settings=SETTINGS, now=expires, status=ProposalStatus.EXPIRED)
    assert [view.id for view in listed] == [proposal.id]
    assert queries.list_proposals(session, settings=SETTINGS, now=expires, status=ProposalStatus.OPEN) == []
    assert workflow.expire_due(session, now=expires - timedelta(seconds=1)) == []
    assert workflow.expire_due(session, now=expires) == [proposal.id]
    session.commit()
    assert workflow.expire_due(session, now=expires) == []
    assert proposal.status is ProposalStatus.EXPIRED
    assert kinds(session)[-1] == "proposal.status"


def test_overdue_answers_are_listed(session: Session) -> None:
    author, a, b, c = people(session, 4)
    late, answered_late = propose(session, author), propose(session, author)
    for proposal in (late, answered_late):
        for person in (a, b, c):
            workflow.support(session, proposal.id, person, settings=SETTINGS, now=NOW)
    session.commit()
    due = NOW + timedelta(days=10)
    assert late.answer_due_at == due
    assert queries.list_overdue(session, settings=SETTINGS, now=due) == []
    overdue = queries.list_overdue(session, settings=SETTINGS, now=due + timedelta(seconds=1))
    assert [(view.id, view.overdue) for view in overdue] == [(late.id, True), (answered_late.id, True)]
    workflow.answer(
        session, answered_late.id, office="Office", text="Late.", staff="Sara", now=due + timedelta(days=1)
    )
    session.commit()
    overdue = queries.list_overdue(session, settings=SETTINGS, now=due + timedelta(days=2))
    assert [view.id for view in overdue] == [late.id]
    view = queries.get_proposal(session, answered_late.id, settings=SETTINGS, now=due + timedelta(days=2))
    assert (view.overdue, view.answered_late) == (False, True)


def test_invalid_input_names_its_field(session: Session) -> None:
    (author,) = people(session, 1)
    cases = [
        ({"title": "Hi"}, "body.title"),
        ({"body": "too short"}, "body.body"),
        ({"category": "parking"}, "body.category"),
        ({"district_code": "d99"}, "body.district_code"),
    ]
    for change, field in cases:
        values = {"title": "Night buses", "body": "Run the night buses on weekends.", "category": "transport"}
        district = "d01"
        if "district_code" in change:
            district = change.pop("district_code")
        values.update(change)
        with pytest.raises(InvalidProposal) as refused:
            workflow.create_proposal(
                session,
                author,
                **values,
                district_code=district,
                districts=load_districts(),
                settings=SETTINGS,
                now=NOW,
            )
        assert refused.value.field == field


def test_listing_filters_and_search(session: Session) -> None:
    author, a = people(session, 2)
    buses = propose(session, author, "Run the night buses until 2 am on weekends.")
    trees = workflow.create_proposal(
        session,
        author,
        title="درختان بیشتر",
        body="کاشت درخت در خیابان امام رضا، لطفا",
        category="environment",
        district_code=None,
        districts=load_districts(),
        settings=SETTINGS,
        now=NOW + timedelta(minutes=1),
    )
    workflow.support(session, buses.id, a, settings=SETTINGS, now=NOW)
    session.commit()

    def ids(**filters: object) -> list[int]:
        listed = queries.list_proposals(session, settings=SETTINGS, now=NOW + timedelta(hours=1), **filters)  # type: ignore[arg-type]
        return [view.id for view in listed]

    assert ids() == [trees.id, buses.id]
    assert ids(order="most_supported") == [buses.id, trees.id]
    assert ids(category="environment") == [trees.id]
    assert ids(district_code="d01") == [buses.id]
    assert ids(text="درخت") == [trees.id]
    assert ids(text="دِرخت") == [trees.id]  # a diacritic typed by the searcher does not hide it
    assert ids(text="NIGHT") == [buses.id]
    assert ids(text="100%_") == []
    assert ids(limit=1, offset=1) == [buses.id]


def test_hidden_proposals_are_not_found(session: Session) -> None:
    author, a = people(session, 2)
    proposal = propose(session, author, "See https://example.com for the plan of night buses.")
    session.commit()
    assert proposal.visibility is Visibility.PENDING
    with pytest.raises(ProposalNotFound):
        queries.get_proposal(session, proposal.id, settings=SETTINGS, now=NOW)
    with pytest.raises(ProposalNotFound):
        workflow.support(session, proposal.id, a, settings=SETTINGS, now=NOW)
    with pytest.raises(ProposalNotFound):
        queries.list_comments(session, proposal.id)
    assert queries.list_proposals(session, settings=SETTINGS, now=NOW) == []


def test_sweep_command_expires_and_prunes(database_url: str, session: Session) -> None:
    (author,) = people(session, 1)
    long_ago = datetime.now(UTC) - timedelta(days=31)
    workflow.create_proposal(
        session,
        author,
        title="Night buses",
        body="Run the night buses until 2 am on weekends.",
        category="transport",
        district_code=None,
        districts=load_districts(),
        settings=CivicSettings(),
        now=long_ago,
    )
    session.commit()
    result = CliRunner().invoke(app, ["civic", "sweep", "--url", database_url])
    assert result.exit_code == 0, result.output
    assert result.output == "expired 1 proposal(s); deleted 0 rate-limit counter(s)\n"
    assert session.scalars(select(Proposal.status)).all() == [ProposalStatus.EXPIRED]
