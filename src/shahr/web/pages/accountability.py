"""The public accountability page: per category and per district, the share answered on time, the median
handling time, the backlog and what is overdue (`civic.reports.accountability`), over local days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from shahr.civic.reports.accountability import accountability
from shahr.civic.reports.errors import InvalidReport
from shahr.web.deps import SessionDep
from shahr.web.pages.deps import now
from shahr.web.pages.rendering import PageDep
from shahr.web.pages.route import PageRoute
from shahr.web.routers.civic_staff import DistrictsDep, ReportSettingsDep

router = APIRouter(route_class=PageRoute, include_in_schema=False)
DEFAULT_DAYS = 90
MAX_DAYS = 366


@router.get("/{lang:lang}/accountability", response_class=HTMLResponse)
def accountability_page(
    page: PageDep,
    session: SessionDep,
    settings: ReportSettingsDep,
    districts: DistrictsDep,
    since: date | None = None,
    until: date | None = None,
) -> Response:
    """Reports filed from `since` to `until` (local days, inclusive; by default the last 90 days)."""
    zone = ZoneInfo(settings.timezone)
    moment = now()
    last = until or moment.astimezone(zone).date()
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last or (last - first).days >= MAX_DAYS:
        raise InvalidReport(f"since must be on or before until, at most {MAX_DAYS} days apart", field="since")
    figures = accountability(
        session,
        since=datetime.combine(first, time(), zone),
        until=datetime.combine(last + timedelta(days=1), time(), zone),
        now=moment,
        districts=districts,
    )
    return page.render("accountability.html", {"figures": figures, "first": first, "last": last})
