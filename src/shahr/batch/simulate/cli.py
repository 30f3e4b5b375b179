"""`shahr simulate taps`: a realistic service day of taps on a GTFS feed, written to Parquet."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shahr.batch.schema import TRUTH_KEY
from shahr.batch.simulate.generate import simulate_taps
from shahr.batch.simulate.model import SimulationOptions
from shahr.errors import ShahrError
from shahr.network.feed import load_feed

simulate_app = typer.Typer(help="Simulated data for the batch pipeline.", no_args_is_help=True)
_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


@simulate_app.callback()
def simulate_group() -> None:
    """Keeps `taps` a subcommand while it is the only one (Typer would run a lone command bare)."""


@simulate_app.command("taps")
def taps_command(
    feed: Annotated[Path, typer.Option(help="GTFS feed, a zip or a folder.")],
    cards: Annotated[int, typer.Option(min=1, help="Cards that travel (about 6.5 taps each on the demo).")],
    service_date: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Service date (YYYY-MM-DD).")
    ],
    seed: Annotated[int, typer.Option(min=0, help="Same seed and options: byte-identical file.")],
    out: Annotated[Path, typer.Option(help="Parquet file to write (columns of shahr.batch.schema).")],
    missing_tap_off: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of tap-offs left out.")
    ] = 0.03,
    duplicates: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of taps tapped twice.")] = 0.01,
    late: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of rows uploaded 1-3 days late.")
    ] = 0.02,
    chunk_cards: Annotated[
        int, typer.Option(min=1, help="Cards per row group (rounded up to 8192); bounds memory.")
    ] = 200_000,
) -> None:
    """Generate one service day of taps: gravity-model journeys on the feed's real trips, with missing
    tap-offs, duplicate taps and late uploads; the ground truth goes into the file's metadata."""
    options = SimulationOptions(
        cards=cards,
        service_date=service_date.date(),
        seed=seed,
        missing_tap_off=missing_tap_off,
        duplicates=duplicates,
        late=late,
        chunk_cards=chunk_cards,
    )
    started = time.perf_counter()
    try:
        loaded = load_feed(feed)
        with Progress(
            TextColumn("cards"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=_err,
            transient=True,
        ) as progress:
            task = progress.add_task("cards", total=cards)
            truth = simulate_taps(
                loaded, options, out, feed_name=feed.name, on_progress=lambda n: progress.advance(task, n)
            )
    except ShahrError as exc:
        _err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    seconds = time.perf_counter() - started
    _out.print(
        f"wrote {truth.taps:,} taps of {truth.cards:,} cards to {out} in {seconds:.1f} s "
        f"({truth.taps / seconds:,.0f} taps/s)",
        markup=False,
    )
    _out.print(f"ground truth (metadata key {TRUTH_KEY.decode()}):", markup=False)
    _out.print(json.dumps(truth.to_document(options, feed.name), indent=2, ensure_ascii=False), markup=False)
