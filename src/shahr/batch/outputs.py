"""Writing a settled day: the frames as Parquet, the clearing table as CSV, a JSON summary.

The clearing table is what operators are paid from, so it is derived from `operator_shares` alone and
its amounts add up to the day's revenue to the rial (apportionment leaves no remainder).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from shahr.batch.settle import SettledDay
from shahr.fares.load import Policy

TRUTH_COUNTS = {
    "duplicate_uploads": "duplicate_uploads",
    "late_uploads": "late_uploads",
    "missing_tap_offs": "legs_without_tap_off",  # an anomaly or not, as the policy says; a leg all the same
    "duplicate_taps": "anomaly.duplicate_tap",
    "unknown_stops": "anomaly.unknown_stop",
    "taps": "taps",
}
"""Generator ground-truth key -> settlement count it should equal, compared when the truth has the key."""


def clearing_table(day: SettledDay) -> pl.DataFrame:
    """Per operator and service date: journeys with a share row, legs ridden, amount owed."""
    dates = day.journeys.select("card_id", "journey_seq", "service_date")
    legs = (
        day.legs.join(dates, on=["card_id", "journey_seq"], how="left")
        .group_by("operator", "service_date")
        .agg(legs=pl.len().cast(pl.Int64))
    )
    shares = (
        day.operator_shares.join(dates, on=["card_id", "journey_seq"], how="left")
        .group_by("operator", "service_date")
        .agg(journeys=pl.len().cast(pl.Int64), amount=pl.col("amount").sum())
    )
    return (
        shares.join(legs, on=["operator", "service_date"], how="full", coalesce=True)
        .select(
            "operator",
            "service_date",
            pl.col("journeys").fill_null(0),
            pl.col("legs").fill_null(0),
            pl.col("amount").fill_null(0),
        )
        .sort("service_date", "operator")
    )


def summary(day: SettledDay, policy: Policy, truth: Mapping[str, Any] | None) -> dict[str, Any]:
    """Counts, policy, service dates and, when the input carries ground truth, how they compare."""
    return summary_of(day.counts, day.journeys["service_date"].unique().sort().to_list(), policy, truth)


def summary_of(
    counts: Mapping[str, int], dates: list[date], policy: Policy, truth: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The summary from a day's counts and service dates (also when the day was settled in parts)."""
    matches: dict[str, Any] = {}
    for generated, counted in TRUTH_COUNTS.items():
        if truth is not None and isinstance(truth.get(generated), int):
            matches[generated] = {
                "generated": truth[generated],
                "counted": counts[counted],
                "equal": truth[generated] == counts[counted],
            }
    return {
        "policy": policy.id,
        "currency": policy.currency,
        "service_dates": [d.isoformat() for d in dates],
        "counts": dict(counts),
        "truth": dict(truth) if truth is not None else None,
        "matches_truth": matches,
    }


def write_summary(out_dir: Path, content: Mapping[str, Any]) -> Path:
    path = out_dir / "summary.json"
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def write_settled_day(
    day: SettledDay, out_dir: Path, policy: Policy, truth: Mapping[str, Any] | None = None
) -> list[Path]:
    """Write the day's files into `out_dir` (created if missing); returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = {
        "legs": day.legs,
        "journeys": day.journeys,
        "operator_shares": day.operator_shares,
        "quarantine": day.quarantine,
    }
    paths = []
    for name, frame in frames.items():
        path = out_dir / f"{name}.parquet"
        frame.write_parquet(path)
        paths.append(path)
    clearing = out_dir / "clearing.csv"
    clearing_table(day).write_csv(clearing)
    return [*paths, clearing, write_summary(out_dir, summary(day, policy, truth))]
