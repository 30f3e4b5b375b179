"""Suggested duplicates: reports of the same category within `duplicate_radius_m` metres and
`duplicate_days` days of each other (50 m and 7 days by default). Only suggestions: staff decide and
merge (`workflow.merge`).

The database narrows the search to a box around the point (degrees of latitude and longitude that
cover the radius) and a time window; the exact great-circle distance decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.civic.geo import distance_m
from shahr.civic.reports.settings import ReportSettings
from shahr.civic.reports.tables import Report
from shahr.civic.reports.workflow import get_report

_M_PER_DEG_LAT = 110_574.0
"""The shortest degree of latitude (at the equator): a box in these degrees never cuts the circle."""


@dataclass(frozen=True)
class Suggestion:
    report: Report
    distance_m: float
    hours_apart: float


def nearby_reports(
    session: Session,
    category_id: int,
    lat: float,
    lon: float,
    at: datetime,
    settings: ReportSettings,
    *,
    exclude_id: int | None = None,
) -> list[Suggestion]:
    """Reports of the category within the radius of (lat, lon) filed within the window either side of
    `at`, not merged into another, nearest first. Also what a page can show before a report is filed."""
    radius = settings.duplicate_radius_m
    dlat = radius / _M_PER_DEG_LAT
    dlon = radius / (111_320.0 * max(math.cos(math.radians(lat)), 1e-6))
    window = timedelta(days=settings.duplicate_days)
    query = select(Report).where(
        Report.category_id == category_id,
        Report.duplicate_of_id.is_(None),
        Report.lat.between(lat - dlat, lat + dlat),
        Report.lon.between(lon - dlon, lon + dlon),
        Report.filed_at.between(at - window, at + window),
    )
    if exclude_id is not None:
        query = query.where(Report.id != exclude_id)
    found = []
    for report in session.scalars(query):
        if report.lat is None or report.lon is None:
            continue
        metres = distance_m(lat, lon, report.lat, report.lon)
        if metres <= radius:
            hours = abs((report.filed_at - at).total_seconds()) / 3600
            found.append(Suggestion(report, metres, hours))
    return sorted(found, key=lambda suggestion: (suggestion.distance_m, suggestion.report.id))


def suggest_duplicates(session: Session, report_id: int, settings: ReportSettings) -> list[Suggestion]:
    """Reports that may be the same problem as `report_id` (none for a report without a point)."""
    report = get_report(session, report_id)
    if report.lat is None or report.lon is None:
        return []
    return nearby_reports(
        session, report.category_id, report.lat, report.lon, report.filed_at, settings, exclude_id=report.id
    )
