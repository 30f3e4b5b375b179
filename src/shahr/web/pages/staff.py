"""The staff pages: sign-in with a staff token, the triage queue, and a report with its full history and
the workflow's forms (status change with a public note, a public or internal note, assignment to a
department, merging into a suggested duplicate). Any staff role reads; operators and admins act, as in
the JSON API. Every form carries the CSRF token of the staff cookie."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shahr.backoffice.auth import NotAuthenticated, check_staff_token
from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.reports import categories, duplicates, queries, workflow
from shahr.civic.reports.tables import CLOSED, ReportStatus
from shahr.web.deps import SessionDep, SettingsDep
from shahr.web.pages.deps import ReportReaderPage, StaffForm, TriagePage, form_token, now
from shahr.web.pages.rendering import PageDep
from shahr.web.pages.reports import district_names, parse_status
from shahr.web.pages.route import PageRoute
from shahr.web.pages.security import STAFF_COOKIE, safe_next, set_cookie, staff_cookie_value
from shahr.web.routers.civic_staff import DistrictsDep, ReportSettingsDep

router = APIRouter(prefix="/{lang:lang}/staff", route_class=PageRoute, include_in_schema=False)
OPEN_STATUSES = [status for status in ReportStatus if status not in CLOSED]
Note = Annotated[str, Form(max_length=4000)]


@router.get("/login", response_class=HTMLResponse)
def login_form(page: PageDep, next: str = "") -> Response:
    return page.render("staff_login.html", {"next": next, "error": False})


@router.post("/login")
def login(
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The token is checked as the API checks it; the cookie then carries it, signed, for
    `staff_session_hours`."""
    try:
        check_staff_token(session, token.strip(), list(StaffRole))
    except NotAuthenticated:
        return page.render("staff_login.html", {"next": next, "error": True}, status_code=401)
    lifetime = timedelta(hours=page.settings.staff_session_hours)
    response = RedirectResponse(safe_next(next, f"/{page.lang.value}/staff"), status_code=303)
    value = staff_cookie_value(token.strip(), now() + lifetime, settings.secret_key)
    set_cookie(response, STAFF_COOKIE, value, max_age=lifetime, same_site="strict")
    return response


@router.post("/logout", dependencies=[StaffForm])
def logout(page: PageDep) -> Response:
    response = RedirectResponse(f"/{page.lang.value}/staff/login", status_code=303)
    response.delete_cookie(STAFF_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


@router.get("", response_class=HTMLResponse)
def triage(
    request: Request,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    districts: DistrictsDep,
    staff: ReportReaderPage,
    status: str = "",
    district: str = "",
    overdue: bool = False,
) -> Response:
    """Open reports, the earliest deadline first; new and reopened ones unless a status is chosen."""
    reports = queries.triage_queue(
        session,
        now(),
        statuses=[parse_status(status)] if status else [ReportStatus.FILED],
        district_code=district or None,
        overdue_only=overdue,
    )
    return page.render(
        "staff_triage.html",
        {
            "reports": reports,
            "staff": staff,
            "csrf": form_token(request, STAFF_COOKIE, settings.secret_key),
            "statuses": OPEN_STATUSES,
            "districts": districts.districts,
            "district_names": district_names(districts, page.lang),
            "filters": {"status": status, "district": district, "overdue": overdue},
        },
    )


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report(
    report_id: int,
    request: Request,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    report_settings: ReportSettingsDep,
    districts: DistrictsDep,
    staff: ReportReaderPage,
) -> Response:
    view = queries.staff_report(session, report_id, now())
    found = duplicates.suggest_duplicates(session, report_id, report_settings)
    suggestions = zip(queries.public_views(session, [s.report for s in found], now()), found, strict=True)
    return page.render(
        "staff_report.html",
        {
            "view": view,
            "report": view.report,
            "staff": staff,
            "csrf": form_token(request, STAFF_COOKIE, settings.secret_key),
            "next_statuses": sorted(workflow.TRANSITIONS[view.report.status]),
            "departments": sorted({c.department for c in categories.list_categories(session)}),
            "duplicates": list(suggestions),
            "district_names": district_names(districts, page.lang),
        },
    )


@router.post("/reports/{report_id}/status", dependencies=[StaffForm])
def change_status(
    report_id: int,
    page: PageDep,
    session: SessionDep,
    staff: TriagePage,
    status: Annotated[str, Form()],
    note: Note,
) -> Response:
    workflow.change_status(session, report_id, parse_status(status), note, actor=staff.name, now=now())
    return _back(page.lang.value, report_id)


@router.post("/reports/{report_id}/note", dependencies=[StaffForm])
def add_note(
    report_id: int,
    page: PageDep,
    session: SessionDep,
    staff: TriagePage,
    note: Note,
    internal: Annotated[bool, Form()] = False,
) -> Response:
    workflow.add_note(session, report_id, note, internal=internal, actor=staff.name, now=now())
    return _back(page.lang.value, report_id)


@router.post("/reports/{report_id}/assign", dependencies=[StaffForm])
def assign(
    report_id: int,
    page: PageDep,
    session: SessionDep,
    staff: TriagePage,
    department: Annotated[str, Form(max_length=100)],
    note: Note = "",
) -> Response:
    workflow.assign(session, report_id, department, actor=staff.name, now=now(), note=note or None)
    return _back(page.lang.value, report_id)


@router.post("/reports/{report_id}/merge", dependencies=[StaffForm])
def merge(
    report_id: int, page: PageDep, session: SessionDep, staff: TriagePage, into: Annotated[int, Form()]
) -> Response:
    workflow.merge(session, report_id, into, actor=staff.name, now=now())
    return _back(page.lang.value, report_id)


def _back(lang: str, report_id: int) -> RedirectResponse:
    return RedirectResponse(f"/{lang}/staff/reports/{report_id}", status_code=303)
