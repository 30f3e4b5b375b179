"""Day settlement (reference) on the Mashhad demo feed: hand-checked fares, re-uploads, quarantine,
clearing, output files and the `settle` command."""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest
import typer
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from shahr.batch.cli import settle_command
from shahr.batch.outputs import clearing_table, write_settled_day
from shahr.batch.schema import TRUTH_KEY
from shahr.batch.settle import (
    JOURNEYS_SCHEMA,
    LEGS_SCHEMA,
    QUARANTINE_SCHEMA,
    SHARES_SCHEMA,
    TAPS_COLUMNS,
    SettledDay,
    settle_reference,
)
from shahr.demo import JOURNEYS, TEHRAN, journey_taps
from shahr.fares.load import Policy, load_policy
from shahr.network import Network, load_network

FEED = Path(__file__).parent.parent.parent / "data" / "mashhad-demo.zip"
DAY = date(2025, 10, 5)


def tap(card: int, device: int, seq: int, kind: str, clock: str, stop: str, route: str | None = None,
        uploaded: datetime | None = None, rider: str = "adult") -> dict[str, Any]:  # fmt: skip
    """One row of a taps file, at a local time on DAY, uploaded a minute later unless told."""
    at = datetime.combine(DAY, time.fromisoformat(clock), tzinfo=TEHRAN).astimezone(UTC)
    return {
        "card_id": card, "device_id": device, "seq": seq, "kind": kind, "tapped_at": at,
        "uploaded_at": uploaded or at + timedelta(minutes=1), "stop_id": stop, "route_id": route,
        "trip_id": None, "medium": "card", "rider_category": rider,
    }  # fmt: skip


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=TAPS_COLUMNS)


def demo_day(n_cards: int, seed: int = 1) -> pl.DataFrame:
    """Cards riding the demo journeys at shifted times, with re-uploads, repeats and shuffled rows."""
    rng = random.Random(seed)
    rows, seq = [], 0
    for card in range(n_cards):
        shift = timedelta(minutes=rng.randrange(-120, 120))
        for t in journey_taps(rng.choice(JOURNEYS), DAY):
            if rng.random() < 0.05:  # a forgotten tap-off
                continue
            seq += 1
            at = (t.time + shift).astimezone(UTC)
            stop = "nowhere" if rng.random() < 0.01 else t.stop_id
            row = {
                **tap(card, card % 97, seq, t.kind.value, "00:00", stop, t.route_id, rider=t.rider_category)
            }
            row |= {"tapped_at": at, "uploaded_at": at + timedelta(hours=rng.choice([0, 1, 30]))}
            rows.append(row)
            if rng.random() < 0.03:
                rows.append(row)  # uploaded twice
            if rng.random() < 0.02:
                seq += 1
                rows.append(row | {"seq": seq, "tapped_at": at + timedelta(seconds=20)})  # tapped twice
    rng.shuffle(rows)
    return frame(rows)


@pytest.fixture(scope="module")
def network() -> Network:
    return load_network(FEED)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy("mashhad-distance")


def hand_day() -> pl.DataFrame:
    late = datetime.combine(DAY + timedelta(days=1), time(4, 0, 1), tzinfo=TEHRAN)
    rows = [
        # Card 1: metro Vakilabad -> Airport, all of line 1, 22,992 m in the feed: 22,000 + 3 steps of
        # 5 km (12.992 km past 10) x 2,000 = 28,000. Its tap-off is uploaded twice.
        tap(1, 10, 1, "on", "07:30", "st_vakilabad"),
        tap(1, 11, 1, "off", "08:20", "st_airport"),
        tap(1, 11, 1, "off", "08:20", "st_airport"),
        # Card 2: trunk bus T01, 18 km: a trunk bus alone is flat, 20,000. The tap-on is repeated 30 s
        # later (another seq): refused as duplicate_tap.
        tap(2, 20, 1, "on", "09:00", "b_vakilabad", "T01"),
        tap(2, 20, 2, "on", "09:00:30", "b_vakilabad", "T01"),
        tap(2, 20, 3, "off", "10:10", "b_haram", "T01"),
        # Card 3: a tap at a stop the feed does not have (refused), then metro Kowsar -> Azadi, 1,864 m:
        # within the base 10 km, 22,000.
        tap(3, 30, 1, "on", "08:00", "nowhere"),
        tap(3, 31, 1, "on", "08:10", "st_kowsar"),
        tap(3, 32, 1, "off", "08:16", "st_azadi"),
        # Card 4: feeder F03 (5,533 m, MBUS) then metro Tabarsi -> Shariati (9,173 m, MURC), one journey
        # of 14,706 m: highest base 22,000 + 1 step = 24,000. By distance: MBUS 24,000 x 5,533 / 14,706
        # = 9,029 r 11,526; MURC 24,000 x 9,173 / 14,706 = 14,970 r 3,180; the rial left goes to the
        # larger remainder: MBUS 9,030, MURC 14,970.
        tap(4, 40, 1, "on", "07:20", "b_golshahr", "F03"),
        tap(4, 40, 2, "off", "07:35", "b_tabarsi", "F03"),
        tap(4, 41, 1, "on", "07:42", "st_tabarsi"),
        tap(4, 42, 1, "off", "08:05", "st_shariati"),
        # Card 5: metro tap-on, no tap-off (void_transfer: no distance): 22,000; uploaded a second after
        # the service day ended (04:00 next day, local): a late upload.
        tap(5, 50, 1, "on", "09:00", "st_vakilabad", uploaded=late),
    ]
    return frame(rows)


def test_hand_checked_day(policy: Policy, network: Network) -> None:
    day = settle_reference(hand_day(), policy, network)
    assert day.journeys["fare"].to_list() == [28000, 20000, 22000, 24000, 22000]
    assert day.journeys["card_id"].to_list() == [1, 2, 3, 4, 5]
    assert day.journeys.filter(card_id=4)["codes"].item() == "transfer,distance"
    shares = day.operator_shares.filter(card_id=4)
    assert shares.select("operator", "amount").rows() == [("MBUS", 9030), ("MURC", 14970)]
    assert day.quarantine.select("card_id", "seq", "reason").rows() == [
        (2, 2, "duplicate_tap"),
        (3, 1, "unknown_stop"),
    ]
    assert day.counts["taps"] == 14
    assert day.counts["duplicate_uploads"] == 1
    assert day.counts["rated_taps"] == 13
    assert day.counts["journeys"] == 5
    assert day.counts["legs"] == 6
    assert day.counts["legs_without_tap_off"] == 1
    assert day.counts["late_uploads"] == 1
    assert day.counts["quarantined"] == 2
    assert day.counts["revenue"] == 116_000
    assert day.counts["anomaly.missing_tap_off"] == 1
    assert day.counts["anomaly.duplicate_tap"] == 1
    assert day.counts["anomaly.unknown_stop"] == 1
    assert day.counts["anomaly.time_backwards"] == 0


def test_frames_have_the_documented_columns(policy: Policy, network: Network) -> None:
    day = settle_reference(hand_day(), policy, network)
    assert day.legs.schema == pl.Schema(LEGS_SCHEMA)
    assert day.journeys.schema == pl.Schema(JOURNEYS_SCHEMA)
    assert day.operator_shares.schema == pl.Schema(SHARES_SCHEMA)
    assert day.quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert day.legs.columns[:3] == ["card_id", "journey_seq", "leg_seq"]
    assert day.legs.filter(card_id=5)["alight_at"].to_list() == [None]


def test_row_order_does_not_matter(policy: Policy, network: Network) -> None:
    taps = demo_day(150)
    first = settle_reference(taps, policy, network)
    again = settle_reference(taps.sample(fraction=1.0, shuffle=True, seed=3), policy, network)
    assert_same(first, again)


def test_clearing_adds_up_to_revenue(policy: Policy, network: Network) -> None:
    day = settle_reference(demo_day(300), policy, network)
    clearing = clearing_table(day)
    assert clearing["amount"].sum() == day.counts["revenue"] > 0
    assert clearing["legs"].sum() == day.counts["legs"]
    assert day.operator_shares["amount"].sum() == day.counts["revenue"]
    assert day.counts["duplicate_uploads"] > 0 and day.counts["quarantined"] > 0


def test_output_files(tmp_path: Path, policy: Policy, network: Network) -> None:
    day = settle_reference(hand_day(), policy, network)
    write_settled_day(day, tmp_path, policy, {"duplicate_uploads": 1, "late_uploads": 2})
    assert pl.read_parquet(tmp_path / "legs.parquet").equals(day.legs)
    assert pl.read_parquet(tmp_path / "journeys.parquet").schema == pl.Schema(JOURNEYS_SCHEMA)
    assert pl.read_parquet(tmp_path / "operator_shares.parquet").columns == list(SHARES_SCHEMA)
    assert pl.read_parquet(tmp_path / "quarantine.parquet").columns == list(QUARANTINE_SCHEMA)
    clearing = pl.read_csv(tmp_path / "clearing.csv")
    assert clearing.columns == ["operator", "service_date", "journeys", "legs", "amount"]
    assert clearing.rows() == [
        ("MBUS", "2025-10-05", 2, 2, 29030),  # card 2's bus, card 4's feeder
        ("MURC", "2025-10-05", 4, 4, 86970),
    ]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["policy"] == "mashhad-distance" and summary["service_dates"] == ["2025-10-05"]
    assert summary["counts"]["revenue"] == 116_000
    assert summary["matches_truth"] == {
        "duplicate_uploads": {"generated": 1, "counted": 1, "equal": True},
        "late_uploads": {"generated": 2, "counted": 1, "equal": False},
    }


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(settle_command)
    return app


def _write(taps: pl.DataFrame, path: Path, truth: dict[str, int] | None = None) -> Path:
    table = taps.to_arrow()
    if truth is not None:
        table = table.replace_schema_metadata({TRUTH_KEY: json.dumps(truth).encode()})
    pq.write_table(table, path)
    return path


def test_settle_command_reference(tmp_path: Path) -> None:
    taps = _write(hand_day(), tmp_path / "taps.parquet", {"duplicate_uploads": 1})
    args = [str(taps), "--policy", "mashhad-distance", "--feed", str(FEED), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(_app(), [*args, "--engine", "reference"])
    assert result.exit_code == 0, result.output
    assert "116,000 IRR" in result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["truth"] == {"duplicate_uploads": 1}
    assert summary["matches_truth"]["duplicate_uploads"]["equal"] is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop("medium"), "missing column 'medium'"),
        (lambda t: t.with_columns(pl.col("seq").cast(pl.Int32)), "column 'seq' is Int32, expected Int64"),
        (lambda t: t.with_columns(kind=pl.lit("in")), "column 'kind' has 'in'"),
    ],
)
def test_settle_command_bad_schema(tmp_path: Path, change: Any, message: str) -> None:
    taps = _write(change(hand_day()), tmp_path / "taps.parquet")
    args = [
        str(taps),
        "-p",
        "mashhad-distance",
        "--feed",
        str(FEED),
        "--out",
        str(tmp_path),
        "--engine",
        "reference",
    ]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 2
    assert message in result.output


def test_settle_command_missing_file(tmp_path: Path) -> None:
    args = [
        str(tmp_path / "none.parquet"),
        "-p",
        "mashhad-distance",
        "--feed",
        str(FEED),
        "--out",
        str(tmp_path),
    ]
    result = CliRunner().invoke(_app(), [*args, "--engine", "reference"])
    assert result.exit_code == 2
    assert "none.parquet: no such file" in result.output


def test_compiled_engine_missing_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "shahr.batch.columnar", None)  # as if not built yet
    taps = _write(hand_day(), tmp_path / "taps.parquet")
    args = [str(taps), "-p", "mashhad-distance", "--feed", str(FEED), "--out", str(tmp_path)]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 2
    assert "compiled settlement engine is not available" in result.output
    assert "--engine reference" in result.output


def assert_same(a: SettledDay, b: SettledDay) -> None:
    for name in ("legs", "journeys", "operator_shares", "quarantine"):
        assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.counts == b.counts
