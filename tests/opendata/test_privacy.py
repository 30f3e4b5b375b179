"""Publishing counts safely: small cells suppressed so no total gives them away; noise for OD matrices."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import opendp.prelude as dp
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

from shahr.opendata import noise
from shahr.opendata.privacy import PrivacyError, Suppressed, add_noise, suppress


def grid(cells: dict[str, list[int]], **extra: list[int]) -> pl.DataFrame:
    """A table from rows of people by hour (columns 1, 2, ...); boardings = people + 1 unless given."""
    frame = pl.DataFrame(
        [
            {"stop": stop, "hour": hour, "cards": people}
            for stop, row in cells.items()
            for hour, people in enumerate(row, start=1)
        ]
    )
    frame = frame.with_columns(boardings=pl.col("cards") + (pl.col("cards") > 0).cast(pl.Int64))
    return frame.with_columns(pl.Series(name, values) for name, values in extra.items())


def run(table: pl.DataFrame, k: int = 10, **kwargs: Any) -> Suppressed:
    options: dict[str, Any] = {"measures": ["boardings"], **kwargs}
    return suppress(table, rows=["stop"], column="hour", people="cards", k=k, **options)


def blank_cells(result: Suppressed) -> set[tuple[str, int]]:
    return {
        (r["stop"], r["hour"]) for r in result.cells.filter(pl.col("cards").is_null()).iter_rows(named=True)
    }


def blank_totals(frame: pl.DataFrame, key: str) -> set[Any]:
    return set(frame.filter(pl.col("cards").is_null())[key])


# Hand cases. k = 10 throughout; a cell is primary when 0 < people < 10.


def test_one_small_cell_takes_the_cheapest_rectangle() -> None:
    #          1    2    3 | total
    #   a     20    3   25 |   48
    #   b     30   40   35 |  105
    #   c     22   28   50 |  100
    #   total 72   71  110 |  253
    # (a,2) = 3 is primary; every total is >= 10 and published, so column 2's total and (b,2), (c,2)
    # would give (a,2) back. The cheapest cycle through (a,2) is a rectangle (a,2) (a,j) (i,j) (i,2):
    #   j=1 i=b: 20+30+40 = 90    j=1 i=c: 20+22+28 = 70    j=3 i=b: 25+35+40 = 100    j=3 i=c: 25+50+28 = 103
    # so (a,1), (c,1), (c,2) are suppressed too (any longer cycle adds more cells, at least 5 others).
    result = run(grid({"a": [20, 3, 25], "b": [30, 40, 35], "c": [22, 28, 50]}))
    assert blank_cells(result) == {("a", 1), ("a", 2), ("c", 1), ("c", 2)}
    assert result.cells.filter(pl.col("boardings").is_null()).height == 4
    assert result.metadata() == {
        "method": "suppression",
        "k": 10,
        "primary": 1,
        "secondary": 3,
        "totals": "rows and columns",
    }
    assert result.row_totals.to_dict(as_series=False) == {
        "stop": ["a", "b", "c"],
        "cards": [48, 105, 100],
        "boardings": [51, 108, 103],
    }
    assert result.column_totals["cards"].to_list() == [72, 71, 110]
    assert result.cells.columns == ["stop", "hour", "cards", "boardings"]


def test_a_zero_is_never_a_complement() -> None:
    # As above with (c,1) = 0: a cycle through a zero cannot shift (the zero cannot go below 0, and
    # publishing it as 0 is no loss), so the rectangle through row c is out; next is j=1 i=b at 90:
    # (a,1), (b,1), (b,2). (Rows c/col 3 at 103 and the hexagon a2 c2 c3 b3 b1 a1 at 163 cost more.)
    result = run(grid({"a": [20, 3, 25], "b": [30, 40, 35], "c": [0, 28, 50]}))
    assert blank_cells(result) == {("a", 1), ("a", 2), ("b", 1), ("b", 2)}
    assert result.cells.filter(stop="c", hour=1)["cards"].to_list() == [0]


def test_a_cell_with_a_zero_measure_is_a_complement_of_last_resort() -> None:
    # The first table, but the 22 cards at (c,1) all rode free (revenue 0): shifting the cycle one way
    # would make its revenue negative, so that way is shut and the revenue of (a,2) could be pinned.
    # The rectangle through row b (90) is taken instead of the one through (c,1) (70).
    table = grid({"a": [20, 3, 25], "b": [30, 40, 35], "c": [22, 28, 50]})
    table = table.with_columns(revenue=pl.when(stop="c", hour=1).then(0).otherwise(pl.col("cards") * 10_000))
    result = run(table, measures=["boardings", "revenue"])
    assert blank_cells(result) == {("a", 1), ("a", 2), ("b", 1), ("b", 2)}
    assert result.cells.filter(pl.col("revenue").is_null()).height == 4


def test_a_row_whose_only_positive_cell_is_small() -> None:
    #          1    2    3 | total
    #   a      0    4    0 |    4   <- (a,2) and row a's total are both below k
    #   b     30   12   40 |   82
    #   c     25   15   20 |   60
    #   total 55   31   60 |  146   (the group total is taken as public)
    # Row a has no other positive cell, so a cycle through (a,2) leaves row a by its (blank) total, comes
    # back through another row's total and that row's cell in column 2: row b costs 82 + 12 = 94,
    # row c 60 + 15 = 75. So (c,2) and row c's total go too. The zeros stay published as 0.
    # Check: column 2 gives (a,2) + (c,2) = 31 - 12 = 19 and rows a, c have no equation: (a,2) is any of
    # 0..19, and the group total only gives total(a) + total(c) = 146 - 82 = 64, which holds for each.
    result = run(grid({"a": [0, 4, 0], "b": [30, 12, 40], "c": [25, 15, 20]}))
    assert blank_cells(result) == {("a", 2), ("c", 2)}
    assert blank_totals(result.row_totals, "stop") == {"a", "c"}
    assert blank_totals(result.column_totals, "hour") == set()
    assert result.cells.filter(stop="a")["cards"].to_list() == [0, None, 0]
    assert (result.primary, result.suppressed_cells) == (1, 2)


def test_groups_with_totals_below_k() -> None:
    # Day 1:    1    2 | total         Day 2 (night):  1   2 | total
    #   a       4    3 |    7            x             2   0 |    2
    #   b      20   30 |   50            y             1   3 |    4
    #   c      25   12 |   37            total         3   3 |    6
    #   total  49   45 |   94
    # Day 1: (a,1), (a,2) and row a's total (7) are primary. Column totals would give each of (a,1),
    # (a,2) back, and the group total (94) row a's. The cheapest path from row a to column 1 avoiding
    # (a,1): (a,2) free, then (c,2) 12, then (c,1) 25 = 37 (row b's way: 30 + 20 = 50). Then row a's
    # total needs another row total: row c's (37; row b's would be 50): the cycle a-total, c-total, (c,1),
    # (a,1) holds. Day 2 totals 6 < k: all its positive cells and totals are primary; nothing can hide a
    # group total below k (it must not be published elsewhere), and no complement is added.
    day1 = grid({"a": [4, 3], "b": [20, 30], "c": [25, 12]}).with_columns(day=pl.lit(1))
    day2 = grid({"x": [2, 0], "y": [1, 3]}).with_columns(day=pl.lit(2))
    result = run(pl.concat([day1, day2]), by=["day"])
    assert blank_cells(result) == {("a", 1), ("a", 2), ("c", 1), ("c", 2), ("x", 1), ("y", 1), ("y", 2)}
    assert result.row_totals.filter(pl.col("cards").is_null())["stop"].to_list() == ["a", "c", "x", "y"]
    assert result.column_totals.columns == ["day", "hour", "cards", "boardings"]
    assert result.column_totals.filter(day=2)["cards"].to_list() == [None, None]
    assert result.metadata() | {} == {
        "method": "suppression",
        "k": 10,
        "primary": 5,
        "secondary": 2,
        "totals": "rows and columns",
    }


def test_people_may_be_a_measure_too_and_k_1_suppresses_nothing() -> None:
    table = grid({"a": [1, 2], "b": [3, 0]})
    result = run(table, k=1, measures=["cards", "boardings"])
    assert result.cells.equals(table)
    assert result.row_totals.columns == ["stop", "cards", "boardings"]


def test_an_empty_table_gives_empty_tables() -> None:
    result = run(grid({"a": [1]}).with_columns(day=pl.lit(1)).head(0), by=["day"])
    assert (result.cells.height, result.row_totals.height, result.column_totals.height) == (0, 0, 0)
    assert result.metadata()["secondary"] == 0


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        ({}, {"k": 0}, "k must be at least 1"),
        ({}, {"measures": ["fare"]}, "no column 'fare'"),
        ({}, {"by": ["stop"]}, "'stop' is used twice"),
        ({"cards": [1.0, 2.0, 3.0, 4.0]}, {}, "not whole numbers"),
        ({"boardings": [1, None, 3, 4]}, {}, "'boardings' has 1 null"),
        ({"boardings": [1, 2, -3, 4]}, {}, "first in row 2"),
        ({"hour": [1, 1, 1, 2]}, {}, "2 rows share a key"),
    ],
)
def test_tables_the_rules_cannot_read_are_refused(
    change: dict[str, list[Any]], kwargs: dict[str, Any], message: str
) -> None:
    table = grid({"a": [12, 11], "b": [13, 14]}).with_columns(pl.Series(n, v) for n, v in change.items())
    with pytest.raises(PrivacyError, match=message):
        run(table, **kwargs)


# The acceptance property: for any table, nothing published is below k and nothing suppressed can be
# recomputed. Checked by linear programming, assuming only the published equations and values >= 0
# (not that a blank cell is below k): a value is determined when its minimum equals its maximum.

VALUES = ("cards", "boardings")


@st.composite
def tables(draw: st.DrawFn) -> tuple[pl.DataFrame, int]:
    """1-3 days of up to 6 stops x 6 hours; some cells absent; boardings >= cards."""
    k = draw(st.sampled_from([2, 5, 10]))
    rows = []
    for day in range(draw(st.integers(1, 3))):
        n_stops, n_hours = draw(st.integers(1, 6)), draw(st.integers(1, 6))
        for stop in range(n_stops):
            for hour in range(n_hours):
                people = draw(st.none() | st.integers(0, 30))
                if people is not None:
                    extra = draw(st.integers(0, 5))
                    rows.append(
                        {
                            "day": day,
                            "stop": f"s{stop}",
                            "hour": hour,
                            "cards": people,
                            "boardings": people + extra,
                        }
                    )
    schema = {"day": pl.Int64, "stop": pl.String, "hour": pl.Int64, "cards": pl.Int64, "boardings": pl.Int64}
    return pl.DataFrame(rows, schema=schema), k


def spread(objective: list[float], a_eq: list[list[float]], b_eq: list[float]) -> float:
    """max - min of objective . x subject to a_eq x = b_eq, x >= 0 (inf when unbounded above)."""
    equations = {"A_eq": a_eq or None, "b_eq": b_eq or None, "bounds": (0, None)}
    low = linprog(objective, **equations)
    high = linprog([-c for c in objective], **equations)
    assert low.status == 0, low.message
    return math.inf if high.status == 3 else -high.fun - low.fun


def assert_protected(table: pl.DataFrame, result: Suppressed, k: int) -> None:
    """Nothing published below k, published values true, nothing blank recomputable."""
    cells = table.with_columns(blank=result.cells["cards"].is_null())
    assert (cells["blank"] == result.cells["boardings"].is_null()).all()
    assert result.cells.filter(~cells["blank"]).equals(table.filter(~cells["blank"]))
    for level, keys in ((result.row_totals, ["day", "stop"]), (result.column_totals, ["day", "hour"])):
        truth = table.group_by(keys).agg(pl.col(VALUES).sum())
        joined = level.join(truth, on=keys, suffix="_true")
        assert joined.height == level.height == truth.height
        assert joined.filter(
            pl.col("cards").is_not_null() & (pl.col("cards") != pl.col("cards_true"))
        ).is_empty()
        assert joined.filter(pl.col("cards").is_null() != pl.col("boardings").is_null()).is_empty()
    for frame in (result.cells, result.row_totals, result.column_totals):
        assert frame.filter((pl.col("cards") > 0) & (pl.col("cards") < k)).is_empty()
    for (day,), group in cells.group_by(["day"]):
        rows = result.row_totals.filter(day=day)
        columns = result.column_totals.filter(day=day)
        blank, shown = group.filter("blank"), group.filter(~pl.col("blank"))
        unknown = list(zip(blank["stop"], blank["hour"], strict=True))
        for value in VALUES:
            a_eq, b_eq = [], []
            for key, level in (("stop", rows), ("hour", columns)):
                for total in level.filter(pl.col(value).is_not_null()).iter_rows(named=True):
                    a_eq.append([float(cell[key == "hour"] == total[key]) for cell in unknown])
                    b_eq.append(total[value] - float(shown.filter(pl.col(key) == total[key])[value].sum()))
            if group["cards"].sum() >= k:  # the group total, taken as public
                a_eq.append([1.0] * len(unknown))
                b_eq.append(float(group[value].sum()) - float(shown[value].sum()))
            objectives = [[float(i == j) for j in range(len(unknown))] for i in range(len(unknown))]
            for key, level in (("stop", rows), ("hour", columns)):
                for total in level.filter(pl.col(value).is_null()).iter_rows(named=True):
                    objectives.append([float(cell[key == "hour"] == total[key]) for cell in unknown])
            for objective in objectives:
                assert spread(objective, a_eq, b_eq) > 0.5, (day, value, objective, unknown)


@given(tables())
def test_nothing_published_is_below_k_and_nothing_suppressed_can_be_recomputed(
    case: tuple[pl.DataFrame, int],
) -> None:
    table, k = case
    result = suppress(
        table, rows=["stop"], column="hour", people="cards", measures=["boardings"], k=k, by=["day"]
    )
    assert_protected(table, result, k)
    assert result.primary == table.filter((pl.col("cards") > 0) & (pl.col("cards") < k)).height


@given(tables(), st.randoms(use_true_random=False))
def test_the_same_cells_are_suppressed_whatever_the_row_order(
    case: tuple[pl.DataFrame, int], rng: Any
) -> None:
    table, k = case
    order = list(range(table.height))
    rng.shuffle(order)
    options: dict[str, Any] = {
        "rows": ["stop"],
        "column": "hour",
        "people": "cards",
        "measures": ["boardings"],
        "k": k,
    }
    first = suppress(table, by=["day"], **options).cells
    again = suppress(table[order], by=["day"], **options).cells
    assert first[order].equals(again)


# Differential privacy for OD matrices.


def od(value: int, n: int) -> pl.DataFrame:
    return pl.DataFrame({"origin": range(n), "journeys": [value] * n, "cards": [value] * n})


def test_noise_metadata_records_epsilon_and_bound() -> None:
    result = add_noise(od(1000, 10), measures=["journeys", "cards"], epsilon=0.5, contribution_bound=1)
    assert result.metadata() == {
        "method": "differential_privacy",
        "mechanism": "discrete_laplace",
        "epsilon": 0.5,
        "contribution_bound": 1,
        "measures": ["journeys", "cards"],
        "scale": 4.0,  # 1 per measure x 2 measures / 0.5
        "post_processing": "negative values published as 0",
        "library": "opendp 0.16.0",
    }
    assert result.cells["origin"].to_list() == list(range(10))


def test_noise_has_the_discrete_laplace_spread() -> None:
    # Scale 4 (bound 2, one measure, epsilon 0.5): P(x) ~ t^|x| with t = e^(-1/4), so
    # E|x| = 2t / (1 - t^2) = 3.958 and E x = 0. Over 20,000 cells each mean is within about 0.04 (1 s.e.).
    result = add_noise(od(1000, 20_000), measures=["journeys"], epsilon=0.5, contribution_bound=2)
    drawn = result.cells["journeys"].to_numpy() - 1000
    t = math.exp(-1 / 4)
    assert abs(np.abs(drawn).mean() - 2 * t / (1 - t * t)) < 0.3
    assert abs(drawn.mean()) < 0.3
    assert (result.cells["cards"] == 1000).all()  # not a measure: left alone


def test_noisy_counts_are_whole_and_never_negative() -> None:
    result = add_noise(od(0, 2000), measures=["journeys"], epsilon=1.0, contribution_bound=1)
    assert result.cells["journeys"].dtype == pl.Int64
    assert result.cells["journeys"].min() == 0
    assert (result.cells["journeys"] > 0).sum() > 100  # about 27% of draws from scale 1 are positive


def test_the_scale_keeps_the_privacy_loss_within_epsilon() -> None:
    # 1 / 0.7 as a scale gives 0.7000000000000001 in opendp's own accounting: one step up fixes it.
    scale = noise.scale_for(0.7, 1)
    dp.enable_features("contrib")
    domain, metric = dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64")
    assert dp.m.make_laplace(domain, metric, scale=scale).map(1) <= 0.7  # type: ignore[no-untyped-call]
    assert scale == pytest.approx(1 / 0.7)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epsilon": 0}, "epsilon must be a positive"),
        ({"epsilon": -1.0}, "epsilon must be a positive"),
        ({"epsilon": math.inf}, "epsilon must be a positive"),
        ({"contribution_bound": 0}, "contribution_bound must be at least 1"),
        ({"seed": 7}, "cannot be seeded"),
        ({"measures": []}, "no measures"),
        ({"measures": ["share"]}, "noise is added to integer counts only"),
    ],
)
def test_noise_settings_that_cannot_work_are_refused(kwargs: dict[str, Any], message: str) -> None:
    options: dict[str, Any] = {"measures": ["journeys"], "epsilon": 1.0, "contribution_bound": 1, **kwargs}
    with pytest.raises(PrivacyError, match=message):
        add_noise(od(5, 3).with_columns(share=pl.lit(0.5)), **options)


def test_a_total_counts_each_person_once_when_distinct_people_are_given() -> None:
    # One row, two hours, the same 3 cards at both: cells 3 and 3 (under k = 5), total 6 by the cells'
    # sum but 3 people. Without the distinct count the total would be published as "6 people".
    table = pl.DataFrame({"stop": ["A", "A"], "hour": [7, 8], "people": [3, 3], "boardings": [3, 3]})
    summed = suppress(table, rows=["stop"], column="hour", people="people", measures=["boardings"], k=5)
    assert summed.row_totals["people"].to_list() == [6]
    distinct = suppress(
        table, rows=["stop"], column="hour", people="people", measures=["boardings"], k=5,
        row_people=pl.DataFrame({"stop": ["A"], "people": [3]}),
        column_people=pl.DataFrame({"hour": [7, 8], "people": [3, 3]}),
    )  # fmt: skip
    assert distinct.row_totals["people"].to_list() == [None]  # 3 people < k: blanked
    assert distinct.row_totals["boardings"].to_list() == [None]
    with pytest.raises(PrivacyError, match="distinct people missing for 1 totals"):
        suppress(
            table, rows=["stop"], column="hour", people="people", measures=["boardings"], k=5,
            row_people=pl.DataFrame({"stop": ["B"], "people": [3]}),
        )  # fmt: skip
