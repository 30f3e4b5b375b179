"""A fresh database per test: a SQLite file, and a PostgreSQL database created and dropped around the
test when SHAHR_TEST_POSTGRES_URL names a server (skipped, with the reason shown, when it does not)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest


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
