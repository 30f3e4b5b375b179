"""What a tap is about under a tariff: its fare mode, route and operator, or why it cannot be rated."""

from __future__ import annotations

from dataclasses import dataclass

from shahr.fares.model import Anomaly, AnomalyCode, Tap
from shahr.fares.network import FareNetwork
from shahr.fares.policy import Tariff
from shahr.fares.rules.modes import mode_for_route
from shahr.network.model import RouteInfo


@dataclass(frozen=True, slots=True)
class ResolvedTap:
    mode: str
    route_id: str | None
    route_key: str
    """What 're-boarding the same route' compares: the route id, or `mode:<id>` for gated modes."""
    agency_id: str | None


def resolve_tap(tariff: Tariff, network: FareNetwork, tap: Tap, policy_id: str) -> ResolvedTap | Anomaly:
    """The tap's mode (stated by the device, else from its route, else from the routes at its stop)."""
    if tap.rider_category not in tariff.rider_categories:
        detail = f"rider category {tap.rider_category!r} is not in policy {policy_id}"
        return Anomaly(AnomalyCode.UNKNOWN_CATEGORY, tap, detail)
    if tap.medium not in tariff.media:
        return Anomaly(
            AnomalyCode.UNKNOWN_MEDIUM, tap, f"fare medium {tap.medium!r} is not in policy {policy_id}"
        )
    if not network.has_stop(tap.stop_id) and tariff.anomalies.unknown_stop == "reject":
        return Anomaly(AnomalyCode.UNKNOWN_STOP, tap, f"unknown stop_id {tap.stop_id!r}")
    route: RouteInfo | None = None
    if tap.route_id is not None:
        route = network.find_route(tap.route_id)
        if route is None:
            return Anomaly(AnomalyCode.UNKNOWN_ROUTE, tap, f"unknown route_id {tap.route_id!r}")
    elif tap.mode is None:
        at_stop = network.routes_at_stop(tap.stop_id)
        if not at_stop:
            detail = f"no route_id on the tap and no route serves stop {tap.stop_id!r}"
            return Anomaly(AnomalyCode.UNKNOWN_ROUTE, tap, detail)
        route = at_stop[0]
    mode_id = (
        tap.mode if tap.mode is not None else mode_for_route(tariff.mode_mapping, route) if route else ""
    )
    if mode_id not in tariff.modes:
        return Anomaly(AnomalyCode.UNKNOWN_MODE, tap, f"fare mode {mode_id!r} is not in policy {policy_id}")
    route_id = route.route_id if route is not None else tap.route_id
    gated = tariff.modes[mode_id].route_scope == "mode"
    key = f"mode:{mode_id}" if gated or route_id is None else route_id
    return ResolvedTap(mode_id, route_id, key, route.agency_id if route is not None else None)
