"""Duplicate suggestions: the same category within 50 m and 7 days, on both databases."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from shahr.civic.geo import Districts
from shahr.civic.reports import workflow
from shahr.civic.reports.duplicates import nearby_reports, suggest_duplicates
from shahr.civic.reports.settings import ReportSettings
from tests.civic.reports.conftest import AHMADABAD

T0 = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
METRES_PER_DEG_LAT = 6_371_008.8 * math.pi / 180  # 111,195 m: the haversine's sphere


def north(metres: float) -> float:
    return AHMADABAD[0] + metres / METRES_PER_DEG_LAT


def east(metres: float) -> float:
    return AHMADABAD[1] + metres / (METRES_PER_DEG_LAT * math.cos(math.radians(AHMADABAD[0])))


def put(
    session: Session,
    settings: ReportSettings,
    districts: Districts,
    lat: float,
    lon: float,
    at: datetime,
    code: str = "road_damage",
) -> int:
    new = workflow.NewReport(service_code=code, description="چاله", lat=lat, lon=lon)
    return workflow.file_report(session, new, settings=settings, districts=districts, now=at).report.id


def test_within_50_m_and_7_days_only(
    session: Session, settings: ReportSettings, districts: Districts
) -> None:
    first = put(session, settings, districts, *AHMADABAD, T0)
    near = put(session, settings, districts, north(30), AHMADABAD[1], T0 + timedelta(days=2))  # 30 m north
    east_49 = put(session, settings, districts, AHMADABAD[0], east(49), T0 + timedelta(days=6, hours=23))
    too_far = put(session, settings, districts, north(51), AHMADABAD[1], T0 + timedelta(hours=1))  # 51 m
    too_late = put(session, settings, districts, north(10), AHMADABAD[1], T0 + timedelta(days=7, minutes=1))
    put(session, settings, districts, north(10), AHMADABAD[1], T0 - timedelta(days=7, minutes=1))  # too early
    put(session, settings, districts, north(5), AHMADABAD[1], T0, code="street_lighting")  # other category

    found = suggest_duplicates(session, first, settings)
    assert [s.report.id for s in found] == [near, east_49]
    assert round(found[0].distance_m, 1) == 30.0 and round(found[1].distance_m, 1) == 49.0
    assert found[0].hours_apart == 48.0

    # Seen from the 30 m one (two days after the first): the 10 m one filed 7 days and a minute after
    # the first is 20 m away and 5 days after; the 51 m one is 21 m away, 47 hours before; the first
    # is 30 m away. 49 m east of the first is sqrt(30^2 + 49^2) = 57.5 m away: too far; the 10 m one
    # filed 7 days before the first is 9 days before: too early.
    assert [s.report.id for s in suggest_duplicates(session, near, settings)] == [too_late, too_far, first]


def test_merged_reports_are_not_suggested(
    session: Session, settings: ReportSettings, districts: Districts
) -> None:
    first = put(session, settings, districts, *AHMADABAD, T0)
    second = put(session, settings, districts, north(10), AHMADABAD[1], T0)
    third = put(session, settings, districts, north(20), AHMADABAD[1], T0)
    workflow.merge(session, second, first, actor="triage", now=T0)
    assert [s.report.id for s in suggest_duplicates(session, third, settings)] == [first]
    category_id = workflow.get_report(session, first).category_id
    before_filing = nearby_reports(session, category_id, north(15), AHMADABAD[1], T0, settings)
    assert [s.report.id for s in before_filing] == [third, first]  # 5 m, then 15 m
