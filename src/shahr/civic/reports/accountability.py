"""The city's record on reports, per category and per district, as Seoul publishes its districts'
on-time shares: how many were handled within their deadline, how long handling took, what is still
open and what is overdue.

Over the reports filed in a period (merged duplicates left out: their original counts once):

- `closed`: resolved or rejected (a reasoned rejection is an answer); `closed_on_time`: closed at or
  before `due_at`;
- `open` (the backlog) and `overdue`: open now and past `due_at`;
- `on_time_share` = closed_on_time / (closed + overdue): the share of reports whose deadline has come,
  or that were answered, that were answered in time. A report open and not yet due has no outcome yet
  and is not counted either way. None when no report has an outcome.
- `median_handling_hours`: the median of closed_at - filed_at over the closed reports.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.civic.geo import Districts
from shahr.civic.reports.tables import CLOSED, Category, Report, ReportStatus


class Figures(BaseModel):
    key: str
    """The category's service_code, the district's code, or `all`."""
    name_fa: str
    name_en: str
    filed: int
    closed: int
    closed_on_time: int
    open: int
    overdue: int
    on_time_share: float | None
    median_handling_hours: float | None


class Accountability(BaseModel):
    since: datetime
    until: datetime
    computed_at: datetime
    overall: Figures
    by_category: list[Figures]
    by_district: list[Figures]
    """Every district of the map, in its order, then `unplaced` (reports with an address only) if any."""


@dataclass(frozen=True)
class Outcome:
    """What `figures` needs of a report."""

    status: ReportStatus
    filed_at: datetime
    due_at: datetime
    closed_at: datetime | None


def figures(key: str, name_fa: str, name_en: str, outcomes: Iterable[Outcome], now: datetime) -> Figures:
    """The figures of one group of reports, as the module docstring defines them."""
    rows = list(outcomes)
    closed = [row for row in rows if row.status in CLOSED and row.closed_at is not None]
    on_time = sum(1 for row in closed if row.closed_at is not None and row.closed_at <= row.due_at)
    still_open = [row for row in rows if row.status not in CLOSED]
    overdue = sum(1 for row in still_open if now > row.due_at)
    decided = len(closed) + overdue
    hours = [
        (row.closed_at - row.filed_at).total_seconds() / 3600 for row in closed if row.closed_at is not None
    ]
    return Figures(
        key=key,
        name_fa=name_fa,
        name_en=name_en,
        filed=len(rows),
        closed=len(closed),
        closed_on_time=on_time,
        open=len(still_open),
        overdue=overdue,
        on_time_share=round(on_time / decided, 4) if decided else None,
        median_handling_hours=round(statistics.median(hours), 2) if hours else None,
    )


def accountability(
    session: Session, *, since: datetime, until: datetime, now: datetime, districts: Districts
) -> Accountability:
    """The figures over reports filed in [since, until), overall, per category (every category, active
    or not, that has reports, plus every active one) and per district of `districts`."""
    query = (
        select(
            Report.status, Report.filed_at, Report.due_at, Report.closed_at, Report.district_code, Category
        )
        .join(Category, Report.category_id == Category.id)
        .where(Report.duplicate_of_id.is_(None), Report.filed_at >= since, Report.filed_at < until)
    )
    by_category: dict[int, list[Outcome]] = defaultdict(list)
    by_district: dict[str | None, list[Outcome]] = defaultdict(list)
    categories: dict[int, Category] = {}
    everything: list[Outcome] = []
    for status, filed_at, due_at, closed_at, district_code, category in session.execute(query):
        outcome = Outcome(status, filed_at, due_at, closed_at)
        everything.append(outcome)
        categories[category.id] = category
        by_category[category.id].append(outcome)
        by_district[district_code].append(outcome)
    for category in session.scalars(select(Category).where(Category.active.is_(True))):
        categories.setdefault(category.id, category)
    category_figures = [
        figures(category.service_code, category.name_fa, category.name_en, by_category[category.id], now)
        for category in sorted(categories.values(), key=lambda c: c.service_code)
    ]
    district_figures = [
        figures(district.code, district.name_fa, district.name_en, by_district[district.code], now)
        for district in districts.districts
    ]
    if by_district.get(None):
        district_figures.append(figures("unplaced", "بدون موقعیت", "No point given", by_district[None], now))
    return Accountability(
        since=since,
        until=until,
        computed_at=now,
        overall=figures("all", "همه", "All", everything, now),
        by_category=category_figures,
        by_district=district_figures,
    )
