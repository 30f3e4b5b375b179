"""The fare policy model: everything a tariff says, as validated data (pydantic).

A policy file (TOML) holds one tariff that applies from `effective_from`, plus optional `revisions`:
partial tariffs, each deep-merged over the one before it, that apply from their own date. The engine
picks the version in force on a journey's service date. Amounts are integer minor units of
`currency`; distances are kilometres in the file and metres inside the engine.
"""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shahr.network.model import RouteInfo

Minor = Annotated[int, Field(ge=0)]
"""An amount of money in integer minor units (rials, won): never a float."""

CategoryAmounts = dict[str, Minor]
"""Rider category -> amount."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def km_to_m(km: Decimal) -> int:
    """Kilometres from a policy file to whole metres (0.1 km -> 100 m exactly: no float on the way)."""
    return int((km * 1000).to_integral_value())


class MissingTapOff(_Model):
    """What a leg with no tap-off costs, per mode.

    - `none`: the mode does not expect a tap-off (flat fares); the leg rides at base fare, no anomaly,
      and a transfer window is counted from its tap-on.
    - `void_transfer`: Seoul's bus rule: the journey is closed as it stood and the next boarding pays a
      full base fare.
    - `max_fare`: the leg is charged as if ridden `max_distance_km` (the longest ride), then the journey
      is closed.
    - `infer_exit`: the exit is taken as the stop of that route nearest the next tap-on; with no next
      tap-on the leg is charged like `void_transfer`.
    """

    rule: Literal["none", "void_transfer", "max_fare", "infer_exit"]
    max_distance_km: Decimal | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _max_needs_distance(self) -> MissingTapOff:
        if self.rule == "max_fare" and self.max_distance_km is None:
            raise ValueError("rule 'max_fare' needs max_distance_km")
        return self


class Mode(_Model):
    """A fare mode: its base fares per medium and rider category, and how its distance is measured."""

    name: str
    distance: Literal["route", "network"] = "route"
    """`route`: ridden along the route; `network`: shortest path over the rail network (metro)."""
    base_distance_km: Decimal = Field(default=Decimal(10), ge=0)
    charges_distance_alone: bool = False
    """Whether a journey of this mode alone pays the distance surcharge (Seoul: subway yes, city bus no)."""
    route_scope: Literal["route", "mode"] = "route"
    """What 're-boarding the same route' compares: the route id, or the whole mode (metro gates)."""
    base_fare: dict[str, CategoryAmounts]
    """Medium -> rider category -> base fare."""
    missing_tap_off: MissingTapOff = MissingTapOff(rule="void_transfer")

    @cached_property
    def base_distance_m(self) -> int:
        return km_to_m(self.base_distance_km)


class DistanceBand(_Model):
    """One band of the distance surcharge: `step_fare` for every `step_km` or part of it, from where the
    previous band (or the base distance) ends up to `until_km` (open-ended when omitted)."""

    until_km: Decimal | None = Field(default=None, gt=0)
    step_km: Decimal = Field(gt=0)
    step_fare: CategoryAmounts

    @cached_property
    def until_m(self) -> int | None:
        return km_to_m(self.until_km) if self.until_km is not None else None

    @cached_property
    def step_m(self) -> int:
        return km_to_m(self.step_km)


class TransferWindow(_Model):
    """From `start` (inclusive) to `end` (exclusive), local time of the next boarding; may wrap midnight."""

    start: time
    end: time
    minutes: int = Field(ge=0)


class Integration(_Model):
    """How legs chain into one journey and what a journey pays."""

    max_transfers: int = Field(ge=0)
    windows: tuple[TransferWindow, ...] = ()
    media: tuple[str, ...] = ()
    """Fare media that get transfers (Seoul: card only; cash starts a new journey at every boarding)."""
    same_route_new_journey: bool = True
    reentry_same_station_minutes: int | None = Field(default=None, ge=0)
    """Re-entering the same rail station this many minutes after exiting is a transfer (once a journey)."""
    cap: Literal["none", "sum_of_legs"] = "sum_of_legs"
    """`sum_of_legs`: a journey never costs more than its legs' own fares, each charged alone."""

    @model_validator(mode="after")
    def _windows_cover_the_day(self) -> Integration:
        if self.max_transfers > 0 and not self.windows:
            raise ValueError("transfers are allowed (max_transfers > 0) but no transfer window is set")
        return self


class TimeRule(_Model):
    """A discount (negative percent) or surcharge (positive) on base fares boarded in a time band."""

    id: str
    description: str = ""
    start: time
    end: time
    percent: int = Field(ge=-100, le=1000)
    applies_to: Literal["first_boarding", "every_boarding"] = "first_boarding"
    media: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    """Empty means every mode."""


class FreeRide(_Model):
    """Rider categories that ride these modes free (Seoul: seniors on the subway)."""

    categories: tuple[str, ...]
    modes: tuple[str, ...]


class ModeMatch(_Model):
    """A route matches when every given field matches; the first matching rule gives the mode."""

    mode: str
    route_type: int | None = None
    route_id_pattern: str | None = None
    agency_id: str | None = None
    network_id: str | None = None

    @model_validator(mode="after")
    def _pattern_compiles(self) -> ModeMatch:
        if self.route_id_pattern is not None:
            try:
                re.compile(self.route_id_pattern)
            except re.error as exc:
                raise ValueError(f"route_id_pattern is not a regular expression: {exc}") from exc
        return self

    def matches(self, route: RouteInfo) -> bool:
        return (
            (self.route_type is None or self.route_type == route.route_type)
            and (
                self.route_id_pattern is None
                or re.fullmatch(self.route_id_pattern, route.route_id) is not None
            )
            and (self.agency_id is None or self.agency_id == route.agency_id)
            and (self.network_id is None or self.network_id == route.network_id)
        )


class ModeMapping(_Model):
    """Which mode a GTFS route rides at: explicit rules first, then by route_type, then the default,
    so that any city's feed can be priced with any policy."""

    rules: tuple[ModeMatch, ...] = ()
    route_types: dict[str, str] = {}
    """GTFS route_type (basic, as a string key) -> mode; extended types fall back to their basic type."""
    default: str


class Anomalies(_Model):
    """Charges for taps that do not make a well-formed leg."""

    tap_off_without_tap_on: Literal["free", "base_fare"] = "free"
    unknown_stop: Literal["reject", "flat"] = "reject"
    """`reject`: the tap is refused and kept for replay; `flat`: rated at base fare with no distance."""
    duplicate_tap_seconds: int = Field(default=0, ge=0)
    """The same tap (kind, stop, route) again within this many seconds is ignored."""


class Caps(_Model):
    """Fare caps: the most a card pays in a service day, and in a month, per rider category (a category
    not listed has no cap). Months are the policy's calendar's: Mashhad's run by the Jalali calendar."""

    daily: CategoryAmounts = {}
    monthly: CategoryAmounts = {}
    month_calendar: Literal["jalali", "gregorian"] = "jalali"


class PassProduct(_Model):
    """An unlimited-ride pass for `days` consecutive service days, every mode included.

    `prepaid`: bought from stored value up front; the card pays nothing for journeys in its days (Seoul's
    Climate Card). `postpaid`: the card pays fares as it rides, and never more than `price` over the
    pass's days: the pass price works as a cap, so a light rider pays less than the pass.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    days: int = Field(ge=1, le=30)
    payment: Literal["prepaid", "postpaid"]
    price: CategoryAmounts
    """Rider category -> price; only the categories listed can hold the pass."""


class Tariff(_Model):
    """One version of a policy: what applies from `effective_from`."""

    effective_from: date
    description: str = ""
    rider_categories: tuple[str, ...]
    media: tuple[str, ...]
    modes: dict[str, Mode]
    distance_bands: tuple[DistanceBand, ...] = ()
    integration: Integration
    time_rules: tuple[TimeRule, ...] = ()
    free_rides: tuple[FreeRide, ...] = ()
    mode_mapping: ModeMapping
    anomalies: Anomalies = Anomalies()
    caps: Caps = Caps()
    passes: tuple[PassProduct, ...] = ()
    apportionment: Literal["standalone_base", "distance"] = "standalone_base"
    """How clearing splits a journey's fare between its legs' operators: in proportion to each leg's own
    base fare (as a first boarding), or to the distance ridden on it (passenger-km)."""

    @model_validator(mode="after")
    def _references_exist(self) -> Tariff:
        problems: list[str] = []
        cats, media, modes = set(self.rider_categories), set(self.media), set(self.modes)
        for mode_id, mode in self.modes.items():
            for medium in self.media:
                fares = mode.base_fare.get(medium)
                if fares is None:
                    problems.append(f"modes.{mode_id}.base_fare.{medium}: missing")
                    continue
                problems += [f"modes.{mode_id}.base_fare.{medium}.{c}: missing" for c in cats - set(fares)]
            problems += [
                f"modes.{mode_id}.base_fare.{m}: unknown medium" for m in set(mode.base_fare) - media
            ]
        for i, band in enumerate(self.distance_bands):
            problems += [f"distance_bands.{i}.step_fare.{c}: missing" for c in cats - set(band.step_fare)]
        ends = [b.until_km for b in self.distance_bands]
        if None in ends[:-1]:
            problems.append("distance_bands: only the last band may be open-ended (no until_km)")
        problems += [f"integration.media: unknown medium {m!r}" for m in set(self.integration.media) - media]
        for rule in self.time_rules:
            problems += [f"time_rules.{rule.id}.modes: unknown mode {m!r}" for m in set(rule.modes) - modes]
            problems += [
                f"time_rules.{rule.id}.categories: unknown {c!r}" for c in set(rule.categories) - cats
            ]
            problems += [f"time_rules.{rule.id}.media: unknown medium {m!r}" for m in set(rule.media) - media]
        for i, free in enumerate(self.free_rides):
            problems += [f"free_rides.{i}.modes: unknown mode {m!r}" for m in set(free.modes) - modes]
            problems += [f"free_rides.{i}.categories: unknown {c!r}" for c in set(free.categories) - cats]
        for name in ("daily", "monthly"):
            amounts = getattr(self.caps, name)
            problems += [f"caps.{name}.{c}: unknown rider category" for c in sorted(set(amounts) - cats)]
        for product in self.passes:
            problems += [
                f"passes.{product.id}.price.{c}: unknown rider category"
                for c in sorted(set(product.price) - cats)
            ]
        pass_ids = [product.id for product in self.passes]
        problems += [
            f"passes: id {i!r} used twice" for i in sorted({i for i in pass_ids if pass_ids.count(i) > 1})
        ]
        mapped = [self.mode_mapping.default, *self.mode_mapping.route_types.values()]
        mapped += [rule.mode for rule in self.mode_mapping.rules]
        problems += [f"mode_mapping: unknown mode {m!r}" for m in sorted(set(mapped) - modes)]
        if problems:
            raise ValueError("; ".join(problems))
        return self


class PolicyFile(_Model):
    """A policy as written in its file: a tariff and its later revisions."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    timezone: str
    service_day_start: time = time(4, 0)
    """A service day runs from this local time to the same time the next day (taps at 01:00 belong to
    the previous day)."""
    notes: str = ""
