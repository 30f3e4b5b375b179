"""The compiled settlement against the fare engine: identical legs, journeys, fares, operator shares,
quarantine and counts, on every preset."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from shahr.batch.columnar import settle_compiled
from shahr.batch.settle import SettledDay, settle_reference
from shahr.batch.simulate import SimulationOptions, simulate_taps
from shahr.fares.load import list_presets, load_policy
from shahr.network import Network, load_feed, load_network
from tests.batch.chaos import chaos_taps

FEED = Path(__file__).parent.parent.parent / "data" / "mashhad-demo.zip"


@pytest.fixture(scope="module")
def network() -> Network:
    return load_network(FEED)


def assert_same_day(expected: SettledDay, actual: SettledDay) -> None:
    for name in ("legs", "journeys", "operator_shares", "quarantine"):
        assert_frame_equal(getattr(expected, name), getattr(actual, name), check_exact=True)
    assert expected.counts == actual.counts


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """About 200,000 taps of a generated weekday on the demo feed."""
    out = tmp_path_factory.mktemp("taps") / "taps.parquet"
    options = SimulationOptions(cards=31_000, service_date=date(2025, 10, 5), seed=7)
    simulate_taps(load_feed(FEED), options, out, feed_name=FEED.name)
    taps = pl.read_parquet(out)
    assert 180_000 <= len(taps) <= 230_000
    return taps


@pytest.mark.parametrize("preset", list_presets())
def test_generated_day_settles_identically(preset: str, generated: pl.DataFrame, network: Network) -> None:
    policy = load_policy(preset)
    expected = settle_reference(generated, policy, network)
    assert expected.counts["journeys"] > 50_000
    assert_same_day(expected, settle_compiled(generated, policy, network))


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("preset", list_presets())
def test_troubled_taps_settle_identically(preset: str, seed: int, network: Network) -> None:
    feed = load_feed(FEED)
    trips = feed.trips.set_index("trip_id")["route_id"]
    stop_times = feed.stop_times.assign(route_id=feed.stop_times["trip_id"].map(trips))
    routes = {
        r: sorted(set(g["stop_id"])) for r, g in stop_times.groupby("route_id") if not str(r).startswith("M")
    }
    stations = sorted(s for s in feed.stops["stop_id"] if str(s).startswith("st_"))
    taps = chaos_taps(routes, stations, cards=1500, seed=seed)
    policy = load_policy(preset)
    expected = settle_reference(taps, policy, network)
    assert expected.counts["quarantined"] > 0 and expected.counts["anomaly.tap_off_without_tap_on"] > 0
    assert_same_day(expected, settle_compiled(taps, policy, network))
