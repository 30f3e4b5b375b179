"""`shahr simulate taps` on the Mashhad demo feed: determinism, taps on the feed, anomaly shares, the
ground truth against the file and against the fare engine."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from gtfs_kit import Feed
from typer.testing import CliRunner

from shahr.batch.schema import TAPS_SCHEMA, TRUTH_KEY
from shahr.batch.simulate.cli import simulate_app
from shahr.batch.simulate.generate import simulate_taps
from shahr.batch.simulate.model import SimulationOptions
from shahr.fares.engine import FareEngine
from shahr.fares.load import load_policy
from shahr.fares.model import AnomalyCode, Tap, TapKind
from shahr.network import Network, load_feed

DEMO = Path(__file__).parents[2] / "data" / "mashhad-demo.zip"
SATURDAY = date(2025, 9, 6)  # weekday service
DAY_START = datetime(2025, 9, 5, 20, 30, tzinfo=UTC)  # 2025-09-06 00:00 in Asia/Tehran (+03:30)
runner = CliRunner()


@pytest.fixture(scope="module")
def feed() -> Feed:
    return load_feed(DEMO)


@pytest.fixture(scope="module")
def network(feed: Feed) -> Network:
    return Network.from_feed(feed)


def _simulate(feed: Feed, path: Path, **options: object) -> pd.DataFrame:
    settings: dict[str, object] = {"cards": 3000, "service_date": SATURDAY, "seed": 11, **options}
    simulate_taps(feed, SimulationOptions(**settings), path, feed_name=DEMO.name)  # type: ignore[arg-type]
    taps: pd.DataFrame = pq.read_table(path).to_pandas()
    return taps


@pytest.fixture(scope="module")
def day(feed: Feed, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict[str, Any]]:
    path = tmp_path_factory.mktemp("day") / "taps.parquet"
    taps = _simulate(feed, path, missing_tap_off=0.05, duplicates=0.04, late=0.03)
    return taps, json.loads(pq.read_metadata(path).metadata[TRUTH_KEY])


def _ordered(taps: pd.DataFrame) -> pd.DataFrame:
    """Each card's taps by time, then device and seq, as the fare engine reads them."""
    return taps.sort_values(["card_id", "tapped_at", "device_id", "seq"], kind="stable").reset_index(
        drop=True
    )


def _duplicate(taps: pd.DataFrame) -> pd.Series:
    """Rows repeating the card's previous (kind, stop, route) within 20 s."""
    prev = taps.shift(1)
    same = (prev["card_id"] == taps["card_id"]) & (prev["kind"] == taps["kind"])
    same &= prev["stop_id"] == taps["stop_id"]
    same &= (prev["route_id"] == taps["route_id"]) | (prev["route_id"].isna() & taps["route_id"].isna())
    return same & (taps["tapped_at"] - prev["tapped_at"] <= pd.Timedelta(seconds=20))


def _missing_tap_offs(taps: pd.DataFrame) -> int:
    """Tap-ons (not duplicates) that the card's next tap, or the end of its day, does not close."""
    real = taps[~_duplicate(taps)]
    nxt = real.shift(-1)
    unclosed = (real["kind"] == "on") & ((nxt["card_id"] != real["card_id"]) | (nxt["kind"] == "on"))
    return int(unclosed.sum())


def test_same_seed_same_bytes_through_the_cli(tmp_path: Path) -> None:
    outputs = []
    for name in ("a.parquet", "b.parquet"):
        args = ["taps", "--feed", str(DEMO), "--cards", "400", "--date", "2025-09-06", "--seed", "5"]
        result = runner.invoke(simulate_app, [*args, "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert '"missing_tap_offs"' in result.output
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert not list(tmp_path.glob("*.partial"))


def test_a_date_without_service_is_named(tmp_path: Path) -> None:
    args = ["taps", "--feed", str(DEMO), "--cards", "10", "--date", "2030-01-01", "--seed", "1"]
    result = runner.invoke(simulate_app, [*args, "--out", str(tmp_path / "t.parquet")])
    assert result.exit_code == 2
    assert "no service runs on 2030-01-01" in result.output
    assert not (tmp_path / "t.parquet").exists()


def test_bad_share_is_refused() -> None:
    with pytest.raises(ValueError, match="duplicates"):
        SimulationOptions(cards=1, service_date=SATURDAY, seed=1, duplicates=1.5)


def test_same_data_whatever_the_chunk_size(feed: Feed, tmp_path: Path) -> None:
    small = _simulate(feed, tmp_path / "small.parquet", cards=9000, chunk_cards=8192)
    large = _simulate(feed, tmp_path / "large.parquet", cards=9000, chunk_cards=20000)
    assert pq.ParquetFile(tmp_path / "small.parquet").num_row_groups == 2
    assert pq.ParquetFile(tmp_path / "large.parquet").num_row_groups == 1
    pd.testing.assert_frame_equal(small, large)


def test_schema_is_the_taps_schema(feed: Feed, tmp_path: Path) -> None:
    _simulate(feed, tmp_path / "t.parquet", cards=50)
    assert pq.read_schema(tmp_path / "t.parquet").equals(TAPS_SCHEMA)


def test_truth_matches_the_file(day: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    taps, truth = day
    ordered = _ordered(taps)
    assert truth["taps"] == len(taps)
    assert truth["tap_ons"] == int((taps["kind"] == "on").sum())
    assert truth["tap_offs"] == int((taps["kind"] == "off").sum())
    assert truth["duplicate_taps"] == int(_duplicate(ordered).sum())
    assert truth["late_uploads"] == int(
        (taps["uploaded_at"] - taps["tapped_at"] > pd.Timedelta(days=1)).sum()
    )
    assert truth["missing_tap_offs"] == _missing_tap_offs(ordered)
    assert truth["legs"] == int(((ordered["kind"] == "on") & ~_duplicate(ordered)).sum())
    assert truth["cards"] == 3000 and taps["card_id"].nunique() <= 3000
    assert truth["journeys"] <= truth["legs"] <= truth["rides"] <= 5 * truth["journeys"]
    by_category = truth["by_category"]
    assert isinstance(by_category, dict)
    assert {c: v["taps"] for c, v in by_category.items()} == taps["rider_category"].value_counts().to_dict()
    assert (taps.groupby("device_id")["seq"].apply(lambda s: sorted(s) == list(range(1, len(s) + 1)))).all()


def test_shares_match_the_options(day: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    _, truth = day
    counts = {k: truth[k] for k in ("taps", "tap_offs", "missing_tap_offs", "duplicate_taps", "late_uploads")}
    assert all(isinstance(v, int) for v in counts.values())
    expected_offs = counts["tap_offs"] - counts["duplicate_taps"] * 0.5 + counts["missing_tap_offs"]
    for share, count, total in (
        (0.05, counts["missing_tap_offs"], expected_offs),
        (0.04, counts["duplicate_taps"], counts["taps"] - counts["duplicate_taps"]),
        (0.03, counts["late_uploads"], counts["taps"]),
    ):
        sd = (share * (1 - share) * total) ** 0.5
        assert abs(count - share * total) < 4 * sd + 5, (share, count, total)


def test_taps_are_on_the_feed(day: tuple[pd.DataFrame, dict[str, Any]], feed: Feed) -> None:
    taps, _ = day
    stop_ids = set(feed.stops["stop_id"])
    assert set(taps["stop_id"]) <= stop_ids
    assert set(taps["medium"]) <= {"card", "qr"}
    assert set(taps["rider_category"]) == {"adult", "youth", "child", "senior"}
    gates = taps[taps["route_id"].isna()]
    assert gates["trip_id"].isna().all() and gates["stop_id"].str.startswith("st_").all()
    vehicles = taps[taps["route_id"].notna()]
    trips = feed.trips.set_index("trip_id")["route_id"]
    assert (trips.loc[vehicles["trip_id"]].to_numpy() == vehicles["route_id"].to_numpy()).all()
    times = feed.stop_times.set_index(["trip_id", "stop_id"])[["arrival_time", "departure_time"]]
    served = times.loc[list(zip(vehicles["trip_id"], vehicles["stop_id"], strict=True))]
    arrive = pd.to_timedelta(served["arrival_time"]).to_numpy()
    depart = pd.to_timedelta(served["departure_time"]).to_numpy()
    offset = (vehicles["tapped_at"] - DAY_START).to_numpy()
    minute = pd.Timedelta(minutes=1).to_timedelta64()
    assert ((offset >= arrive - minute) & (offset <= depart + minute)).all()
    assert (taps["uploaded_at"] > taps["tapped_at"]).all()


def test_pairs_follow_the_trip(day: tuple[pd.DataFrame, dict[str, Any]], feed: Feed) -> None:
    taps, _ = day
    ordered = _ordered(taps)
    real = ordered[~_duplicate(ordered)]
    position = {
        (t, s): q
        for t, s, q in feed.stop_times[["trip_id", "stop_id", "stop_sequence"]].itertuples(index=False)
    }
    previous = real.shift(1)
    offs = real[(real["kind"] == "off")]
    ons = previous.loc[offs.index]
    assert (ons["kind"] == "on").all() and (ons["card_id"] == offs["card_id"]).all()
    assert (offs["tapped_at"] > ons["tapped_at"]).all()
    bus = offs["route_id"].notna()
    assert (ons.loc[bus, "trip_id"] == offs.loc[bus, "trip_id"]).all()
    assert all(
        position[(t, a)] > position[(t, b)]
        for t, a, b in zip(
            offs.loc[bus, "trip_id"], offs.loc[bus, "stop_id"], ons.loc[bus, "stop_id"], strict=True
        )
    )
    assert (ons.loc[~bus, "route_id"].isna()).all() and (
        ons.loc[~bus, "stop_id"] != offs.loc[~bus, "stop_id"]
    ).all()


def test_fare_engine_sees_the_generated_anomalies(feed: Feed, network: Network, tmp_path: Path) -> None:
    path = tmp_path / "taps.parquet"
    taps = _simulate(feed, path, cards=300, missing_tap_off=0.1, duplicates=0.1, late=0.0)
    truth = json.loads(pq.read_metadata(path).metadata[TRUTH_KEY])
    engine = FareEngine(load_policy("mashhad-distance"), network)
    found: dict[AnomalyCode, int] = defaultdict(int)
    legs = 0
    for _, card in _ordered(taps).groupby("card_id", sort=True):
        rating = engine.rate([_tap(row) for row in card.itertuples(index=False)])
        legs += sum(len(journey.legs) for journey in rating.journeys)
        for anomaly in rating.anomalies:
            found[anomaly.code] += 1
    assert truth["missing_tap_offs"] > 0 and truth["duplicate_taps"] > 0
    assert legs == truth["legs"]
    assert dict(found) == {
        AnomalyCode.MISSING_TAP_OFF: truth["missing_tap_offs"],
        AnomalyCode.DUPLICATE_TAP: truth["duplicate_taps"],
    }


def _tap(row: object) -> Tap:
    values = row._asdict()  # type: ignore[attr-defined]
    return Tap(
        kind=TapKind(values["kind"]),
        time=values["tapped_at"].to_pydatetime(),
        stop_id=values["stop_id"],
        route_id=None if pd.isna(values["route_id"]) else values["route_id"],
        trip_id=None if pd.isna(values["trip_id"]) else values["trip_id"],
        medium=values["medium"],
        rider_category=values["rider_category"],
        tap_id=f"{values['device_id']}:{values['seq']}",
    )
