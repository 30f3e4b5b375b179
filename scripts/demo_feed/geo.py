"""Geodesic helpers on the WGS84 ellipsoid: lengths, interpolation and densified polylines.

Points are ``(lat, lon)`` tuples rounded to 6 decimals (about 0.1 m) when they are made, so the
distances computed here are the distances of the coordinates written to the feed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from pyproj import Geod

LatLon = tuple[float, float]

GEOD = Geod(ellps="WGS84")
COORD_DECIMALS = 6
MAX_SHAPE_STEP_KM = 0.1


def slugify(name: str) -> str:
    """Lowercase ``name``, runs of non-alphanumerics to "_", stripped: "Sa'adi" -> "sa_adi"."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def rounded(lat: float, lon: float) -> LatLon:
    """The point at the precision written to the feed."""
    return (round(lat, COORD_DECIMALS), round(lon, COORD_DECIMALS))


def distance_km(a: LatLon, b: LatLon) -> float:
    """Geodesic distance between two points."""
    _, _, metres = GEOD.inv(a[1], a[0], b[1], b[0])
    return float(metres) / 1000


def interpolate(a: LatLon, b: LatLon, count: int) -> list[LatLon]:
    """``count`` equally spaced points on the geodesic strictly between ``a`` and ``b``."""
    if count <= 0:
        return []
    lonlats = GEOD.npts(a[1], a[0], b[1], b[0], count)
    return [rounded(lat, lon) for lon, lat in lonlats]


def midpoint(a: LatLon, b: LatLon) -> LatLon:
    """The point halfway along the geodesic from ``a`` to ``b``."""
    return interpolate(a, b, 1)[0]


def polyline_through(points: Sequence[LatLon]) -> tuple[list[LatLon], list[int]]:
    """A polyline through ``points`` with no step over ``MAX_SHAPE_STEP_KM``.

    Returns the vertices and, for each input point, the index of the vertex it became. The extra
    vertices lie on the geodesic between consecutive points, so the polyline's length equals the
    sum of the straight (geodesic) lines between them.
    """
    vertices = [points[0]]
    indexes = [0]
    for a, b in zip(points, points[1:], strict=False):
        extra = math.ceil(distance_km(a, b) / MAX_SHAPE_STEP_KM) - 1
        vertices.extend(interpolate(a, b, extra))
        vertices.append(b)
        indexes.append(len(vertices) - 1)
    return vertices, indexes


def cumulative_km(vertices: Sequence[LatLon]) -> list[float]:
    """Distance along the polyline at each vertex, starting at 0."""
    totals = [0.0]
    for a, b in zip(vertices, vertices[1:], strict=False):
        totals.append(totals[-1] + distance_km(a, b))
    return totals
