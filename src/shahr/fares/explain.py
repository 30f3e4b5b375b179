"""A journey's fare in words a rider can check, and the same as plain JSON-ready data."""

from __future__ import annotations

from typing import Any

from shahr.fares.load import Policy
from shahr.fares.model import ExitStatus, Journey, Leg

_METHOD_WORDS = {
    "shape_dist_traveled": "along the route (feed distances)",
    "shape_projection": "along the route's shape",
    "straight_lines": "straight lines between stops",
    "rail_network": "shortest path over the rail network",
    "given": "as stated",
    "assumed": "assumed",
}


def money(amount_minor: int, currency: str) -> str:
    return f"{amount_minor:,} {currency}"


def km(metres: int) -> str:
    return f"{metres / 1000:.1f} km"


def explain_lines(policy: Policy, journey: Journey) -> list[str]:
    """The explanation of one journey, one fact a line, in the order the fare is built."""
    e, cur = journey.explanation, policy.currency
    lines = [
        f"Fare {money(journey.fare_minor, cur)} for {len(journey.legs)} leg(s), {km(e.total_distance_m)}"
        f" ({e.rider_category}, {e.medium}; {e.policy_id} from {e.version_from.isoformat()})"
    ]
    lines += [_leg_line(policy, i, leg) for i, leg in enumerate(journey.legs, start=1)]
    if "free_ride" in e.rules:
        lines.append(f"Free: {e.rider_category} riders travel free on {e.base_mode}")
        return lines
    time_rules = f", after {', '.join(e.time_rules)}" if e.time_rules else ""
    highest = " (highest base fare of the journey's modes)" if len(journey.legs) > 1 else ""
    lines.append(f"Base fare: {money(e.base_fare_minor, cur)} for {e.base_mode}{highest}{time_rules}")
    if not e.distance_charged:
        lines.append(f"Distance: not charged ({e.base_mode} ridden alone is flat)")
    elif not e.surcharge:
        lines.append(
            f"Distance: {km(e.total_distance_m)} is within the base {km(e.base_distance_m)}: no surcharge"
        )
    for step in e.surcharge:
        lines.append(
            f"Distance {km(step.from_m)}-{km(step.to_m)}: {step.steps} step(s) of {km(step.step_m)}"
            f" x {money(step.step_fare_minor, cur)} = {money(step.steps * step.step_fare_minor, cur)}"
        )
    if len(journey.legs) > 1:
        lines.append(
            f"Transfer discount: {money(e.transfer_discount_minor, cur)}"
            f" (the legs as separate journeys: {money(e.standalone_minor, cur)})"
        )
    if e.capped and e.cap_minor is not None:
        lines.append(f"Cap: never more than the legs' own fares, {money(e.cap_minor, cur)}")
    if e.kept_minor:
        lines.append(f"Kept: {money(e.kept_minor, cur)} already collected at an earlier tap")
    return lines


def _leg_line(policy: Policy, index: int, leg: Leg) -> str:
    on = policy.local_time(leg.board.time).strftime("%H:%M")
    off = policy.local_time(leg.alight.time).strftime("%H:%M") if leg.alight else "--:--"
    route = f" route {leg.route_id}" if leg.route_id else ""
    where = f"{leg.board.stop_id} -> {leg.exit_stop_id or '?'}"
    status = {
        ExitStatus.TAPPED: "",
        ExitStatus.NOT_EXPECTED: "; no tap-off expected",
        ExitStatus.MISSING: "; no tap-off: transfer voided, distance not charged",
        ExitStatus.INFERRED: "; no tap-off: exit inferred from the next boarding",
        ExitStatus.ASSUMED_MAX: "; no tap-off: charged as the longest ride",
    }[leg.exit_status]
    how = _METHOD_WORDS[leg.distance.method]
    free = "; free" if leg.free else ""
    ridden = f"{km(leg.distance.metres)} ({how})"
    return f"Leg {index}: {leg.mode}{route}, {on}-{off}, {where}, {ridden}{status}{free}"


def journey_data(policy: Policy, journey: Journey) -> dict[str, Any]:
    """A journey as plain data: fare, legs and explanation (lines and structured parts)."""
    e = journey.explanation
    return {
        "fare": journey.fare_minor,
        "currency": policy.currency,
        "start": journey.start.isoformat(),
        "distance_m": journey.distance_m,
        "legs": [
            {
                "mode": leg.mode,
                "route_id": leg.route_id,
                "agency_id": leg.agency_id,
                "board_stop": leg.board.stop_id,
                "board_time": leg.board.time.isoformat(),
                "exit_stop": leg.exit_stop_id,
                "alight_time": leg.alight.time.isoformat() if leg.alight else None,
                "distance_m": leg.distance.metres,
                "distance_method": leg.distance.method,
                "exit_status": leg.exit_status.value,
                "free": leg.free,
            }
            for leg in journey.legs
        ],
        "explanation": {
            "lines": explain_lines(policy, journey),
            "policy": e.policy_id,
            "version_from": e.version_from.isoformat(),
            "rider_category": e.rider_category,
            "medium": e.medium,
            "base_mode": e.base_mode,
            "base_fare": e.base_fare_minor,
            "time_rules": list(e.time_rules),
            "total_distance_m": e.total_distance_m,
            "base_distance_m": e.base_distance_m,
            "distance_charged": e.distance_charged,
            "surcharge": e.surcharge_minor,
            "surcharge_steps": [
                {
                    "from_m": s.from_m,
                    "to_m": s.to_m,
                    "step_m": s.step_m,
                    "steps": s.steps,
                    "step_fare": s.step_fare_minor,
                }
                for s in e.surcharge
            ],
            "standalone": e.standalone_minor,
            "transfer_discount": e.transfer_discount_minor,
            "cap": e.cap_minor,
            "capped": e.capped,
            "kept": e.kept_minor,
            "rules": list(e.rules),
        },
    }
