"""The Mashhad demo feed (data/mashhad-demo.zip, built by `make feed`) as the fares will use it.

Contract: metro stations are parent stations `st_<slug>` with platforms `m1_<slug>`, `m2_<slug>`,
`m3_<slug>`; routes M1, M2, M3 (route_type 1); Shariati joins lines 1 and 2; Shohada and Sa'adi are
on lines 2 and 3. Sums of two rounded legs may differ from the rounded whole by 1 m.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from gtfs_kit import Feed

from shahr.network import ALONG_ROUTE_METHODS, Network, load_feed

DEMO = Path(__file__).resolve().parents[2] / "data" / "mashhad-demo.zip"
METRO = ("M1", "M2", "M3")
ROUNDING_M = 1


@pytest.fixture(scope="module")
def feed() -> Feed:
    if not DEMO.exists():
        pytest.fail(f"{DEMO} is missing: run `make feed` to build the demo feed")
    return load_feed(DEMO)


@pytest.fixture(scope="module")
def network(feed: Feed) -> Network:
    return Network.from_feed(feed)


@pytest.fixture(scope="module")
def metro_patterns(feed: Feed) -> list[tuple[str, str, tuple[str, ...]]]:
    """(route_id, one trip_id, stop_ids) for each distinct stop sequence of a metro trip."""
    trips = feed.trips[feed.trips["route_id"].isin(METRO)][["trip_id", "route_id"]]
    stop_times = feed.stop_times.merge(trips, on="trip_id").sort_values(["trip_id", "stop_sequence"])
    sequences = stop_times.groupby("trip_id", sort=True).agg(
        route_id=("route_id", "first"), stop_ids=("stop_id", tuple)
    )
    # Compare the sequences as Python tuples: with pyarrow installed pandas keeps them as Arrow lists,
    # which it cannot hash.
    first: dict[tuple[str, ...], tuple[str, str]] = {}
    for trip_id, route_id, stops in zip(
        sequences.index, sequences["route_id"], sequences["stop_ids"], strict=True
    ):
        first.setdefault(tuple(stops), (str(route_id), str(trip_id)))
    return [(route_id, trip_id, stops) for stops, (route_id, trip_id) in first.items()]


def _along(network: Network, route_id: str, board: str, alight: str) -> int:
    return network.route_distance(board, alight, route_id=route_id).metres


def test_ids_follow_the_contract(network: Network) -> None:
    for route_id in METRO:
        route = network.find_route(route_id)
        assert route is not None and route.route_type == 1
    for station in ("st_sa_adi", "st_haft_e_tir", "st_shariati", "st_shohada"):
        assert network.has_stop(station)
    assert network.station_of("m1_shariati") == network.station_of("m2_shariati") == "st_shariati"
    served = {
        s: {r.route_id for r in network.routes_at_stop(s)} for s in ("st_shariati", "st_shohada", "st_sa_adi")
    }
    assert served == {"st_shariati": {"M1", "M2"}, "st_shohada": {"M2", "M3"}, "st_sa_adi": {"M2", "M3"}}


def test_every_metro_leg_agrees_across_methods(
    network: Network, metro_patterns: list[tuple[str, str, tuple[str, ...]]]
) -> None:
    assert {route for route, _, _ in metro_patterns} == set(METRO)
    legs = disagreements = 0
    worst: list[str] = []
    for route_id, trip_id, stops in metro_patterns:
        for board, alight in itertools.combinations(stops, 2):
            metres = [
                network.route_distance(board, alight, route_id=route_id, trip_id=trip_id, method=m).metres
                for m in ALONG_ROUTE_METHODS
            ]
            legs += 1
            if max(metres) > 1.01 * min(metres):
                disagreements += 1
                worst.append(f"{route_id} {trip_id} {board}->{alight}: {metres}")
    assert legs > 500
    assert disagreements == 0, "\n".join(worst[:20])


def test_vakilabad_to_tabarsi_changes_at_shariati(network: Network) -> None:
    ride = network.rail_distance("m1_vakilabad", "m2_tabarsi")
    line_1 = _along(network, "M1", "m1_vakilabad", "m1_shariati")
    line_2 = _along(network, "M2", "m2_shariati", "m2_tabarsi")
    assert abs(ride.metres - (line_1 + line_2)) <= ROUNDING_M
    assert "st_shariati" in ride.stops
    assert (ride.stops[0], ride.stops[-1]) == ("st_vakilabad", "st_tabarsi")


def test_every_line_1_to_line_2_path_changes_at_shariati(
    network: Network, metro_patterns: list[tuple[str, str, tuple[str, ...]]]
) -> None:
    line_1 = {s for route, _, stops in metro_patterns if route == "M1" for s in stops} - {"m1_shariati"}
    line_2 = {s for route, _, stops in metro_patterns if route == "M2" for s in stops} - {"m2_shariati"}
    for one, two in itertools.product(sorted(line_1), sorted(line_2)):
        there = _along(network, "M1", one, "m1_shariati") + _along(network, "M2", "m2_shariati", two)
        back = _along(network, "M2", two, "m2_shariati") + _along(network, "M1", "m1_shariati", one)
        assert abs(network.rail_distance(one, two).metres - there) <= ROUNDING_M, (one, two)
        assert abs(network.rail_distance(two, one).metres - back) <= ROUNDING_M, (two, one)
        assert "st_shariati" in network.rail_distance(one, two).stops


def test_same_line_pairs_equal_the_ride_along_the_line(
    network: Network, metro_patterns: list[tuple[str, str, tuple[str, ...]]]
) -> None:
    for route_id, _, stops in metro_patterns:
        if route_id != "M1":
            continue  # line 1 meets the others at one station only, so its pairs never leave it
        for board, alight in itertools.combinations(stops, 2):
            assert abs(
                network.rail_distance(board, alight).metres - _along(network, route_id, board, alight)
            ) <= (ROUNDING_M)


def test_demo_feed_is_in_km(feed: Feed) -> None:
    assert feed.dist_units == "km"
