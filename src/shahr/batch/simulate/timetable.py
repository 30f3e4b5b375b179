"""One service day of a GTFS feed as flat numpy arrays: the stops riders use, trip patterns, every
active trip's times, and an index answering "next departure of this pattern from this stop" with one
`searchsorted` for a whole chunk of riders.

Stops are numbered 0..n-1 (`nodes`: the stops active trips call at, sorted by stop_id); stations are
the top of each stop's parent chain (the stop itself when it has none). A pattern is a route's exact
sequence of stops; trips of a pattern share it, so a trip's times are one contiguous run of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from gtfs_kit import Feed
from numpy.typing import NDArray

from shahr.errors import FeedError
from shahr.network.model import is_rail_route_type
from shahr.network.stops import StopIndex

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

TIME_BITS = 20
"""Bits of a departure key holding the departure second (up to 12 days after the service day starts)."""


@dataclass(frozen=True, eq=False)
class Timetable:
    """The service of one date. Times are seconds after the GTFS service-day start (noon minus 12 h)."""

    service_date: date
    day_start_ms: int
    """UTC epoch milliseconds of the service day's 00:00:00 (local noon minus 12 hours)."""
    node_ids: tuple[str, ...]
    node_lat: FloatArray
    node_lon: FloatArray
    node_station: IntArray
    """Station of each node, an index into `station_ids`."""
    station_ids: tuple[str, ...]
    node_departures: IntArray
    """Departures from each node on the day (stop_times rows that are not a trip's last)."""
    route_ids: tuple[str, ...]
    pattern_route: IntArray
    pattern_gated: BoolArray
    """Rail patterns: riders tap at the station gates, not on the vehicle."""
    pattern_start: IntArray
    """Where each pattern's stops begin in `pattern_nodes` (and in the offset arrays); length + 1."""
    pattern_nodes: IntArray
    pattern_arrive_s: FloatArray
    """Mean arrival time at each position after the trip's first departure: typical ride times."""
    pattern_depart_s: FloatArray
    pattern_headway_s: FloatArray
    trip_ids: tuple[str, ...]
    trip_pattern: IntArray
    trip_start: IntArray
    """Row of each trip's first stop in `arrival_s`/`departure_s`."""
    arrival_s: IntArray
    departure_s: IntArray
    departure_key: IntArray
    """Sorted `(pattern_start[p] + position) << TIME_BITS | departure second` of every boardable row."""
    departure_trip: IntArray

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    def gate_device(self, station: IntArray) -> IntArray:
        """Device ids of station gate banks: 1..n_stations, one bank per station."""
        return station + 1

    def vehicle_device(self, trip: IntArray) -> IntArray:
        """Device ids of vehicles: one validator per trip, numbered after the gates."""
        return trip + 1 + len(self.station_ids)

    @property
    def n_devices(self) -> int:
        return 1 + len(self.station_ids) + len(self.trip_ids)

    def next_departure(
        self, pattern: IntArray, position: IntArray, earliest_s: FloatArray
    ) -> tuple[BoolArray, IntArray]:
        """The first trip of each pattern leaving the position at or after `earliest_s`, and whether
        there is one (none after the last departure of the day)."""
        key = (self.pattern_start[pattern] + position) << TIME_BITS
        query = key | np.ceil(earliest_s).astype(np.int64)
        at = np.searchsorted(self.departure_key, query, side="left")
        inside = at < len(self.departure_key)
        at = np.minimum(at, len(self.departure_key) - 1)
        found = inside & ((self.departure_key[at] >> TIME_BITS) == (key >> TIME_BITS))
        return found, self.departure_trip[at]


def build_timetable(feed: Feed, service_date: date) -> Timetable:
    """The feed's service on `service_date`; FeedError naming the date when no trip runs on it."""
    services = feed.get_active_services(service_date.strftime("%Y%m%d"))
    trips = feed.trips.loc[feed.trips["service_id"].isin(services), ["trip_id", "route_id"]]
    stop_times = feed.stop_times.loc[
        feed.stop_times["trip_id"].isin(trips["trip_id"]),
        ["trip_id", "stop_sequence", "stop_id", "arrival_time", "departure_time"],
    ]
    if stop_times.empty:
        raise FeedError(
            f"no service runs on {service_date.isoformat()}: calendar.txt and calendar_dates.txt "
            "give that date no service_id with trips (is the date inside the feed's range?)"
        )
    stop_times = stop_times.astype({"trip_id": str, "stop_id": str}).sort_values(["trip_id", "stop_sequence"])
    trips = trips.astype(str).set_index("trip_id").loc[stop_times["trip_id"].unique()]
    arrival, departure = _times(stop_times)

    stops = StopIndex(feed.stops)
    node_index = pd.Index(np.sort(stop_times["stop_id"].unique()))
    nodes = node_index.get_indexer(stop_times["stop_id"])
    stations = [stops.station_of(s) for s in node_index]
    station_index = pd.Index(sorted(set(stations)))
    lat, lon = stops.coordinates(list(node_index))

    trip_codes, trip_index = pd.factorize(stop_times["trip_id"], sort=True)
    trip_start = np.flatnonzero(np.r_[True, trip_codes[1:] != trip_codes[:-1]])
    trip_length = np.diff(np.r_[trip_start, len(trip_codes)])
    position = np.arange(len(trip_codes)) - np.repeat(trip_start, trip_length)

    sequences = stop_times.groupby("trip_id", sort=True)["stop_id"].agg("|".join)
    route_of_trip = trips.loc[trip_index, "route_id"].to_numpy(dtype=str)
    pattern_of_trip, pattern_keys = pd.factorize(
        pd.Series(route_of_trip) + "#" + sequences.loc[trip_index].to_numpy(dtype=str), sort=True
    )
    first_trip = np.unique(pattern_of_trip, return_index=True)[1]
    pattern_length = trip_length[first_trip]
    pattern_start = np.r_[0, np.cumsum(pattern_length)]
    pattern_nodes = np.concatenate(
        [nodes[trip_start[t] : trip_start[t] + pattern_length[p]] for p, t in enumerate(first_trip)]
    )
    route_codes, route_index = pd.factorize(pd.Series(route_of_trip[first_trip]), sort=True)
    route_types = feed.routes.astype({"route_id": str}).set_index("route_id")["route_type"]
    gated = np.array([is_rail_route_type(int(route_types[r])) for r in route_index], dtype=bool)

    row_pattern = np.repeat(pattern_of_trip, trip_length)
    slot = pattern_start[row_pattern] + position
    first_departure = np.repeat(departure[trip_start], trip_length)
    n_trips_of = np.bincount(pattern_of_trip, minlength=len(pattern_keys))
    arrive_mean = (
        np.bincount(slot, arrival - first_departure, len(pattern_nodes))
        / n_trips_of[np.repeat(np.arange(len(pattern_keys)), pattern_length)]
    )
    depart_mean = (
        np.bincount(slot, departure - first_departure, len(pattern_nodes))
        / n_trips_of[np.repeat(np.arange(len(pattern_keys)), pattern_length)]
    )

    boardable = position < np.repeat(trip_length - 1, trip_length)
    key = (slot[boardable].astype(np.int64) << TIME_BITS) | departure[boardable]
    order = np.argsort(key, kind="stable")
    return Timetable(
        service_date=service_date,
        day_start_ms=_day_start_ms(feed, service_date),
        node_ids=tuple(str(s) for s in node_index),
        node_lat=lat,
        node_lon=lon,
        node_station=station_index.get_indexer(pd.Index(stations)).astype(np.int64),
        station_ids=tuple(str(s) for s in station_index),
        node_departures=np.bincount(nodes[boardable], minlength=len(node_index)).astype(np.int64),
        route_ids=tuple(str(r) for r in route_index),
        pattern_route=route_codes.astype(np.int64),
        pattern_gated=gated[route_codes],
        pattern_start=pattern_start.astype(np.int64),
        pattern_nodes=pattern_nodes.astype(np.int64),
        pattern_arrive_s=arrive_mean,
        pattern_depart_s=depart_mean,
        pattern_headway_s=_headways(departure[trip_start], pattern_of_trip, n_trips_of),
        trip_ids=tuple(str(t) for t in trip_index),
        trip_pattern=pattern_of_trip.astype(np.int64),
        trip_start=trip_start.astype(np.int64),
        arrival_s=arrival,
        departure_s=departure,
        departure_key=key[order],
        departure_trip=np.repeat(np.arange(len(trip_start)), trip_length)[boardable][order],
    )


def _times(stop_times: pd.DataFrame) -> tuple[IntArray, IntArray]:
    """Arrival and departure seconds of each row; a missing time (a non-timepoint) is interpolated
    along the trip, which GTFS allows because a trip's first and last stops carry times."""
    parsed = []
    for column in ("arrival_time", "departure_time"):
        codes, values = pd.factorize(stop_times[column])
        parts = pd.Series(values, dtype=str).str.split(":", expand=True).astype(np.int64)
        seconds = (parts[0] * 3600 + parts[1] * 60 + parts[2]).to_numpy(dtype=np.float64)
        parsed.append(np.where(codes >= 0, seconds[np.maximum(codes, 0)], np.nan))
    arrival = pd.Series(np.where(np.isnan(parsed[0]), parsed[1], parsed[0]))
    departure = pd.Series(np.where(np.isnan(parsed[1]), parsed[0], parsed[1]))
    arrival, departure = arrival.interpolate(), departure.interpolate()
    return arrival.to_numpy().round().astype(np.int64), departure.to_numpy().round().astype(np.int64)


def _headways(first_departure: IntArray, pattern: IntArray, n_trips: IntArray) -> FloatArray:
    """Mean time between departures of each pattern over its service span (an hour for a lone trip)."""
    first = np.full(len(n_trips), np.iinfo(np.int64).max)
    last = np.full(len(n_trips), np.iinfo(np.int64).min)
    np.minimum.at(first, pattern, first_departure)
    np.maximum.at(last, pattern, first_departure)
    span = (last - first).astype(np.float64)
    return np.where(n_trips > 1, span / np.maximum(n_trips - 1, 1), 3600.0)


def _day_start_ms(feed: Feed, service_date: date) -> int:
    """GTFS times count from noon minus 12 hours in the agency's time zone (local midnight except on
    days when clocks change)."""
    zone = ZoneInfo(str(feed.agency["agency_timezone"].iloc[0]))
    noon = datetime.combine(service_date, time(12), zone).astimezone(UTC)
    return int((noon - timedelta(hours=12)).timestamp() * 1000)
