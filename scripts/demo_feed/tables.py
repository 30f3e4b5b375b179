"""The GTFS tables as DataFrames, and the deterministic zip they are written to.

Distances (``shape_dist_traveled``) are in kilometres; names are in Persian (``feed_lang`` fa) with
English in translations.txt.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from demo_feed.network import Network, Route, Stop
from demo_feed.places import AGENCIES, ILLUSTRATIVE_URL
from demo_feed.service import (
    FEED_END,
    HOLIDAY_SERVICE,
    NOWRUZ,
    SERVICES,
    WEEKDAYS,
    Trip,
    holidays,
    regular_service,
)

TIMEZONE = "Asia/Tehran"
FEED_VERSION = "1404.1-demo"
PUBLISHER = "shahr project: illustrative demo feed, not an official Mashhad feed"
DIST_DECIMALS = 4  # 0.1 m in kilometres
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

Tables = dict[str, pd.DataFrame]


def build_tables(network: Network, trips: list[Trip]) -> Tables:
    """Every GTFS file of the feed, by name without ".txt", rows sorted."""
    trips = sorted(trips, key=lambda trip: trip.trip_id)
    return {
        "agency": _agency(),
        "feed_info": _feed_info(),
        "calendar": _calendar(),
        "calendar_dates": _calendar_dates(),
        "routes": _frame([_route_row(route) for route in network.routes], "route_id"),
        "stops": _frame([_stop_row(stop) for stop in network.stops], "stop_id"),
        "shapes": _shapes(network),
        "trips": _frame([_trip_row(trip) for trip in trips], "trip_id"),
        "stop_times": _stop_times(trips),
        "translations": _translations(network, trips),
    }


def write_zip(tables: Tables, path: Path) -> None:
    """Write the tables as a GTFS zip, byte for byte the same for the same tables."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(tables):
            info = zipfile.ZipInfo(f"{name}.txt", date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            text = tables[name].to_csv(index=False, lineterminator="\n")
            archive.writestr(info, text.encode("utf-8"), compresslevel=9)


def _frame(rows: Sequence[Mapping[str, object]], *sort_by: str) -> pd.DataFrame:
    """Rows as a DataFrame sorted by ``sort_by``."""
    return pd.DataFrame(rows).sort_values(list(sort_by), kind="stable", ignore_index=True)


def _agency() -> pd.DataFrame:
    """The operators, named in Persian."""
    rows = [
        {"agency_id": a.agency_id, "agency_name": a.name_fa, "agency_url": a.url,
         "agency_timezone": TIMEZONE, "agency_lang": "fa"}
        for a in AGENCIES
    ]  # fmt: skip
    return _frame(rows, "agency_id")


def _feed_info() -> pd.DataFrame:
    """Who made the feed, and that it is a demo."""
    return pd.DataFrame([{
        "feed_publisher_name": PUBLISHER, "feed_publisher_url": ILLUSTRATIVE_URL,
        "feed_lang": "fa", "feed_start_date": _gtfs_date(min(NOWRUZ.values())),
        "feed_end_date": _gtfs_date(FEED_END), "feed_version": FEED_VERSION,
    }])  # fmt: skip


def _calendar() -> pd.DataFrame:
    """One row per service over Persian years 1404 and 1405."""
    rows = [
        {"service_id": service_id, **{day: int(day in days) for day in WEEKDAYS},
         "start_date": _gtfs_date(min(NOWRUZ.values())), "end_date": _gtfs_date(FEED_END)}
        for service_id, days in SERVICES.items()
    ]  # fmt: skip
    return _frame(rows, "service_id")


def _calendar_dates() -> pd.DataFrame:
    """On public holidays the holiday (Friday) service replaces the regular one."""
    rows: list[dict[str, object]] = []
    for day in holidays():
        regular = regular_service(day)
        if regular == HOLIDAY_SERVICE:
            continue
        day_str = _gtfs_date(day)
        rows.append({"service_id": regular, "date": day_str, "exception_type": 2})
        rows.append({"service_id": HOLIDAY_SERVICE, "date": day_str, "exception_type": 1})
    return _frame(rows, "date", "service_id")


def _route_row(route: Route) -> dict[str, object]:
    """A routes.txt row; the short name is the route id."""
    return {
        "route_id": route.route_id, "agency_id": route.agency_id,
        "route_short_name": route.route_id, "route_long_name": route.long_name_fa,
        "route_type": route.route_type, "route_color": route.color,
        "route_text_color": route.text_color,
    }  # fmt: skip


def _stop_row(stop: Stop) -> dict[str, object]:
    """A stops.txt row; the name is Persian."""
    return {
        "stop_id": stop.stop_id, "stop_name": stop.name_fa, "stop_lat": stop.point[0],
        "stop_lon": stop.point[1], "location_type": stop.location_type,
        "parent_station": stop.parent_station,
    }  # fmt: skip


def _shapes(network: Network) -> pd.DataFrame:
    """One shape per pattern, with the distance travelled at every point."""
    rows = [
        {"shape_id": pattern.shape_id, "shape_pt_lat": lat, "shape_pt_lon": lon,
         "shape_pt_sequence": sequence, "shape_dist_traveled": round(dist, DIST_DECIMALS)}
        for pattern in network.patterns
        for sequence, ((lat, lon), dist) in enumerate(
            zip(pattern.shape, pattern.shape_dists_km, strict=True), start=1)
    ]  # fmt: skip
    return _frame(rows, "shape_id", "shape_pt_sequence")


def _trip_row(trip: Trip) -> dict[str, object]:
    """A trips.txt row, headed for the pattern's last stop."""
    return {
        "route_id": trip.pattern.route.route_id, "service_id": trip.service_id,
        "trip_id": trip.trip_id, "trip_headsign": trip.pattern.stops[-1].name_fa,
        "direction_id": trip.pattern.direction_id, "shape_id": trip.pattern.shape_id,
    }  # fmt: skip


def _stop_times(trips: list[Trip]) -> pd.DataFrame:
    """Times and distances at every stop of every trip, in trip and stop order."""
    columns = ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence",
               "shape_dist_traveled")  # fmt: skip
    rows = [
        (trip.trip_id, _gtfs_time(arrival), _gtfs_time(departure), stop.stop_id, sequence,
         round(dist, DIST_DECIMALS))
        for trip in trips
        for sequence, (stop, arrival, departure, dist) in enumerate(
            zip(trip.pattern.stops, trip.arrivals_s, trip.departures_s,
                trip.pattern.stop_dists_km, strict=True), start=1)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=list(columns))


def _translations(network: Network, trips: list[Trip]) -> pd.DataFrame:
    """English names: agencies, routes and stops by record_id, trip headsigns by field_value."""
    records = [("agency", "agency_name", a.agency_id, a.name_en) for a in AGENCIES]
    records += [("routes", "route_long_name", r.route_id, r.long_name_en) for r in network.routes]
    records += [("stops", "stop_name", s.stop_id, s.name_en) for s in network.stops]
    rows = [_translation(*record) for record in records]
    headsigns = {(trip.pattern.stops[-1].name_fa, trip.pattern.stops[-1].name_en) for trip in trips}
    rows += [_translation("trips", "trip_headsign", "", en, fa) for fa, en in headsigns]
    return _frame(rows, "table_name", "field_name", "record_id", "field_value")


def _translation(
    table: str, field: str, record_id: str, english: str, field_value: str = ""
) -> dict[str, object]:
    """A translations.txt row into English, keyed by record_id or else by field_value."""
    return {
        "table_name": table, "field_name": field, "language": "en", "translation": english,
        "record_id": record_id, "field_value": field_value,
    }  # fmt: skip


def _gtfs_date(day: date) -> str:
    """YYYYMMDD."""
    return day.strftime("%Y%m%d")


def _gtfs_time(seconds: int) -> str:
    """HH:MM:SS, hours past 24 for trips running after midnight."""
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
