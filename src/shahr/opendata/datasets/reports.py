"""Citizens' problem reports by category, district and ISO week, with the city's record on them: filed,
closed, closed on time, open, overdue, the on-time share and the median handling time, exactly as the
accountability page defines them (`civic.reports.accountability.figures`), per week of filing.

Every report is public already over Open311 with its category, district, status and times; this table
holds counts only, and no field of a report's text, place or reporter is ever read for it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import jdatetime  # type: ignore[import-untyped]
import polars as pl
from sqlalchemy import select

from shahr.civic.reports.accountability import Outcome, figures
from shahr.civic.reports.tables import Category, Report
from shahr.opendata.datasets.source import CivicDay
from shahr.opendata.datasets.spec import MUNICIPALITY, Built, Column, DatasetSpec, Method, Privacy

UNPLACED = "unplaced"
"""The district of a report given with an address only (the accountability page's name for it)."""
_COUNT = "Reports filed that week (merged duplicates left out: their original counts once)"

SPEC = DatasetSpec(
    name="reports-by-category-district-week",
    title_en="Citizens' reports by category, district and week",
    title_fa="گزارش‌های شهروندان به تفکیک موضوع، منطقه و هفته",
    notes_en=(
        "Problems Mashhad's residents reported to the city (over the web, the app or Open311), by "
        "category, "
        "district and ISO week of filing, with how the city handled them: closed (resolved, or rejected "
        "with a reason), closed by the deadline, still open, overdue, the on-time share (closed on "
        "time over "
        "closed plus overdue) and the median handling time in hours. Open and overdue are as of the "
        "release."
    ),
    notes_fa=(
        "مشکلاتی که شهروندان مشهد به شهرداری گزارش کرده‌اند، به تفکیک موضوع، منطقه و هفته ثبت (هفته "
        "ایزو)، با "
        "کارنامه رسیدگی: بسته‌شده (رفع‌شده یا ردشده با دلیل)، بسته‌شده در مهلت، باز، گذشته از مهلت، "
        "سهم رسیدگی "
        "به‌موقع و میانه زمان رسیدگی به ساعت. باز و گذشته از مهلت به زمان انتشار است."
    ),
    organization=MUNICIPALITY,
    tags=("civic", "reports", "open311", "accountability"),
    grain="category x district x ISO week of filing",
    columns=(
        Column("week", pl.String(), "ISO week of filing (local time), as 2025-W41."),
        Column("week_start", pl.Date(), "The week's Monday."),
        Column(
            "week_start_jalali", pl.String(), "The week's Monday in the Solar Hijri calendar (YYYY-MM-DD)."
        ),
        Column("category", pl.String(), "Category (Open311 service_code)."),
        Column("district", pl.String(), f"District code; {UNPLACED} for reports given with an address only."),
        Column("filed", pl.Int64(), _COUNT + "."),
        Column("closed", pl.Int64(), "Of those, resolved or rejected with a reason."),
        Column("closed_on_time", pl.Int64(), "Of those, closed by their deadline."),
        Column("open", pl.Int64(), "Of those, still open at the release."),
        Column("overdue", pl.Int64(), "Of those, still open and past their deadline at the release."),
        Column("on_time_share", pl.Float64(), "closed_on_time / (closed + overdue); empty when both are 0."),
        Column(
            "median_handling_hours",
            pl.Float64(),
            "Median hours from filing to closing; empty when none closed.",
        ),
    ),
    privacy=Privacy(Method.PUBLIC),
)


def by_category_district_week(civic: CivicDay, privacy: Privacy) -> Built | None:
    query = (
        select(
            Report.status, Report.filed_at, Report.due_at, Report.closed_at, Report.district_code, Category
        )
        .join(Category, Report.category_id == Category.id)
        .where(Report.duplicate_of_id.is_(None), Report.filed_at < civic.cutoff)
    )
    groups: defaultdict[tuple[date, str, str], list[Outcome]] = defaultdict(list)
    names: dict[str, Category] = {}
    for status, filed_at, due_at, closed_at, district, category in civic.session.execute(query):
        filed_on = civic.local_date(filed_at)
        monday = filed_on - timedelta(days=filed_on.weekday())
        groups[monday, category.service_code, district or UNPLACED].append(
            Outcome(status, filed_at, due_at, closed_at)
        )
        names[category.service_code] = category
    if not groups:
        return None
    rows: list[dict[str, Any]] = []
    for (monday, code, district), outcomes in sorted(groups.items()):
        year, week, _ = monday.isocalendar()
        counted = figures(code, names[code].name_fa, names[code].name_en, outcomes, civic.now)
        rows.append({
            "week": f"{year}-W{week:02d}", "week_start": monday,
            "week_start_jalali": jdatetime.date.fromgregorian(date=monday).strftime("%Y-%m-%d"),
            "category": code, "district": district,
            **counted.model_dump(exclude={"key", "name_fa", "name_en"}),
        })  # fmt: skip
    frame = SPEC.conform(pl.DataFrame(rows, schema_overrides=SPEC.schema))
    metadata = {
        **privacy.as_dict(),
        "suppressed_cells": 0,
        "note": "Each report is public over Open311 (GET /open311/v2/requests.json); these are its counts, "
        "with no text, place or reporter.",
        "figures_as_of": civic.now.isoformat(),
    }
    return Built(frame, min(groups)[0], civic.until, metadata)
