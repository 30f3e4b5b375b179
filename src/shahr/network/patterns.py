"""Trip patterns: trips of a route that share stops, order, shape and recorded distances.

A feed has thousands of trips but few patterns; every distance is computed per pattern, once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shahr.network.geo import FloatArray
from shahr.network.stops import StopIndex
from shahr.network.tables import group_starts, order_within
from shahr.network.units import UNIT_METRES

_Key = tuple[str, str | None, bytes, bytes]
"""route_id, shape_id, stop codes and distances of a trip: equal keys ride alike."""


@dataclass(frozen=True, slots=True, eq=False)
class TripPattern:
    """The stops of some trips in order, and where a stop or station occurs among them."""

    index: int
    route_id: str
    shape_id: str | None
    stop_ids: tuple[str, ...]
    shape_dist_m: FloatArray
    """stop_times.shape_dist_traveled in metres, NaN where the feed leaves it empty."""
    trip_ids: tuple[str, ...]
    positions: dict[str, tuple[int, ...]]
    """stop_id, and the station of each stop, -> indexes into stop_ids (two for a stop served twice)."""

    def find_positions(self, stop_id: str) -> tuple[int, ...]:
        """Where the stop, or a child of the station, occurs; empty when the pattern does not serve it."""
        return self.positions.get(stop_id, ())


@dataclass(frozen=True, slots=True)
class TripPatterns:
    """All patterns of a feed, with lookups by trip and by route."""

    patterns: tuple[TripPattern, ...]
    by_trip: dict[str, TripPattern]
    by_route: dict[str, tuple[TripPattern, ...]]

    @classmethod
    def from_feed(
        cls, stop_times: pd.DataFrame, trips: pd.DataFrame, dist_units: str, stops: StopIndex
    ) -> TripPatterns:
        """Group trips by (route, shape, stop sequence, recorded distances) in one pass over stop_times."""
        order = order_within(stop_times, "trip_id", "stop_sequence")
        trip_codes, trip_ids = pd.factorize(stop_times["trip_id"])
        stop_codes, stop_ids = pd.factorize(stop_times["stop_id"])
        trip_codes, stop_codes = trip_codes[order], stop_codes[order]
        dist_m = np.full(order.size, np.nan)
        if "shape_dist_traveled" in stop_times:
            recorded = stop_times["shape_dist_traveled"].to_numpy(dtype=np.float64, na_value=np.nan)
            dist_m = recorded[order] * UNIT_METRES[dist_units]
        route_of, shape_of = _route_and_shape(trips, trip_ids)

        members: dict[_Key, list[int]] = defaultdict(list)
        rows: dict[_Key, slice] = {}
        bounds = [*group_starts(trip_codes).tolist(), order.size]
        for start, end in zip(bounds, bounds[1:], strict=False):
            trip = int(trip_codes[start])
            key = (
                route_of[trip],
                shape_of[trip],
                stop_codes[start:end].tobytes(),
                dist_m[start:end].tobytes(),
            )
            members[key].append(trip)
            rows.setdefault(key, slice(start, end))

        names = [str(s) for s in stop_ids]
        patterns: list[TripPattern] = []
        for index, (key, trips_of_key) in enumerate(members.items()):
            served = tuple(names[c] for c in stop_codes[rows[key]])
            pattern = TripPattern(
                index=index,
                route_id=key[0],
                shape_id=key[1],
                stop_ids=served,
                shape_dist_m=dist_m[rows[key]],
                trip_ids=tuple(str(trip_ids[t]) for t in trips_of_key),
                positions=_positions(served, stops),
            )
            patterns.append(pattern)
        by_route: dict[str, list[TripPattern]] = defaultdict(list)
        for pattern in patterns:
            by_route[pattern.route_id].append(pattern)
        return cls(
            patterns=tuple(patterns),
            by_trip={trip: p for p in patterns for trip in p.trip_ids},
            by_route={route: tuple(found) for route, found in by_route.items()},
        )


def _route_and_shape(trips: pd.DataFrame, trip_ids: pd.Index) -> tuple[list[str], list[str | None]]:
    """route_id and shape_id (None without one) of each trip, in the order of `trip_ids`."""
    by_id = trips.set_index("trip_id")
    route_of = by_id["route_id"].reindex(trip_ids).astype(str).tolist()
    shapes = by_id["shape_id"] if "shape_id" in by_id else pd.Series(pd.NA, index=by_id.index)
    return route_of, [None if pd.isna(s) else str(s) for s in shapes.reindex(trip_ids)]


def _positions(stop_ids: tuple[str, ...], stops: StopIndex) -> dict[str, tuple[int, ...]]:
    found: dict[str, list[int]] = defaultdict(list)
    for position, stop_id in enumerate(stop_ids):
        found[stop_id].append(position)
        station = stops.station_of(stop_id)
        if station != stop_id:
            found[station].append(position)
    return {key: tuple(value) for key, value in found.items()}
