"""Accountability figures, on-time shares and medians worked out by hand, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from shahr.civic.geo import Districts
from shahr.civic.reports import workflow
from shahr.civic.reports.accountability import accountability
from shahr.civic.reports.settings import ReportSettings
from shahr.civic.reports.tables import ReportStatus
from tests.civic.reports.conftest import AHMADABAD, HARAM

T0 = datetime(2025, 11, 1, 6, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_on_time_share_median_backlog_overdue(
    session: Session, settings: ReportSettings, districts: Districts
) -> None:
    def put(code: str, place: tuple[float, float], at: datetime) -> int:
        new = workflow.NewReport(service_code=code, description="x", lat=place[0], lon=place[1])
        return workflow.file_report(session, new, settings=settings, districts=districts, now=at).report.id

    def close(report_id: int, at: datetime, status: ReportStatus = ReportStatus.RESOLVED) -> None:
        workflow.change_status(session, report_id, status, "done", actor="crew", now=at)

    # waste_collection (24 h), all at the Haram (samen):
    a = put("waste_collection", HARAM, T0)
    close(a, T0 + 10 * H)  # on time, 10 h
    b = put("waste_collection", HARAM, T0)
    close(b, T0 + 30 * H)  # late, 30 h
    c = put("waste_collection", HARAM, T0)
    close(c, T0 + 24 * H, ReportStatus.REJECTED)  # rejected exactly at the deadline: on time, 24 h
    put("waste_collection", HARAM, T0)  # d: open, due T0 + 24 h, overdue at NOW
    e = put("waste_collection", HARAM, T0 + 50 * H)  # open, due T0 + 74 h, not yet due at NOW
    dup = put("waste_collection", HARAM, T0)
    workflow.merge(session, dup, a, actor="triage", now=T0 + H)  # merged: left out everywhere
    # road_damage (72 h), in District 1:
    f = put("road_damage", AHMADABAD, T0)
    close(f, T0 + 71 * H)  # on time, 71 h
    now = T0 + 60 * H

    figures = accountability(session, since=T0 - H, until=T0 + 100 * H, now=now, districts=districts)
    waste = next(x for x in figures.by_category if x.key == "waste_collection")
    # filed a, b, c, d, e = 5; closed a, b, c = 3, on time a, c = 2; open d, e = 2, overdue d = 1.
    # share = 2 / (3 closed + 1 overdue) = 0.5; median of 10, 30, 24 h = 24 h.
    assert (waste.filed, waste.closed, waste.closed_on_time, waste.open, waste.overdue) == (5, 3, 2, 2, 1)
    assert waste.on_time_share == 0.5
    assert waste.median_handling_hours == 24.0
    road = next(x for x in figures.by_category if x.key == "road_damage")
    assert (road.filed, road.on_time_share, road.median_handling_hours) == (1, 1.0, 71.0)
    lighting = next(x for x in figures.by_category if x.key == "street_lighting")
    assert (lighting.filed, lighting.on_time_share, lighting.median_handling_hours) == (0, None, None)
    # All: 6 reports, on time a, c, f = 3 of (4 closed + 1 overdue) = 0.6; median of 10, 24, 30, 71 = 27.
    overall = figures.overall
    assert (overall.filed, overall.closed, overall.on_time_share, overall.median_handling_hours) == (
        6,
        4,
        0.6,
        27.0,
    )
    samen = next(x for x in figures.by_district if x.key == "samen")
    d01 = next(x for x in figures.by_district if x.key == "d01")
    assert (samen.filed, samen.on_time_share) == (5, 0.5)
    assert (d01.filed, d01.on_time_share) == (1, 1.0)
    assert [x.key for x in figures.by_district] == [d.code for d in districts.districts]
    assert e not in (a, b)  # e counts in `open` only: its deadline has not come


@pytest.mark.parametrize("since_hours, filed", [(0, 1), (1, 0)])
def test_period_is_by_filing_time(
    session: Session, settings: ReportSettings, districts: Districts, since_hours: int, filed: int
) -> None:
    new = workflow.NewReport(service_code="other", description="x", lat=HARAM[0], lon=HARAM[1])
    workflow.file_report(session, new, settings=settings, districts=districts, now=T0)
    figures = accountability(
        session, since=T0 + since_hours * H, until=T0 + 2 * H, now=T0, districts=districts
    )
    assert figures.overall.filed == filed
