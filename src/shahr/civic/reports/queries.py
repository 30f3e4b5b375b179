"""Reading reports: the public views (what pages and the public API show), the staff views, the triage
queue, and the search both the pages and the Open311 adapter filter with."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from shahr.civic.reports.schemas import ContactView, EventPublic, EventStaff, ReportPublic, ReportStaff
from shahr.civic.reports.tables import CLOSED, Category, Report, ReportContact, ReportPhoto, ReportStatus
from shahr.civic.reports.workflow import get_report, is_overdue
from shahr.civic.text import mask_personal_data

MAX_ROWS = 1000


def search_reports(
    session: Session,
    *,
    ids: Collection[int] | None = None,
    service_codes: Collection[str] | None = None,
    statuses: Collection[ReportStatus] | None = None,
    district_code: str | None = None,
    department: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Report]:
    """Reports matching every filter given, newest first, `since` inclusive and `until` exclusive."""
    query: Select[tuple[Report]] = select(Report)
    if ids is not None:
        query = query.where(Report.id.in_([i for i in ids if 0 < i < 2**63]))
    if service_codes is not None:
        query = query.join(Category, Report.category_id == Category.id).where(
            Category.service_code.in_(list(service_codes))
        )
    if statuses is not None:
        query = query.where(Report.status.in_(list(statuses)))
    if district_code is not None:
        query = query.where(Report.district_code == district_code)
    if department is not None:
        query = query.where(Report.department == department)
    if since is not None:
        query = query.where(Report.filed_at >= since)
    if until is not None:
        query = query.where(Report.filed_at < until)
    query = (
        query.order_by(Report.filed_at.desc(), Report.id.desc()).limit(min(limit, MAX_ROWS)).offset(offset)
    )
    return list(session.scalars(query))


def list_public_reports(
    session: Session,
    now: datetime,
    *,
    service_codes: Collection[str] | None = None,
    statuses: Collection[ReportStatus] | None = None,
    district_code: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ReportPublic]:
    """Reports as public views without their history (a list, or a map's layer), newest first."""
    reports = search_reports(
        session,
        service_codes=service_codes,
        statuses=statuses,
        district_code=district_code,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return public_views(session, reports, now)


def public_views(session: Session, reports: list[Report], now: datetime) -> list[ReportPublic]:
    """Reports (from `search_reports`) as public views without their history."""
    photos = _photo_ids(session, [report.id for report in reports])
    return [_public(report, now, photos.get(report.id, []), with_history=False) for report in reports]


def public_report(session: Session, report_id: int | str, now: datetime) -> ReportPublic:
    """One report as anyone may see it, with its public history."""
    report = get_report(session, report_id)
    return _public(report, now, _photo_ids(session, [report.id]).get(report.id, []), with_history=True)


def staff_report(session: Session, report_id: int | str, now: datetime) -> ReportStaff:
    """One report as staff see it."""
    report = get_report(session, report_id)
    contact = session.get(ReportContact, report.id)
    return ReportStaff(
        report=_public(report, now, _photo_ids(session, [report.id]).get(report.id, []), with_history=True),
        description_as_filed=report.description,
        source=report.source,
        contact=None if contact is None else ContactView.model_validate(contact, from_attributes=True),
        events=[
            EventStaff(
                at=event.at,
                kind=event.kind,
                status=event.status,
                note=event.note,
                department=event.department,
                other_report_id=event.other_report_id,
                public=event.public,
                actor=event.actor,
            )
            for event in report.events
        ],
    )


def triage_queue(
    session: Session,
    now: datetime,
    *,
    statuses: Collection[ReportStatus] = (ReportStatus.FILED,),
    department: str | None = None,
    district_code: str | None = None,
    overdue_only: bool = False,
    limit: int = 100,
) -> list[ReportPublic]:
    """Open reports waiting for staff, the most urgent first (earliest deadline), merged ones left out.
    By default the new and reopened ones (filed); any open statuses can be asked for."""
    wanted = [status for status in statuses if status not in CLOSED]
    query = select(Report).where(Report.status.in_(wanted), Report.duplicate_of_id.is_(None))
    if department is not None:
        query = query.where(Report.department == department)
    if district_code is not None:
        query = query.where(Report.district_code == district_code)
    if overdue_only:
        query = query.where(Report.due_at < now)
    reports = list(session.scalars(query.order_by(Report.due_at, Report.id).limit(min(limit, MAX_ROWS))))
    return public_views(session, reports, now)


def _public(report: Report, now: datetime, photo_ids: list[int], *, with_history: bool) -> ReportPublic:
    history = [
        EventPublic(
            at=event.at,
            kind=event.kind,
            status=event.status,
            note=None if event.note is None else mask_personal_data(event.note),
            department=event.department,
            other_report_id=event.other_report_id,
        )
        for event in (report.events if with_history else [])
        if event.public
    ]
    category = report.category
    return ReportPublic(
        id=report.id,
        service_code=category.service_code,
        category_fa=category.name_fa,
        category_en=category.name_en,
        status=report.status,
        description=mask_personal_data(report.description),
        lat=report.lat,
        lon=report.lon,
        address=None if report.address is None else mask_personal_data(report.address),
        address_id=report.address_id,
        district_code=report.district_code,
        department=report.department,
        status_note=None if report.status_note is None else mask_personal_data(report.status_note),
        attributes=report.attributes,
        filed_at=report.filed_at,
        updated_at=report.updated_at,
        due_at=report.due_at,
        closed_at=report.closed_at,
        overdue=is_overdue(report, now),
        duplicate_of_id=report.duplicate_of_id,
        photo_ids=photo_ids,
        media_url=report.media_url,
        history=history,
    )


def _photo_ids(session: Session, report_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    if not report_ids:
        return found
    rows = session.execute(
        select(ReportPhoto.report_id, ReportPhoto.id)
        .where(ReportPhoto.report_id.in_(report_ids))
        .order_by(ReportPhoto.id)
    )
    for report_id, photo_id in rows:
        found.setdefault(report_id, []).append(photo_id)
    return found
