"""The maps' layers as GeoJSON, served by this server so a map needs nothing else: the city's districts,
the transit stops and routes of its feed, and the public reports (filtered as the list page is)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from shahr.web.deps import SessionDep, SettingsDep
from shahr.web.pages.reports import public_reports
from shahr.web.pages.transit_layers import load_transit_layers
from shahr.web.routers.civic_staff import DistrictsDep

router = APIRouter(prefix="/layers", include_in_schema=False)
GEOJSON = "application/geo+json"
MAX_REPORTS = 1000


@router.get("/districts.geojson")
def districts_layer(districts: DistrictsDep) -> JSONResponse:
    return _geojson(districts.to_geojson())


@router.get("/stops.geojson")
def stops_layer(settings: SettingsDep) -> JSONResponse:
    return _geojson(load_transit_layers(str(Path(settings.feed).resolve())).stops)


@router.get("/routes.geojson")
def routes_layer(settings: SettingsDep) -> JSONResponse:
    return _geojson(load_transit_layers(str(Path(settings.feed).resolve())).routes)


@router.get("/reports.geojson")
def reports_layer(
    session: SessionDep,
    category: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(max_length=32)] = "",
    district: Annotated[str, Query(max_length=32)] = "",
) -> JSONResponse:
    """The newest 1,000 public reports with a point matching the filters; properties name the category in
    both languages, so one layer serves both pages."""
    views = public_reports(session, category, status, district, limit=MAX_REPORTS)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [view.lon, view.lat]},
            "properties": {
                "id": view.id,
                "status": view.status.value,
                "category_fa": view.category_fa,
                "category_en": view.category_en,
                "overdue": view.overdue,
            },
        }
        for view in views
        if view.lat is not None and view.lon is not None
    ]
    return _geojson({"type": "FeatureCollection", "features": features})


def _geojson(document: dict[str, Any]) -> JSONResponse:
    return JSONResponse(document, media_type=GEOJSON, headers={"Cache-Control": "public, max-age=60"})
