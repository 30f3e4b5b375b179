"""The first migration creates exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

import shahr.models  # noqa: F401  (registers the tables)
from shahr.db import Base


def test_migration_matches_models(session: Session) -> None:
    context = MigrationContext.configure(session.connection())
    assert compare_metadata(context, Base.metadata) == []
