"""Distance ridden along one trip pattern, by each of three methods.

Each method gives the distance along the trip at every stop (a cumulative array, computed on first
use and kept), so a ride from stop i to stop j is one subtraction:

- shape_dist_traveled: the feed's own stop_times values, in metres; only where both rows have one.
- shape_projection: the stops placed in order on the trip's shape (`shapes.place_stops`).
- straight_lines: straight (haversine) lines from stop to stop, the fallback every trip allows.

Asked for no method, a ride takes the first of these that the trip allows for both stops.
"""

from __future__ import annotations

import math

import numpy as np

from shahr.network.geo import FloatArray, step_lengths_m
from shahr.network.model import ALONG_ROUTE_METHODS, AlongRouteMethod
from shahr.network.patterns import TripPattern
from shahr.network.shapes import ShapeLine, place_stops
from shahr.network.stops import StopIndex


def whole_metres(metres: float) -> int:
    """Round half up, as fares are computed from whole metres: 1234.5 m -> 1235 m."""
    return math.floor(metres + 0.5)


class AlongTrip:
    """Cumulative distances per (pattern, method), computed once each."""

    def __init__(self, stops: StopIndex, shapes: dict[str, ShapeLine]) -> None:
        self._stops = stops
        self._shapes = shapes
        self._cumulative: dict[tuple[int, AlongRouteMethod], FloatArray | None] = {}

    def ride_m(
        self, pattern: TripPattern, board: int, alight: int, method: AlongRouteMethod | None = None
    ) -> tuple[float, AlongRouteMethod] | None:
        """Metres from position `board` to `alight` and the method used; None if `method` cannot say."""
        for candidate in ALONG_ROUTE_METHODS if method is None else (method,):
            along = self.cumulative(pattern, candidate)
            if along is not None and np.isfinite(along[board]) and np.isfinite(along[alight]):
                return float(along[alight] - along[board]), candidate
        return None

    def cumulative(self, pattern: TripPattern, method: AlongRouteMethod) -> FloatArray | None:
        """Metres along the trip at each stop (NaN where unknown); None if the method has no data."""
        key = (pattern.index, method)
        if key not in self._cumulative:
            self._cumulative[key] = self._compute(pattern, method)
        return self._cumulative[key]

    def _compute(self, pattern: TripPattern, method: AlongRouteMethod) -> FloatArray | None:
        if method == "shape_dist_traveled":
            recorded = pattern.shape_dist_m
            return recorded if np.isfinite(recorded).any() else None
        lat, lon = self._stops.coordinates(pattern.stop_ids)
        if method == "shape_projection":
            line = self._shapes.get(pattern.shape_id) if pattern.shape_id is not None else None
            return place_stops(line, lat, lon) if line is not None else None
        return np.concatenate(([0.0], np.cumsum(step_lengths_m(lat, lon))))
