"""Shapes as polylines, and where a trip's stops fall along them.

Stops are placed on the shape in order: each stop at or after the previous one, so a loop, or a
stop served twice, lands on the right pass. Among all placements in order we take the one closest
to the stops (least total distance from each stop to its point on the shape), found by dynamic
programming over (stop, shape segment); a greedy "nearest point after the previous stop" would jump
to a later pass whenever that pass happens to be a few metres closer, and strand every later stop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from shahr.network.geo import FloatArray, local_xy, step_lengths_m
from shahr.network.tables import group_starts, order_within

_TOLERANCE_M = 1e-6
_OUT_OF_ORDER_M = 1e9  # cost of a placement that breaks the order: only taken when nothing else fits


@dataclass(frozen=True, slots=True, eq=False)
class ShapeLine:
    """One shape's points in sequence, with the haversine distance along it at each point."""

    lat: FloatArray
    lon: FloatArray
    along_m: FloatArray


def shape_lines(shapes: pd.DataFrame | None) -> dict[str, ShapeLine]:
    """Every shape with at least two points, by shape_id."""
    if shapes is None:
        return {}
    order = order_within(shapes, "shape_id", "shape_pt_sequence")
    ids = shapes["shape_id"].astype(str).to_numpy()[order]
    lat = shapes["shape_pt_lat"].to_numpy(dtype=np.float64)[order]
    lon = shapes["shape_pt_lon"].to_numpy(dtype=np.float64)[order]
    codes = pd.factorize(ids)[0]
    bounds = [*group_starts(codes).tolist(), ids.size]
    lines: dict[str, ShapeLine] = {}
    for start, end in zip(bounds, bounds[1:], strict=False):
        if end - start >= 2:
            steps = step_lengths_m(lat[start:end], lon[start:end])
            lines[str(ids[start])] = ShapeLine(lat[start:end], lon[start:end], np.r_[0.0, np.cumsum(steps)])
    return lines


def place_stops(line: ShapeLine, lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Distance along the shape, in metres, of each stop; never decreasing from one stop to the next."""
    lat0, lon0 = float(np.mean(line.lat)), float(np.mean(line.lon))
    px, py = local_xy(line.lat, line.lon, lat0, lon0)
    sx, sy = local_xy(lat, lon, lat0, lon0)
    ax, ay, dx, dy = px[:-1], py[:-1], np.diff(px), np.diff(py)
    length2 = dx * dx + dy * dy
    # Each stop (row) against each segment (column): the nearest point's fraction along the segment.
    t = ((sx[:, None] - ax) * dx + (sy[:, None] - ay) * dy) / np.where(length2 > 0, length2, 1.0)
    t = np.clip(t, 0.0, 1.0)
    gap = np.hypot(ax + t * dx - sx[:, None], ay + t * dy - sy[:, None])
    position = line.along_m[:-1] + t * np.diff(line.along_m)
    choice = _in_order(gap, position)
    placed = position[np.arange(lat.size), choice]
    return np.maximum.accumulate(placed)


def _in_order(cost: FloatArray, position: FloatArray) -> NDArray[np.intp]:
    """The segment for each stop minimising total cost with positions never decreasing.

    position[i] is non-decreasing along the segments (each lies within its segment), so the segments
    the previous stop may use are a prefix, found by binary search; a running minimum over that
    prefix makes each stop O(segments).
    """
    stops, segments = cost.shape
    best = cost[0].copy()
    back = np.zeros((stops, segments), dtype=np.intp)
    index = np.arange(segments)
    for i in range(1, stops):
        running = np.minimum.accumulate(best)
        improved = np.r_[True, best[1:] < running[:-1]]
        running_arg = np.maximum.accumulate(np.where(improved, index, 0))
        allowed = np.searchsorted(position[i - 1], position[i] + _TOLERANCE_M, side="right")
        previous = np.maximum(allowed - 1, 0)
        best = cost[i] + running[previous] + np.where(allowed > 0, 0.0, _OUT_OF_ORDER_M)
        back[i] = running_arg[previous]
    choice = np.empty(stops, dtype=np.intp)
    choice[-1] = int(np.argmin(best))
    for i in range(stops - 1, 0, -1):
        choice[i - 1] = back[i, choice[i]]
    return choice
