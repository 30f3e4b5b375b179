"""The price of a journey, composed visibly from the rule modules:

    fare = min(highest base fare of its legs + surcharge(total distance), cap)

- base fares (`rules.base`): per mode, medium and rider category, with time-of-day rules; the first
  boarding alone gets first-boarding rules (early bird);
- surcharge (`rules.distance`): on the total distance past the largest base distance of the modes used,
  charged when the journey has a transfer or its one mode charges distance when ridden alone;
- cap (`integration.cap = "sum_of_legs"`): never more than the legs' own fares charged alone;
- a free ride (`rules.base.is_free`) is a journey of its own at no charge.
"""

from __future__ import annotations

from shahr.fares.load import Policy
from shahr.fares.model import Explanation, Leg
from shahr.fares.policy import Tariff
from shahr.fares.rules.base import base_fare
from shahr.fares.rules.distance import surcharge


def price_journey(
    policy: Policy, tariff: Tariff, legs: tuple[Leg, ...], *, already_charged: int = 0
) -> tuple[int, Explanation]:
    """The fare of a journey (or of the part of it ridden so far) and its explanation.

    `already_charged` is what earlier taps collected: a fare is never lowered below it, so a
    validator never has to refund (this only matters when a later leg raises the base distance)."""
    first = legs[0]
    category, medium = first.board.rider_category, first.board.medium
    rules: list[str] = []
    if first.free:
        explanation = _free_explanation(policy, tariff, first)
        return 0, explanation
    bases = [
        base_fare(tariff, leg.mode, medium, category, policy.local_time(leg.board.time), first=i == 0)
        for i, leg in enumerate(legs)
    ]
    top = max(range(len(legs)), key=lambda i: (bases[i][0], -i))
    base_minor, time_rules = bases[top]
    total_m = sum(leg.distance.metres for leg in legs)
    base_distance_m = max(tariff.modes[leg.mode].base_distance_m for leg in legs)
    charged = len(legs) > 1 or tariff.modes[first.mode].charges_distance_alone
    extra, steps = (
        surcharge(total_m, base_distance_m, tariff.distance_bands, category) if charged else (0, ())
    )
    standalone = sum(standalone_fare(policy, tariff, leg) for leg in legs)
    cap = standalone if tariff.integration.cap == "sum_of_legs" else None
    raw = base_minor + extra
    capped = cap is not None and raw > cap
    fare = min(raw, cap) if capped and cap is not None else raw
    kept = max(already_charged - fare, 0)
    if len(legs) > 1:
        rules.append("transfer")
    rules += list(dict.fromkeys(time_rules))
    if extra:
        rules.append("distance")
    if capped:
        rules.append("cap")
    rules += [
        f"missing_tap_off:{leg.exit_status.value}"
        for leg in legs
        if leg.alight is None and leg.exit_status.value != "not_expected"
    ]
    explanation = Explanation(
        policy_id=policy.id,
        version_from=tariff.effective_from,
        rider_category=category,
        medium=medium,
        base_mode=legs[top].mode,
        base_fare_minor=base_minor,
        time_rules=tuple(dict.fromkeys(time_rules)),
        total_distance_m=total_m,
        base_distance_m=base_distance_m,
        distance_charged=charged,
        surcharge=steps,
        surcharge_minor=extra,
        standalone_minor=standalone,
        cap_minor=cap,
        capped=capped,
        kept_minor=kept,
        rules=tuple(rules),
    )
    return fare + kept, explanation


def standalone_fare(policy: Policy, tariff: Tariff, leg: Leg) -> int:
    """What one leg costs as a journey of its own: its base fare (as a first boarding) plus its own
    surcharge where its mode charges distance when ridden alone."""
    if leg.free:
        return 0
    mode = tariff.modes[leg.mode]
    category, medium = leg.board.rider_category, leg.board.medium
    amount, _ = base_fare(tariff, leg.mode, medium, category, policy.local_time(leg.board.time), first=True)
    if mode.charges_distance_alone:
        extra, _ = surcharge(leg.distance.metres, mode.base_distance_m, tariff.distance_bands, category)
        amount += extra
    return amount


def _free_explanation(policy: Policy, tariff: Tariff, leg: Leg) -> Explanation:
    return Explanation(
        policy_id=policy.id,
        version_from=tariff.effective_from,
        rider_category=leg.board.rider_category,
        medium=leg.board.medium,
        base_mode=leg.mode,
        base_fare_minor=0,
        time_rules=(),
        total_distance_m=leg.distance.metres,
        base_distance_m=tariff.modes[leg.mode].base_distance_m,
        distance_charged=False,
        surcharge=(),
        surcharge_minor=0,
        standalone_minor=0,
        cap_minor=None,
        capped=False,
        kept_minor=0,
        rules=("free_ride",),
    )
