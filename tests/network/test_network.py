"""What the fare engine asks of a network besides distances: stops, stations, routes, exits."""

from __future__ import annotations

from pathlib import Path

import pytest

from shahr.errors import NetworkError, UnknownStopError
from shahr.fares.network import FareNetwork
from shahr.network import Network, RouteInfo, load_network
from tests.network.feeds import copy_fixture

M1 = RouteInfo("M1", 1, "MET", "metro", "1")
M2 = RouteInfo("M2", 1, "MET", "metro", "2")


def test_is_a_fare_network(metro: Network) -> None:
    answers: FareNetwork = metro  # checked by mypy; at run time the calls below must exist
    assert answers.has_stop("l1_a")


@pytest.mark.parametrize(("stop_id", "known"), [("l1_a", True), ("st_x", True), ("t_g", True), ("zz", False)])
def test_has_stop(metro: Network, stop_id: str, known: bool) -> None:
    assert metro.has_stop(stop_id) is known


@pytest.mark.parametrize(
    ("stop_id", "station"),
    [("l1_a", "st_a"), ("l2_x", "st_x"), ("st_x", "st_x"), ("t_f", "t_f"), ("zz", "zz")],
)
def test_station_of(metro: Network, stop_id: str, station: str) -> None:
    assert metro.station_of(stop_id) == station


def test_find_route(metro: Network, bus: Network) -> None:
    assert metro.find_route("M1") == M1
    tram = metro.find_route("T3")
    assert tram is not None and (tram.route_type, tram.network_id) == (900, "tram")  # extended type kept
    assert metro.find_route("M9") is None
    # tiny_bus routes.txt has no agency_id: the feed's only agency runs them.
    assert bus.find_route("B1") == RouteInfo("B1", 3, "BUS", None, "1")


@pytest.mark.parametrize(
    ("stop_id", "route_ids"),
    [("l1_x", ("M1", "M2")), ("st_x", ("M1", "M2")), ("l2_d", ("M2",)), ("t_f", ("T3",)), ("zz", ())],
)
def test_routes_at_stop(metro: Network, stop_id: str, route_ids: tuple[str, ...]) -> None:
    assert tuple(r.route_id for r in metro.routes_at_stop(stop_id)) == route_ids


def test_routes_at_stop_carry_route_info(metro: Network) -> None:
    assert metro.routes_at_stop("st_x") == (M1, M2)


def test_nearest_stop_after_boarding(metro: Network) -> None:
    # After l1_a on line 1: l1_x (1112 m from l2_e) and l1_c (1572 m from it).
    assert metro.nearest_stop_on_route("M1", None, "l1_a", "l2_e") == "l1_x"
    assert metro.nearest_stop_on_route("M1", "m1_north", "st_a", "st_c") == "l1_c"


def test_nearest_stop_on_a_loop(bus: Network) -> None:
    # After h: u (2224 m from r), v (2486), w (1572), h again (1112), y (1572).
    assert bus.nearest_stop_on_route("LOOP", "loop_1", "h", "r") == "h"


def test_no_stop_after_the_last(metro: Network) -> None:
    assert metro.nearest_stop_on_route("M1", "m1_south", "l1_a", "l2_e") is None


def test_nearest_stop_refusals(metro: Network) -> None:
    with pytest.raises(NetworkError, match="stop 'l2_d' is not served by route 'M1'"):
        metro.nearest_stop_on_route("M1", None, "l2_d", "l1_a")
    with pytest.raises(UnknownStopError):
        metro.nearest_stop_on_route("M1", None, "l1_a", "zz")


def test_shortest_distance_prefers_rail_between_rail_stations(metro: Network) -> None:
    assert metro.shortest_distance("l1_a", "t_g").metres == 3812
    along = metro.shortest_distance("l1_a", "l1_c", route_id="M1")
    assert (along.metres, along.method) == (2400, "shape_dist_traveled")


def test_shortest_distance_over_any_route(bus: Network) -> None:
    assert bus.shortest_distance("p", "r").metres == 2224  # B1's straight-line trip
    assert bus.shortest_distance("h", "y").metres == 1112  # LOOP, from its second visit of h
    with pytest.raises(NetworkError, match="no route serves stop 'r' and then stop 'p'"):
        bus.shortest_distance("r", "p")
    with pytest.raises(UnknownStopError):
        bus.shortest_distance("p", "zz")


def test_boarding_area_without_coordinates(tmp_path: Path) -> None:
    # GTFS lets a boarding area (location_type 4) leave out its coordinates: it is where its platform is.
    feed = copy_fixture("tiny_metro", tmp_path)
    with (feed / "stops.txt").open("a") as stops:
        stops.write("l1_x_b,X line 1 boarding area,,,4,l1_x\n")
    network = load_network(feed)
    assert network.station_of("l1_x_b") == "st_x"
    assert network.routes_at_stop("l1_x_b") == (M1, M2)
    assert network.nearest_stop_on_route("M1", None, "l1_a", "l1_x_b") == "l1_x"
