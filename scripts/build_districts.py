"""Build the ILLUSTRATIVE district map of Mashhad for the demo: 13 municipal districts and Samen.

Not the municipality's boundaries. Each district gets an approximate centre chosen by hand (below);
the city is the convex hull of the demo feed's stops (data/mashhad-demo.zip) buffered by 1.5 km; Samen
is a 1.2 km circle around the Imam Reza shrine, and the 13 numbered districts are the Voronoi cells of
their centres inside the rest. Geometry is computed in local metres (an equirectangular projection at the
city's latitude, accurate to well under 1% across 25 km) and written back in WGS84, 6 decimals.

    .venv/bin/python scripts/build_districts.py

writes data/mashhad-districts.geojson and the copy shipped in the package
(src/shahr/civic/data/mashhad-districts.geojson); the two are identical.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from shapely import MultiPoint, Point, transform, voronoi_polygons
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parent.parent
FEED = ROOT / "data" / "mashhad-demo.zip"
OUTPUTS = (
    ROOT / "data" / "mashhad-districts.geojson",
    ROOT / "src/shahr/civic/data/mashhad-districts.geojson",
)

HULL_BUFFER_M = 1_500.0
SAMEN_RADIUS_M = 1_200.0
HARAM = (36.2880, 59.6157)
"""The Imam Reza shrine (lat, lon), as in the demo feed's places."""

CENTRES = (
    # code, name_fa, name_en, approximate centre (lat, lon): ILLUSTRATIVE, picked from the map by eye
    ("d01", "منطقه ۱", "District 1", 36.310, 59.575),
    ("d02", "منطقه ۲", "District 2", 36.345, 59.590),
    ("d03", "منطقه ۳", "District 3", 36.330, 59.640),
    ("d04", "منطقه ۴", "District 4", 36.300, 59.670),
    ("d05", "منطقه ۵", "District 5", 36.268, 59.655),
    ("d06", "منطقه ۶", "District 6", 36.262, 59.622),
    ("d07", "منطقه ۷", "District 7", 36.305, 59.630),
    ("d08", "منطقه ۸", "District 8", 36.275, 59.585),
    ("d09", "منطقه ۹", "District 9", 36.300, 59.525),
    ("d10", "منطقه ۱۰", "District 10", 36.345, 59.505),
    ("d11", "منطقه ۱۱", "District 11", 36.325, 59.545),
    ("d12", "منطقه ۱۲", "District 12", 36.340, 59.455),
    ("d13", "منطقه ۱۳", "District 13", 36.240, 59.600),
)
SOURCE = (
    "ILLUSTRATIVE: not the municipality's boundaries. Voronoi cells of hand-picked approximate district "
    "centres inside the buffered hull of the shahr demo feed's stops; Samen a 1.2 km circle around the "
    "Imam Reza shrine (scripts/build_districts.py)."
)

_LAT0 = 36.30
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(_LAT0))


def to_metres(lon: float, lat: float) -> tuple[float, float]:
    return lon * _M_PER_DEG_LON, lat * _M_PER_DEG_LAT


def to_degrees(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Local metres back to (lon, lat), rounded to 6 decimals (about 0.1 m)."""
    degrees: NDArray[np.float64] = np.round(xy / np.array([_M_PER_DEG_LON, _M_PER_DEG_LAT]), 6)
    return degrees


def stop_points(feed: Path) -> list[tuple[float, float]]:
    """The feed's stops as (lon, lat)."""
    with zipfile.ZipFile(feed) as archive, archive.open("stops.txt") as raw:
        rows = csv.DictReader(io.TextIOWrapper(raw, "utf-8-sig"))
        return [(float(row["stop_lon"]), float(row["stop_lat"])) for row in rows]


def build(stops: list[tuple[float, float]]) -> dict[str, object]:
    city = MultiPoint([to_metres(lon, lat) for lon, lat in stops]).convex_hull.buffer(HULL_BUFFER_M)
    samen = Point(to_metres(HARAM[1], HARAM[0])).buffer(SAMEN_RADIUS_M).intersection(city)
    rest = city.difference(samen)
    centres = [Point(to_metres(lon, lat)) for _, _, _, lat, lon in CENTRES]
    cells = voronoi_polygons(MultiPoint(centres), extend_to=city).geoms
    features = []
    for code, name_fa, name_en, *_ in CENTRES:
        centre = centres[[row[0] for row in CENTRES].index(code)]
        cell = next(cell for cell in cells if cell.contains(centre))
        features.append(_feature(code, name_fa, name_en, cell.intersection(rest)))
    features.append(_feature("samen", "منطقه ثامن", "Samen District", samen))
    return {"type": "FeatureCollection", "name": "mashhad-districts (ILLUSTRATIVE)", "features": features}


def _feature(code: str, name_fa: str, name_en: str, geometry: BaseGeometry) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": {
            "code": code,
            "name_fa": name_fa,
            "name_en": name_en,
            "illustrative": True,
            "source": SOURCE,
        },
        "geometry": mapping(transform(geometry.simplify(5.0), to_degrees)),
    }


def main() -> None:
    text = json.dumps(build(stop_points(FEED)), ensure_ascii=False, indent=1) + "\n"
    for output in OUTPUTS:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output.relative_to(ROOT)} ({len(text):,} bytes)")


if __name__ == "__main__":
    main()
