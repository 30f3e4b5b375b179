"""`shahr db ...`: the service's database."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

db_app = typer.Typer(help="The service's database: apply migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command(
    url: Annotated[
        str | None, typer.Option(help="Database URL (default: SHAHR_DATABASE_URL, else a SQLite file).")
    ] = None,
    revision: Annotated[str, typer.Option(help="Alembic revision to reach.")] = "head",
) -> None:
    """Apply the schema migrations to the database."""
    from shahr.db.migrate import upgrade
    from shahr.settings import get_settings

    target = url or get_settings().database_url
    upgrade(target, revision)
    Console(highlight=False).print(f"database at {_safe(target)} is at revision {revision}", markup=False)


def _safe(url: str) -> str:
    """The URL without its password, for printing."""
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}://{credentials.split(':')[0]}{at}{host}" if at else url
