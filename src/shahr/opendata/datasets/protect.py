"""How a table of counts becomes publishable rows: through `opendata.privacy`, with the margins it
publishes beside the cells as rows of their own, marked by a `level` column (`cell`, or which total the
row is), so that a reader filtering on `level == "cell"` gets the table and nothing is counted twice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from shahr.opendata.privacy import add_noise, suppress

CELL = "cell"


def suppressed(
    table: pl.DataFrame,
    *,
    rows: Sequence[str],
    column: str,
    people: str,
    measures: Sequence[str],
    k: int,
    by: Sequence[str],
    row_total: str,
    column_total: str,
    events: pl.DataFrame,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Cells of 0 < people < k blanked (and what secondary suppression adds), with the row totals
    (level `row_total`: a row over every column) and column totals (level `column_total`). People are
    distinct cards: `events` (one row per boarding, journey or share, with `card_id` and the key
    columns) gives each total its own distinct cards, so a card in two cells is one person of the total."""

    def distinct(keys: list[str]) -> pl.DataFrame:
        return events.group_by(keys).agg(people=pl.col("card_id").n_unique().cast(pl.Int64))

    result = suppress(
        table, rows=rows, column=column, people=people, measures=measures, k=k, by=by,
        row_people=distinct([*by, *rows]), column_people=distinct([*by, column]),
    )  # fmt: skip
    frame = pl.concat(
        [
            result.cells.with_columns(level=pl.lit(CELL)),
            result.row_totals.with_columns(level=pl.lit(row_total)),
            result.column_totals.with_columns(level=pl.lit(column_total)),
        ],
        how="diagonal_relaxed",
    )
    metadata = {**result.metadata(), "suppressed_cells": result.suppressed_cells}
    return frame.sort([*by, *rows, column], nulls_last=True), metadata


def noised(
    table: pl.DataFrame, *, measures: Sequence[str], epsilon: float, contribution_bound: int
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The cells with differential-privacy noise on `measures`; no margins (a reader sums noisy cells).
    `table` lists every cell of a domain fixed in advance, zeros included: a missing row would tell."""
    result = add_noise(table, measures=measures, epsilon=epsilon, contribution_bound=contribution_bound)
    return result.cells.with_columns(level=pl.lit(CELL)), result.metadata()
