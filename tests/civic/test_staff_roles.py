"""Who may do what, on both databases: the civic roles `office` (answers proposals, works the report
triage) and `moderator` (the moderation queue), beside the back office's operator, finance and admin;
and migration 0008, which lets the role column hold them."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from shahr.backoffice.auth import create_staff_token
from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.geo import load_districts
from shahr.civic.proposals import workflow as proposals
from shahr.civic.reports import workflow as reports
from shahr.civic.reports.settings import ReportSettings
from shahr.civic.settings import CivicSettings
from shahr.civic.verification import Person
from shahr.db import make_engine
from shahr.db.migrate import alembic_config, upgrade
from shahr.settings import Settings
from shahr.web.app import create_app
from shahr.web.deps import civic_settings
from tests.civic.reports.conftest import HARAM

R = StaffRole
ROLES = (R.OPERATOR, R.FINANCE, R.OFFICE, R.MODERATOR, R.ADMIN)
CIVIC = CivicSettings(debate_threshold=1, answer_threshold=2)
MIGRATION_0008 = importlib.import_module("shahr.db.migrations.versions.0008_civic_staff_roles")
"""Its refused downgrade runs on the test's own connection: alembic's command leaves its engine undisposed
when a migration raises (`db/migrations/env.py`), which PostgreSQL tests see as an unclosed connection."""
INSERT_TOKEN = text(
    "INSERT INTO staff_tokens (token_hash, name, role, created_at) VALUES (:hash, 'x', :role, :at)"
)


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def sessions(self) -> Any:
        return self.client.app.state.sessions()  # type: ignore[attr-defined]

    def staff(self, role: StaffRole) -> dict[str, str]:
        with self.sessions() as session:
            token = create_staff_token(session, f"test {role}", role, datetime.now(UTC))
            session.commit()
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    app = create_app(Settings(environment="test", database_url=database_url))
    app.dependency_overrides[civic_settings] = lambda: CIVIC
    with TestClient(app) as client:
        yield Api(client)


@pytest.mark.parametrize(
    ("method", "url", "body", "answers"),
    [
        # answers by role, in the order of ROLES: operator, finance, office, moderator, admin
        ("GET", "/civic/staff/triage", None, (200, 200, 200, 403, 200)),
        ("GET", "/civic/staff/reports/9999", None, (404, 404, 404, 403, 404)),
        (
            "POST",
            "/civic/staff/reports/9999/notes",
            {"note": "x", "internal": False},
            (404, 403, 404, 403, 404),
        ),
        ("PATCH", "/civic/staff/categories/nope", {}, (403, 403, 403, 403, 404)),
        ("POST", "/proposals/9999/answer", {"office": "x", "text": "y"}, (403, 403, 404, 403, 404)),
        ("GET", "/moderation/queue", None, (403, 403, 403, 200, 200)),
        ("POST", "/moderation/proposal/9999/decision", {"decision": "approved"}, (403, 403, 403, 404, 404)),
        ("GET", "/cards/nope", None, (404, 404, 403, 403, 404)),
    ],
)  # fmt: skip
def test_who_may_do_what(
    api: Api, method: str, url: str, body: dict[str, Any] | None, answers: tuple[int, ...]
) -> None:
    """403 `not_allowed` for a role without the right; a missing row (404) or an answer for one with it."""
    got = [api.client.request(method, url, json=body, headers=api.staff(role)) for role in ROLES]
    assert [response.status_code for response in got] == list(answers)
    assert {r.json()["error"]["code"] for r in got if r.status_code == 403} <= {"not_allowed"}


def test_an_office_answers_and_works_the_triage_and_a_moderator_decides(api: Api) -> None:
    now = datetime.now(UTC)
    with api.sessions() as session:
        person = Person(id="p" * 16, phone_hash="0" * 64, created_at=now, verified_at=now)
        session.add(person)
        session.flush()
        proposal = proposals.create_proposal(
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
        proposals.support(session, proposal.id, person, settings=CIVIC, now=now)
        new = reports.NewReport("road_damage", "چاله", lat=HARAM[0], lon=HARAM[1])
        report = reports.file_report(
            session, new, settings=ReportSettings(), districts=load_districts(), now=now
        ).report
        session.commit()
    office, moderator = api.staff(R.OFFICE), api.staff(R.MODERATOR)

    step = {"status": "acknowledged", "note": "دریافت شد"}
    acknowledged = api.client.post(f"/civic/staff/reports/{report.id}/status", json=step, headers=office)
    assert (acknowledged.status_code, acknowledged.json()["report"]["status"]) == (200, "acknowledged")
    answer = {"office": "معاونت حمل‌ونقل", "text": "از آذر اجرا می‌شود."}
    answered = api.client.post(f"/proposals/{proposal.id}/answer", json=answer, headers=office)
    assert (answered.status_code, answered.json()["status"]) == (200, "answered")
    decided = api.client.post(
        f"/moderation/proposal/{proposal.id}/decision", json={"decision": "removed"}, headers=moderator
    )
    assert (decided.status_code, decided.json()) == (200, {"visibility": "removed"})
    assert api.client.get(f"/proposals/{proposal.id}").status_code == 404


def test_migration_0008_allows_the_civic_roles(database_url: str) -> None:
    upgrade(database_url, "0007")
    engine = make_engine(database_url)

    def insert(role: str) -> None:
        row = {"hash": f"{role:x<64}", "role": role, "at": "2026-11-29T08:00:00+00:00"}
        with engine.begin() as connection:
            connection.execute(INSERT_TOKEN, row)

    try:
        with pytest.raises(IntegrityError):
            insert("moderator")
        upgrade(database_url)
        insert("moderator")
        insert("office")
        with pytest.raises(IntegrityError):
            insert("mayor")
        refused = "^cannot downgrade below 0008: 2 staff tokens have the office or moderator role"
        with pytest.raises(RuntimeError, match=refused), engine.begin() as connection:
            with Operations.context(MigrationContext.configure(connection)):
                MIGRATION_0008.downgrade()
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM staff_tokens"))
        command.downgrade(alembic_config(database_url), "0007")
        with pytest.raises(IntegrityError):
            insert("office")
        insert("finance")
    finally:
        engine.dispose()
