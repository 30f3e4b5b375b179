"""A report's life: filed by a resident, then acknowledged, in progress, and resolved or rejected by staff,
each step with a public note; internal notes that are never public; duplicates merged into their
original; a closed report reopened by its reporter with their private token.

Every step appends a `ReportEvent` and updates the report's current state in the same flush. What the
public is told, status changes (a merge and a reopening are ones too) and public notes, also goes into the
hash-chained audit log (`civic.audit`), recorded last as its docstring asks, so the record of what the city
answered and when cannot be rewritten unnoticed; internal notes and assignments are not. Commands flush but
do not commit: the caller owns the transaction (as in the back office). `now` is passed in.

Deadlines: `due_at` is the filing time plus the category's SLA in wall-clock hours in the city's time
zone (filed 17:50 in a 24-hour category: due 17:50 the next day, even across a clock change). The
deadline is fixed at filing: a later change of the category's SLA, an assignment or a reopening does not
move it, so the accountability figures measure the promise made to the reporter.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.civic import audit
from shahr.civic.geo import Districts
from shahr.civic.reports.categories import check_answers, get_category
from shahr.civic.reports.errors import BadReporterToken, InvalidReport, ReportNotFound, TransitionRefused
from shahr.civic.reports.settings import ReportSettings
from shahr.civic.reports.tables import (
    CLOSED,
    EventKind,
    Report,
    ReportContact,
    ReportEvent,
    ReportStatus,
)
from shahr.civic.text import clean_text

TRANSITIONS: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.FILED: frozenset(
        {ReportStatus.ACKNOWLEDGED, ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED, ReportStatus.REJECTED}
    ),
    ReportStatus.ACKNOWLEDGED: frozenset(
        {ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED, ReportStatus.REJECTED}
    ),
    ReportStatus.IN_PROGRESS: frozenset({ReportStatus.RESOLVED, ReportStatus.REJECTED}),
    ReportStatus.RESOLVED: frozenset(),
    ReportStatus.REJECTED: frozenset(),
}
"""The steps staff may take from each status. A closed report changes again only by `reopen` (to filed)."""

STAFF_ACTOR_MAX = 128


@dataclass(frozen=True)
class Contact:
    """How to reach the reporter: stored apart from the report and never published."""

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    device_id: str | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class NewReport:
    """A report as submitted. A location is a point (`lat` and `lon`, both), or failing that an
    `address` or `address_id` (Open311 allows either): only a point gets a district and duplicates."""

    service_code: str
    description: str
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    address_id: str | None = None
    answers: dict[str, list[str]] = field(default_factory=dict)
    """Attribute code -> the values given (several for a multivaluelist)."""
    media_url: str | None = None
    contact: Contact = Contact()


@dataclass(frozen=True)
class Filed:
    report: Report
    token: str
    """The reporter's private token, returned once: only its sha256 is stored."""


def due_at(filed_at: datetime, sla_hours: int, timezone: str) -> datetime:
    """`filed_at` plus `sla_hours` on the wall clock of `timezone` (Python adds a timedelta to an aware
    datetime's local time and keeps its zone), in UTC."""
    local = filed_at.astimezone(ZoneInfo(timezone))
    return (local + timedelta(hours=sla_hours)).astimezone(ZoneInfo("UTC"))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def file_report(
    session: Session,
    new: NewReport,
    *,
    settings: ReportSettings,
    districts: Districts,
    now: datetime,
    source: str = "web",
    api_key_id: int | None = None,
    actor: str = "reporter",
) -> Filed:
    """Check and store a new report (status filed) with its contact and first event.

    Refused (`InvalidReport`, `UnknownCategory`, `OutsideCity`): an unknown or inactive category, a
    description over `settings.description_max_chars`, half a point, a point outside the districts, no
    location at all, a required attribute missing or a value not in the attribute's list."""
    category = get_category(session, new.service_code)
    description = _text(new.description, "description", settings.description_max_chars, required=False)
    district_code = None
    if (new.lat is None) != (new.lon is None):
        raise InvalidReport("send both lat and long, or neither", field="lat" if new.lat is None else "long")
    if new.lat is not None and new.lon is not None:
        district_code = districts.district_at(new.lat, new.lon).code
    address = _text(new.address or "", "address_string", 500, required=False) or None
    address_id = _text(new.address_id or "", "address_id", 128, required=False) or None
    if new.lat is None and address is None and address_id is None:
        raise InvalidReport("a location is required: lat and long, address_string or address_id", field="lat")
    answers = check_answers(category, new.answers, settings.description_max_chars)
    token = secrets.token_urlsafe(24)
    report = Report(
        category_id=category.id,
        status=ReportStatus.FILED,
        description=description,
        lat=new.lat,
        lon=new.lon,
        address=address,
        address_id=address_id,
        district_code=district_code,
        department=category.department,
        attributes=answers,
        media_url=new.media_url,
        status_note=None,
        filed_at=now,
        updated_at=now,
        due_at=due_at(now, category.sla_hours, settings.timezone),
        closed_at=None,
        token_hash=token_hash(token),
        source=source,
        api_key_id=api_key_id,
    )
    session.add(report)
    session.flush()
    session.add(ReportContact(report_id=report.id, **_contact(new.contact)))
    _event(session, report, EventKind.FILED, now, actor=actor, department=report.department)
    return Filed(report, token)


def get_report(session: Session, report_id: int | str, *, lock: bool = False) -> Report:
    """The report (locked for update when `lock`, so two staff steps on it take turns)."""
    try:
        key = int(report_id)
    except ValueError:
        raise ReportNotFound(report_id) from None
    report = session.get(Report, key, with_for_update=lock) if 0 < key < 2**63 else None
    if report is None:
        raise ReportNotFound(report_id)
    return report


def find_report_by_token(session: Session, token: str) -> Report | None:
    return session.scalars(select(Report).where(Report.token_hash == token_hash(token))).one_or_none()


def change_status(
    session: Session, report_id: int, status: ReportStatus, note: str, *, actor: str, now: datetime
) -> Report:
    """Move the report to `status` with a public note (required: for a rejection it is the reason).
    `TransitionRefused` for a step `TRANSITIONS` does not list."""
    report = get_report(session, report_id, lock=True)
    if status not in TRANSITIONS[report.status]:
        allowed = ", ".join(sorted(TRANSITIONS[report.status])) or "none (reopening is the reporter's)"
        raise TransitionRefused(
            f"report {report.id} is {report.status.value}: it cannot become {status.value} "
            f"(allowed: {allowed})",
            field="body.status",
        )
    text = _text(note, "body.note", 4000, required=True)
    before = report.status.value
    report.status = status
    report.status_note = text
    report.updated_at = now
    report.closed_at = now if status in CLOSED else None
    _event(session, report, EventKind.STATUS, now, actor=actor, note=text)
    _audit(
        session, "report.status", report, f"staff:{actor}", now, text, {"from": before, "to": status.value}
    )
    return report


def add_note(
    session: Session, report_id: int, note: str, *, internal: bool, actor: str, now: datetime
) -> ReportEvent:
    """A note without a status change: public (shown in the history, Open311's `status_notes`) or
    internal (staff only, never in a public answer)."""
    report = get_report(session, report_id, lock=True)
    text = _text(note, "body.note", 4000, required=True)
    if internal:
        return _event(session, report, EventKind.INTERNAL_NOTE, now, actor=actor, note=text, public=False)
    report.status_note = text
    report.updated_at = now
    event = _event(session, report, EventKind.NOTE, now, actor=actor, note=text)
    _audit(session, "report.note", report, f"staff:{actor}", now, text)
    return event


def assign(
    session: Session, report_id: int, department: str, *, actor: str, now: datetime, note: str | None = None
) -> Report:
    """Give the report to `department` (Open311's `agency_responsible`); the deadline stays."""
    report = get_report(session, report_id, lock=True)
    name = _text(department, "body.department", 100, required=True)
    text = _text(note or "", "body.note", 4000, required=False) or None
    report.department = name
    report.updated_at = now
    _event(session, report, EventKind.ASSIGN, now, actor=actor, note=text, department=name)
    return report


def merge(
    session: Session, duplicate_id: int, into_id: int, *, actor: str, now: datetime, note: str | None = None
) -> Report:
    """Close `duplicate_id` as a duplicate of `into_id` (followed to its own original if it was merged
    too): the duplicate becomes rejected with a public note naming the original, and the original's
    history records the merge. Refused for a report merged into itself or already merged."""
    if duplicate_id == into_id:
        raise InvalidReport("a report cannot be merged into itself", field="body.into")
    duplicate = get_report(session, duplicate_id, lock=True)
    original = get_report(session, into_id, lock=True)
    while original.duplicate_of_id is not None:
        original = get_report(session, original.duplicate_of_id, lock=True)
    if original.id == duplicate.id:
        raise InvalidReport(
            f"report {into_id} was merged into {duplicate_id}: merge the other way", field="body.into"
        )
    if duplicate.duplicate_of_id is not None:
        raise TransitionRefused(
            f"report {duplicate.id} is already merged into {duplicate.duplicate_of_id}",
            field="path.report_id",
        )
    extra = _text(note or "", "body.note", 3900, required=False)
    text = f"Duplicate of report {original.id}." + (f" {extra}" if extra else "")
    before = duplicate.status.value
    duplicate.duplicate_of_id = original.id
    duplicate.status = ReportStatus.REJECTED
    duplicate.status_note = text
    duplicate.updated_at = now
    duplicate.closed_at = now
    _event(session, duplicate, EventKind.MERGE, now, actor=actor, note=text, other=original.id)
    merged = f"Report {duplicate.id} merged into this one."
    _event(session, original, EventKind.MERGE, now, actor=actor, note=merged, other=duplicate.id)
    original.updated_at = now
    changed: dict[str, audit.JSONValue] = {"from": before, "to": duplicate.status.value, "into": original.id}
    _audit(session, "report.merge", duplicate, f"staff:{actor}", now, text, changed)
    return duplicate


def reopen(
    session: Session, report_id: int, token: str, note: str, *, settings: ReportSettings, now: datetime
) -> Report:
    """The reporter reopens their closed report (back to filed, so triage sees it again) with a public
    note saying why, within `settings.reopen_days` of its closing. A merged duplicate is not reopened:
    its original carries the problem."""
    report = get_report(session, report_id, lock=True)
    if not secrets.compare_digest(report.token_hash, token_hash(token)):
        raise BadReporterToken(f"this token was not issued for report {report.id}", field="body.token")
    if report.status not in CLOSED or report.closed_at is None:
        raise TransitionRefused(f"report {report.id} is {report.status.value}: only a closed report reopens")
    if report.duplicate_of_id is not None:
        raise TransitionRefused(
            f"report {report.id} was merged into report {report.duplicate_of_id}: follow that one instead"
        )
    if now - report.closed_at > timedelta(days=settings.reopen_days):
        raise TransitionRefused(f"report {report.id} closed more than {settings.reopen_days} days ago")
    text = _text(note, "body.note", settings.description_max_chars, required=True)
    before = report.status.value
    report.status = ReportStatus.FILED
    report.status_note = text
    report.updated_at = now
    report.closed_at = None
    _event(session, report, EventKind.REOPEN, now, actor="reporter", note=text)
    _audit(
        session, "report.reopen", report, "reporter", now, text, {"from": before, "to": report.status.value}
    )
    return report


def is_overdue(report: Report, now: datetime) -> bool:
    """Open past its deadline (a merged duplicate is never overdue: its original is)."""
    return report.status not in CLOSED and report.duplicate_of_id is None and now > report.due_at


def _event(
    session: Session,
    report: Report,
    kind: EventKind,
    at: datetime,
    *,
    actor: str,
    note: str | None = None,
    public: bool = True,
    department: str | None = None,
    other: int | None = None,
) -> ReportEvent:
    event = ReportEvent(
        report_id=report.id,
        at=at,
        kind=kind,
        status=report.status,
        note=note,
        public=public,
        actor=actor[:STAFF_ACTOR_MAX],
        department=department,
        other_report_id=other,
    )
    session.add(event)
    session.flush()
    return event


def _audit(
    session: Session,
    kind: str,
    report: Report,
    actor: str,
    at: datetime,
    note: str,
    data: dict[str, audit.JSONValue] | None = None,
) -> None:
    """The audit entry of a public step, the note as its sha256: the log outlives the reports and keeps
    no text that could hold personal data."""
    details = {**(data or {}), "note_sha256": hashlib.sha256(note.encode()).hexdigest()}
    audit.record(session, kind, f"report:{report.id}", actor=actor, at=at, data=details)


def _text(value: str, field: str, max_chars: int, *, required: bool) -> str:
    text = clean_text(value)
    if required and not text:
        raise InvalidReport(f"{field} is required", field=field)
    if len(text) > max_chars:
        raise InvalidReport(f"{field} has {len(text):,} characters; at most {max_chars:,}", field=field)
    return text


def _contact(contact: Contact) -> dict[str, str | None]:
    limits = {
        "email": 254,
        "phone": 32,
        "first_name": 100,
        "last_name": 100,
        "device_id": 128,
        "account_id": 128,
    }
    values: dict[str, str | None] = {}
    for name, limit in limits.items():
        values[name] = _text(getattr(contact, name) or "", name, limit, required=False) or None
    return values
