"""Fixtures for the reports tests, over the civic fresh-database fixtures (`database_url`, `session`):
the reports' settings, the demo districts, places in Mashhad, and `api`, a client on a fresh app with
staff tokens and an Open311 key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shahr.backoffice.auth import create_staff_token
from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.geo import Districts, load_districts
from shahr.civic.reports.api_keys import issue_api_key
from shahr.civic.reports.settings import ReportSettings, get_report_settings
from shahr.settings import Settings
from shahr.web.app import create_app

HARAM = (36.2880, 59.6157)
"""The Imam Reza shrine: in the Samen district of the demo map."""
AHMADABAD = (36.3005, 59.5775)
"""In District 1 of the demo map."""
OUTSIDE = (36.5000, 59.6000)
"""20 km north of the city."""


@pytest.fixture
def settings() -> ReportSettings:
    return ReportSettings(photo_max_bytes=300_000, photo_max_side_px=512)


@pytest.fixture(scope="session")
def districts() -> Districts:
    return load_districts()


class Api:
    """A client on a fresh app, with staff tokens and Open311 keys minted straight into its database."""

    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app = app
        self.client = client

    def staff(self, role: StaffRole = StaffRole.OPERATOR, name: str = "") -> dict[str, str]:
        with self.app.state.sessions() as session:
            token = create_staff_token(session, name or f"test {role}", role, datetime.now(UTC))
            session.commit()
        return {"Authorization": f"Bearer {token}"}

    def api_key(self, name: str = "test client") -> str:
        with self.app.state.sessions() as session:
            _, key = issue_api_key(session, name, "test", datetime.now(UTC))
            session.commit()
        return key


@pytest.fixture
def api(database_url: str, settings: ReportSettings) -> Iterator[Api]:
    app = create_app(Settings(environment="test", database_url=database_url))
    app.dependency_overrides[get_report_settings] = lambda: settings
    with TestClient(app) as client:
        yield Api(app, client)
