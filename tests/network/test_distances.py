"""Distances along one trip: the three methods, the default chain, loops, stations, refusals.

HOP_M = 1111.95 m is 0.01 degree of a great circle (see feeds.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shahr.errors import NetworkError, UnknownStopError
from shahr.network import Network, load_network
from shahr.network.distances import whole_metres
from shahr.network.geo import haversine_m
from shahr.network.shapes import ShapeLine, place_stops
from tests.network.feeds import HOP_M, copy_fixture, edit


@pytest.mark.parametrize(
    ("method", "metres"),
    [
        ("shape_dist_traveled", 2400),  # 0 -> 2.4 km recorded
        ("shape_projection", 2224),  # the shape is the straight line: 2 x 1111.95 = 2223.90
        ("straight_lines", 2224),
    ],
)
def test_three_methods_on_line_1(metro: Network, method: str, metres: int) -> None:
    ride = metro.route_distance("l1_a", "l1_c", route_id="M1", trip_id="m1_north", method=method)  # type: ignore[arg-type]
    assert (ride.metres, ride.method, ride.stops) == (metres, method, ("l1_a", "l1_x", "l1_c"))


def test_default_prefers_shape_dist_traveled(metro: Network) -> None:
    ride = metro.route_distance("l1_x", "l1_c", route_id="M1")
    assert (ride.metres, ride.method) == (1200, "shape_dist_traveled")  # 2.4 - 1.2 km


def test_default_falls_back_to_straight_lines_without_shape(metro: Network) -> None:
    ride = metro.route_distance("t_f", "t_g", route_id="T3")
    assert (ride.metres, ride.method) == (1112, "straight_lines")  # one hop


def test_shape_dist_traveled_needs_both_rows(tmp_path: Path) -> None:
    feed = copy_fixture("tiny_metro", tmp_path)
    edit(feed, "stop_times.txt", "l2_e,3,3.0", "l2_e,3,")
    network = load_network(feed)
    assert network.route_distance("l2_d", "l2_x", route_id="M2", trip_id="m2_east").metres == 1500
    ride = network.route_distance("l2_d", "l2_e", route_id="M2", trip_id="m2_east")
    assert (ride.metres, ride.method) == (2224, "shape_projection")


def test_projection_follows_a_detour(bus: Network) -> None:
    # s_b1_detour goes 0.005 deg north, east, north, west (4 x 555.98 m) to reach q, then one hop to r.
    ride = bus.route_distance("p", "r", route_id="B1", trip_id="b1_detour")
    assert (ride.metres, ride.method) == (3336, "shape_projection")  # 3 x 1111.95 = 3335.85
    straight = bus.route_distance("p", "r", route_id="B1", trip_id="b1_detour", method="straight_lines")
    assert straight.metres == 2224


def test_without_trip_the_shortest_ride_of_the_route(bus: Network) -> None:
    # b1_noshape serves the same stops along straight lines (2224 m); b1_detour rides 3336 m.
    ride = bus.route_distance("p", "r", route_id="B1")
    assert (ride.metres, ride.method) == (2224, "straight_lines")


@pytest.mark.parametrize(
    ("trip_id", "method", "missing"),
    [("b1_noshape", "shape_projection", "shape"), ("b1_detour", "shape_dist_traveled", "distances")],
)
def test_forced_method_that_the_trip_cannot_use(
    bus: Network, trip_id: str, method: str, missing: str
) -> None:
    with pytest.raises(NetworkError, match=f"method {method} is not possible") as caught:
        bus.route_distance("p", "q", route_id="B1", trip_id=trip_id, method=method)  # type: ignore[arg-type]
    assert f"route 'B1' trip {trip_id!r}" in str(caught.value)


@pytest.mark.parametrize(
    ("board", "alight", "metres", "stops"),
    [
        ("u", "h", 3336, ("u", "v", "w", "h")),  # three sides of the square: back at h on the 2nd visit
        ("h", "u", 1112, ("h", "u")),  # boards at the first visit
        ("h", "y", 1112, ("h", "y")),  # boards at the second visit: the shortest ride
        ("h", "h", 4448, ("h", "u", "v", "w", "h")),  # round the loop: 4 x 1111.95 = 4447.80
    ],
)
def test_loop_visits_a_stop_twice(
    bus: Network, board: str, alight: str, metres: int, stops: tuple[str, ...]
) -> None:
    for method in ("shape_projection", "straight_lines"):
        ride = bus.route_distance(board, alight, route_id="LOOP", method=method)
        assert (ride.metres, ride.stops) == (metres, stops)


def test_alighting_before_boarding_is_refused(bus: Network) -> None:
    with pytest.raises(NetworkError, match="stop 'u' does not follow stop 'w' on route 'LOOP' trip 'loop_1'"):
        bus.route_distance("w", "u", route_id="LOOP", trip_id="loop_1")


def test_alighting_where_boarded_is_refused(metro: Network) -> None:
    # A stop does not follow itself; the fare engine reports exit_not_on_route.
    with pytest.raises(NetworkError, match="stop 'l1_x' does not follow stop 'st_x'"):
        metro.route_distance("st_x", "l1_x", route_id="M1")


def test_parent_stations_stand_for_their_stop_on_the_trip(metro: Network) -> None:
    ride = metro.route_distance("st_a", "st_c", route_id="M1")
    assert (ride.metres, ride.stops) == (2400, ("l1_a", "l1_x", "l1_c"))
    assert metro.route_distance("st_x", "l2_e", route_id="M2").stops == ("l2_x", "l2_e")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"route_id": "M9"}, "unknown route_id 'M9'"),
        ({"route_id": "M1", "trip_id": "zz"}, "unknown trip_id 'zz'"),
        ({"route_id": "M1", "trip_id": "m2_east"}, "trip 'm2_east' runs route 'M2', not 'M1'"),
        ({"route_id": "M2"}, "stop 'l1_a' is not served by route 'M2' (any trip)"),
    ],
)
def test_refusals_name_the_route_and_trip(metro: Network, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(NetworkError) as caught:
        metro.route_distance("l1_a", "l2_x", **kwargs)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_unknown_stop(metro: Network) -> None:
    with pytest.raises(UnknownStopError, match="'nope'"):
        metro.route_distance("nope", "l1_c", route_id="M1")


@pytest.mark.parametrize(("metres", "whole"), [(1234.5, 1235), (1234.49, 1234), (0.5, 1), (2223.9, 2224)])
def test_whole_metres_round_half_up(metres: float, whole: int) -> None:
    assert whole_metres(metres) == whole


def test_placement_keeps_order_when_a_later_pass_is_closer() -> None:
    # Out along the equator to 0.02 deg, a 11 m turn north, back 0.0001 deg north of the way out.
    # s1 is 6.7 m from the way out and only 4.4 m from the way back: a greedy nearest-point would put
    # it on the way back and leave s2 (at the turn) no place after it.
    lat = np.array([0.0, 0.0, 0.0001, 0.0001])
    lon = np.array([0.0, 0.02, 0.02, 0.0])
    steps = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    line = ShapeLine(lat, lon, np.concatenate(([0.0], np.cumsum(steps))))
    turn = float(steps[1])  # 11.12 m
    placed = place_stops(
        line, np.array([0.0, 0.00006, 0.00005, 0.0001, 0.0001]), np.array([0.0, 0.01, 0.02, 0.01, 0.0])
    )
    expected = [0.0, HOP_M, 2 * HOP_M + turn / 2, 2 * HOP_M + turn + HOP_M, 4 * HOP_M + turn]
    assert placed == pytest.approx(expected, abs=0.5)


coordinate = st.floats(min_value=-0.02, max_value=0.02, allow_nan=False)


@given(
    shape=st.lists(st.tuples(coordinate, coordinate), min_size=2, max_size=8),
    stops=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=6),
)
def test_placed_stops_never_go_back_and_stay_on_the_shape(
    shape: list[tuple[float, float]], stops: list[tuple[float, float]]
) -> None:
    lat, lon = (np.array(values) for values in zip(*shape, strict=True))
    along = np.concatenate(([0.0], np.cumsum(haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]))))
    stop_lat, stop_lon = (np.array(values) for values in zip(*stops, strict=True))
    placed = place_stops(ShapeLine(lat, lon, along), stop_lat, stop_lon)
    assert np.all(np.diff(placed) >= 0)
    assert np.all((placed >= 0) & (placed <= along[-1] + 1e-6))


def test_stops_on_the_vertices_land_on_them() -> None:
    # The tiny_bus loop: h, u, v, w, h, y are the shape's own points, one hop apart.
    lat = np.array([0.03, 0.04, 0.04, 0.03, 0.03, 0.03])
    lon = np.array([0.10, 0.10, 0.11, 0.11, 0.10, 0.09])
    along = np.concatenate(([0.0], np.cumsum(haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]))))
    placed = place_stops(ShapeLine(lat, lon, along), lat, lon)
    assert placed == pytest.approx([k * HOP_M for k in range(6)], abs=0.01)
