"""Quoting without a network, for planners and tests: legs stated as mode, distance and times.

Each stated leg becomes a tap-on and a tap-off at stops of its own, and a small in-memory network
answers the engine's distance questions with the stated distances, so a quote goes through exactly the
engine path that real taps take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from shahr.errors import NetworkError, ShahrError
from shahr.fares.engine import FareEngine, Rating
from shahr.fares.load import Policy
from shahr.fares.model import Tap, TapKind
from shahr.fares.policy import km_to_m
from shahr.network.model import Distance, RouteInfo


class QuoteError(ShahrError):
    """A stated leg cannot be read: names the leg and the bad part."""


@dataclass(frozen=True, slots=True)
class QuoteLeg:
    """A leg as a planner states it: mode id, distance in metres, boarding and alighting local time."""

    mode: str
    distance_m: int
    board: time
    alight: time
    route_id: str | None = None


_LEG = re.compile(
    r"^(?P<mode>[^,]+),(?P<km>[^,]+),(?P<on>\d{1,2}:\d{2}),(?P<off>\d{1,2}:\d{2})(?:,(?P<route>[^,]+))?$"
)


def parse_leg(text: str, position: int = 1) -> QuoteLeg:
    """`MODE,KM,HH:MM,HH:MM[,ROUTE]`, e.g. `trunk,4.5,07:00,07:20,100`."""
    match = _LEG.match(text.strip())
    if match is None:
        raise QuoteError(f"--leg {position} {text!r}: expected MODE,KM,HH:MM,HH:MM[,ROUTE]")
    try:
        km = Decimal(match["km"])
    except InvalidOperation as exc:
        raise QuoteError(f"--leg {position} {text!r}: distance {match['km']!r} is not a number") from exc
    if not km.is_finite() or km < 0:
        raise QuoteError(f"--leg {position} {text!r}: distance must be 0 km or more")
    try:
        on, off = (time.fromisoformat(match[k].zfill(5)) for k in ("on", "off"))
    except ValueError as exc:
        raise QuoteError(f"--leg {position} {text!r}: {exc}") from exc
    return QuoteLeg(match["mode"].strip(), km_to_m(km), on, off, match["route"])


class QuoteNetwork:
    """Answers the engine's questions for stated legs: every leg has two stops and its own distance."""

    def __init__(self, distances_m: dict[str, int], routes: set[str]) -> None:
        self._distances = distances_m
        self._routes = routes

    def has_stop(self, stop_id: str) -> bool:
        return stop_id.removesuffix(":on").removesuffix(":off") in self._distances

    def station_of(self, stop_id: str) -> str:
        return stop_id

    def find_route(self, route_id: str) -> RouteInfo | None:
        return RouteInfo(route_id, 3) if route_id in self._routes else None

    def routes_at_stop(self, stop_id: str) -> tuple[RouteInfo, ...]:
        return ()

    def route_distance(
        self, from_stop: str, to_stop: str, *, route_id: str, trip_id: str | None = None
    ) -> Distance:
        return self._stated(from_stop, to_stop)

    def rail_distance(self, from_stop: str, to_stop: str) -> Distance:
        return self._stated(from_stop, to_stop)

    def nearest_stop_on_route(
        self, route_id: str, trip_id: str | None, after_stop: str, near_stop: str
    ) -> str | None:
        return after_stop.removesuffix(":on") + ":off"

    def _stated(self, from_stop: str, to_stop: str) -> Distance:
        leg = from_stop.removesuffix(":on")
        if to_stop != f"{leg}:off":
            raise NetworkError(f"stated leg {leg} ends at {leg}:off, not {to_stop}")
        return Distance(self._distances[leg], "given", (from_stop, to_stop))


def quote(policy: Policy, legs: list[QuoteLeg], *, rider: str, medium: str, day: date) -> Rating:
    """The fare of stated legs on a day; a time earlier than the one before it is taken as after midnight."""
    tz = policy.tz
    modes = policy.version_for(day).modes
    for i, leg in enumerate(legs, start=1):
        if leg.mode not in modes:
            raise QuoteError(
                f"--leg {i}: unknown mode {leg.mode!r}; {policy.id} has {', '.join(sorted(modes))}"
            )
    taps: list[Tap] = []
    distances: dict[str, int] = {}
    routes: set[str] = set()
    previous: datetime | None = None
    for i, leg in enumerate(legs, start=1):
        key = f"q{i}"
        route = leg.route_id or key
        distances[key] = leg.distance_m
        routes.add(route)
        moments = []
        for clock in (leg.board, leg.alight):
            moment = datetime.combine(day, clock, tzinfo=tz)
            while previous is not None and moment < previous:
                moment += timedelta(days=1)
            moments.append(moment)
            previous = moment
        common = {"route_id": route, "medium": medium, "rider_category": rider, "mode": leg.mode}
        taps.append(Tap(TapKind.ON, moments[0], f"{key}:on", tap_id=f"{key}:on", **common))
        taps.append(Tap(TapKind.OFF, moments[1], f"{key}:off", tap_id=f"{key}:off", **common))
    return FareEngine(policy, QuoteNetwork(distances, routes)).rate(taps)
