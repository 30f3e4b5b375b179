"""`shahr settle`: a day of taps into legs, journeys, operator shares, quarantine, clearing, summary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from shahr.batch.outputs import write_settled_day
from shahr.batch.settle import get_settle_function, read_truth
from shahr.errors import ShahrError
from shahr.fares.explain import money
from shahr.fares.load import load_policy

_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


class Engine(StrEnum):
    COMPILED = "compiled"
    REFERENCE = "reference"


def settle_command(
    taps: Annotated[Path, typer.Argument(help="Taps Parquet file (columns of shahr.batch.schema).")],
    policy: Annotated[str, typer.Option("--policy", "-p", help="A preset id or a policy TOML file.")],
    feed: Annotated[Path, typer.Option(help="GTFS feed (zip or folder) the taps were made on.")],
    out: Annotated[Path, typer.Option(help="Folder for the output files (created if missing).")],
    engine: Annotated[Engine, typer.Option(help="compiled (fast) or reference (the engine, tap by tap).")] = (
        Engine.COMPILED
    ),
    workers: Annotated[
        int | None, typer.Option(min=1, help="Settle on a local Dask cluster of this many processes.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Settle on the Dask cluster at this address (tcp://HOST:PORT).")
    ] = None,
    partitions: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Card shards: on Dask (default: twice the worker threads), or card ranges settled in turn "
            "on one machine (default: one per 4 M taps).",
        ),
    ] = None,
) -> None:
    """Settle a day of taps: every fare from the fare engine's rules, shares by operator, a clearing
    table and a summary. Refused taps are kept in quarantine.parquet with their reason."""
    try:
        loaded = load_policy(policy)
        settle = get_settle_function(engine.value)
        with _progress() as progress:
            if workers is not None or scheduler is not None:
                from shahr.batch.dask_runner import settle_on_cluster

                rating = progress.add_task("rating card shards on Dask", total=None)
                day = settle_on_cluster(
                    taps,
                    policy,
                    feed,
                    engine=engine.value,
                    workers=workers,
                    scheduler=scheduler,
                    partitions=partitions,
                    on_shard=lambda total: progress.update(rating, total=total, advance=1),
                )
                with _step(progress, f"writing {out}"):
                    write_settled_day(day, out, loaded, read_truth(taps))
                counts = day.counts
            else:
                from shahr.batch.stream import card_ranges, settle_file
                from shahr.network import load_network

                with _step(progress, "reading the feed"):
                    network = load_network(feed)
                ranges = card_ranges(taps, partitions)
                rating = progress.add_task(f"rating card ranges ({engine.value})", total=None)
                counts = settle_file(
                    taps,
                    loaded,
                    network,
                    out,
                    settle=settle,
                    ranges=ranges,
                    truth=read_truth(taps),
                    on_range=lambda done, total: progress.update(rating, completed=done, total=total),
                )
    except ShahrError as exc:
        _err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    _report(counts, out, loaded.currency)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=_err,
        transient=True,
    )


@contextmanager
def _step(progress: Progress, description: str) -> Iterator[None]:
    task = progress.add_task(description, total=1)
    yield
    progress.update(task, completed=1)


def _report(c: dict[str, int], out: Path, currency: str) -> None:
    _out.print(
        f"{c['taps']:,} taps ({c['duplicate_uploads']:,} uploaded twice), {c['journeys']:,} journeys, "
        f"{c['legs']:,} legs, {c['quarantined']:,} quarantined; revenue {money(c['revenue'], currency)}"
    )
    _out.print(f"written to {out}")
