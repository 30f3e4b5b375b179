"""`shahr staff ...`: the first admin token has to come from somewhere other than the API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from shahr.backoffice.auth_tables import StaffRole

staff_app = typer.Typer(help="Staff tokens for the API.", no_args_is_help=True)

_Url = Annotated[
    str | None, typer.Option(help="Database URL (default: SHAHR_DATABASE_URL, else a SQLite file).")
]


@staff_app.command("token")
def token_command(
    name: Annotated[str, typer.Argument(help="Who the token is for.")],
    role: Annotated[StaffRole, typer.Option(help="What the token may do.")] = StaffRole.OPERATOR,
    url: _Url = None,
) -> None:
    """Create a staff token and print it: the only time it is shown (only its hash is stored)."""
    from shahr.backoffice.auth import create_staff_token

    with _session(url) as session:
        token = create_staff_token(session, name, role, datetime.now(UTC))
        session.commit()
    Console(highlight=False).print(token, markup=False)


@staff_app.command("revoke")
def revoke_command(
    name: Annotated[str, typer.Argument(help="Whose tokens to revoke.")],
    url: _Url = None,
) -> None:
    """Revoke every active token of NAME."""
    from shahr.backoffice.auth import revoke_staff_tokens

    with _session(url) as session:
        count = revoke_staff_tokens(session, name, datetime.now(UTC))
        session.commit()
    Console(highlight=False).print(f"revoked {count} token(s) of {name!r}", markup=False)


@contextmanager
def _session(url: str | None) -> Iterator[Session]:
    """A session on the migrated database (the CLI may run before the service ever started)."""
    from shahr.db import make_engine, session_factory, upgrade
    from shahr.settings import get_settings

    target = url or get_settings().database_url
    upgrade(target)
    engine = make_engine(target)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()
