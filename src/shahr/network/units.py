"""The unit of shape_dist_traveled, read from the data rather than assumed.

GTFS leaves the unit to the producer (it must only be the same in shapes.txt and stop_times.txt).
For each shape (shapes.txt) and each trip (stop_times.txt, straight lines between its stops) we
divide the recorded span by the straight-line length in metres, and take the median q over shapes
or trips. A unit u of f_u metres implies the ridden length is q * f_u times the straight-line
length. The ridden length is never shorter than the straight line (2% allowed for rounding and
for producers that measure on the ellipsoid), and is rarely over twice it, so the unit is the one
making q * f_u the smallest value in [0.98, 2]. Taking the smallest rather than the nearest to 1
matters for stop_times: along streets a bus rides 1.1-1.5 times the straight line, and a ride of
1.4 times it recorded in miles would read as km riding 0.87 times it. Units differ by at least
1.609 (km/mi), so at most one fits a ride under 1.6 times the straight line.

gtfs-kit's own `infer_dist_units` is not used: it looks at shapes only (stop_times can carry the
column without them), at ten shapes, and answers "km" when it cannot tell.
"""

from __future__ import annotations

from typing import TypeGuard

import numpy as np
import pandas as pd
from gtfs_kit import Feed

from shahr.errors import FeedError
from shahr.network.geo import FloatArray, haversine_m
from shahr.network.stops import StopIndex
from shahr.network.tables import group_starts, order_within

UNIT_METRES: dict[str, float] = {"ft": 0.3048, "m": 1.0, "km": 1000.0, "mi": 1609.344}
"""gtfs-kit's distance units (`gtfs_kit.constants.DIST_UNITS`) in metres."""

MIN_RATIO, MAX_RATIO = 0.98, 2.0
NO_DISTANCES = "m"
"""The nominal unit of a feed with no shape_dist_traveled at all: there is nothing to convert."""


def infer_dist_units(feed: Feed) -> str:
    """The unit of shape_dist_traveled; FeedError when the data fit no unit or the two files disagree."""
    found: dict[str, str] = {}
    shapes: pd.DataFrame | None = feed.shapes
    if _has_distances(shapes):
        lat = shapes["shape_pt_lat"].to_numpy(dtype=np.float64)
        lon = shapes["shape_pt_lon"].to_numpy(dtype=np.float64)
        found["shapes.txt"] = _unit(shapes, "shape_id", "shape_pt_sequence", lat, lon, "shapes.txt")
    stop_times: pd.DataFrame = feed.stop_times
    if _has_distances(stop_times):
        lat, lon = StopIndex(feed.stops).coordinates(stop_times["stop_id"])
        found["stop_times.txt"] = _unit(stop_times, "trip_id", "stop_sequence", lat, lon, "stop_times.txt")
    if len(set(found.values())) > 1:
        told = ", ".join(f"{file} looks like {unit}" for file, unit in found.items())
        raise FeedError(f"shape_dist_traveled units disagree ({told}); pass dist_units")
    return next(iter(found.values()), NO_DISTANCES)


def _has_distances(frame: pd.DataFrame | None) -> TypeGuard[pd.DataFrame]:
    return (
        frame is not None
        and "shape_dist_traveled" in frame
        and bool(frame["shape_dist_traveled"].notna().any())
    )


def _unit(frame: pd.DataFrame, group: str, sequence: str, lat: FloatArray, lon: FloatArray, file: str) -> str:
    """The unit one file's shape_dist_traveled is in."""
    known = frame["shape_dist_traveled"].notna().to_numpy()
    ratio = _median_ratio(frame[known], group, sequence, lat[known], lon[known])
    if np.isnan(ratio):
        message = (
            "cannot tell the unit: no shape or trip has two points with distances apart; pass dist_units"
        )
        raise FeedError(message, file=file, field="shape_dist_traveled")
    implied = {unit: ratio * metres for unit, metres in UNIT_METRES.items()}
    fitting = {unit: r for unit, r in implied.items() if MIN_RATIO <= r <= MAX_RATIO}
    if not fitting:
        message = (
            f"cannot tell the unit: recorded lengths are {ratio:.4g} per metre of straight line, "
            f"which fits none of {', '.join(UNIT_METRES)}; pass dist_units"
        )
        raise FeedError(message, file=file, field="shape_dist_traveled")
    return min(fitting, key=lambda unit: fitting[unit])


def _median_ratio(frame: pd.DataFrame, group: str, sequence: str, lat: FloatArray, lon: FloatArray) -> float:
    """Median over groups (shapes or trips) of recorded span / straight-line length in metres."""
    order = order_within(frame, group, sequence)
    codes = pd.factorize(frame[group])[0][order]
    dist = frame["shape_dist_traveled"].to_numpy(dtype=np.float64)[order]
    lat, lon = lat[order], lon[order]
    same = codes[1:] == codes[:-1]
    steps = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    straight = np.bincount(codes[1:][same], weights=steps[same], minlength=int(codes.max()) + 1)
    starts = group_starts(codes)
    ends = np.r_[starts[1:], codes.size] - 1
    recorded = dist[ends] - dist[starts]
    straight_m = straight[codes[starts]]
    usable = (straight_m > 1.0) & (recorded > 0)
    if not usable.any():
        return float("nan")
    return float(np.median(recorded[usable] / straight_m[usable]))
