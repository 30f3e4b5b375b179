"""Calendar and timetables: Iran's week (Saturday to Wednesday, Thursday, Friday) in 1404 and 1405.

Headways, service hours and speeds are illustrative choices, shaped by published figures and the
usual peaks of a working day; docs/demo-feed.md lists them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from demo_feed.network import Pattern

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# service_id -> the GTFS weekday columns it runs on. "friday" also runs on public holidays.
SERVICES = {
    "weekday": ("saturday", "sunday", "monday", "tuesday", "wednesday"),
    "thursday": ("thursday",),
    "friday": ("friday",),
}
HOLIDAY_SERVICE = "friday"

# 1 Farvardin of each Persian year covered, and the feed's last day (29 Esfand 1405).
NOWRUZ = {1404: date(2025, 3, 21), 1405: date(2026, 3, 21)}
FEED_END = date(2027, 3, 20)

# Public holidays fixed in the Persian calendar, (month, day). The lunar (Islamic) holidays move
# every year and are left out.
SOLAR_HOLIDAYS = (
    (1, 1), (1, 2), (1, 3), (1, 4),  # Nowruz
    (1, 12),  # Islamic Republic Day
    (1, 13),  # Sizdah Bedar
    (3, 14), (3, 15),  # death of Khomeini, 15 Khordad uprising
    (11, 22),  # anniversary of the revolution
    (12, 29),  # oil nationalisation day
)  # fmt: skip

Band = tuple[str, int, bool]

# mode -> service_id -> bands (first departure "HH:MM", headway in minutes, peak?); the last
# departure of the day is SERVICE_END[mode].
HEADWAYS = {
    "metro": {
        "weekday": (("05:30", 10, False), ("07:00", 6, True), ("09:30", 10, False),
                    ("16:00", 7, True), ("19:30", 12, False)),
        "thursday": (("05:30", 12, False), ("07:00", 8, True), ("09:30", 10, False),
                     ("16:00", 8, True), ("19:30", 12, False)),
        "friday": (("05:30", 15, False), ("09:00", 12, False)),
    },
    "brt": {
        "weekday": (("05:30", 8, False), ("07:00", 4, True), ("09:30", 6, False),
                    ("16:00", 4, True), ("19:30", 8, False)),
        "thursday": (("05:30", 8, False), ("07:00", 5, True), ("09:30", 7, False),
                     ("16:00", 5, True), ("19:30", 8, False)),
        "friday": (("05:30", 10, False), ("09:00", 8, False)),
    },
    "trunk": {
        "weekday": (("06:00", 15, False), ("07:00", 10, True), ("09:30", 15, False),
                    ("16:00", 10, True), ("19:30", 20, False)),
        "thursday": (("06:00", 20, False), ("07:00", 12, True), ("09:30", 15, False),
                     ("16:00", 12, True), ("19:30", 20, False)),
        "friday": (("06:00", 20, False),),
    },
    "feeder": {
        "weekday": (("06:00", 20, False), ("07:00", 12, True), ("09:30", 20, False),
                    ("16:00", 12, True), ("19:30", 20, False)),
        "thursday": (("06:00", 20, False), ("07:00", 15, True), ("09:30", 20, False),
                     ("16:00", 15, True), ("19:30", 20, False)),
        "friday": (("06:00", 25, False),),
    },
}  # fmt: skip
SERVICE_END = {"metro": "23:00", "brt": "23:00", "trunk": "22:00", "feeder": "22:00"}

# Running speed between stops (km/h) at peak and off-peak, and dwell at each intermediate stop.
SPEED_KMH = {
    "metro": (35.0, 35.0),
    "brt": (22.0, 25.0),
    "trunk": (15.0, 19.0),
    "feeder": (18.0, 22.0),
}
DWELL_S = {"metro": 30, "brt": 20, "trunk": 15, "feeder": 15}


@dataclass(frozen=True, slots=True)
class Trip:
    """One run of a pattern: its id, its service and the times at each stop (seconds)."""

    trip_id: str
    service_id: str
    pattern: Pattern
    arrivals_s: tuple[int, ...]
    departures_s: tuple[int, ...]


def holidays() -> list[date]:
    """The solar public holidays in the feed's date range."""
    return sorted(
        nowruz + timedelta(days=_day_of_year(month, day) - 1)
        for nowruz in NOWRUZ.values()
        for month, day in SOLAR_HOLIDAYS
    )


def _day_of_year(month: int, day: int) -> int:
    """Day of the Persian year: the first six months have 31 days, the next five 30."""
    return (month - 1) * 31 + day if month <= 7 else 186 + (month - 7) * 30 + day


def regular_service(day: date) -> str:
    """The service that runs on ``day`` when it is not a holiday."""
    weekday = WEEKDAYS[day.weekday()]
    return next(service for service, days in SERVICES.items() if weekday in days)


def list_trips(patterns: tuple[Pattern, ...]) -> Iterator[Trip]:
    """Every trip of every pattern on every service."""
    for pattern in patterns:
        mode = pattern.route.mode
        for service_id, bands in HEADWAYS[mode].items():
            for start_s, peak in _departures(bands, _seconds(SERVICE_END[mode])):
                yield _trip(pattern, service_id, start_s, peak)


def _departures(bands: tuple[Band, ...], last_s: int) -> Iterator[tuple[int, bool]]:
    """First departures from the first band's start to ``last_s``, each band at its headway."""
    starts = [_seconds(start) for start, _, _ in bands]
    time_s = starts[0]
    while time_s <= last_s:
        _, headway_min, peak = bands[sum(1 for s in starts if s <= time_s) - 1]
        yield time_s, peak
        time_s += headway_min * 60


def _trip(pattern: Pattern, service_id: str, start_s: int, peak: bool) -> Trip:
    """Times at each stop: running at the mode's speed, dwelling at intermediate stops."""
    mode = pattern.route.mode
    speed_kmh = SPEED_KMH[mode][0 if peak else 1]
    dwell_s = DWELL_S[mode]
    arrivals, departures = [start_s], [start_s]
    clock = float(start_s)
    dists = pattern.stop_dists_km
    for index, (a, b) in enumerate(zip(dists, dists[1:], strict=False), start=1):
        clock += (b - a) / speed_kmh * 3600
        arrivals.append(round(clock))
        if index < len(dists) - 1:
            clock += dwell_s
        departures.append(round(clock))
    hhmm = f"{start_s // 3600:02d}{start_s // 60 % 60:02d}"
    trip_id = f"{pattern.route.route_id}_{service_id}_{pattern.direction_id}_{hhmm}"
    return Trip(trip_id, service_id, pattern, tuple(arrivals), tuple(departures))


def _seconds(hhmm: str) -> int:
    """Seconds after midnight at "HH:MM"."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600 + int(minutes) * 60
