"""Supports at the same moment from separate sessions (separate connections, as separate web processes
would have) on SQLite and PostgreSQL: nothing is counted twice and the audit chain does not fork."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shahr.civic import audit
from shahr.civic.proposals import workflow
from shahr.civic.proposals.errors import AlreadySupported
from shahr.civic.proposals.tables import Proposal, ProposalStatus, Support
from shahr.civic.verification import Person
from tests.civic.test_proposals import NOW, SETTINGS, people, propose


def _setup(sessions: sessionmaker[Session], count: int) -> tuple[int, list[str]]:
    with sessions() as session:
        author, *others = people(session, count + 1)
        proposal = propose(session, author)
        session.commit()
        return proposal.id, [person.id for person in others]


def _support(sessions: sessionmaker[Session], proposal_id: int, person_id: str) -> None:
    with sessions() as session:
        person = session.get(Person, person_id)
        assert person is not None
        workflow.support(session, proposal_id, person, settings=SETTINGS, now=NOW)
        session.commit()


def _at_once(tasks: list[Callable[[], None]]) -> tuple[int, list[BaseException]]:
    """Run the tasks in threads released together; (how many succeeded, what the others raised)."""
    barrier = threading.Barrier(len(tasks))
    done: list[int] = []
    raised: list[BaseException] = []

    def run(task: Callable[[], None]) -> None:
        barrier.wait()
        try:
            task()
            done.append(1)
        except BaseException as exc:  # collected for the test to look at
            raised.append(exc)

    threads = [threading.Thread(target=run, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(done), raised


def test_eight_persons_at_once(sessions: sessionmaker[Session]) -> None:
    proposal_id, persons = _setup(sessions, 8)
    succeeded, raised = _at_once([lambda p=p: _support(sessions, proposal_id, p) for p in persons])
    assert (succeeded, raised) == (8, [])
    with sessions() as session:
        proposal = session.get(Proposal, proposal_id)
        assert proposal is not None
        assert (proposal.support_count, proposal.participant_count) == (8, 8)
        assert proposal.status is ProposalStatus.AWAITING_ANSWER
        assert session.scalar(select(func.count()).select_from(Support)) == 8
        check = audit.verify(session)
        # created, 8 supports, open -> debate at the 2nd, debate -> awaiting_answer at the 3rd
        assert (check.intact, check.entries) == (True, 11)
        kinds = session.scalars(select(audit.AuditEntry.kind).order_by(audit.AuditEntry.seq)).all()
        assert kinds.count("proposal.status") == 2
        counts = [
            entry.data
            for entry in session.scalars(
                select(audit.AuditEntry).where(audit.AuditEntry.kind == "proposal.support")
            )
        ]
        assert sorted(counts) == sorted(
            f'{{"participant_count":{n},"support_count":{n}}}' for n in range(1, 9)
        )


def test_the_same_person_twice_at_once(sessions: sessionmaker[Session]) -> None:
    proposal_id, (person,) = _setup(sessions, 1)
    succeeded, raised = _at_once([lambda: _support(sessions, proposal_id, person)] * 2)
    assert succeeded == 1
    assert [type(exc) for exc in raised] == [AlreadySupported]
    with sessions() as session:
        assert session.get(Proposal, proposal_id).support_count == 1  # type: ignore[union-attr]
        assert audit.verify(session).entries == 2


def test_a_support_waits_for_the_one_holding_the_proposal(sessions: sessionmaker[Session]) -> None:
    """Deterministic: A supports and holds its transaction open; B (the same person, another connection)
    must wait for A's commit, then sees A's support and is refused."""
    proposal_id, (person,) = _setup(sessions, 1)
    outcome: list[BaseException | None] = []
    with sessions() as first:
        holder = first.get(Person, person)
        assert holder is not None
        workflow.support(first, proposal_id, holder, settings=SETTINGS, now=NOW)

        def second() -> None:
            try:
                _support(sessions, proposal_id, person)
                outcome.append(None)
            except AlreadySupported as exc:
                outcome.append(exc)

        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.5)
        assert outcome == []  # still waiting for the lock
        first.commit()
    waiting.join()
    assert len(outcome) == 1 and isinstance(outcome[0], AlreadySupported)
    with sessions() as session:
        assert session.get(Proposal, proposal_id).support_count == 1  # type: ignore[union-attr]
        assert audit.verify(session).intact
