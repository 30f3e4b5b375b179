"""`shahr civic ...`: checking the audit log, the housekeeping a scheduler runs, and publishing a fare
consultation."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

civic_app = typer.Typer(
    help="Citizen participation: the audit log, housekeeping and fare consultations.", no_args_is_help=True
)

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


consultation_app = typer.Typer(help="Fare consultations: a policy comparison put to residents.")
civic_app.add_typer(consultation_app, name="consultation")


@consultation_app.command("publish")
def publish_consultation_command(
    figures: Annotated[Path, typer.Option(help="The figures JSON `shahr lab compare` wrote.")],
    policy: Annotated[str, typer.Option(help="The proposed policy: a preset id or a TOML file.")],
    reference: Annotated[str, typer.Option(help="The policy it is compared against: a preset id or a file.")],
    title: Annotated[str, typer.Option(help="The consultation's (and its proposal's) title.")],
    staff: Annotated[
        str | None, typer.Option(help="Who publishes it, for the audit log (default: your login name).")
    ] = None,
    body: Annotated[
        str | None, typer.Option(help="The proposal's text (default: names both policies).")
    ] = None,
    database_url: _Url = None,
) -> None:
    """Publish a comparison as a consultation with its proposal, as `POST /consultations` does."""
    from pydantic import ValidationError

    from shahr.civic.consultations.errors import InvalidConsultation
    from shahr.civic.consultations.workflow import publish
    from shahr.civic.geo import load_districts
    from shahr.civic.settings import get_civic_settings
    from shahr.errors import ShahrError
    from shahr.fares.load import read_policy_text
    from shahr.lab.figures import Figures

    console = Console(highlight=False, soft_wrap=True)
    civic = get_civic_settings()
    try:
        try:
            parsed = Figures.model_validate_json(figures.read_bytes())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise InvalidConsultation(f"{figures}: {where}: {first['msg']}", field="figures") from exc
        with _session(database_url) as session:
            done = publish(
                session,
                title=title,
                body=body,
                policy_toml=read_policy_text(policy)[0],
                reference_toml=read_policy_text(reference)[0],
                figures=parsed,
                staff=staff or _login_name(),
                districts=load_districts(civic.districts_file),
                settings=civic,
                now=datetime.now(UTC),
            )
            session.commit()
    except (ShahrError, OSError) as exc:
        console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    console.print(
        f"consultation {done.consultation.id} published with proposal {done.proposal.id} "
        f"({done.proposal.visibility.value}): /fa/consultations/{done.consultation.id}",
        markup=False,
    )


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment or the password database
        return "cli"


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
