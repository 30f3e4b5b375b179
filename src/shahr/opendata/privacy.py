"""Publishing aggregates without disclosing anyone: small-cell suppression, or noise for OD matrices.

Issue 7's rule, a setting per dataset: no published cell counts fewer than k people, and no suppressed
cell can be recomputed from the published cells and totals (secondary suppression); OD matrices may
instead get differential-privacy noise, with its epsilon in the metadata. The rules are in
docs/opendata-privacy.md; the graph algorithm is in `suppression`, the opendp call in `noise`.

    ShahrError
     └── PrivacyError   a table or setting these rules cannot be applied to
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from shahr.errors import ShahrError
from shahr.opendata import noise
from shahr.opendata.suppression import COLUMN_HUB, ROW_HUB, secondary


class PrivacyError(ShahrError):
    """A table or a privacy setting cannot be used: names the column or value and what is wrong."""


@dataclass(frozen=True)
class Suppressed:
    """A 2-D table (per group) as published under suppression, with its row and column totals."""

    cells: pl.DataFrame
    """The input rows, the people and measure columns null where suppressed."""
    row_totals: pl.DataFrame
    """Per group and row key: the people and measures summed over the columns; null where suppressed."""
    column_totals: pl.DataFrame
    """Per group and column key, likewise."""
    suppressed_cells: int
    """Cells blanked, primary and secondary; totals are not counted."""
    primary: int
    """Cells blanked for counting fewer than k people."""
    k: int

    def metadata(self) -> dict[str, Any]:
        """The privacy entry of the dataset's metadata."""
        return {
            "method": "suppression",
            "k": self.k,
            "primary": self.primary,
            "secondary": self.suppressed_cells - self.primary,
            "totals": "rows and columns",
        }


@dataclass(frozen=True)
class Noised:
    """A table whose measures carry discrete Laplace noise: epsilon-differentially private as a whole."""

    cells: pl.DataFrame
    """The input rows, the measures replaced by noisy non-negative integers."""
    measures: tuple[str, ...]
    epsilon: float
    contribution_bound: int
    scale: float

    def metadata(self) -> dict[str, Any]:
        """The privacy entry of the dataset's metadata: enough to judge the noise and to redo the analysis."""
        return {
            "method": "differential_privacy",
            "mechanism": noise.MECHANISM,
            "epsilon": self.epsilon,
            "contribution_bound": self.contribution_bound,
            "measures": list(self.measures),
            "scale": self.scale,
            "post_processing": "negative values published as 0",
            "library": noise.LIBRARY,
        }


def suppress(
    table: pl.DataFrame,
    *,
    rows: Sequence[str],
    column: str,
    people: str,
    measures: Sequence[str],
    k: int,
    by: Sequence[str] = (),
    row_people: pl.DataFrame | None = None,
    column_people: pl.DataFrame | None = None,
) -> Suppressed:
    """Blank every cell and total with 0 < people < k, then enough other cells that none can be recomputed.

    Each `by` group is a table: rows keyed by `rows`, columns by `column`, one input row per cell. A cell
    with 0 people is published as 0 (a structural zero). The group's total is treated as public.
    A person in two cells of a row is one person of its total, not two: `row_people` (keyed by `by` and
    `rows`) and `column_people` (by `by` and `column`), with a `people` column, give each total's
    distinct people, which the k test and the published totals then use instead of the cells' sum.
    """
    rows, by = list(rows), list(by)
    values = list(dict.fromkeys([people, *measures]))
    _check_columns(table, keys=[*by, *rows, column], values=values)
    if not table[people].dtype.is_integer():
        raise PrivacyError(
            f"people column {people!r} holds {table[people].dtype}, not whole numbers of people"
        )
    if k < 1:
        raise PrivacyError(f"k must be at least 1, got {k}")
    keyed = table.select(
        *by, *rows, column, *values, __g=_rank(by), __r=_rank([*by, *rows]), __c=_rank([*by, column])
    ).with_row_index("__i")
    sums = [pl.col(values).sum(), pl.col("__g").first()]
    row_totals = keyed.group_by("__r").agg(pl.col([*by, *rows]).first(), *sums).sort("__r")
    column_totals = keyed.group_by("__c").agg(pl.col([*by, column]).first(), *sums).sort("__c")
    row_totals = _distinct_people(row_totals, row_people, [*by, *rows], people)
    column_totals = _distinct_people(column_totals, column_people, [*by, column], people)
    cells = keyed.sort("__r", "__c")

    parts = (cells, row_totals, column_totals)
    group = np.concatenate([p["__g"].to_numpy() for p in parts]).astype(np.int64)
    count = np.concatenate([p[people].to_numpy() for p in parts]).astype(np.int64)
    shiftable = np.concatenate([p.select(pl.all_horizontal(pl.col(values) > 0)).to_series() for p in parts])
    u, v = _nodes(cells, row_totals, column_totals)

    primary = (count > 0) & (count < k)
    group_people = np.bincount(group[: cells.height], weights=count[: cells.height], minlength=1)
    work = (np.bincount(group[primary], minlength=len(group_people)) > 0) & (group_people >= k)
    picked = np.flatnonzero(work[group] & (count > 0))
    picked = picked[np.argsort(group[picked], kind="stable")]
    # A zero measure stops a cycle shifting it one way: such an edge costs more than any path without one.
    cost = count + np.where(shiftable, 0, int(count.sum()) + 1)
    hidden = primary.copy()
    hidden[picked] = secondary(group[picked], u[picked], v[picked], cost[picked], primary[picked])

    end_cells, end_rows = cells.height, cells.height + row_totals.height
    cell_hidden = np.empty(cells.height, dtype=bool)
    cell_hidden[cells["__i"].to_numpy()] = hidden[:end_cells]
    return Suppressed(
        cells=_blank(table, values, cell_hidden),
        row_totals=_blank(row_totals.select(*by, *rows, *values), values, hidden[end_cells:end_rows]),
        column_totals=_blank(column_totals.select(*by, column, *values), values, hidden[end_rows:]),
        suppressed_cells=int(hidden[:end_cells].sum()),
        primary=int(primary[:end_cells].sum()),
        k=k,
    )


def add_noise(
    table: pl.DataFrame,
    *,
    measures: Sequence[str],
    epsilon: float,
    contribution_bound: int,
    seed: int | None = None,
) -> Noised:
    """Each measure plus discrete Laplace noise, so that the table as a whole is epsilon-DP.

    The caller clips first: each person adds at most `contribution_bound` to each measure's table total
    (e.g. at most 3 trips a day counted), and the table lists every cell of its domain, zeros included
    (every origin-destination pair), since a missing row tells that no one made that trip. Noise scale is
    contribution_bound * len(measures) / epsilon. `seed` exists so a caller asking for reproducible noise
    is told it cannot have it: opendp draws from the system's secure randomness.
    """
    if seed is not None:
        raise PrivacyError(
            f"seed={seed}: differential-privacy noise cannot be seeded (a replayable noise is removable)"
        )
    if not (isinstance(epsilon, int | float) and math.isfinite(epsilon) and epsilon > 0):
        raise PrivacyError(f"epsilon must be a positive finite number, got {epsilon!r}")
    if contribution_bound < 1:
        raise PrivacyError(
            f"contribution_bound must be at least 1 (per person, per measure), got {contribution_bound}"
        )
    names = list(dict.fromkeys(measures))
    if not names:
        raise PrivacyError("no measures to add noise to")
    _check_columns(table, keys=[], values=names)
    for name in names:
        if not table[name].dtype.is_integer():
            raise PrivacyError(
                f"measure {name!r} holds {table[name].dtype}: noise is added to integer counts only"
            )
    scale = noise.scale_for(epsilon, contribution_bound * len(names))
    noised = noise.discrete_laplace([x for name in names for x in table[name].to_list()], scale)
    n = table.height
    cells = table.with_columns(
        pl.Series(name, noised[i * n : (i + 1) * n], dtype=pl.Int64).clip(lower_bound=0)
        for i, name in enumerate(names)
    )
    return Noised(cells, tuple(names), float(epsilon), contribution_bound, scale)


def _rank(columns: list[str]) -> pl.Expr:
    """0, 1, ... over the distinct values of `columns` in sorted order: ids independent of row order."""
    if not columns:
        return pl.lit(0, dtype=pl.Int64)
    return pl.struct(columns).rank("dense").cast(pl.Int64) - 1


def _nodes(
    cells: pl.DataFrame, row_totals: pl.DataFrame, column_totals: pl.DataFrame
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The ends of each edge (cells, then row totals, then column totals) of the graph `suppression` reads."""
    n_rows = row_totals.height
    u = [cells["__r"].to_numpy(), row_totals["__r"].to_numpy(), n_rows + column_totals["__c"].to_numpy()]
    v = [
        n_rows + cells["__c"].to_numpy(),
        np.full(n_rows, ROW_HUB),
        np.full(column_totals.height, COLUMN_HUB),
    ]
    return np.concatenate(u).astype(np.int64), np.concatenate(v).astype(np.int64)


def _blank(frame: pl.DataFrame, columns: list[str], hidden: NDArray[np.bool_]) -> pl.DataFrame:
    """`frame` with `columns` null on the rows where `hidden`."""
    mask = pl.lit(pl.Series(hidden, dtype=pl.Boolean))
    return frame.with_columns(pl.when(mask).then(None).otherwise(pl.col(c)).alias(c) for c in columns)


def _distinct_people(
    totals: pl.DataFrame, distinct: pl.DataFrame | None, keys: list[str], people: str
) -> pl.DataFrame:
    """The totals with their people replaced by the distinct people given for them (same order)."""
    if distinct is None:
        return totals
    given = distinct.select(*keys, pl.col("people").alias("__people"))
    joined = totals.join(given, on=keys, how="left", nulls_equal=True, maintain_order="left")
    missing = joined["__people"].null_count()
    if missing:
        raise PrivacyError(f"distinct people missing for {missing} totals keyed by {', '.join(keys)}")
    return joined.with_columns(pl.col("__people").cast(totals[people].dtype).alias(people)).drop("__people")


def _check_columns(table: pl.DataFrame, *, keys: list[str], values: list[str]) -> None:
    """Refuse a table the rules cannot read: missing or reused columns, duplicate cells, bad values."""
    missing = [c for c in [*keys, *values] if c not in table.columns]
    if missing:
        raise PrivacyError(f"table has no column {', '.join(map(repr, missing))}; it has {table.columns}")
    reused = {c for c in keys if keys.count(c) > 1} | (set(keys) & set(values))
    if reused:
        raise PrivacyError(f"column {', '.join(map(repr, sorted(reused)))} is used twice as a key or value")
    for name in values:
        if not table[name].dtype.is_numeric():
            raise PrivacyError(f"column {name!r} holds {table[name].dtype}, not numbers")
        value = pl.col(name)
        bad = table.select(
            (value.is_null() | value.cast(pl.Float64).is_nan() | (value < 0)).arg_true()
        ).to_series()
        if len(bad):
            raise PrivacyError(
                f"column {name!r} has {len(bad)} null, NaN or negative values (first in row {bad[0]}): "
                "counts and amounts are non-negative"
            )
    if keys:
        duplicated = table.select(pl.struct(keys).is_duplicated().arg_true()).to_series()
        if len(duplicated):
            raise PrivacyError(
                f"{len(duplicated)} rows share a key {keys} (first: row {duplicated[0]}): one row per cell"
            )
