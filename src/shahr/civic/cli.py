"""`shahr civic ...`: checking the audit log, and the housekeeping a scheduler runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

civic_app = typer.Typer(help="Citizen participation: the audit log and housekeeping.", no_args_is_help=True)

_Url = Annotated[
    str | None, typer.Option(help="Database URL (default: SHAHR_DATABASE_URL, else a SQLite file).")
]


@civic_app.command("audit")
def audit_command(url: _Url = None) -> None:
    """Recompute the audit log's hash chain; exit 1 naming the first broken entry if it was tampered with."""
    from shahr.civic.audit import verify

    console = Console(highlight=False)
    with _session(url, migrate=False) as session:
        check = verify(session)
    if check.broken is not None:
        console.print(
            f"audit log BROKEN at entry {check.broken.seq}: {check.broken.reason} "
            f"({check.entries} entries read)",
            markup=False,
        )
        raise typer.Exit(1)
    console.print(f"audit log intact: {check.entries} entries, head {check.head_hash}", markup=False)


@civic_app.command("sweep")
def sweep_command(url: _Url = None) -> None:
    """Expire proposals past their time and delete rate-limit counters of ended windows (run it hourly)."""
    from shahr.civic.proposals.workflow import expire_due
    from shahr.civic.ratelimit import prune
    from shahr.civic.settings import get_civic_settings

    now = datetime.now(UTC)
    with _session(url) as session:
        expired = expire_due(session, now=now)
        session.commit()
        pruned = prune(session, now, get_civic_settings())
        session.commit()
    Console(highlight=False).print(
        f"expired {len(expired)} proposal(s); deleted {pruned} rate-limit counter(s)", markup=False
    )


@contextmanager
def _session(url: str | None, *, migrate: bool = True) -> Iterator[Session]:
    """A session on the database, migrated first unless it is only read (an audit of a copy changes
    nothing)."""
    from shahr.db import make_engine, session_factory, upgrade
    from shahr.settings import get_settings

    target = url or get_settings().database_url
    if migrate:
        upgrade(target)
    engine = make_engine(target)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()
