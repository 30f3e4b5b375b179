"""Which fare mode a GTFS route rides at: explicit rules, then route_type, then the policy's default."""

from __future__ import annotations

from shahr.fares.policy import ModeMapping
from shahr.network.model import RouteInfo

# GTFS extended route types (100-1799) grouped onto the basic type a policy is likely to name.
_EXTENDED_TO_BASIC = {
    1: 2,  # 100-199 railway service
    2: 3,  # 200-299 coach service
    4: 1,  # 400-499 urban railway
    7: 3,  # 700-799 bus service
    8: 11,  # 800-899 trolleybus
    9: 0,  # 900-999 tram
    10: 4,  # 1000-1099 water transport
    12: 4,  # 1200-1299 ferry
    13: 6,  # 1300-1399 aerial lift
    14: 7,  # 1400-1499 funicular
}


def basic_route_type(route_type: int) -> int:
    """The basic GTFS route_type for an extended one (700 -> 3); basic types are returned as they are."""
    if route_type < 100:
        return route_type
    return _EXTENDED_TO_BASIC.get(route_type // 100, route_type)


def mode_for_route(mapping: ModeMapping, route: RouteInfo) -> str:
    for rule in mapping.rules:
        if rule.matches(route):
            return rule.mode
    for key in (route.route_type, basic_route_type(route.route_type)):
        mode = mapping.route_types.get(str(key))
        if mode is not None:
            return mode
    return mapping.default
