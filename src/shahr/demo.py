"""`shahr demo`: ten varied journeys on the Mashhad demo network, today's flat fare beside a Seoul-style
distance fare, every fare computed by the engine from taps on the real (illustrative) feed; then the
fare-collection service clearing a simulated morning (`demo_service`), left running to try."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from shahr.errors import ShahrError
from shahr.fares.engine import FareEngine, Rating
from shahr.fares.explain import km
from shahr.fares.load import load_policy
from shahr.fares.model import Tap, TapKind

TEHRAN = ZoneInfo("Asia/Tehran")
DEMO_DAY = date(2025, 10, 5)  # a Sunday: a working day in Iran (weekday service)


@dataclass(frozen=True)
class DemoRide:
    """One ride: boarding and alighting stop and local time; route for buses, none for the metro."""

    route: str | None
    board: str
    on: str
    alight: str
    off: str


@dataclass(frozen=True)
class DemoJourney:
    title: str
    rides: tuple[DemoRide, ...]
    rider: str = "adult"


JOURNEYS = (
    DemoJourney("Metro, two stops", (DemoRide(None, "st_kowsar", "08:10", "st_azadi", "08:16"),)),
    DemoJourney("Metro end to end", (DemoRide(None, "st_vakilabad", "07:30", "st_airport", "08:20"),)),
    DemoJourney(
        "Metro across lines 1 and 2", (DemoRide(None, "st_vakilabad", "08:00", "st_tabarsi", "08:55"),)
    ),
    DemoJourney("Trunk bus, 18 km", (DemoRide("T01", "b_vakilabad", "09:00", "b_haram", "10:10"),)),
    DemoJourney(
        "Feeder to metro",
        (
            DemoRide("F03", "b_golshahr", "07:20", "b_tabarsi", "07:35"),
            DemoRide(None, "st_tabarsi", "07:42", "st_shariati", "08:05"),
        ),
    ),
    DemoJourney(
        "Pilgrim: airport to Haram by BRT", (DemoRide("BRT1", "b_airport", "10:00", "b_haram", "10:40"),)
    ),
    DemoJourney(
        "Feeder, metro, trunk bus",
        (
            DemoRide("F01", "b_vakilabad", "07:00", "b_kowsar", "07:35"),
            DemoRide(None, "st_kowsar", "07:45", "st_shariati", "08:05"),
            DemoRide("T01", "b_shariati", "08:12", "b_haram", "08:25"),
        ),
    ),
    DemoJourney(
        "Early bird on the metro", (DemoRide(None, "st_vakilabad", "06:05", "st_shariati", "06:40"),)
    ),
    DemoJourney(
        "Student: bus then BRT",
        (
            DemoRide("T03", "b_tabarsi", "13:30", "b_haram", "14:05"),
            DemoRide("BRT1", "b_haram", "14:15", "b_airport", "14:50"),
        ),
        rider="youth",
    ),
    DemoJourney(
        "Evening: bus, 45 min visit, BRT",
        (
            DemoRide("T07", "b_airport", "21:10", "b_haram", "21:40"),
            DemoRide("BRT2", "b_haram", "22:25", "b_imam_reza_terminal", "22:50"),
        ),
    ),
)


def journey_taps(journey: DemoJourney, day: date = DEMO_DAY) -> list[Tap]:
    """The taps a card makes on the demo journey."""
    taps = []
    for ride in journey.rides:
        for kind, stop, clock in ((TapKind.ON, ride.board, ride.on), (TapKind.OFF, ride.alight, ride.off)):
            moment = datetime.combine(day, time.fromisoformat(clock), tzinfo=TEHRAN)
            taps.append(
                Tap(kind, moment, stop, ride.route, rider_category=journey.rider, tap_id=f"{stop}@{clock}")
            )
    return taps


def compare(feed: Path) -> list[tuple[DemoJourney, Rating, Rating]]:
    """Each demo journey rated under mashhad-flat and mashhad-distance."""
    from shahr.network import load_network  # gtfs-kit is slow to import: only when a feed is read

    network = load_network(feed)
    flat = FareEngine(load_policy("mashhad-flat"), network)
    distance = FareEngine(load_policy("mashhad-distance"), network)
    return [(j, flat.rate(journey_taps(j)), distance.rate(journey_taps(j))) for j in JOURNEYS]


def demo(
    feed: Annotated[Path, typer.Option(help="GTFS feed to ride on.")] = Path("data/mashhad-demo.zip"),
    cards: Annotated[int, typer.Option(min=1, max=2_000, help="Cards riding the simulated morning.")] = 300,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the simulated day.")] = 1,
    port: Annotated[
        int, typer.Option(min=0, max=65_535, help="Port of the service; another if taken, 0 for any.")
    ] = 8000,
    serve: Annotated[
        bool | None,
        typer.Option(
            "--serve/--no-serve",
            help="Keep the service running until Ctrl-C, or stop it at the end. "
            "By default it keeps running when started from a terminal, where Ctrl-C can be pressed.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Ten demo journeys in Mashhad (today's flat fare beside the proposed distance fare), then the
    service clearing a simulated morning of taps, left running to try."""
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    try:
        print_comparison(console, feed, compare(feed))
        from shahr.demo_service import run_service_demo  # polars, gtfs-kit: slow to import

        keep_serving = sys.stdin.isatty() if serve is None else serve
        run_service_demo(feed, cards=cards, seed=seed, port=port, serve=keep_serving, console=console)
    except ShahrError as exc:
        Console(stderr=True).print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc


def print_comparison(console: Console, feed: Path, rows: list[tuple[DemoJourney, Rating, Rating]]) -> None:
    """The ten journeys' table and its totals."""
    table = Table(title=f"Ten demo journeys on {feed.name}, {DEMO_DAY.isoformat()} (rials)")
    for column in ("#", "journey", "rider", "legs", "distance", "flat fare", "distance fare", "change"):
        table.add_column(column, justify="right" if column not in ("journey", "rider") else "left")
    for i, (journey, flat, dist) in enumerate(rows, start=1):
        distance_m = sum(j.distance_m for j in dist.journeys)
        change = dist.total_minor - flat.total_minor
        table.add_row(
            str(i),
            journey.title,
            journey.rider,
            str(len(journey.rides)),
            km(distance_m),
            f"{flat.total_minor:,}",
            f"{dist.total_minor:,}",
            f"{change:+,}",
        )
    console.print(table)
    flat_total = sum(f.total_minor for _, f, _ in rows)
    dist_total = sum(d.total_minor for _, _, d in rows)
    console.print(
        f"Total: flat {flat_total:,} rials, distance {dist_total:,} rials ({dist_total - flat_total:+,})."
    )
    console.print(
        "One fare explained: .venv/bin/shahr fare quote --policy mashhad-distance --leg metro,12,08:00,08:25"
    )
