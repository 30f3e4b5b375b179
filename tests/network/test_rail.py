"""Shortest paths over the rail network of tiny_metro.

Line 1 (M1) runs a - x - c north/south, 1.2 km a hop (shape_dist_traveled); line 2 (M2) runs
d - x - e west/east, 1.5 km a hop; both stop at station st_x. Tram T3 (route_type 900, extended
tram) runs f - g, 1111.95 m of straight line, and meets line 2 only through transfers.txt
(l2_e <-> t_f, two different stations). transfers.txt also has l1_c -> l2_d with transfer_type 3
(not possible), which must not join them.
"""

from __future__ import annotations

import pytest

from shahr.errors import NetworkError, UnknownStopError
from shahr.network import Network, load_feed
from shahr.network.model import is_rail_route_type
from tests.network.feeds import FIXTURES


def test_across_lines_through_the_shared_station(metro: Network) -> None:
    ride = metro.rail_distance("l1_a", "l2_e")
    assert (ride.metres, ride.method) == (2700, "rail_network")  # 1200 on line 1 + 1500 on line 2
    assert ride.stops == ("st_a", "st_x", "st_e")


def test_transfer_between_stations_weighs_nothing(metro: Network) -> None:
    # 1200 + 1500 + 0 (l2_e -> t_f inside the gates) + 1111.95 = 3811.95
    ride = metro.rail_distance("l1_a", "t_g")
    assert (ride.metres, ride.stops) == (3812, ("st_a", "st_x", "st_e", "t_f", "t_g"))


def test_without_transfers_the_tram_is_cut_off() -> None:
    feed = load_feed(FIXTURES / "tiny_metro")
    feed.transfers = None
    with pytest.raises(NetworkError, match="no rail path from station 'st_a' to station 't_g'"):
        Network.from_feed(feed).rail_distance("l1_a", "t_g")


def test_impossible_transfer_is_ignored(metro: Network) -> None:
    # Through st_x (1200 + 1500), not the transfer_type 3 shortcut l1_c -> l2_d.
    assert metro.rail_distance("l1_c", "l2_d").metres == 2700


def test_same_line_equals_the_ride_along_it(metro: Network) -> None:
    for board, alight in [("l1_a", "l1_c"), ("l1_c", "l1_a"), ("l2_e", "l2_x")]:
        along = metro.route_distance(board, alight, route_id="M1" if board.startswith("l1") else "M2")
        assert metro.rail_distance(board, alight).metres == along.metres


def test_stations_and_platforms_alike(metro: Network) -> None:
    assert metro.rail_distance("st_a", "st_e") == metro.rail_distance("l1_a", "l2_e")


def test_same_station_is_zero(metro: Network) -> None:
    ride = metro.rail_distance("l1_x", "l2_x")
    assert (ride.metres, ride.stops) == (0, ("st_x",))


def test_stop_off_the_rail_network(bus: Network) -> None:
    with pytest.raises(NetworkError, match=r"stop 'p' \(station 'p'\) is not on the rail network"):
        bus.rail_distance("p", "q")


def test_unknown_stop(metro: Network) -> None:
    with pytest.raises(UnknownStopError):
        metro.rail_distance("l1_a", "nope")


@pytest.mark.parametrize(
    ("route_type", "rail"),
    [
        (0, True),  # tram
        (1, True),  # subway
        (2, True),  # rail
        (12, True),  # monorail
        (3, False),
        (11, False),
        (100, True),  # railway service
        (109, True),  # suburban railway
        (401, True),  # metro
        (405, True),  # monorail
        (900, True),  # tram service
        (700, False),  # bus service
        (1400, False),  # funicular
    ],
)
def test_rail_route_types(route_type: int, rail: bool) -> None:
    assert is_rail_route_type(route_type) is rail
