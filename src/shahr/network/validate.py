"""Checks that a loaded feed is usable, vectorised so millions of stop_times take a second or two.

Each check raises FeedError naming the first offending row (1-based, header is row 1), its file and
field. Only what shahr relies on, and what GTFS (gtfs.org/schedule/reference) requires of it, is checked.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from gtfs_kit import Feed

from shahr.errors import FeedError
from shahr.network.tables import first_row, group_starts, order_within, position_of, row_of

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "agency": ("agency_name", "agency_url", "agency_timezone"),
    "stops": ("stop_id",),
    "routes": ("route_id", "route_type"),
    "trips": ("route_id", "service_id", "trip_id"),
    "stop_times": ("trip_id", "stop_id", "stop_sequence"),
    "calendar": ("service_id", *WEEKDAYS, "start_date", "end_date"),
    "calendar_dates": ("service_id", "date", "exception_type"),
    "shapes": ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
    "transfers": ("transfer_type",),
}

UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "stops": ("stop_id",),
    "routes": ("route_id",),
    "trips": ("trip_id",),
    "stop_times": ("trip_id", "stop_sequence"),
    "shapes": ("shape_id", "shape_pt_sequence"),
}

# (table, field, tables whose ids it may name). routes.agency_id is checked only when agency.txt has
# agency_id: single-agency feeds often leave it out there, which GTFS allows.
REFERENCES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("stops", "parent_station", (("stops", "stop_id"),)),
    ("routes", "agency_id", (("agency", "agency_id"),)),
    ("trips", "route_id", (("routes", "route_id"),)),
    ("trips", "service_id", (("calendar", "service_id"), ("calendar_dates", "service_id"))),
    ("trips", "shape_id", (("shapes", "shape_id"),)),
    ("stop_times", "trip_id", (("trips", "trip_id"),)),
    ("stop_times", "stop_id", (("stops", "stop_id"),)),
    ("transfers", "from_stop_id", (("stops", "stop_id"),)),
    ("transfers", "to_stop_id", (("stops", "stop_id"),)),
)

# (table, field, low, high): inclusive ranges of numeric fields.
RANGES: tuple[tuple[str, str, float, float], ...] = (
    ("stops", "stop_lat", -90, 90),
    ("stops", "stop_lon", -180, 180),
    ("shapes", "shape_pt_lat", -90, 90),
    ("shapes", "shape_pt_lon", -180, 180),
    ("routes", "route_type", 0, 1799),  # basic types and the extended ones (100-1799)
    ("stop_times", "stop_sequence", 0, np.inf),
    ("shapes", "shape_pt_sequence", 0, np.inf),
    ("stop_times", "shape_dist_traveled", 0, np.inf),
    ("shapes", "shape_dist_traveled", 0, np.inf),
)

TIME = re.compile(r"\d{1,3}:[0-5]\d:[0-5]\d")  # GTFS Time: H:MM:SS or HH:MM:SS, past 24:00:00 allowed
_LOCATED = (0, 1, 2)  # location_types that must have stop_lat/stop_lon (stop, station, entrance)


def validate_feed(feed: Feed) -> None:
    """Raise FeedError at the first problem; return quietly for a usable feed."""
    for table, fields in REQUIRED_FIELDS.items():
        _check_required(feed, table, fields)
    _check_coordinates_present(feed.stops)
    for table, field, low, high in RANGES:
        _check_range(feed, table, field, low, high)
    for field in ("arrival_time", "departure_time"):
        _check_times(feed.stop_times, field)
    for table, key in UNIQUE_KEYS.items():
        _check_unique(feed, table, key)
    for table, field, parents in REFERENCES:
        _check_reference(feed, table, field, parents)
    _check_increasing(feed.stop_times, "stop_times", "trip_id", "stop_sequence")
    _check_increasing(feed.shapes, "shapes", "shape_id", "shape_pt_sequence")


def _table(feed: Feed, table: str) -> pd.DataFrame | None:
    frame: pd.DataFrame | None = getattr(feed, table)
    return frame


def _fail(frame: pd.DataFrame, table: str, field: str, row: int, message: str) -> FeedError:
    value = frame[field].iloc[position_of(row)]
    return FeedError(message.format(value=repr(value)), file=f"{table}.txt", row=row, field=field)


def _check_required(feed: Feed, table: str, fields: tuple[str, ...]) -> None:
    frame = _table(feed, table)
    if frame is None:
        return
    for field in fields:
        if field not in frame:
            raise FeedError("required column is missing from the header", file=f"{table}.txt", field=field)
        row = first_row(frame[field].isna())
        if row is not None:
            raise FeedError("required value is missing", file=f"{table}.txt", row=row, field=field)


def _check_coordinates_present(stops: pd.DataFrame) -> None:
    kinds = stops["location_type"] if "location_type" in stops else pd.Series(pd.NA, index=stops.index)
    located = kinds.isna() | kinds.isin(_LOCATED)
    for field in ("stop_lat", "stop_lon"):
        if field not in stops:
            raise FeedError("required column is missing from the header", file="stops.txt", field=field)
        row = first_row(located & stops[field].isna())
        if row is not None:
            message = "required value is missing (stops, stations and entrances need coordinates)"
            raise FeedError(message, file="stops.txt", row=row, field=field)


def _check_range(feed: Feed, table: str, field: str, low: float, high: float) -> None:
    frame = _table(feed, table)
    if frame is None or field not in frame:
        return
    values = frame[field]
    row = first_row((values < low) | (values > high))
    if row is not None:
        raise _fail(frame, table, field, row, f"{{value}} is out of range [{low}, {high}]")


def _check_times(stop_times: pd.DataFrame, field: str) -> None:
    """Parse each distinct time once: there are far fewer distinct times than stop_times."""
    if field not in stop_times:
        return
    values = stop_times[field]
    distinct = pd.Series(values.dropna().unique())
    bad = distinct[~distinct.map(lambda text: TIME.fullmatch(str(text)) is not None).astype(bool)]
    row = first_row(values.isin(bad))
    if row is not None:
        raise _fail(stop_times, "stop_times", field, row, "{value} is not a time HH:MM:SS")


def _check_unique(feed: Feed, table: str, key: tuple[str, ...]) -> None:
    frame = _table(feed, table)
    if frame is None:
        return
    row = first_row(frame.duplicated(list(key)))
    if row is not None:
        raise _fail(frame, table, key[-1], row, f"{{value}} is a duplicate {' + '.join(key)}")


def _check_reference(feed: Feed, table: str, field: str, parents: tuple[tuple[str, str], ...]) -> None:
    frame = _table(feed, table)
    if frame is None or field not in frame:
        return
    agency = _table(feed, "agency")
    if table == "routes" and (agency is None or "agency_id" not in agency):
        return
    known: list[pd.Series] = []
    for parent, parent_field in parents:
        parent_frame = _table(feed, parent)
        if parent_frame is not None and parent_field in parent_frame:
            known.append(parent_frame[parent_field])
    ids = pd.concat(known) if known else pd.Series([], dtype="string")
    values = frame[field]
    row = first_row(values.notna() & ~values.isin(ids))
    if row is not None:
        where = " or ".join(f"{p}.txt" for p, _ in parents)
        raise _fail(frame, table, field, row, f"{{value}} is not in {where}")


def _check_increasing(frame: pd.DataFrame | None, table: str, group: str, sequence: str) -> None:
    """GTFS: shape_dist_traveled must not decrease along a trip or shape (no reverse travel)."""
    if frame is None or "shape_dist_traveled" not in frame:
        return
    positions = np.flatnonzero(frame["shape_dist_traveled"].notna().to_numpy())
    known = frame.iloc[positions]
    order = order_within(known, group, sequence)
    codes = pd.factorize(known[group])[0][order]
    dist = known["shape_dist_traveled"].to_numpy(dtype=np.float64)[order]
    same = np.ones(codes.size, dtype=bool)
    same[group_starts(codes)] = False
    decreasing = np.zeros(codes.size, dtype=bool)
    decreasing[1:] = (dist[1:] < dist[:-1]) & same[1:]
    if decreasing.any():
        position = int(positions[order[int(decreasing.argmax())]])
        message = f"{{value}} is less than at the previous point of this {group}: it must not decrease"
        raise _fail(frame, table, "shape_dist_traveled", row_of(position), message)
