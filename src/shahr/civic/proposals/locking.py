"""Row locks that mean the same on both databases, so counts and status changes never race."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from shahr.civic.proposals.tables import Comment, Proposal

Row = TypeVar("Row", Proposal, Comment)


def lock_where(session: Session, model: type[Row], *conditions: ColumnElement[bool]) -> list[Row]:
    """The rows matching `conditions` in id order, read fresh and locked to the end of the transaction.

    PostgreSQL: `SELECT ... FOR UPDATE` (id order, so two lockers of overlapping sets cannot deadlock).
    SQLite ignores FOR UPDATE and has one writer at a time: an empty `UPDATE` first takes the database's
    write lock (waiting up to the busy timeout), so the rows read after it are the latest and stay so.
    """
    if session.get_bind().dialect.name == "sqlite":
        touch: Any = update(model).where(*conditions).values(id=model.id)
        session.execute(touch, execution_options={"synchronize_session": False})
    statement = (
        select(model)
        .where(*conditions)
        .order_by(model.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(statement))


def lock(session: Session, model: type[Row], row_id: int) -> Row | None:
    """One row by id, locked as `lock_where` does; None if there is no such row."""
    rows = lock_where(session, model, model.id == row_id)
    return rows[0] if rows else None
