"""Distances on the sphere: haversine with the IUGG mean Earth radius.

    d = 2 R asin(sqrt(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2))),  R = 6 371 008.8 m

so 0.01 degree of latitude is 2π R / 36 000 = 1111.95 m. The sphere is within about 0.5% of the
WGS84 ellipsoid, far closer than a straight line is to the street a bus drives along; it keeps every
length in this package hand-checkable and consistent between the straight-line and shape methods.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_M = 6_371_008.8

FloatArray = NDArray[np.float64]


def haversine_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> FloatArray:
    """Great-circle distance in metres between points given in degrees, element-wise."""
    p1, l1, p2, l2 = (np.radians(np.asarray(a, dtype=np.float64)) for a in (lat1, lon1, lat2, lon2))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), dtype=np.float64)


def step_lengths_m(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Lengths of the straight lines between consecutive points of a polyline."""
    return haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])


def local_xy(lat: FloatArray, lon: FloatArray, lat0: float, lon0: float) -> tuple[FloatArray, FloatArray]:
    """Metres east and north of (lat0, lon0) in an equirectangular projection.

    Good to a fraction of a percent over a city; used only to decide where a stop falls on a shape,
    never to measure length (lengths are haversine).
    """
    east = np.radians((lon - lon0 + 180.0) % 360.0 - 180.0) * EARTH_RADIUS_M * np.cos(np.radians(lat0))
    north = np.radians(lat - lat0) * EARTH_RADIUS_M
    return east, north
