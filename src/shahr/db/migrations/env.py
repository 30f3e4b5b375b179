"""Alembic environment: the URL comes from the config `shahr.db.migrate` builds; the models' metadata
is imported so `alembic revision --autogenerate` sees every table."""

from __future__ import annotations

from alembic import context

import shahr.models  # noqa: F401  (registers every table on Base.metadata)
from shahr.db.base import Base
from shahr.db.engine import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""


def run_migrations() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
