"""Zones to map a comparison by: the city's districts from a GeoJSON when given, else the feed's stops
clustered into about 20 zones (k-means on their positions, each zone the Voronoi cell of its centre within
the stops' area). A trip belongs to the zone of its first boarding stop.

The open data's origin-destination tables use the same zones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from scipy.cluster.vq import kmeans2
from shapely.geometry import MultiPoint, mapping
from shapely.geometry.base import BaseGeometry

from shahr.civic.geo import Districts
from shahr.errors import ShahrError
from shahr.network.geo import FloatArray
from shahr.network.network import Network

DEFAULT_ZONES = 20
OUTSIDE = "outside"
"""The zone of a stop with no position (not in the feed)."""
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_AREA_MARGIN_DEG = 0.01  # about 1 km around the outermost stops


@dataclass(frozen=True)
class Zone:
    id: str
    name: str
    name_fa: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class Zones:
    zones: tuple[Zone, ...]
    source: str

    def of_points(self, lat: FloatArray, lon: FloatArray) -> list[str]:
        """Each point's zone: the first containing it, else the nearest; `OUTSIDE` without a position."""
        out = np.full(len(lat), OUTSIDE, dtype=object)
        known = np.isfinite(lat) & np.isfinite(lon)
        nearest = np.full(len(lat), np.inf)
        inside = np.zeros(len(lat), np.bool_)
        for zone in self.zones:
            within = known & ~inside & shapely.contains_xy(zone.geometry, lon, lat)
            out[within] = zone.id
            inside |= within
        for zone in self.zones:
            rest = known & ~inside
            if not rest.any():
                break
            far = shapely.distance(zone.geometry, shapely.points(lon[rest], lat[rest]))
            closer = far < nearest[rest]
            index = np.flatnonzero(rest)[closer]
            out[index], nearest[index] = zone.id, far[closer]
        return [str(z) for z in out]

    def to_geojson(self) -> dict[str, Any]:
        """A FeatureCollection with properties id, name, name_fa: the report's map layer."""
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"id": z.id, "name": z.name, "name_fa": z.name_fa},
                    "geometry": mapping(z.geometry),
                }
                for z in self.zones
            ],
        }

    def name_of(self, zone_id: str) -> str:
        return next((z.name for z in self.zones if z.id == zone_id), zone_id)


def from_districts(districts: Districts) -> Zones:
    zones = tuple(Zone(d.code, d.name_en, d.name_fa, d.geometry) for d in districts.districts)
    return Zones(zones, districts.source)


def clustered(network: Network, k: int = DEFAULT_ZONES, seed: int = 0) -> Zones:
    """About `k` zones from the feed's stops; the same feed and seed give the same zones."""
    lat, lon = network.stop_locations(network.stop_ids)
    known = np.isfinite(lat) & np.isfinite(lon)
    points = np.unique(np.column_stack([lon[known], lat[known]]), axis=0)
    if len(points) < 2:
        raise ShahrError("the feed has fewer than two located stops: give zones as a GeoJSON (--zones)")
    k = min(k, len(points))
    scale = np.array([np.cos(np.radians(points[:, 1].mean())), 1.0])  # degrees of longitude shrink
    centres, _ = kmeans2(points * scale, k, seed=seed, minit="++")
    centres = np.unique(centres / scale, axis=0)
    centres = centres[np.lexsort((centres[:, 0], -centres[:, 1]))]  # north to south, then west to east
    area = MultiPoint([tuple(p) for p in points]).convex_hull.buffer(_AREA_MARGIN_DEG)
    cells = shapely.voronoi_polygons(MultiPoint([tuple(c) for c in centres]), extend_to=area)
    zones = []
    for i, centre in enumerate(centres, start=1):
        cell = next(g for g in cells.geoms if g.covers(shapely.Point(*centre)))
        number = str(i)
        zones.append(Zone(f"z{i:02d}", f"Zone {number}", f"ناحیه {number.translate(_PERSIAN_DIGITS)}",
                          cell.intersection(area)))  # fmt: skip
    return Zones(tuple(zones), f"{len(zones)} zones clustered from the feed's stops")
