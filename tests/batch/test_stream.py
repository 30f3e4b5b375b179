"""Settling a file in card ranges writes exactly what settling it whole writes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from shahr.batch.columnar import settle_compiled
from shahr.batch.outputs import write_settled_day
from shahr.batch.settle import read_taps, read_truth
from shahr.batch.simulate import SimulationOptions, simulate_taps
from shahr.batch.stream import card_ranges, settle_file
from shahr.fares.load import load_policy
from shahr.fares.taps_io import TapFileError
from shahr.network import load_feed, load_network

FEED = Path(__file__).parent.parent.parent / "data" / "mashhad-demo.zip"


def test_ranges_give_the_files_of_one_pass(tmp_path: Path) -> None:
    taps = tmp_path / "taps.parquet"
    options = SimulationOptions(cards=3000, service_date=date(2025, 10, 5), seed=3)
    simulate_taps(load_feed(FEED), options, taps, feed_name=FEED.name)
    policy, network = load_policy("mashhad-distance"), load_network(FEED)
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    write_settled_day(settle_compiled(read_taps(taps), policy, network), whole, policy)
    counts = settle_file(taps, policy, network, parts, settle=settle_compiled, ranges=4)
    assert len(card_ranges(taps, 4)) == 4
    for name in ("legs", "journeys", "operator_shares", "quarantine"):
        assert_frame_equal(
            pl.read_parquet(whole / f"{name}.parquet"), pl.read_parquet(parts / f"{name}.parquet")
        )
    assert (whole / "clearing.csv").read_text() == (parts / "clearing.csv").read_text()
    assert (whole / "summary.json").read_text() == (parts / "summary.json").read_text()
    assert counts["taps"] == len(pl.read_parquet(taps))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(TapFileError, match="no such file"):
        card_ranges(tmp_path / "absent.parquet")


@pytest.mark.parametrize("preset", ["mashhad-distance", "mashhad-flat"])
def test_summary_counts_what_was_generated(tmp_path: Path, preset: str) -> None:
    # The generator's ground truth (missing tap-offs, duplicate taps, late uploads, taps) is counted
    # exactly, whatever the policy calls a missing tap-off.
    taps = tmp_path / "taps.parquet"
    options = SimulationOptions(cards=4000, service_date=date(2025, 10, 5), seed=11, missing_tap_off=0.05)
    simulate_taps(load_feed(FEED), options, taps, feed_name=FEED.name)
    policy, network = load_policy(preset), load_network(FEED)
    settle_file(taps, policy, network, tmp_path / "out", settle=settle_compiled, truth=read_truth(taps))
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    matches = summary["matches_truth"]
    assert set(matches) >= {"taps", "missing_tap_offs", "duplicate_taps", "late_uploads"}
    assert matches["missing_tap_offs"]["generated"] > 300
    assert all(m["equal"] for m in matches.values()), matches
