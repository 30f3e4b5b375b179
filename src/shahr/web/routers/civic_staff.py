"""The civic reports' JSON API: the staff workflow (triage, assignment, status changes with public notes,
internal notes, merging, categories, Open311 keys) and the public side (reports, photos, districts,
accountability figures, a reporter reopening their report).

Errors are the app's (`web.errors.STATUS`): `{"error": {code, message, field}}` with each error's status,
each operation declaring the ones it can answer. `DistrictsDep` and `ReportSettingsDep` are `web.deps`',
re-exported for the pages, which import them from here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from shahr.civic.reports import api_keys, categories, duplicates, photos, queries, workflow
from shahr.civic.reports.accountability import Accountability, accountability
from shahr.civic.reports.errors import InvalidReport
from shahr.civic.reports.schemas import ReportPublic, ReportStaff
from shahr.civic.reports.tables import ApiKey, Category, ReportStatus
from shahr.civic.settings import Action
from shahr.web.deps import AdminDep, RateLimitDep, ReportReaderDep, SessionDep, TriageDep
from shahr.web.deps import DistrictsDep as DistrictsDep
from shahr.web.deps import ReportSettingsDep as ReportSettingsDep
from shahr.web.schemas import (
    FIRST_DATE,
    LAST_DATE,
    NO_NUL,
    RATE_LIMITED,
    NoNulStr,
    RowIdPath,
    error_responses,
)

public = APIRouter(prefix="/civic", tags=["civic reports"])
staff = APIRouter(prefix="/civic/staff", tags=["civic staff"], responses=error_responses(401, 403, 422))
router = APIRouter()
router.include_router(public)
router.include_router(staff)

ServiceCode = Annotated[str, Path(max_length=64, pattern=NO_NUL)]


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: ReportStatus
    note: str = Field(
        min_length=1, max_length=4000, pattern=NO_NUL, description="Public: why, or what was done."
    )


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    note: str | None = Field(None, max_length=4000, pattern=NO_NUL)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=4000, pattern=NO_NUL)
    internal: bool = Field(description="True: staff only, never public.")


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: int = Field(ge=1, le=2**63 - 1, description="The original report.")
    note: str | None = Field(None, max_length=3900, pattern=NO_NUL)


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(
        min_length=1, max_length=200, pattern=NO_NUL, description="The reporter's private token."
    )
    note: str = Field(min_length=1, max_length=4000, pattern=NO_NUL)


class DuplicatePublic(BaseModel):
    report: ReportPublic
    distance_m: float
    hours_apart: float


class CategoryPublic(categories.CategoryIn):
    sla_hours: int
    updated_at: datetime


class ApiKeyPublic(BaseModel):
    id: int
    name: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyPublic):
    api_key: str = Field(description="Shown this once: only its sha256 is kept.")


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128, pattern=NO_NUL, description="The client the key is for.")


def _now() -> datetime:
    return datetime.now(UTC)


# --- public ---------------------------------------------------------------------------------------


@public.get("/accountability.json", response_model=Accountability, responses=error_responses(400, 422))
def accountability_json(
    session: SessionDep,
    settings: ReportSettingsDep,
    districts: DistrictsDep,
    since: Annotated[
        date | None,
        Query(ge=FIRST_DATE, le=LAST_DATE, description="First day (local), default 90 days before until."),
    ] = None,
    until: Annotated[
        date | None,
        Query(ge=FIRST_DATE, le=LAST_DATE, description="Last day (local, inclusive), default today."),
    ] = None,
) -> Accountability:
    """Per category and per district: on-time share, median handling time, backlog and overdue, over
    the reports filed from `since` to `until` (local days, Asia/Tehran, 2000-01-01 to 2999-12-31: the
    default `since` stops at the first)."""
    zone = ZoneInfo(settings.timezone)
    now = _now()
    last = until or now.astimezone(zone).date()
    first = since or max(last - timedelta(days=89), FIRST_DATE)
    if first > last or (last - first).days > 366:
        raise InvalidReport("since must be on or before until, at most 366 days apart", field="query.since")
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    return accountability(session, since=start, until=end, now=now, districts=districts)


@public.get("/reports.json", response_model=list[ReportPublic], responses=error_responses(422))
def reports_json(
    session: SessionDep,
    service_code: Annotated[list[NoNulStr] | None, Query(max_length=50)] = None,
    status: Annotated[list[ReportStatus] | None, Query()] = None,
    district: Annotated[str | None, Query(max_length=32, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ReportPublic]:
    """Reports as anyone may see them (text masked, no contact), newest first: a list or a map layer."""
    return queries.list_public_reports(
        session,
        _now(),
        service_codes=service_code,
        statuses=status,
        district_code=district,
        limit=limit,
        offset=offset,
    )


@public.get("/reports/{report_id}.json", response_model=ReportPublic, responses=error_responses(404, 422))
def report_json(report_id: RowIdPath, session: SessionDep) -> ReportPublic:
    """One report with its public history (internal notes are never in it)."""
    return queries.public_report(session, report_id, _now())


@public.post(
    "/reports/{report_id}/reopen",
    response_model=ReportPublic,
    responses={**error_responses(400, 403, 404, 409, 422), **RATE_LIMITED},
)
def reopen(
    report_id: RowIdPath,
    body: ReopenIn,
    session: SessionDep,
    settings: ReportSettingsDep,
    count: RateLimitDep,
) -> ReportPublic:
    """The reporter reopens their closed report with the private token they were given. It puts the report
    back in triage, as a new one would: counted as a report for the reporter and the address."""
    count(Action.REPORT, f"reporter:{report_id}")
    now = _now()
    workflow.reopen(session, report_id, body.token, body.note, settings=settings, now=now)
    return queries.public_report(session, report_id, now)


@public.get(
    "/photos/{photo_id}.jpg",
    name="civic_photo",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "The photo, without metadata."},
        **error_responses(404, 422),
    },
)
def photo(photo_id: RowIdPath, session: SessionDep) -> Response:
    stored = photos.get_photo(session, photo_id)
    return Response(
        stored.data, media_type=stored.content_type, headers={"Cache-Control": "public, max-age=86400"}
    )


@public.get(
    "/districts.geojson", response_class=Response, responses={200: {"content": {"application/geo+json": {}}}}
)
def districts_geojson(districts: DistrictsDep) -> Response:
    """The districts reports are placed in (the demo's are ILLUSTRATIVE), for the pages' maps."""
    return JSONResponse(districts.to_geojson(), media_type="application/geo+json")


# --- staff ----------------------------------------------------------------------------------------


@staff.get("/triage", response_model=list[ReportPublic])
def triage(
    session: SessionDep,
    _staff: ReportReaderDep,
    status: Annotated[list[ReportStatus] | None, Query()] = None,
    department: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    district: Annotated[str | None, Query(max_length=32, pattern=NO_NUL)] = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ReportPublic]:
    """Open reports waiting for staff, earliest deadline first; by default the new and reopened ones."""
    return queries.triage_queue(
        session,
        _now(),
        statuses=status or (ReportStatus.FILED,),
        department=department,
        district_code=district,
        overdue_only=overdue,
        limit=limit,
    )


@staff.get("/reports/{report_id}", response_model=ReportStaff, responses=error_responses(404))
def staff_report(report_id: RowIdPath, session: SessionDep, _staff: ReportReaderDep) -> ReportStaff:
    """The report with the reporter's contact, internal notes and who did what."""
    return queries.staff_report(session, report_id, _now())


@staff.get(
    "/reports/{report_id}/duplicates", response_model=list[DuplicatePublic], responses=error_responses(404)
)
def report_duplicates(
    report_id: RowIdPath, session: SessionDep, settings: ReportSettingsDep, _staff: ReportReaderDep
) -> list[DuplicatePublic]:
    """Reports of the same category within 50 m and 7 days (the settings'), nearest first."""
    found = duplicates.suggest_duplicates(session, report_id, settings)
    views = queries.public_views(session, [suggestion.report for suggestion in found], _now())
    return [
        DuplicatePublic(report=view, distance_m=round(s.distance_m, 1), hours_apart=round(s.hours_apart, 2))
        for view, s in zip(views, found, strict=True)
    ]


@staff.post(
    "/reports/{report_id}/status", response_model=ReportStaff, responses=error_responses(400, 404, 409)
)
def change_status(
    report_id: RowIdPath, body: StatusChange, session: SessionDep, who: TriageDep
) -> ReportStaff:
    """Move the report on (`workflow.TRANSITIONS`) with a public note; 409 for a step not allowed."""
    now = _now()
    workflow.change_status(session, report_id, body.status, body.note, actor=who.name, now=now)
    return queries.staff_report(session, report_id, now)


@staff.post("/reports/{report_id}/assign", response_model=ReportStaff, responses=error_responses(400, 404))
def assign(report_id: RowIdPath, body: Assignment, session: SessionDep, who: TriageDep) -> ReportStaff:
    now = _now()
    workflow.assign(session, report_id, body.department, actor=who.name, now=now, note=body.note)
    return queries.staff_report(session, report_id, now)


@staff.post("/reports/{report_id}/notes", response_model=ReportStaff, responses=error_responses(400, 404))
def add_note(report_id: RowIdPath, body: NoteIn, session: SessionDep, who: TriageDep) -> ReportStaff:
    """A public note, or an internal one (`internal: true`) that no public answer ever contains."""
    now = _now()
    workflow.add_note(session, report_id, body.note, internal=body.internal, actor=who.name, now=now)
    return queries.staff_report(session, report_id, now)


@staff.post(
    "/reports/{report_id}/merge", response_model=ReportStaff, responses=error_responses(400, 404, 409)
)
def merge(report_id: RowIdPath, body: MergeIn, session: SessionDep, who: TriageDep) -> ReportStaff:
    """Close this report as a duplicate of `into`."""
    now = _now()
    workflow.merge(session, report_id, body.into, actor=who.name, now=now, note=body.note)
    return queries.staff_report(session, report_id, now)


@staff.get("/categories", response_model=list[CategoryPublic])
def list_categories(session: SessionDep, _staff: ReportReaderDep) -> list[CategoryPublic]:
    return [_category(c) for c in categories.list_categories(session, include_inactive=True)]


@staff.post("/categories", response_model=CategoryPublic, status_code=201, responses=error_responses(400))
def create_category(
    body: categories.CategoryIn, session: SessionDep, settings: ReportSettingsDep, _admin: AdminDep
) -> CategoryPublic:
    return _category(categories.create_category(session, body, settings.default_sla_hours, _now()))


@staff.patch("/categories/{service_code}", response_model=CategoryPublic, responses=error_responses(400, 404))
def update_category(
    service_code: ServiceCode, body: categories.CategoryUpdate, session: SessionDep, _admin: AdminDep
) -> CategoryPublic:
    """Change a category; reports already filed keep their deadlines."""
    return _category(categories.update_category(session, service_code, body, _now()))


@staff.get("/open311-keys", response_model=list[ApiKeyPublic])
def list_keys(session: SessionDep, _admin: AdminDep) -> list[ApiKeyPublic]:
    return [_key(row) for row in api_keys.list_api_keys(session)]


@staff.post("/open311-keys", response_model=ApiKeyIssued, status_code=201, responses=error_responses(400))
def issue_key(body: ApiKeyIn, session: SessionDep, admin: AdminDep) -> ApiKeyIssued:
    """A key for an Open311 client to file reports with; shown this once."""
    row, key = api_keys.issue_api_key(session, body.name, admin.name, _now())
    return ApiKeyIssued(**_key(row).model_dump(), api_key=key)


@staff.post("/open311-keys/{key_id}/revoke", response_model=ApiKeyPublic, responses=error_responses(404))
def revoke_key(key_id: RowIdPath, session: SessionDep, _admin: AdminDep) -> ApiKeyPublic:
    return _key(api_keys.revoke_api_key(session, key_id, _now()))


def _category(category: Category) -> CategoryPublic:
    return CategoryPublic(
        service_code=category.service_code,
        name_fa=category.name_fa,
        name_en=category.name_en,
        description_fa=category.description_fa,
        description_en=category.description_en,
        group=category.group,
        keywords=category.keywords,
        department=category.department,
        sla_hours=category.sla_hours,
        attributes=categories.attributes_of(category),
        active=category.active,
        updated_at=category.updated_at,
    )


def _key(row: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=row.id,
        name=row.name,
        created_by=row.created_by,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
