"""Closing a leg that never got its tap-off, by its mode's rule (see `policy.MissingTapOff`)."""

from __future__ import annotations

from dataclasses import replace

from shahr.errors import NetworkError
from shahr.fares.model import ExitStatus, Leg, Tap
from shahr.fares.network import FareNetwork
from shahr.fares.policy import MissingTapOff, Mode, km_to_m
from shahr.network.model import Distance


def close_without_tap_off(leg: Leg, mode: Mode, network: FareNetwork, next_tap_on: Tap | None) -> Leg:
    """The leg as the policy charges it when its exit is unknown; `next_tap_on` feeds `infer_exit`."""
    rule: MissingTapOff = mode.missing_tap_off
    if rule.rule == "max_fare" and rule.max_distance_km is not None:
        assumed = Distance(km_to_m(rule.max_distance_km), "assumed", (leg.board.stop_id,))
        return replace(leg, distance=assumed, exit_status=ExitStatus.ASSUMED_MAX)
    if rule.rule == "infer_exit" and next_tap_on is not None:
        inferred = _infer(leg, mode, network, next_tap_on)
        if inferred is not None:
            return inferred
    return replace(
        leg,
        distance=Distance(0, "assumed", (leg.board.stop_id,)),
        exit_status=ExitStatus.MISSING,
    )


def _infer(leg: Leg, mode: Mode, network: FareNetwork, next_tap_on: Tap) -> Leg | None:
    """Exit at the stop of the leg's route nearest the next boarding (rail: the next entry station)."""
    board = leg.board
    try:
        if mode.distance == "network":
            exit_stop = next_tap_on.stop_id
            distance = network.rail_distance(board.stop_id, exit_stop)
        else:
            route_id = leg.route_id
            if route_id is None:
                return None
            found = network.nearest_stop_on_route(route_id, board.trip_id, board.stop_id, next_tap_on.stop_id)
            if found is None:
                return None
            exit_stop = found
            distance = network.route_distance(
                board.stop_id, exit_stop, route_id=route_id, trip_id=board.trip_id
            )
    except NetworkError:
        return None
    return replace(leg, exit_stop_id=exit_stop, distance=distance, exit_status=ExitStatus.INFERRED)
