"""The city's districts, from a GeoJSON file: which district a point is in, and whether it is in the city
at all (the city is the union of its districts; a point in none of them is refused).

The file is a FeatureCollection of Polygon or MultiPolygon features in WGS84, each with properties `code`,
`name_fa` and `name_en`. The demo ships an illustrative one for Mashhad (`DEMO_DISTRICTS`, built by
scripts/build_districts.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from shapely import Point, prepare
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from shahr.errors import ShahrError

DEMO_DISTRICTS = "mashhad-districts.geojson"
"""The illustrative Mashhad districts shipped in this package (`shahr/civic/data/`)."""

EARTH_RADIUS_M = 6_371_008.8
"""The mean Earth radius (IUGG): distances of tens of metres are good to well under a metre."""


class GeoError(ShahrError):
    """A districts file that cannot be used, or a point that cannot be placed: `field` names the input."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class OutsideCity(GeoError):
    """A point in none of the city's districts: a problem the city cannot act on (or a swapped lat/long)."""


@dataclass(frozen=True)
class District:
    code: str
    name_fa: str
    name_en: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class Districts:
    """The districts, in file order. Lookups test the polygons in that order, so a point on a shared
    border belongs to the first district listed."""

    districts: tuple[District, ...]
    source: str

    def district_at(self, lat: float, lon: float) -> District:
        """The district containing the point (edges included), or `OutsideCity`."""
        if not (math.isfinite(lat) and math.isfinite(lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise GeoError(f"({lat}, {lon}) is not a WGS84 latitude and longitude", field="lat")
        point = Point(lon, lat)
        for district in self.districts:
            if district.geometry.covers(point):
                return district
        raise OutsideCity(
            f"({lat:.6f}, {lon:.6f}) is outside the city's districts ({self.source}); "
            "check that latitude and longitude are not swapped",
            field="lat",
        )

    def get(self, code: str) -> District:
        for district in self.districts:
            if district.code == code:
                return district
        raise GeoError(f"no district {code!r} in {self.source}", field="district")

    def to_geojson(self) -> dict[str, Any]:
        """The districts as a FeatureCollection (code and names as properties): a map's layer."""
        features = [
            {
                "type": "Feature",
                "properties": {"code": d.code, "name_fa": d.name_fa, "name_en": d.name_en},
                "geometry": mapping(d.geometry),
            }
            for d in self.districts
        ]
        return {"type": "FeatureCollection", "features": features}

    def bounds(self) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat) of all the districts: a map's first view."""
        boxes = [district.geometry.bounds for district in self.districts]
        return (
            min(box[0] for box in boxes),
            min(box[1] for box in boxes),
            max(box[2] for box in boxes),
            max(box[3] for box in boxes),
        )


def parse_districts(collection: dict[str, Any], source: str) -> Districts:
    """Districts from a parsed GeoJSON FeatureCollection; `source` names it in errors."""
    if collection.get("type") != "FeatureCollection" or not isinstance(collection.get("features"), list):
        raise GeoError(f"{source}: not a GeoJSON FeatureCollection")
    districts = []
    for index, feature in enumerate(collection["features"]):
        properties = feature.get("properties") or {}
        missing = [key for key in ("code", "name_fa", "name_en") if not properties.get(key)]
        if missing:
            raise GeoError(f"{source}: feature {index} has no {', '.join(missing)}")
        try:
            geometry = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise GeoError(f"{source}: feature {index} ({properties['code']}): bad geometry: {exc}") from exc
        if geometry.geom_type not in ("Polygon", "MultiPolygon") or not geometry.is_valid:
            raise GeoError(f"{source}: feature {index} ({properties['code']}) is not a valid polygon")
        prepare(geometry)
        districts.append(
            District(
                str(properties["code"]), str(properties["name_fa"]), str(properties["name_en"]), geometry
            )
        )
    if not districts:
        raise GeoError(f"{source}: no districts")
    codes = [district.code for district in districts]
    if len(set(codes)) != len(codes):
        raise GeoError(f"{source}: district codes repeat: {sorted(codes)}")
    return Districts(tuple(districts), source)


@lru_cache(maxsize=4)
def load_districts(path: str | None = None) -> Districts:
    """The districts in the GeoJSON at `path` (None: the demo's), read once per process."""
    if path is None:
        text = resources.files("shahr.civic").joinpath("data", DEMO_DISTRICTS).read_text(encoding="utf-8")
        return parse_districts(json.loads(text), f"shahr/civic/data/{DEMO_DISTRICTS}")
    try:
        collection = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GeoError(f"{path}: cannot read the districts file: {exc}") from exc
    return parse_districts(collection, path)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres: what "within 50 m" means for duplicates."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
