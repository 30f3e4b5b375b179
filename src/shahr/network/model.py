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
