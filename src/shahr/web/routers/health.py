"""GET /health: the service is up, which database it runs on and the schema revision it is at."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter
from pydantic import BaseModel

from shahr import __version__
from shahr.web.deps import SessionDep

router = APIRouter(prefix="/health", tags=["health"])


class HealthPublic(BaseModel):
    status: str
    version: str
    database: str
    schema_revision: str | None


@router.get("", response_model=HealthPublic)
def read_health(session: SessionDep) -> HealthPublic:
    connection = session.connection()
    revision = MigrationContext.configure(connection).get_current_revision()
    return HealthPublic(
        status="ok", version=__version__, database=connection.dialect.name, schema_revision=revision
    )
