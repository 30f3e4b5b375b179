"""Storage shared by the back office and the civic modules: SQLAlchemy 2 over SQLite or PostgreSQL,
schema changes through Alembic migrations (`shahr db upgrade`, also applied when the service starts)."""

from shahr.db.base import Base
from shahr.db.engine import make_engine, session_factory
from shahr.db.migrate import upgrade

__all__ = ["Base", "make_engine", "session_factory", "upgrade"]
