"""Plain values that the network hands to the fare engine; no pandas beyond this package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DistanceMethod = Literal[
    "shape_dist_traveled",  # from stop_times.shape_dist_traveled, converted to metres
    "shape_projection",  # stops projected onto the trip's shape, length along it
    "straight_lines",  # sum of straight (geodesic) lines between consecutive stops
    "rail_network",  # shortest path over the rail network, line changes inside the gates
    "given",  # stated by the caller (fare quotes without a network)
    "assumed",  # not ridden as far as anyone knows: a missing tap-off charged by the policy's rule
]

AlongRouteMethod = Literal["shape_dist_traveled", "shape_projection", "straight_lines"]
"""The ways to measure a ride along one trip, in the order tried when none is asked for."""

ALONG_ROUTE_METHODS: tuple[AlongRouteMethod, ...] = (
    "shape_dist_traveled",
    "shape_projection",
    "straight_lines",
)

# GTFS route_type values (basic and the extended groups' base codes) that run behind gates.
RAIL_ROUTE_TYPES = frozenset({0, 1, 2, 12})

# GTFS extended route types (100-1799) grouped onto the basic type a policy or the rail graph knows.
_EXTENDED_TO_BASIC = {
    1: 2,  # 100-199 railway service
    2: 3,  # 200-299 coach service
    4: 1,  # 400-499 urban railway (405 monorail: below)
    7: 3,  # 700-799 bus service
    8: 11,  # 800-899 trolleybus
    9: 0,  # 900-999 tram
    10: 4,  # 1000-1099 water transport
    12: 4,  # 1200-1299 ferry
    13: 6,  # 1300-1399 aerial lift
    14: 7,  # 1400-1499 funicular
}
_MONORAIL = 405


def basic_route_type(route_type: int) -> int:
    """The basic GTFS route_type for an extended one (700 -> 3, 405 -> 12); basic types as they are."""
    if route_type < 100:
        return route_type
    if route_type == _MONORAIL:
        return 12
    return _EXTENDED_TO_BASIC.get(route_type // 100, route_type)


def is_rail_route_type(route_type: int) -> bool:
    """Whether a route runs on rails (behind gates), extended types included."""
    return basic_route_type(route_type) in RAIL_ROUTE_TYPES


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """What a fare policy may match a route on to find its mode."""

    route_id: str
    route_type: int
    agency_id: str | None = None
    network_id: str | None = None
    short_name: str | None = None


@dataclass(frozen=True, slots=True)
class Distance:
    """A distance ridden, in whole metres, how it was found and the stops on its path (ends included)."""

    metres: int
    method: DistanceMethod
    stops: tuple[str, ...] = ()
