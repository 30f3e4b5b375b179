"""A fresh database per test, and `api`, a client on a fresh app over it: a SQLite file, and a PostgreSQL
database created and dropped around the test when SHAHR_TEST_POSTGRES_URL names a server (skipped, with the
reason shown, when it does not)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shahr.backoffice.auth import create_staff_token
from shahr.backoffice.auth_tables import StaffRole
from shahr.settings import Settings
from shahr.web.app import create_app


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shahr.sqlite3'}"
        return
    server = os.environ.get("SHAHR_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("SHAHR_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against")
    name = f"shahr_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = server.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Api:
    """A client on a fresh app, with a way to mint staff tokens straight into its database."""

    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app = app
        self.client = client

    def staff(self, role: StaffRole) -> dict[str, str]:
        with self.app.state.sessions() as session:
            token = create_staff_token(session, f"test {role}", role, datetime.now(UTC))
            session.commit()
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    app = create_app(Settings(environment="test", database_url=database_url))
    with TestClient(app) as client:
        yield Api(app, client)
