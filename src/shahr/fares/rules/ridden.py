"""The distance a leg is charged for: along its route (or trip) for buses, the shortest rail path for
gated modes. A stop the network does not know (allowed by `unknown_stop = "flat"`) rides no distance."""

from __future__ import annotations

from shahr.errors import NetworkError
from shahr.fares.network import FareNetwork
from shahr.fares.policy import Mode
from shahr.network.model import Distance


def ridden_distance(
    network: FareNetwork,
    mode: Mode,
    board_stop: str,
    exit_stop: str,
    route_id: str | None,
    trip_id: str | None,
) -> Distance:
    """Raises NetworkError when the exit does not follow the boarding on the route (or no rail path)."""
    if not network.has_stop(exit_stop) or not network.has_stop(board_stop):
        return Distance(0, "assumed", (board_stop, exit_stop))
    if mode.distance == "network":
        return network.rail_distance(board_stop, exit_stop)
    if route_id is None:
        raise NetworkError(f"leg from {board_stop!r} has no route to measure along")
    return network.route_distance(board_stop, exit_stop, route_id=route_id, trip_id=trip_id)
