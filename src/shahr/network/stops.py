"""Stops and stations of a feed: which station a stop belongs to, and where a stop is."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from shahr.network.geo import FloatArray

_MAX_DEPTH = 3  # boarding area -> platform -> station is the deepest GTFS nesting


class StopIndex:
    """Looks stops up by id. Built once per network; every answer is a dict or array lookup."""

    def __init__(self, stops: pd.DataFrame) -> None:
        ids = stops["stop_id"].astype(str).tolist()
        self.index = pd.Index(ids)
        parent_col = stops["parent_station"] if "parent_station" in stops else pd.Series(pd.NA, stops.index)
        self._parent = {s: str(p) for s, p in zip(ids, parent_col, strict=True) if not pd.isna(p)}
        self._station = {s: self._climb(s) for s in ids}
        self.lat, self.lon = self._coordinates(stops)

    def __contains__(self, stop_id: object) -> bool:
        return stop_id in self._station

    def station_of(self, stop_id: str) -> str:
        """The stop's station (climbing boarding area -> platform -> station); an unknown stop is its own."""
        return self._station.get(stop_id, stop_id)

    def coordinates(self, stop_ids: pd.Series | Sequence[str]) -> tuple[FloatArray, FloatArray]:
        """Latitudes and longitudes of known stops, in the order given."""
        positions = self.index.get_indexer(pd.Index(stop_ids))
        return self.lat[positions], self.lon[positions]

    def _climb(self, stop_id: str) -> str:
        current = stop_id
        for _ in range(_MAX_DEPTH):
            parent = self._parent.get(current)
            if parent is None:
                break
            current = parent
        return current

    def _coordinates(self, stops: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
        """stop_lat/stop_lon, a boarding area or node without its own taking its parent's (GTFS allows)."""
        lat = stops["stop_lat"].to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        lon = stops["stop_lon"].to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        parent_pos = self.index.get_indexer(pd.Index([self._parent.get(s, "") for s in self.index]))
        for _ in range(_MAX_DEPTH):
            missing = np.isnan(lat) & (parent_pos >= 0)
            if not missing.any():
                break
            lat[missing], lon[missing] = lat[parent_pos[missing]], lon[parent_pos[missing]]
        return lat, lon
