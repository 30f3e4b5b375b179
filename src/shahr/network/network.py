"""`Network`: a GTFS feed as the fare engine asks about it (`shahr.fares.network.FareNetwork`).

Built once, asked tens of millions of times while settling: every answer is a lookup into tables made
at build time, or into caches filled on first use (distances per trip pattern, Dijkstra per station,
and the last 65,536 answers of each kind).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from gtfs_kit import Feed

from shahr.errors import NetworkError, UnknownStopError
from shahr.network.distances import AlongTrip, whole_metres
from shahr.network.feed import load_feed
from shahr.network.geo import FloatArray, haversine_m
from shahr.network.model import AlongRouteMethod, Distance, RouteInfo, is_rail_route_type
from shahr.network.patterns import TripPattern, TripPatterns
from shahr.network.rail import RailGraph
from shahr.network.shapes import shape_lines
from shahr.network.stops import StopIndex

_CACHE_SIZE = 1 << 16  # answers kept per kind of question: about 25 MB at most; a miss costs ~5 µs


def load_network(path: str | Path, *, dist_units: str | None = None) -> Network:
    """Load a GTFS feed (zip or folder) and build its network; FeedError if the feed is broken."""
    return Network.from_feed(load_feed(path, dist_units=dist_units))


class Network:
    """Stops, routes, distances along trips and over the rail network of one feed."""

    def __init__(
        self,
        stops: StopIndex,
        routes: dict[str, RouteInfo],
        patterns: TripPatterns,
        along: AlongTrip,
        rail: RailGraph,
    ) -> None:
        self._stops = stops
        self._routes = routes
        self._patterns = patterns
        self._along = along
        self._rail = rail
        self._at_station = _routes_by_station(patterns, stops, routes)
        self._route_distance = lru_cache(maxsize=_CACHE_SIZE)(self._measure_route)
        self._rail_distance = lru_cache(maxsize=_CACHE_SIZE)(self._measure_rail)

    @classmethod
    def from_feed(cls, feed: Feed) -> Network:
        """The network of a feed from `load_feed` (checked, with its shape_dist_traveled unit known)."""
        stops = StopIndex(feed.stops)
        routes = _route_infos(feed.routes, feed.agency)
        patterns = TripPatterns.from_feed(feed.stop_times, feed.trips, feed.dist_units, stops)
        along = AlongTrip(stops, shape_lines(feed.shapes))
        rail_patterns = [p for p in patterns.patterns if is_rail_route_type(routes[p.route_id].route_type)]
        rail = RailGraph.build(rail_patterns, stops, along, feed.transfers)
        return cls(stops, routes, patterns, along, rail)

    def has_stop(self, stop_id: str) -> bool:
        """Whether stops.txt has this stop or station."""
        return stop_id in self._stops

    def station_of(self, stop_id: str) -> str:
        """The stop's parent station, or the stop itself (also for an unknown stop)."""
        return self._stops.station_of(stop_id)

    @property
    def stop_ids(self) -> list[str]:
        """Every stop, station and entrance of the feed, in stops.txt order."""
        return list(self._stops.index)

    def stop_locations(self, stop_ids: Sequence[str]) -> tuple[FloatArray, FloatArray]:
        """Latitudes and longitudes of stops (NaN for an unknown stop): where riders board, on a map."""
        lat, lon = self._stops.coordinates(list(stop_ids))
        unknown = np.array([s not in self._stops for s in stop_ids], np.bool_)
        return np.where(unknown, np.nan, lat), np.where(unknown, np.nan, lon)

    def find_route(self, route_id: str) -> RouteInfo | None:
        return self._routes.get(route_id)

    def representative_trip(self, trip_id: str) -> str:
        """The first trip of the trip's pattern: every trip of a pattern rides the same distances, so
        settlement asks about one trip per pattern. An unknown trip is returned as it is."""
        pattern = self._patterns.by_trip.get(trip_id)
        return pattern.trip_ids[0] if pattern is not None else trip_id

    def routes_at_stop(self, stop_id: str) -> tuple[RouteInfo, ...]:
        """Routes with a trip stopping at the stop or at any stop of its station, by route_id."""
        return self._at_station.get(self._stops.station_of(stop_id), ())

    def route_distance(
        self,
        from_stop: str,
        to_stop: str,
        *,
        route_id: str,
        trip_id: str | None = None,
        method: AlongRouteMethod | None = None,
    ) -> Distance:
        """Distance ridden from boarding to alighting stop along the trip, or along the route's trip
        pattern giving the shortest such ride. Stations stand for their stop on the trip.

        `method` forces one way of measuring (see `distances`); by default the first the trip allows.
        Raises UnknownStopError, or NetworkError when the route or trip is unknown, the trip does not
        serve a stop, the alighting stop does not follow the boarding stop, or `method` is impossible.
        The same stop at both ends does not follow itself, unless the trip serves it again later (a loop).
        """
        return self._route_distance(from_stop, to_stop, route_id, trip_id, method)

    def rail_distance(self, from_stop: str, to_stop: str) -> Distance:
        """Shortest distance over the rail network between two stations (see `rail`), path included.

        Raises UnknownStopError, or NetworkError when a stop is not on the rail network or no path exists.
        """
        return self._rail_distance(self._known(from_stop), self._known(to_stop))

    def nearest_stop_on_route(
        self, route_id: str, trip_id: str | None, after_stop: str, near_stop: str
    ) -> str | None:
        """Of the stops after `after_stop` on the trip (or on any of the route's patterns), the one
        nearest `near_stop` as the crow flies, the earliest on a tie; None if `after_stop` is last.

        Raises UnknownStopError, or NetworkError when the route or trip is unknown or does not serve
        `after_stop`.
        """
        self._known(after_stop)
        self._known(near_stop)
        later: list[str] = []
        served = False
        for pattern in self._candidates(route_id, trip_id):
            positions = pattern.find_positions(after_stop)
            served = served or bool(positions)
            if positions:
                later.extend(pattern.stop_ids[positions[0] + 1 :])
        if not served:
            raise NetworkError(f"stop {after_stop!r} is not served by {_ride(route_id, trip_id)}")
        if not later:
            return None
        lat, lon = self._stops.coordinates(later)
        near_lat, near_lon = self._stops.coordinates([near_stop])
        return later[int(np.argmin(haversine_m(lat, lon, near_lat[0], near_lon[0])))]

    def shortest_distance(self, from_stop: str, to_stop: str, route_id: str | None = None) -> Distance:
        """Along `route_id` when given; else over rail when both are rail stations; else the shortest
        ride along any one route serving both in order. NetworkError when there is none."""
        if route_id is not None:
            return self.route_distance(from_stop, to_stop, route_id=route_id)
        stations = [self._stops.station_of(self._known(s)) for s in (from_stop, to_stop)]
        if all(self._rail.has_station(station) for station in stations):
            return self.rail_distance(from_stop, to_stop)
        common = {r.route_id for r in self.routes_at_stop(from_stop)}
        rides: list[Distance] = []
        for route in self.routes_at_stop(to_stop):
            if route.route_id in common:
                try:
                    rides.append(self.route_distance(from_stop, to_stop, route_id=route.route_id))
                except NetworkError:
                    continue
        if not rides:
            raise NetworkError(f"no route serves stop {from_stop!r} and then stop {to_stop!r}")
        return min(rides, key=lambda ride: ride.metres)

    def _known(self, stop_id: str) -> str:
        if stop_id not in self._stops:
            raise UnknownStopError(stop_id)
        return stop_id

    def _candidates(self, route_id: str, trip_id: str | None) -> tuple[TripPattern, ...]:
        if route_id not in self._routes:
            raise NetworkError(f"unknown route_id {route_id!r}: not in routes.txt")
        if trip_id is None:
            found = self._patterns.by_route.get(route_id, ())
            if not found:
                raise NetworkError(f"route {route_id!r} has no trips with stop_times")
            return found
        pattern = self._patterns.by_trip.get(trip_id)
        if pattern is None:
            raise NetworkError(f"unknown trip_id {trip_id!r}: not in trips.txt, or it has no stop_times")
        if pattern.route_id != route_id:
            raise NetworkError(f"trip {trip_id!r} runs route {pattern.route_id!r}, not {route_id!r}")
        return (pattern,)

    def _measure_route(
        self,
        from_stop: str,
        to_stop: str,
        route_id: str,
        trip_id: str | None,
        method: AlongRouteMethod | None,
    ) -> Distance:
        self._known(from_stop)
        self._known(to_stop)
        best: tuple[float, AlongRouteMethod, TripPattern, int, int] | None = None
        in_order = impossible = False
        serves = dict.fromkeys((from_stop, to_stop), False)
        for pattern in self._candidates(route_id, trip_id):
            boards, alights = pattern.find_positions(from_stop), pattern.find_positions(to_stop)
            serves[from_stop] |= bool(boards)
            serves[to_stop] |= bool(alights)
            for board in boards:
                for alight in (a for a in alights if a > board):
                    in_order = True
                    ride = self._along.ride_m(pattern, board, alight, method)
                    impossible |= ride is None
                    if ride is not None and (best is None or ride[0] < best[0]):
                        best = (ride[0], ride[1], pattern, board, alight)
        ride_name = _ride(route_id, trip_id)
        if best is not None:
            metres, used, pattern, board, alight = best
            return Distance(whole_metres(metres), used, pattern.stop_ids[board : alight + 1])
        for stop, served in serves.items():
            if not served:
                raise NetworkError(f"stop {stop!r} is not served by {ride_name}")
        if in_order and impossible:
            raise NetworkError(f"method {method} is not possible for {ride_name}: the feed lacks its data")
        raise NetworkError(f"stop {to_stop!r} does not follow stop {from_stop!r} on {ride_name}")

    def _measure_rail(self, from_stop: str, to_stop: str) -> Distance:
        source, target = self._stops.station_of(from_stop), self._stops.station_of(to_stop)
        for stop, station in ((from_stop, source), (to_stop, target)):
            if not self._rail.has_station(station):
                raise NetworkError(f"stop {stop!r} (station {station!r}) is not on the rail network")
        found = self._rail.shortest(source, target)
        if found is None:
            raise NetworkError(f"no rail path from station {source!r} to station {target!r}")
        metres, stations = found
        return Distance(whole_metres(metres), "rail_network", stations)


def _ride(route_id: str, trip_id: str | None) -> str:
    return f"route {route_id!r}" + (f" trip {trip_id!r}" if trip_id is not None else " (any trip)")


def _text(value: Any) -> str | None:
    return None if pd.isna(value) else str(value)


def _route_infos(routes: pd.DataFrame, agency: pd.DataFrame) -> dict[str, RouteInfo]:
    """RouteInfo by route_id; a route without agency_id belongs to the feed's only agency (GTFS)."""
    agencies: list[str] = agency["agency_id"].dropna().unique().tolist() if "agency_id" in agency else []
    only_agency = str(agencies[0]) if len(agencies) == 1 else None
    infos: dict[str, RouteInfo] = {}
    for row in routes.to_dict("records"):
        route_id = str(row["route_id"])
        infos[route_id] = RouteInfo(
            route_id=route_id,
            route_type=int(row["route_type"]),
            agency_id=_text(row.get("agency_id")) or only_agency,
            network_id=_text(row.get("network_id")),
            short_name=_text(row.get("route_short_name")),
        )
    return infos


def _routes_by_station(
    patterns: TripPatterns, stops: StopIndex, routes: dict[str, RouteInfo]
) -> dict[str, tuple[RouteInfo, ...]]:
    served: dict[str, set[str]] = defaultdict(set)
    for pattern in patterns.patterns:
        for stop_id in pattern.stop_ids:
            served[stops.station_of(stop_id)].add(pattern.route_id)
    return {station: tuple(routes[r] for r in sorted(ids)) for station, ids in served.items()}
