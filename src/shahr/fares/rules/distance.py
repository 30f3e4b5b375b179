"""Distance surcharge: steps of a fixed length, counted per band past the base distance.

Bands are min-exclusive at the base distance and count a part-step as a whole step, so with Seoul's
10 km base and 5 km steps: 10.0 km is in the base (0 steps), 10.1 km is one step, 15.0 km one step,
15.1 km two steps; the 8 km band starts at 50 km, so 50.0 km is 8 steps and 50.1 km is 9.
Lengths are whole metres, so no rounding happens anywhere.
"""

from __future__ import annotations

from shahr.fares.model import SurchargeStep
from shahr.fares.policy import DistanceBand


def surcharge(
    total_m: int, base_distance_m: int, bands: tuple[DistanceBand, ...], category: str
) -> tuple[int, tuple[SurchargeStep, ...]]:
    """The surcharge for a journey's total distance, and the steps counted in each band."""
    steps: list[SurchargeStep] = []
    start = base_distance_m
    for band in bands:
        end = band.until_m
        if end is not None and end <= start:
            continue
        reach = total_m if end is None else min(total_m, end)
        covered = reach - start
        if covered <= 0:
            break
        step_m = band.step_m
        count = -(-covered // step_m)
        steps.append(SurchargeStep(start, reach, step_m, count, band.step_fare[category]))
        if end is None:
            break
        start = end
    return sum(s.steps * s.step_fare_minor for s in steps), tuple(steps)
