"""Settling a day larger than memory on one machine: ranges of cards in turn, each written out before
the next is read. A card's journeys depend on its own taps only, and every output is sorted by card
first, so ranges taken in order give the files one pass would give, at the memory of one range."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from shahr.batch.outputs import clearing_table, summary_of, write_summary
from shahr.batch.settle import SettledDay, SettleFunction, check_taps
from shahr.errors import ShahrError
from shahr.fares.load import Policy
from shahr.fares.network import FareNetwork
from shahr.fares.taps_io import TapFileError

TAPS_PER_RANGE = 4_000_000
"""About 4 GiB of working memory a range with the compiled engine (measured: docs/settlement.md)."""
FRAMES = ("legs", "journeys", "operator_shares", "quarantine")


def card_ranges(path: Path, ranges: int | None = None) -> list[tuple[int, int]]:
    """Half-open card_id ranges with about the same number of taps each (TAPS_PER_RANGE by default)."""
    try:
        cards = pl.read_parquet(path, columns=["card_id"])["card_id"]
    except FileNotFoundError as exc:
        raise TapFileError(f"{path}: no such file") from exc
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise TapFileError(f"{path}: cannot read as Parquet with a card_id column: {exc}") from exc
    if len(cards) == 0:
        return []
    count = ranges or max(1, math.ceil(len(cards) / TAPS_PER_RANGE))
    edges = sorted({int(cards.quantile(i / count, "lower") or 0) for i in range(count)})
    ends = [*edges[1:], int(cards.max() or 0) + 1]  # type: ignore[arg-type]
    return list(zip(edges, ends, strict=True))


def settle_file(
    path: Path,
    policy: Policy,
    network: FareNetwork,
    out_dir: Path,
    *,
    settle: SettleFunction,
    ranges: int | list[tuple[int, int]] | None = None,
    truth: Mapping[str, Any] | None = None,
    on_range: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Settle the taps file range by range into `out_dir` (the files of `write_settled_day`); returns
    the day's counts. `ranges`: how many card ranges, or the ranges themselves (`card_ranges`);
    `on_range(done, total)` hears each range finished."""
    out_dir.mkdir(parents=True, exist_ok=True)
    bounds = ranges if isinstance(ranges, list) else card_ranges(path, ranges)
    writers: dict[str, pq.ParquetWriter] = {}
    counts: dict[str, int] = {}
    clearing: list[pl.DataFrame] = []
    dates: set[Any] = set()
    try:
        for done, (low, high) in enumerate(bounds, start=1):
            taps = (
                pl.scan_parquet(path).filter(pl.col("card_id").is_between(low, high, closed="left")).collect()
            )
            check_taps(taps, str(path))
            day = settle(taps, policy, network)
            _append(writers, out_dir, day)
            counts = {key: counts.get(key, 0) + value for key, value in day.counts.items()}
            clearing.append(clearing_table(day))
            dates.update(day.journeys["service_date"].unique().to_list())
            if on_range is not None:
                on_range(done, len(bounds))
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ShahrError(f"{path}: cannot settle: {exc}") from exc
    finally:
        for writer in writers.values():
            writer.close()
    if not bounds:
        raise ShahrError(f"{path}: no taps to settle")
    table = pl.concat(clearing).group_by("operator", "service_date").agg(pl.all().sum())
    table.select(clearing[0].columns).sort("service_date", "operator").write_csv(out_dir / "clearing.csv")
    write_summary(out_dir, summary_of(counts, sorted(dates), policy, truth))
    return counts


def _append(writers: dict[str, pq.ParquetWriter], out_dir: Path, day: SettledDay) -> None:
    for name in FRAMES:
        table = getattr(day, name).to_arrow()
        if name not in writers:
            writers[name] = pq.ParquetWriter(out_dir / f"{name}.parquet", table.schema)
        writers[name].write_table(table)
