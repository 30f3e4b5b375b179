"""Schemathesis over the civic reports' and Open311 operations of the app's OpenAPI document, in process
on SQLite: generated requests, valid and invalid, authenticated as an admin, never get a 5xx. Only that
check: the Open311 answers are XML or JSON by extension and are held to their schemas in test_open311.
Deterministic (fixed seed, derandomized)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi

from shahr.backoffice.auth import create_staff_token
from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.geo import load_districts
from shahr.civic.reports import workflow
from shahr.civic.reports.settings import ReportSettings
from shahr.settings import Settings
from shahr.web.app import create_app
from tests.civic.reports.conftest import HARAM

schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(create_app(Settings(environment="test")).openapi())),
    config=schemathesis.Config.from_dict(
        {
            "seed": 20251128,
            "generation": {"mode": "all", "deterministic": True, "database": "none"},
            "phases": {"stateful": {"enabled": False}},
        }
    ),
).include(tag=["civic reports", "civic staff", "open311"])


@dataclass(frozen=True)
class Target:
    client: asgi.ASGIClient
    admin: str


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    app = create_app(Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'fuzz.sqlite3'}"))
    try:
        with asgi.get_client(app) as client:
            now = datetime.now(UTC)
            with app.state.sessions() as session:
                admin = create_staff_token(session, "fuzzer", StaffRole.ADMIN, now)
                new = workflow.NewReport(
                    service_code="road_damage", description="x", lat=HARAM[0], lon=HARAM[1]
                )
                workflow.file_report(
                    session, new, settings=ReportSettings(), districts=load_districts(), now=now
                )
                session.commit()
            yield Target(client, admin)
    finally:
        asgi.shutdown_lifespans()


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_civic_request_gets_a_5xx(case: schemathesis.Case, target: Target) -> None:
    headers = {"Authorization": f"Bearer {target.admin}"}
    case.call_and_validate(
        session=target.client, base_url=f"http://{asgi.HOST}", checks=[not_a_server_error], headers=headers
    )
