"""Stops, routes and per-direction patterns (stop sequence and shape) of the demo network.

Stop ids: metro parent stations ``st_<slug>``, metro platforms ``m<line>_<slug>``, road stops at
named places ``b_<code>``, road stops between two places ``b_<a>__<b>_<k>`` (codes in alphabetical
order, ``k`` counted from ``a``). Road stops serve both directions and every route along the same
pair of places, so routes meeting at a place or a metro station share a stop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from demo_feed.geo import (
    LatLon,
    cumulative_km,
    distance_km,
    interpolate,
    midpoint,
    polyline_through,
    rounded,
    slugify,
)
from demo_feed.places import METRO_AGENCY_ID, METRO_LINES, PLACES, ROAD_ROUTES, MetroLine, RoadRoute

ROUTE_TYPE = {"metro": 1, "brt": 3, "trunk": 3, "feeder": 3}
ROAD_COLOR = {"brt": "C62828", "trunk": "5E35B1", "feeder": "00838F"}
ROAD_STOP_SPACING_KM = 0.5
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

# Data flaw: the source gives Fajr (line 2) the same coordinates as Velayat. data/ keeps the source
# as it is; the feed puts Fajr midway between its neighbours Velayat and Nabovvat.
MISPLACED_STATIONS = {"fajr": ("velayat", "nabovvat")}

# Line 3's source rows give two stations position 2, so that line is ordered by geography: a
# nearest-neighbour chain from its southern terminus, Imam Reza Terminal (it gives Imam Reza
# Terminal, Bab Al-javad, Shohada, Sa'adi).
ORDER_BY_GEOGRAPHY_FROM = {3: "imam_reza_terminal"}


@dataclass(frozen=True, slots=True)
class Station:
    """One row of the stations CSV."""

    line: int
    position: int
    slug: str
    name_en: str
    name_fa: str
    point: LatLon


@dataclass(frozen=True, slots=True)
class Stop:
    """A stops.txt row; ``parent_station`` is "" when there is none."""

    stop_id: str
    name_fa: str
    name_en: str
    point: LatLon
    location_type: int = 0
    parent_station: str = ""


@dataclass(frozen=True, slots=True)
class Route:
    """A routes.txt row."""

    route_id: str
    agency_id: str
    mode: str
    long_name_fa: str
    long_name_en: str
    color: str

    @property
    def route_type(self) -> int:
        """GTFS route_type: 1 metro, 3 bus (BRT included)."""
        return ROUTE_TYPE[self.mode]

    @property
    def text_color(self) -> str:
        """Black on light route colours, white on dark ones (WCAG relative luminance)."""
        channels = [int(self.color[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        return "000000" if luminance > 0.179 else "FFFFFF"


@dataclass(frozen=True, slots=True)
class Pattern:
    """One direction of a route: its stops, its shape and the distance along the shape of each."""

    route: Route
    direction_id: int
    stops: tuple[Stop, ...]
    stop_dists_km: tuple[float, ...]
    shape: tuple[LatLon, ...]
    shape_dists_km: tuple[float, ...]

    @property
    def shape_id(self) -> str:
        """One shape per route and direction."""
        return f"{self.route.route_id}_{self.direction_id}"


@dataclass(frozen=True, slots=True)
class Network:
    """Everything the timetable and the tables need."""

    stops: tuple[Stop, ...]
    routes: tuple[Route, ...]
    patterns: tuple[Pattern, ...]


def build_network(stations_csv: Path) -> Network:
    """The metro from the stations CSV plus the BRT and bus routes of ``places``."""
    stations = load_stations(stations_csv)
    stops: dict[str, Stop] = {}
    routes: list[Route] = []
    patterns: list[Pattern] = []
    for line in METRO_LINES:
        route, line_stops = _metro_line(line, _line_stations(stations, line.line))
        routes.append(route)
        patterns.extend(_both_directions(route, line_stops))
        _register(stops, line_stops)
        _register(stops, [_parent(stop) for stop in line_stops])
    anchors = _anchor_stops(stations)
    for road_route in ROAD_ROUTES:
        route, road_stops = _road_route(road_route, anchors)
        routes.append(route)
        patterns.extend(_both_directions(route, road_stops))
        _register(stops, road_stops)
    by_id = tuple(sorted(stops.values(), key=lambda s: s.stop_id))
    return Network(by_id, tuple(routes), tuple(patterns))


def load_stations(path: Path) -> list[Station]:
    """The stations CSV as records, misplaced stations moved (see ``MISPLACED_STATIONS``)."""
    frame = pd.read_csv(path)
    stations = [
        Station(
            int(row["line"]),
            int(row["position"]),
            slugify(row["station"]),
            _display_name(row["station"]),
            row["name_fa"],
            rounded(row["lat"], row["lon"]),
        )
        for row in frame.to_dict("records")
    ]
    points = {station.slug: station.point for station in stations}
    for slug, (before, after) in MISPLACED_STATIONS.items():
        fixed = midpoint(points[before], points[after])
        stations = [replace(s, point=fixed) if s.slug == slug else s for s in stations]
    return stations


def _display_name(name: str) -> str:
    """Source names as they are, except all-lowercase ones ("shahid kaveh") get capitals."""
    return name.title() if name.islower() else name


def _line_stations(stations: Sequence[Station], line: int) -> list[Station]:
    """The stations of one line in running order (direction 0)."""
    on_line = sorted((s for s in stations if s.line == line), key=lambda s: (s.position, s.slug))
    start = ORDER_BY_GEOGRAPHY_FROM.get(line)
    return on_line if start is None else _nearest_neighbour_chain(on_line, start)


def _nearest_neighbour_chain(stations: Sequence[Station], start: str) -> list[Station]:
    """Start at ``start``, then repeatedly go to the nearest station not yet visited."""
    left = [s for s in stations if s.slug != start]
    chain = [next(s for s in stations if s.slug == start)]
    while left:
        nearest = min(left, key=lambda s: distance_km(chain[-1].point, s.point))
        chain.append(nearest)
        left.remove(nearest)
    return chain


def _metro_line(line: MetroLine, stations: Sequence[Station]) -> tuple[Route, list[Stop]]:
    """The metro route and its platforms (``m<line>_<slug>``) in running order."""
    platforms = [
        Stop(f"m{line.line}_{s.slug}", s.name_fa, s.name_en, s.point, parent_station=f"st_{s.slug}")
        for s in stations
    ]
    return _route(line.route_id, METRO_AGENCY_ID, "metro", line.color, platforms), platforms


def _parent(platform: Stop) -> Stop:
    """The parent station (``st_<slug>``, location_type 1) of a metro platform."""
    return Stop(platform.parent_station, platform.name_fa, platform.name_en, platform.point, 1)


def _anchor_stops(stations: Sequence[Station]) -> dict[str, Stop]:
    """Road stops ``b_<code>`` at every named place and metro station, by code."""
    anchors = {s.slug: Stop(f"b_{s.slug}", s.name_fa, s.name_en, s.point) for s in stations}
    for place in PLACES:
        point = rounded(place.lat, place.lon)
        anchors[place.code] = Stop(f"b_{place.code}", place.name_fa, place.name_en, point)
    return anchors


def _road_route(spec: RoadRoute, anchors: dict[str, Stop]) -> tuple[Route, list[Stop]]:
    """A BRT or bus route and its stops: the named places and the stops between them."""
    stops = [anchors[spec.waypoints[0]]]
    for first, second in zip(spec.waypoints, spec.waypoints[1:], strict=False):
        stops.extend(_stops_between(first, second, anchors))
        stops.append(anchors[second])
    return _route(spec.route_id, spec.agency_id, spec.mode, ROAD_COLOR[spec.mode], stops), stops


def _stops_between(first: str, second: str, anchors: dict[str, Stop]) -> list[Stop]:
    """Evenly spaced stops, about ``ROAD_STOP_SPACING_KM`` apart, from ``first`` to ``second``.

    They are made from the alphabetically first place, so every route on the pair, either way,
    gets the same stops.
    """
    low, high = sorted((first, second))
    a, b = anchors[low], anchors[high]
    intervals = max(1, round(distance_km(a.point, b.point) / ROAD_STOP_SPACING_KM))
    stops = [
        Stop(
            f"b_{low}__{high}_{k}",
            f"{a.name_fa} - {b.name_fa} ({str(k).translate(PERSIAN_DIGITS)})",
            f"{a.name_en} - {b.name_en} ({k})",
            point,
        )
        for k, point in enumerate(interpolate(a.point, b.point, intervals - 1), start=1)
    ]
    return stops if low == first else stops[::-1]


def _route(route_id: str, agency_id: str, mode: str, color: str, stops: Sequence[Stop]) -> Route:
    """A route named after its terminuses."""
    first, last = stops[0], stops[-1]
    return Route(
        route_id,
        agency_id,
        mode,
        f"{first.name_fa} - {last.name_fa}",
        f"{first.name_en} - {last.name_en}",
        color,
    )


def _both_directions(route: Route, stops: Sequence[Stop]) -> list[Pattern]:
    """Direction 0 runs through ``stops`` in order, direction 1 back."""
    return [_pattern(route, 0, stops), _pattern(route, 1, stops[::-1])]


def _pattern(route: Route, direction_id: int, stops: Sequence[Stop]) -> Pattern:
    """A pattern whose shape passes exactly through its stops."""
    shape, stop_vertices = polyline_through([stop.point for stop in stops])
    dists = cumulative_km(shape)
    return Pattern(
        route,
        direction_id,
        tuple(stops),
        tuple(dists[i] for i in stop_vertices),
        tuple(shape),
        tuple(dists),
    )


def _register(stops: dict[str, Stop], new: Iterable[Stop]) -> None:
    """Add stops by id; a stop met again (shared station or road stop) must be the same stop."""
    for stop in new:
        known = stops.setdefault(stop.stop_id, stop)
        if known != stop:
            raise ValueError(f"stop {stop.stop_id} defined twice differently: {known} / {stop}")
