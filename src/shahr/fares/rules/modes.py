"""Which fare mode a GTFS route rides at: explicit rules, then route_type, then the policy's default."""

from __future__ import annotations

from shahr.fares.policy import ModeMapping
from shahr.network.model import RouteInfo, basic_route_type


def mode_for_route(mapping: ModeMapping, route: RouteInfo) -> str:
    for rule in mapping.rules:
        if rule.matches(route):
            return rule.mode
    for key in (route.route_type, basic_route_type(route.route_type)):
        mode = mapping.route_types.get(str(key))
        if mode is not None:
            return mode
    return mapping.default
