"""`shahr network ...`: distances on a GTFS feed, as the fare engine would measure them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from shahr.errors import FeedError, NetworkError
from shahr.network.model import Distance
from shahr.network.network import load_network

network_app = typer.Typer(
    help="GTFS network: distances along routes and over the rail network.", no_args_is_help=True
)
_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


@network_app.callback()
def network_group() -> None:
    """Keeps `distance` a subcommand while it is the only one (Typer would run a lone command bare)."""


@network_app.command("distance")
def distance_command(
    feed: Annotated[Path, typer.Option(help="GTFS feed, a zip or a folder.")],
    from_stop: Annotated[str, typer.Option("--from", help="Boarding stop_id (or station).")],
    to_stop: Annotated[str, typer.Option("--to", help="Alighting stop_id (or station).")],
    route: Annotated[
        str | None, typer.Option(help="Measure along this route_id; default: rail network, else any route.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
) -> None:
    """The distance from one stop to another: along a route, or the shortest over the rail network."""
    try:
        distance = load_network(feed).shortest_distance(from_stop, to_stop, route)
    except (FeedError, NetworkError) as exc:
        _err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if as_json:
        print(json.dumps(_as_data(distance, from_stop, to_stop, route), ensure_ascii=False))
        return
    km = f"{distance.metres / 1000:.3f} km"
    _out.print(f"[bold]{km}[/] ({distance.metres} m) from {escape(from_stop)} to {escape(to_stop)}")
    _out.print(f"method: {distance.method}" + (f", route {route}" if route is not None else ""), markup=False)
    _out.print("stops: " + " → ".join(distance.stops), markup=False)


def _as_data(distance: Distance, from_stop: str, to_stop: str, route: str | None) -> dict[str, object]:
    return {
        "metres": distance.metres,
        "method": distance.method,
        "stops": list(distance.stops),
        "from": from_stop,
        "to": to_stop,
        "route": route,
    }
