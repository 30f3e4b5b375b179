"""The public-transport layers of the pages' maps, from the service's GTFS feed (`settings.feed`): stops
and stations as points, and each route as the line of its first shape, in the route's colour.

Read once per process with `shahr.network.load_feed` (under a second for the demo feed) on the first
map that asks, and kept: the feed does not change while the service runs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

GeoJSON = dict[str, Any]


@dataclass(frozen=True)
class TransitLayers:
    stops: GeoJSON
    routes: GeoJSON


@lru_cache(maxsize=2)
def load_transit_layers(feed_path: str) -> TransitLayers:
    from shahr.network import load_feed  # gtfs-kit is slow to import: only when a map needs it

    feed = load_feed(Path(feed_path))
    return TransitLayers(stops_layer(feed.stops), routes_layer(feed.routes, feed.trips, feed.shapes))


def stops_layer(stops: pd.DataFrame) -> GeoJSON:
    """Stations, and the stops that belong to no station (a station's platforms would hide it)."""
    parent = stops["parent_station"] if "parent_station" in stops else pd.Series(pd.NA, index=stops.index)
    shown = stops[parent.isna() & stops["stop_lat"].notna() & stops["stop_lon"].notna()]
    location_type = shown["location_type"] if "location_type" in shown else pd.Series(0, index=shown.index)
    features = [
        _feature(
            {"type": "Point", "coordinates": [float(lon), float(lat)]},
            stop_id=str(stop_id),
            name=str(name),
            station=bool(kind == 1),
        )
        for stop_id, name, lat, lon, kind in zip(
            shown["stop_id"],
            shown["stop_name"].fillna(""),
            shown["stop_lat"],
            shown["stop_lon"],
            location_type.fillna(0),
            strict=True,
        )
    ]
    return {"type": "FeatureCollection", "features": features}


def routes_layer(routes: pd.DataFrame, trips: pd.DataFrame, shapes: pd.DataFrame | None) -> GeoJSON:
    """Each route drawn along the first (by id) of its trips' shapes; routes without a shape are left
    out (their stops are on the stops layer)."""
    if shapes is None or "shape_id" not in trips:
        return {"type": "FeatureCollection", "features": []}
    first_shape = trips.dropna(subset=["shape_id"]).groupby("route_id")["shape_id"].min()
    ordered = shapes.sort_values(["shape_id", "shape_pt_sequence"])
    lines = {
        str(shape_id): [
            [float(lon), float(lat)] for lat, lon in zip(g["shape_pt_lat"], g["shape_pt_lon"], strict=True)
        ]
        for shape_id, g in ordered.groupby("shape_id")
    }
    features = []
    for route in routes.itertuples(index=False):
        shape_id = first_shape.get(route.route_id)
        if shape_id is None or str(shape_id) not in lines:
            continue
        features.append(
            _feature(
                {"type": "LineString", "coordinates": lines[str(shape_id)]},
                route_id=str(route.route_id),
                name=str(getattr(route, "route_short_name", "") or route.route_id),
                long_name=str(getattr(route, "route_long_name", "") or ""),
                color="#" + str(getattr(route, "route_color", "") or "555555"),
            )
        )
    return {"type": "FeatureCollection", "features": features}


def _feature(geometry: GeoJSON, **properties: Any) -> GeoJSON:
    return {"type": "Feature", "geometry": geometry, "properties": properties}
