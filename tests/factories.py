"""Fluent builders for fare tests: stated legs (`trip().bus(...).subway(...)`) and raw taps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shahr.errors import NetworkError
from shahr.fares.engine import Rating
from shahr.fares.load import Policy, load_policy
from shahr.fares.model import Tap, TapKind
from shahr.fares.policy import km_to_m
from shahr.fares.quote import QuoteLeg, quote
from shahr.network.model import Distance, RouteInfo

SEOUL = ZoneInfo("Asia/Seoul")
TEHRAN = ZoneInfo("Asia/Tehran")
DAY = date(2025, 9, 1)  # a Monday, inside every preset's validity


@dataclass
class TripBuilder:
    """Legs stated one after another: each boards `wait` minutes after the previous alighting."""

    clock: datetime
    legs: list[QuoteLeg] = field(default_factory=list)

    def ride(
        self, mode: str, km: float | str, *, minutes: int = 15, wait: int = 5, route: str | None = None
    ) -> TripBuilder:
        board = self.clock + timedelta(minutes=wait if self.legs else 0)
        alight = board + timedelta(minutes=minutes)
        distance = km_to_m(Decimal(str(km)))
        self.legs.append(QuoteLeg(mode, distance, board.time(), alight.time(), route))
        self.clock = alight
        return self

    def subway(self, km: float | str, **kw: int | str | None) -> TripBuilder:
        return self.ride("subway", km, **kw)  # type: ignore[arg-type]

    def bus(self, km: float | str, **kw: int | str | None) -> TripBuilder:
        return self.ride("trunk", km, **kw)  # type: ignore[arg-type]

    def quote(
        self, policy: str | Policy = "seoul-2025", *, rider: str = "adult", medium: str = "card"
    ) -> Rating:
        loaded = load_policy(policy) if isinstance(policy, str) else policy
        return quote(loaded, self.legs, rider=rider, medium=medium, day=self.clock.date())


def trip(at: str = "08:00", day: date = DAY) -> TripBuilder:
    """Start stating a journey at a local time, e.g. `trip("06:10").subway(12).quote()`."""
    return TripBuilder(datetime.combine(day, time.fromisoformat(at)))


def tap(
    kind: str,
    at: str,
    stop: str,
    route: str | None = None,
    *,
    day: date = DAY,
    tz: ZoneInfo = TEHRAN,
    trip_id: str | None = None,
    rider: str = "adult",
    medium: str = "card",
) -> Tap:
    """A raw tap at a local time, e.g. `tap("on", "08:00:00", "st_vakilabad")`."""
    moment = datetime.combine(day, time.fromisoformat(at), tzinfo=tz)
    return Tap(TapKind(kind), moment, stop, route, trip_id, medium, rider, tap_id=f"{kind}@{at}")


class LineNetwork:
    """A test network of straight lines with stops at stated kilometre posts.

    `LineNetwork(rail={"A": 0, "B": 4.5, "C": 12}, routes={"100": {"b1": 0, "b2": 3}})`: rail stations
    sit on one line (distance = difference of posts); each bus route is its own line in stop order."""

    def __init__(self, rail: dict[str, float], routes: dict[str, dict[str, float]]) -> None:
        self.rail = {stop: km_to_m(Decimal(str(post))) for stop, post in rail.items()}
        self.routes = {
            r: {s: km_to_m(Decimal(str(p))) for s, p in stops.items()} for r, stops in routes.items()
        }

    def has_stop(self, stop_id: str) -> bool:
        return stop_id in self.rail or any(stop_id in stops for stops in self.routes.values())

    def station_of(self, stop_id: str) -> str:
        return stop_id

    def find_route(self, route_id: str) -> RouteInfo | None:
        if route_id == "RAIL":
            return RouteInfo("RAIL", 1)
        return RouteInfo(route_id, 3) if route_id in self.routes else None

    def routes_at_stop(self, stop_id: str) -> tuple[RouteInfo, ...]:
        if stop_id in self.rail:
            return (RouteInfo("RAIL", 1),)
        return tuple(RouteInfo(r, 3) for r, stops in sorted(self.routes.items()) if stop_id in stops)

    def route_distance(
        self, from_stop: str, to_stop: str, *, route_id: str, trip_id: str | None = None
    ) -> Distance:
        stops = self.routes[route_id]
        if from_stop not in stops or to_stop not in stops or stops[to_stop] <= stops[from_stop]:
            raise NetworkError(f"{to_stop} does not follow {from_stop} on route {route_id}")
        return Distance(stops[to_stop] - stops[from_stop], "straight_lines", (from_stop, to_stop))

    def rail_distance(self, from_stop: str, to_stop: str) -> Distance:
        if from_stop not in self.rail or to_stop not in self.rail:
            raise NetworkError(f"no rail path {from_stop} -> {to_stop}")
        return Distance(abs(self.rail[to_stop] - self.rail[from_stop]), "rail_network", (from_stop, to_stop))

    def nearest_stop_on_route(
        self, route_id: str, trip_id: str | None, after_stop: str, near_stop: str
    ) -> str | None:
        stops = self.routes[route_id]
        later = [s for s, post in stops.items() if post > stops[after_stop]]
        return near_stop if near_stop in later else (later[-1] if later else None)
