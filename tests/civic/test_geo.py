"""The districts map: which district a point is in, points outside the city, and the illustrative map
being what its build script makes."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from shahr.civic.geo import GeoError, OutsideCity, distance_m, load_districts, parse_districts

ROOT = Path(__file__).resolve().parents[2]


def test_demo_map_has_13_districts_and_samen_marked_illustrative() -> None:
    districts = load_districts()
    assert [d.code for d in districts.districts] == [f"d{n:02d}" for n in range(1, 14)] + ["samen"]
    raw = json.loads((ROOT / "src/shahr/civic/data/mashhad-districts.geojson").read_text(encoding="utf-8"))
    assert all(feature["properties"]["illustrative"] is True for feature in raw["features"])
    assert "ILLUSTRATIVE" in raw["name"]


def test_points_are_placed() -> None:
    districts = load_districts()
    assert districts.district_at(36.2880, 59.6157).code == "samen"  # the Haram
    assert districts.district_at(36.3005, 59.5775).code == "d01"  # Ahmadabad, near District 1's centre
    assert districts.district_at(36.2400, 59.6000).code == "d13"


@pytest.mark.parametrize("lat, lon", [(36.5, 59.6), (59.6157, 36.2880), (35.7, 51.4)])
def test_points_outside_the_city_are_refused(lat: float, lon: float) -> None:
    with pytest.raises(OutsideCity, match="outside the city"):
        load_districts().district_at(lat, lon)


def test_impossible_coordinates_are_refused() -> None:
    with pytest.raises(GeoError, match="not a WGS84"):
        load_districts().district_at(float("nan"), 59.6)


def test_bad_files_are_refused() -> None:
    with pytest.raises(GeoError, match="not a GeoJSON FeatureCollection"):
        parse_districts({"type": "Feature"}, "x.geojson")
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    feature = {
        "type": "Feature",
        "properties": {"code": "a", "name_fa": "الف", "name_en": "A"},
        "geometry": square,
    }
    with pytest.raises(GeoError, match="codes repeat"):
        parse_districts({"type": "FeatureCollection", "features": [feature, feature]}, "x.geojson")
    with pytest.raises(GeoError, match="no name_en"):
        nameless = {**feature, "properties": {"code": "a", "name_fa": "الف"}}
        parse_districts({"type": "FeatureCollection", "features": [nameless]}, "x.geojson")


def test_haversine() -> None:
    # One thousandth of a degree of latitude is 6371008.8 * pi / 180 / 1000 = 111.195 m.
    assert distance_m(36.0, 59.0, 36.001, 59.0) == pytest.approx(111.195, abs=0.001)


def test_build_script_makes_the_shipped_map(tmp_path: Path) -> None:
    script = runpy.run_path(str(ROOT / "scripts/build_districts.py"))
    built = script["build"](script["stop_points"](ROOT / "data/mashhad-demo.zip"))
    text = json.dumps(built, ensure_ascii=False, indent=1) + "\n"
    assert text == (ROOT / "data/mashhad-districts.geojson").read_text(encoding="utf-8")
    assert text == (ROOT / "src/shahr/civic/data/mashhad-districts.geojson").read_text(encoding="utf-8")
