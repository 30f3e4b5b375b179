"""Calibration: the amounts of a distance policy (base fare, step fare, step length, base distance) that
meet a revenue target, searched with scipy's differential evolution over whole units (fares in steps of
`fare_unit`, lengths in whole kilometres).

- `fairest`: revenue within `tolerance` of the reference policy's on the same trips, with the smallest
  largest rise of any trip's fare;
- `ridership`: the most trips after the ridership response, with revenue after the response at least
  `floor` times the reference's.

A candidate is the template policy's own TOML with its amounts rescaled (`variant_text`), parsed by the
policy loader and priced by the compiled rules, so the file written at the end is exactly what was
evaluated. Every mode's base fares scale with the base fare's ratio, every band's step fares with the
step fare's, every band's step length with the step length's (whole kilometres); the base distance is
set on every mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from multiprocessing import get_context
from typing import Any

import numpy as np
import numpy.typing as npt
import tomlkit
from scipy.optimize import differential_evolution

from shahr.errors import ShahrError
from shahr.fares.load import Policy, parse_policy
from shahr.lab.reprice import Prepared, price


class CalibrationError(ShahrError):
    """A calibration that cannot run or found no amounts meeting its target."""


class Target(StrEnum):
    FAIREST = "fairest"
    RIDERSHIP = "ridership"


@dataclass(frozen=True)
class Params:
    """One candidate: base fare and step fare in minor units, lengths in kilometres."""

    base_fare: int
    step_fare: int
    step_km: int
    base_km: int


@dataclass(frozen=True)
class Bounds:
    base_fare: tuple[int, int]
    step_fare: tuple[int, int]
    step_km: tuple[int, int]
    base_km: tuple[int, int]


@dataclass(frozen=True)
class Outcome:
    params: Params
    revenue: int
    largest_increase: int
    trips_after: float
    revenue_after: int


@dataclass(frozen=True)
class Calibration:
    target: Target
    reference_revenue: int
    outcome: Outcome
    policy_text: str
    evaluations: int


@dataclass(frozen=True)
class Template:
    """The policy calibrated: its TOML, the mode whose adult base fare is the `base_fare` parameter, and
    the amounts the parameters scale from."""

    text: str
    base_mode: str
    medium: str
    base_fare: int
    step_fare: int
    step_km: Decimal

    @classmethod
    def of(cls, text: str, policy: Policy, base_mode: str | None) -> Template:
        if len(policy.versions) > 1:
            raise CalibrationError(f"{policy.source}: calibrate a policy without revisions")
        tariff = policy.versions[0]
        if not tariff.distance_bands:
            raise CalibrationError(f"{policy.source}: has no distance_bands to calibrate")
        mode = base_mode or ("bus" if "bus" in tariff.modes else sorted(tariff.modes)[0])
        if mode not in tariff.modes:
            raise CalibrationError(f"{policy.source}: no mode {mode!r}; modes are {', '.join(tariff.modes)}")
        category = "adult" if "adult" in tariff.rider_categories else tariff.rider_categories[0]
        fares = tariff.modes[mode].base_fare
        medium = next(iter(fares))
        band = tariff.distance_bands[0]
        if not fares[medium].get(category) or not band.step_fare.get(category):
            raise CalibrationError(f"{policy.source}: {mode} has no {category} base and step fare to scale")
        return cls(text, mode, medium, fares[medium][category], band.step_fare[category], band.step_km)

    def defaults(self) -> Bounds:
        """Half to twice today's amounts; 1 to 10 km steps; 5 to 15 km base distance."""
        return Bounds(
            base_fare=(self.base_fare // 2, self.base_fare * 2),
            step_fare=(0, self.step_fare * 2),
            step_km=(1, 10),
            base_km=(5, 15),
        )


def variant_text(template: Template, params: Params, fare_unit: int, policy_id: str) -> str:
    """The template's TOML (comments kept) with its amounts set from `params`."""
    doc = tomlkit.parse(template.text)
    base_ratio = Fraction(params.base_fare, template.base_fare)
    step_ratio = Fraction(params.step_fare, template.step_fare)
    length_ratio = Fraction(params.step_km) / Fraction(template.step_km)
    doc["id"] = policy_id
    for mode in doc["modes"].values():
        for amounts in mode["base_fare"].values():
            for category, amount in amounts.items():
                amounts[category] = _round(amount * base_ratio, fare_unit)
        mode["base_distance_km"] = params.base_km
    for band in doc["distance_bands"]:
        band["step_fare"] = {c: _round(a * step_ratio, fare_unit) for c, a in band["step_fare"].items()}
        band["step_km"] = max(_round(Fraction(str(band["step_km"])) * length_ratio, 1), 1)
    return tomlkit.dumps(doc)


@dataclass(frozen=True)
class Candidates:
    """Prices one candidate's amounts: what each worker process holds (sent once, when it starts)."""

    template: Template
    prepared: Prepared
    reference_fare: npt.NDArray[np.int64]
    response: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.float64]]
    fare_unit: int
    policy_id: str

    def __call__(self, params: Params) -> tuple[Outcome, str]:
        text = variant_text(self.template, params, self.fare_unit, self.policy_id)
        priced = price(self.prepared, parse_policy(text, source=f"calibration of {self.template.base_mode}"))
        factor = self.response(priced.fare)
        outcome = Outcome(
            params=params,
            revenue=priced.revenue,
            largest_increase=int(np.max(priced.fare - self.reference_fare, initial=0)),
            trips_after=float(factor.sum()),
            revenue_after=round(float((factor * priced.fare).sum())),
        )
        return outcome, text


def calibrate(
    candidates: Candidates,
    reference_revenue: int,
    *,
    target: Target,
    bounds: Bounds,
    tolerance: float = 0.005,
    floor: float = 1.0,
    seed: int = 0,
    generations: int = 25,
    workers: int = 1,
    on_generation: Callable[[int], None] = lambda _: None,
) -> Calibration:
    """Search the bounds; raises CalibrationError when no amounts meet the revenue target.

    Each generation's new candidates are priced together, on `workers` processes when more than one;
    the population is updated once per generation, so the result does not depend on `workers`."""
    if reference_revenue <= 0:
        raise CalibrationError("the reference policy collects no revenue on this demand")
    fare_unit = candidates.fare_unit
    cache: dict[Params, tuple[Outcome, str]] = {}

    def miss(o: Outcome) -> float:
        """How far the candidate is from the revenue target, as a share of the reference (0: met)."""
        if target is Target.FAIREST:
            return max(abs(o.revenue / reference_revenue - 1) - tolerance, 0.0)
        return max(floor - o.revenue_after / reference_revenue, 0.0)

    def cost(o: Outcome) -> float:
        score = o.largest_increase if target is Target.FAIREST else -o.trips_after
        gap = abs(o.revenue / reference_revenue - 1)  # a tie-breaker well under one rial or one trip
        return float(score + gap + miss(o) * 1e12)

    def generation_costs(pricer: Pricer, xs: Iterable[npt.NDArray[np.float64]]) -> list[float]:
        wanted = [_params(x, fare_unit) for x in xs]
        new = list(dict.fromkeys(p for p in wanted if p not in cache))
        cache.update(zip(new, pricer(new), strict=True))
        return [cost(cache[p][0]) for p in wanted]

    generation = iter(range(1, generations + 2))
    with _pricer(workers, candidates) as pricer:
        result = differential_evolution(
            lambda x: generation_costs(pricer, [x])[0],
            bounds=[_units(bounds.base_fare, fare_unit), _units(bounds.step_fare, fare_unit), bounds.step_km,
                    bounds.base_km],
            integrality=[True, True, True, True],
            seed=seed,
            maxiter=generations,
            popsize=6,
            tol=0,
            polish=False,
            updating="deferred",
            workers=lambda _cost, xs: generation_costs(pricer, xs),
            callback=lambda *_a, **_k: on_generation(next(generation)),
        )  # fmt: skip
    best_params = _params(result.x, fare_unit)
    best, text = cache.get(best_params) or candidates(best_params)
    if miss(best) > 0:
        raise CalibrationError(
            f"no amounts within the bounds meet the revenue target (best: revenue {best.revenue:,} against "
            f"{reference_revenue:,}); widen the bounds"
        )
    return Calibration(target, reference_revenue, best, text, len(cache))


Pricer = Callable[[list[Params]], list[tuple[Outcome, str]]]


@contextmanager
def _pricer(workers: int, candidates: Candidates) -> Iterator[Pricer]:
    """Prices a generation's candidates in this process, or on worker processes (spawned: the parent's
    thread pools do not survive a fork) that hold the candidates' data from their start."""
    if workers <= 1:
        yield lambda params: [candidates(p) for p in params]
        return
    with get_context("spawn").Pool(workers, initializer=_hold, initargs=(candidates,)) as pool:
        yield lambda params: pool.map(_price_held, params)


_held: list[Candidates] = []
"""A worker process's candidates, set once when it starts."""


def _hold(candidates: Candidates) -> None:
    _held.append(candidates)


def _price_held(params: Params) -> tuple[Outcome, str]:
    return _held[0](params)


def _params(x: npt.NDArray[np.float64], fare_unit: int) -> Params:
    base, step, step_km, base_km = (int(round(v)) for v in x)
    return Params(base * fare_unit, step * fare_unit, step_km, base_km)


def _units(bounds: tuple[int, int], fare_unit: int) -> tuple[int, int]:
    low, high = bounds
    return -(-low // fare_unit), max(high // fare_unit, -(-low // fare_unit))


def _round(amount: Fraction | Any, unit: int) -> int:
    """An amount rounded half up to the fare unit."""
    value = Fraction(amount) / unit
    return int((value + Fraction(1, 2)).__floor__()) * unit
