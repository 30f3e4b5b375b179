"""GTFS feed -> stops, routes, distances along trips and shortest paths over the rail network."""

from shahr.network.feed import load_feed
from shahr.network.model import ALONG_ROUTE_METHODS, AlongRouteMethod, Distance, DistanceMethod, RouteInfo
from shahr.network.network import Network, load_network

__all__ = [
    "ALONG_ROUTE_METHODS",
    "AlongRouteMethod",
    "Distance",
    "DistanceMethod",
    "Network",
    "RouteInfo",
    "load_feed",
    "load_network",
]
