"""Schemathesis over the proposals' operations (tag `proposals`), in process, on SQLite and PostgreSQL, with
the back office's checks (tests/civic/fuzzing.py): generated requests, valid and invalid, authenticated so
that they reach the handlers; no answer may be a 5xx or differ from what the OpenAPI document declares.

Each operation runs on a fresh database seeded with a proposal in debate and one of its comments; a
generated id is sometimes swapped for theirs (`LIVE`), so supports, comments, flags, answers and
decisions reach real rows. Rate limits are raised out of the way. Deterministic (fixed seed)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.python import asgi

from shahr.backoffice.auth import create_staff_token
from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.geo import load_districts
from shahr.civic.proposals import workflow
from shahr.civic.verification import ConsoleSender, Person, person_token
from shahr.settings import Settings
from shahr.web.app import create_app
from shahr.web.deps import civic_settings
from shahr.web.routers.proposals import code_sender
from tests.civic.fuzzing import BASE_URL, CHECKS, CIVIC, FUZZ, PROPOSAL_TAGS, civic_schema, security_schemes

SECRET_KEY = "fuzz-secret"
LIVE = 7_777_777
"""Stands for the seeded proposal or comment in generated paths; swapped for its id before the call."""

schema = civic_schema(PROPOSAL_TAGS, seed=20251005)


@schema.hook("flatmap_path_parameters")
def _live_ids(
    _context: schemathesis.HookContext, path: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    if not path:
        return st.just(path)
    seeded = {
        key: LIVE if key.endswith("_id") and key != "challenge_id" else value for key, value in path.items()
    }
    return st.sampled_from([seeded, path])


@dataclass(frozen=True)
class Target:
    client: asgi.ASGIClient
    admin: str
    person: str
    proposal_id: int
    comment_id: int


@pytest.fixture
def target(database_url: str) -> Iterator[Target]:
    app = create_app(Settings(environment="test", database_url=database_url, secret_key=SECRET_KEY))
    app.dependency_overrides[civic_settings] = lambda: CIVIC
    app.dependency_overrides[code_sender] = lambda: ConsoleSender(io.StringIO())
    try:
        with asgi.get_client(app) as client:
            now = datetime.now(UTC)
            with app.state.sessions() as session:
                admin = create_staff_token(session, "fuzzer", StaffRole.ADMIN, now)
                person = Person(id="f" * 16, phone_hash="0" * 64, created_at=now, verified_at=now)
                session.add(person)
                session.flush()
                proposal = workflow.create_proposal(
                    session,
                    person,
                    title="Night buses",
                    body="Run the night buses until 2 am on weekends.",
                    category="transport",
                    district_code=None,
                    districts=load_districts(),
                    settings=CIVIC,
                    now=now,
                )
                workflow.support(session, proposal.id, person, settings=CIVIC, now=now)
                comment = workflow.comment(session, proposal.id, person, "Yes", settings=CIVIC, now=now)
                session.commit()
                token = person_token(person.id, datetime(2100, 1, 1, tzinfo=UTC), SECRET_KEY)
            yield Target(client, admin, token, proposal.id, comment.id)
    finally:
        asgi.shutdown_lifespans()


def _aim(case: schemathesis.Case, target: Target) -> dict[str, Any]:
    for key, value in (case.path_parameters or {}).items():
        if value == LIVE:
            assert case.path_parameters is not None
            case.path_parameters[key] = target.comment_id if key == "comment_id" else target.proposal_id
    schemes = security_schemes(case)
    if "PersonToken" in schemes:
        return {"headers": {"Authorization": f"Person {target.person}"}}
    if "StaffToken" in schemes:
        return {"headers": {"Authorization": f"Bearer {target.admin}"}}
    return {}


@schema.parametrize()
@FUZZ
def test_no_request_gets_a_5xx_or_an_undeclared_answer(case: schemathesis.Case, target: Target) -> None:
    case.call_and_validate(session=target.client, base_url=BASE_URL, checks=CHECKS, **_aim(case, target))
