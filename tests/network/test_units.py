"""The unit of shape_dist_traveled is inferred from the data (or given), then converted to metres.

tiny_metro records km: line 1 hops are 1.2 km for 1111.95 m of straight line (ratio 1.079), line 2
hops 1.5 km (ratio 1.349). Rescaled copies must give the same metres back.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shahr.errors import FeedError
from shahr.network import Network, load_feed
from tests.network.feeds import FIXTURES, copy_fixture

FT_PER_KM = 1000 / 0.3048
MI_PER_KM = 1 / 1.609344


def _rescale(feed: Path, file: str, factor: float) -> None:
    path = feed / file
    table = pd.read_csv(path, dtype={"shape_dist_traveled": "float64"}, keep_default_na=False, na_values=[""])
    table["shape_dist_traveled"] *= factor
    table.to_csv(path, index=False)


def _drop_shape_distances(feed: Path) -> None:
    path = feed / "shapes.txt"
    pd.read_csv(path).drop(columns="shape_dist_traveled").to_csv(path, index=False)


def test_km_is_inferred_and_converted() -> None:
    feed = load_feed(FIXTURES / "tiny_metro")
    assert feed.dist_units == "km"
    ride = Network.from_feed(feed).route_distance("l1_a", "l1_c", route_id="M1")
    assert (ride.metres, ride.method) == (2400, "shape_dist_traveled")  # 2.4 km


@pytest.mark.parametrize(("unit", "factor"), [("m", 1000.0), ("mi", MI_PER_KM), ("ft", FT_PER_KM)])
def test_rescaled_feed_gives_the_same_metres(tmp_path: Path, unit: str, factor: float) -> None:
    feed = copy_fixture("tiny_metro", tmp_path)
    _rescale(feed, "shapes.txt", factor)
    _rescale(feed, "stop_times.txt", factor)
    loaded = load_feed(feed)
    assert loaded.dist_units == unit
    assert Network.from_feed(loaded).route_distance("l1_a", "l1_c", route_id="M1").metres == 2400


def test_stop_times_alone_decide_without_shape_distances(tmp_path: Path) -> None:
    # Only line 2 keeps distances, in miles: 3.0 km = 1.864 mi over 2223.9 m of straight line.
    # As km that would be 838 m ridden per 1000 m of straight line: shorter than the line, so not km;
    # as miles 1.349 times the line. (Nearest-to-1 on a log scale, gtfs-kit's rule, would say km.)
    feed = copy_fixture("tiny_metro", tmp_path)
    _drop_shape_distances(feed)
    path = feed / "stop_times.txt"
    table = pd.read_csv(path)
    table["shape_dist_traveled"] = table["shape_dist_traveled"].where(table["trip_id"].str.startswith("m2_"))
    table["shape_dist_traveled"] *= MI_PER_KM
    table.to_csv(path, index=False)
    loaded = load_feed(feed)
    assert loaded.dist_units == "mi"
    assert Network.from_feed(loaded).route_distance("l2_d", "l2_e", route_id="M2").metres == 3000


def test_files_that_disagree_are_refused(tmp_path: Path) -> None:
    feed = copy_fixture("tiny_metro", tmp_path)
    _rescale(feed, "stop_times.txt", 1000.0)  # metres, while shapes.txt stays in km
    with pytest.raises(FeedError, match="units disagree") as caught:
        load_feed(feed)
    assert "shapes.txt looks like km" in str(caught.value)
    assert "stop_times.txt looks like m" in str(caught.value)


def test_unit_that_fits_nothing_is_refused(tmp_path: Path) -> None:
    # Hectometres: 10.8 times the straight line as km, 0.011 times as m. No unit fits.
    feed = copy_fixture("tiny_metro", tmp_path)
    _rescale(feed, "shapes.txt", 10.0)
    _rescale(feed, "stop_times.txt", 10.0)
    with pytest.raises(FeedError, match="pass dist_units") as caught:
        load_feed(feed)
    assert caught.value.field == "shape_dist_traveled"


def test_callers_unit_wins() -> None:
    feed = load_feed(FIXTURES / "tiny_metro", dist_units="mi")
    # 2.4 mi = 2.4 x 1609.344 m = 3862.4 m
    assert Network.from_feed(feed).route_distance("l1_a", "l1_c", route_id="M1").metres == 3862


def test_feed_without_distances_has_a_nominal_unit() -> None:
    assert load_feed(FIXTURES / "tiny_bus").dist_units == "m"
