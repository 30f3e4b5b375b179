"""The SQL the dashboard groups by, written for each database: the minute of an instant, and the entries
of a JSON object (an operator's share of a journey), so that counting and summing happen in the database
rather than in Python over every row of the day.

A minute is grouped in two steps: rows are grouped by `minute_of` (cheap: a string cut on SQLite, a
truncation on PostgreSQL), and only the groups are turned into `epoch_minute` (a date parse on SQLite,
which would cost microseconds a row if done to every row)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, SQLColumnExpression, String, TableValuedAlias, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class minute_of(FunctionElement[str]):  # noqa: N801  (read as a SQL function)
    """An instant cut to its minute, to group by: a `UTCDateTime` column, or an ISO 8601 string with its
    offset (a JSON field). Instants of one minute written with different offsets make different groups:
    `epoch_minute` of each is the same."""

    type = String()
    inherit_cache = True
    name = "minute_of"


class epoch_minute(FunctionElement[int]):  # noqa: N801
    """Whole minutes since 1970-01-01 UTC of a `minute_of` value. Minutes in UTC are minutes on the
    city's clock too, wherever the offset is whole minutes (Tehran's +03:30 is)."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_minute"


@compiles(minute_of, "postgresql")
def _minute_of_postgresql(element: minute_of, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    return f"date_trunc('minute', CAST({value} AS TIMESTAMP WITH TIME ZONE))"


@compiles(minute_of, "sqlite")
def _minute_of_sqlite(element: minute_of, compiler: SQLCompiler, **kw: Any) -> str:
    """`YYYY-MM-DDTHH:MM` and the offset (the last six characters, as `UTCDateTime` and `isoformat` write
    it): SQLite's date functions keep milliseconds and would round 59.9999 s up to the next minute."""
    value = compiler.process(element.clauses, **kw)
    return f"(substr({value}, 1, 16) || substr({value}, -6))"


@compiles(epoch_minute, "postgresql")
def _epoch_minute_postgresql(element: epoch_minute, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)}) / 60) AS BIGINT)"


@compiles(epoch_minute, "sqlite")
def _epoch_minute_sqlite(element: epoch_minute, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER) / 60)"


def json_entries(session: Session, document: SQLColumnExpression[Any]) -> TableValuedAlias:
    """The entries of a JSON object column as rows (`key`, `value` as text or number): PostgreSQL's
    `json_each_text`, SQLite's `json_each`. Join it to its table `ON true`."""
    each = func.json_each_text if session.get_bind().dialect.name == "postgresql" else func.json_each
    return each(document).table_valued("key", "value")
