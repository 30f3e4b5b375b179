"""`shahr opendata build`: build the open datasets of a service day and publish them in the catalog."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from shahr import console as term
from shahr.errors import ShahrError
from shahr.opendata.build import Options, Published
from shahr.opendata.datasets.od import DEFAULT_TRIPS_PER_CARD
from shahr.opendata.datasets.spec import DEFAULT_K, Method

opendata_app = typer.Typer(
    help="Open data: ridership, revenue and reports, published safely.", no_args_is_help=True
)


class OdPrivacy(StrEnum):
    SUPPRESSION = "suppression"
    DP = "dp"


@opendata_app.command("build")
def build_command(
    day: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="The service day (YYYY-MM-DD).")
    ],
    settled: Annotated[
        Path | None,
        typer.Option(
            "--from", help="A settled day's folder (`shahr settle --out`); default: the service's database."
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="The catalog's database, and the service day's without --from (default: settings)."
        ),
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option(help="Preset id or policy file; its time zone tells the hours (default: SHAHR_POLICY)."),
    ] = None,
    feed: Annotated[
        Path | None, typer.Option(help="GTFS feed placing the stops (default: SHAHR_FEED).")
    ] = None,
    zones: Annotated[
        Path | None,
        typer.Option(help="Zones of the OD matrix, a GeoJSON of districts (default: the civic districts)."),
    ] = None,
    k: Annotated[int, typer.Option(min=1, help="No published cell counts fewer than k people.")] = DEFAULT_K,
    od_privacy: Annotated[
        OdPrivacy, typer.Option(help="The OD matrix's protection: suppression below k, or dp noise.")
    ] = OdPrivacy.SUPPRESSION,
    epsilon: Annotated[
        float | None, typer.Option(help="The OD matrix's privacy budget with --od-privacy dp.")
    ] = None,
    trips_per_card: Annotated[
        int, typer.Option(min=1, help="Journeys of one card counted in the OD matrix, at most.")
    ] = DEFAULT_TRIPS_PER_CARD,
) -> None:
    """Build the transit datasets of a settled service day and the civic ones, and publish each that
    changed as a new release (CSV, JSON, Parquet and a Frictionless datapackage.json)."""
    from shahr.civic.geo import load_districts
    from shahr.civic.settings import get_civic_settings
    from shahr.db import make_engine, session_factory, upgrade
    from shahr.fares.load import load_policy
    from shahr.lab.zones import from_districts
    from shahr.network import load_network
    from shahr.opendata.build import build_and_publish, run_provenance, transit_day
    from shahr.opendata.datasets import CIVIC, TRANSIT, od
    from shahr.opendata.datasets.source import CivicDay, read_service_day, read_settled_dir
    from shahr.settings import get_settings

    settings, civic = get_settings(), get_civic_settings()
    options = Options(k, Method(od_privacy.value), epsilon, trips_per_card)
    service_date, now = day.date(), datetime.now(UTC)
    try:
        options.privacy(od.SPEC)  # refuses dp without an epsilon before any work
        loaded = load_policy(policy or settings.policy)
        timezone = loaded.header.timezone
        url = database_url or settings.database_url
        with term.progress() as progress:
            task = progress.add_task("reading the feed", total=3 + len(TRANSIT) + len(CIVIC))

            def step(description: str) -> None:
                progress.update(task, description=description, advance=1)

            network = load_network(feed or settings.feed)
            zoning = from_districts(load_districts(str(zones) if zones else civic.districts_file))
            step("opening the database")
            upgrade(url)
            engine = make_engine(url)
            try:
                with session_factory(engine)() as session:
                    step(f"reading service day {service_date}")
                    frames = (
                        read_settled_dir(settled, service_date)
                        if settled is not None
                        else read_service_day(session, service_date)
                    )
                    step("placing stops in zones")
                    published = build_and_publish(
                        session,
                        transit=transit_day(frames, timezone=timezone, network=network, zones=zoning),
                        civic=CivicDay(session, service_date, timezone, civic, now),
                        options=options,
                        provenance=run_provenance(loaded, zoning, options),
                        now=now,
                        on_dataset=lambda name: step(f"building {name}"),
                    )
                    session.commit()
            finally:
                engine.dispose()
    except ShahrError as exc:
        term.err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    _report(published, service_date.isoformat())


def _report(published: list[Published], day: str) -> None:
    table = Table(title=f"Open data of service day {day}")
    table.add_column("dataset", no_wrap=True)
    table.add_column("release", justify="right")
    table.add_column("period")
    table.add_column("rows", justify="right")
    table.add_column("blanked", justify="right")
    table.add_column("status")
    for p in published:
        r = p.release
        if r is None:
            table.add_row(p.spec.name, "", "", "", "", p.status)
            continue
        period = r.period_start.isoformat() + (
            "" if r.period_end == r.period_start else f" to {r.period_end}"
        )
        table.add_row(
            p.spec.name, f"v{r.version}", period, f"{r.rows:,}", f"{r.suppressed_cells:,}", p.status
        )
    term.out.print(table)
    count = sum(1 for p in published if p.release is not None)
    term.out.print(f"{count} release(s) published of {len(published)} datasets.")
