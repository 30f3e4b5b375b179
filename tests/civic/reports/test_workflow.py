"""The report workflow on both databases: exact statuses, deadlines worked out by hand, public and
internal notes, merging and reopening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from shahr.civic.geo import Districts, OutsideCity
from shahr.civic.reports import queries, workflow
from shahr.civic.reports.categories import CategoryUpdate, update_category
from shahr.civic.reports.errors import BadReporterToken, InvalidReport, TransitionRefused, UnknownCategory
from shahr.civic.reports.settings import ReportSettings
from shahr.civic.reports.tables import EventKind, ReportStatus
from tests.civic.reports.conftest import HARAM, OUTSIDE

TEHRAN = ZoneInfo("Asia/Tehran")
S = ReportStatus


def at(text: str) -> datetime:
    """A Tehran wall-clock time as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=TEHRAN)


def file(
    session: Session,
    settings: ReportSettings,
    districts: Districts,
    now: datetime,
    code: str = "waste_collection",
) -> workflow.Filed:
    new = workflow.NewReport(
        service_code=code,
        description="سطل زباله پر است؛ تماس 09123456789",
        lat=HARAM[0],
        lon=HARAM[1],
        contact=workflow.Contact(email="resident@example.ir", phone="09123456789", first_name="Reza"),
    )
    return workflow.file_report(session, new, settings=settings, districts=districts, now=now)


def test_filed_at_1750_in_a_24_hour_category_is_due_1750_next_day(
    session: Session, settings: ReportSettings, districts: Districts
) -> None:
    # waste_collection has a 24-hour SLA (migration 0006). Filed 2025-11-28 17:50 Tehran (+03:30) =
    # 14:20 UTC; due 24 wall-clock hours later: 2025-11-29 17:50 Tehran = 14:20 UTC.
    filed = file(session, settings, districts, at("2025-11-28T17:50"))
    report = filed.report
    assert report.status is S.FILED
    assert report.district_code == "samen"
    assert report.due_at == datetime(2025, 11, 29, 14, 20, tzinfo=UTC)
    assert report.due_at.astimezone(TEHRAN).isoformat() == "2025-11-29T17:50:00+03:30"
    assert report.department == "سازمان مدیریت پسماند"


def test_deadlines_are_wall_clock_hours_across_a_clock_change() -> None:
    # Tehran still moved its clocks in 2021: +03:30 -> +04:30 at 2021-03-22 00:00. Filed 2021-03-21
    # 17:50 (+03:30, 14:20 UTC) in a 24-hour category: due 2021-03-22 17:50 on the wall clock, which
    # is +04:30, so 13:20 UTC: 23 hours later by the stopwatch.
    due = workflow.due_at(at("2021-03-21T17:50"), 24, "Asia/Tehran")
    assert due == datetime(2021, 3, 22, 13, 20, tzinfo=UTC)
    assert due - at("2021-03-21T17:50") == timedelta(hours=23)
    # 72 hours (road_damage) from Wednesday 2025-11-26 09:00 Tehran: Saturday 2025-11-29 09:00 = 05:30 UTC.
    assert workflow.due_at(at("2025-11-26T09:00"), 72, "Asia/Tehran") == datetime(
        2025, 11, 29, 5, 30, tzinfo=UTC
    )


def test_full_workflow_with_exact_statuses(
    session: Session, settings: ReportSettings, districts: Districts
) -> None:
    t0 = at("2025-11-28T17:50")
    report_id = file(session, settings, districts, t0).report.id
    workflow.change_status(
        session, report_id, S.ACKNOWLEDGED, "دریافت شد", actor="triage", now=t0 + timedelta(hours=1)
    )
    workflow.assign(session, report_id, "ناحیه ثامن", actor="triage", now=t0 + timedelta(hours=1))
    workflow.add_note(
        session, report_id, "راننده بیمار است", internal=True, actor="triage", now=t0 + timedelta(hours=2)
    )
    workflow.change_status(
        session, report_id, S.IN_PROGRESS, "اکیپ اعزام شد", actor="crew", now=t0 + timedelta(hours=3)
    )
    report = workflow.change_status(
        session, report_id, S.RESOLVED, "تخلیه شد", actor="crew", now=t0 + timedelta(hours=5)
    )
    assert report.status is S.RESOLVED
    assert report.closed_at == t0 + timedelta(hours=5)
    assert report.status_note == "تخلیه شد"
    assert report.department == "ناحیه ثامن"
    assert [(e.kind, e.status) for e in report.events] == [
        (EventKind.FILED, S.FILED),
        (EventKind.STATUS, S.ACKNOWLEDGED),
        (EventKind.ASSIGN, S.ACKNOWLEDGED),
        (EventKind.INTERNAL_NOTE, S.ACKNOWLEDGED),
        (EventKind.STATUS, S.IN_PROGRESS),
        (EventKind.STATUS, S.RESOLVED),
    ]
    public = queries.public_report(session, report_id, t0 + timedelta(hours=6))
    assert [e.kind for e in public.history] == [
        EventKind.FILED,
        EventKind.STATUS,
        EventKind.ASSIGN,
        EventKind.STATUS,
        EventKind.STATUS,
    ]
    assert "راننده بیمار است" not in public.model_dump_json()  # the internal note
    assert (
        "resident@example.ir" not in public.model_dump_json()
        and "09123456789" not in public.model_dump_json()
    )
    assert public.description == "سطل زباله پر است؛ تماس [phone]"
    staff = queries.staff_report(session, report_id, t0)
    assert staff.contact is not None and staff.contact.email == "resident@example.ir"
    assert staff.description_as_filed.endswith("09123456789")


def test_refused_steps(session: Session, settings: ReportSettings, districts: Districts) -> None:
    t0 = at("2025-11-28T10:00")
    report_id = file(session, settings, districts, t0).report.id
    with pytest.raises(InvalidReport, match="body.note is required"):
        workflow.change_status(session, report_id, S.REJECTED, "  ", actor="x", now=t0)
    workflow.change_status(session, report_id, S.IN_PROGRESS, "در دست اقدام", actor="x", now=t0)
    with pytest.raises(TransitionRefused, match="cannot become acknowledged"):
        workflow.change_status(session, report_id, S.ACKNOWLEDGED, "x", actor="x", now=t0)
    workflow.change_status(session, report_id, S.REJECTED, "ملک خصوصی است", actor="x", now=t0)
    with pytest.raises(TransitionRefused, match="reopening is the reporter's"):
        workflow.change_status(session, report_id, S.IN_PROGRESS, "x", actor="x", now=t0)


@pytest.mark.parametrize(
    "changes, error, match",
    [
        ({"service_code": "nope"}, UnknownCategory, "no category"),
        ({"lat": OUTSIDE[0], "lon": OUTSIDE[1]}, OutsideCity, "outside the city"),
        ({"lon": None}, InvalidReport, "both lat and long"),
        ({"lat": None, "lon": None}, InvalidReport, "a location is required"),
        ({"description": "ا" * 4001}, InvalidReport, "4,001 characters; at most 4,000"),
        ({"service_code": "road_damage", "answers": {"size": ["huge"]}}, InvalidReport, "not one of"),
    ],
)
def test_bad_reports_are_refused(
    session: Session,
    settings: ReportSettings,
    districts: Districts,
    changes: dict[str, object],
    error: type,
    match: str,
) -> None:
    fields: dict[str, object] = {
        "service_code": "waste_collection",
        "description": "x",
        "lat": HARAM[0],
        "lon": HARAM[1],
    }
    new = workflow.NewReport(**{**fields, **changes})  # type: ignore[arg-type]
    with pytest.raises(error, match=match):
        workflow.file_report(session, new, settings=settings, districts=districts, now=datetime.now(UTC))


def test_address_only_report_and_required_attribute(
    session: Session, settings: ReportSettings, districts: Districts
) -> None:
    now = at("2025-11-28T10:00")
    new = workflow.NewReport(service_code="other", description="x", address="بلوار وکیل‌آباد، نبش هاشمیه ۱۲")
    report = workflow.file_report(session, new, settings=settings, districts=districts, now=now).report
    assert report.district_code is None and report.lat is None
    attribute = {"code": "plate", "datatype": "string", "required": True, "description": "Plate", "order": 1}
    update_category(session, "other", CategoryUpdate.model_validate({"attributes": [attribute]}), now)
    with pytest.raises(InvalidReport, match=r"attribute\[plate\] is required"):
        workflow.file_report(session, new, settings=settings, districts=districts, now=now)


def test_sla_change_keeps_filed_deadlines(
    session: Session, settings: ReportSettings, districts: Districts
) -> None:
    t0 = at("2025-11-28T17:50")
    first = file(session, settings, districts, t0).report
    update_category(session, "waste_collection", CategoryUpdate(sla_hours=48), t0)
    second = file(session, settings, districts, t0).report
    assert second.due_at - first.due_at == timedelta(hours=24)  # 48 h against the first one's 24 h


def test_merge_and_reopen(session: Session, settings: ReportSettings, districts: Districts) -> None:
    t0 = at("2025-11-28T08:00")
    original = file(session, settings, districts, t0)
    duplicate = file(session, settings, districts, t0 + timedelta(hours=1))
    merged = workflow.merge(
        session, duplicate.report.id, original.report.id, actor="triage", now=t0 + timedelta(hours=2)
    )
    assert merged.status is S.REJECTED and merged.duplicate_of_id == original.report.id
    assert merged.status_note == f"Duplicate of report {original.report.id}."
    with pytest.raises(TransitionRefused, match="already merged"):
        workflow.merge(session, duplicate.report.id, original.report.id, actor="triage", now=t0)
    with pytest.raises(TransitionRefused, match="merged into report"):
        workflow.reopen(session, duplicate.report.id, duplicate.token, "هنوز هست", settings=settings, now=t0)

    report_id = original.report.id
    with pytest.raises(TransitionRefused, match="only a closed report reopens"):
        workflow.reopen(session, report_id, original.token, "x", settings=settings, now=t0)
    closed_at = t0 + timedelta(hours=3)
    workflow.change_status(session, report_id, S.RESOLVED, "جمع شد", actor="crew", now=closed_at)
    with pytest.raises(BadReporterToken):
        workflow.reopen(session, report_id, duplicate.token, "x", settings=settings, now=closed_at)
    late = closed_at + timedelta(days=settings.reopen_days, seconds=1)
    with pytest.raises(TransitionRefused, match="more than 30 days ago"):
        workflow.reopen(session, report_id, original.token, "x", settings=settings, now=late)
    reopened = workflow.reopen(
        session,
        report_id,
        original.token,
        "هنوز پر است",
        settings=settings,
        now=closed_at + timedelta(days=1),
    )
    assert reopened.status is S.FILED and reopened.closed_at is None
    # The deadline stays the filing's: 08:00 + 24 h; a day after closing it is overdue at once.
    assert reopened.due_at == t0 + timedelta(hours=24)
    assert workflow.is_overdue(reopened, closed_at + timedelta(days=1))
    assert workflow.find_report_by_token(session, original.token) is reopened
