"""The residents' report pages: the home page, the form to report a problem with a pin on a map, the
private follow-up page (and reopening from it), a page per report with its public history, and the public
list and map with filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from shahr.civic import ratelimit
from shahr.civic.geo import Districts, GeoError
from shahr.civic.reports import categories, photos, queries, workflow
from shahr.civic.reports.errors import InvalidReport, ReportError, ReportNotFound
from shahr.civic.reports.schemas import ReportPublic
from shahr.civic.reports.settings import ReportSettings
from shahr.civic.reports.tables import ReportStatus
from shahr.civic.settings import Action, CivicSettings
from shahr.civic.text import to_ascii_digits
from shahr.settings import Settings
from shahr.web.deps import SessionDep, SettingsDep
from shahr.web.pages.deps import now
from shahr.web.pages.i18n import TEXTS, Lang
from shahr.web.pages.rendering import Page, PageDep
from shahr.web.pages.route import PageRoute, status_of
from shahr.web.routers.civic_staff import DistrictsDep, ReportSettingsDep
from shahr.web.routers.proposals import CivicDep

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_ROWS = 50
CONTACT_FIELDS = ("first_name", "email", "phone")


@router.get("/")
def root() -> RedirectResponse:
    """Persian is the city's language: the site opens in it."""
    return RedirectResponse("/fa/", status_code=307)


@router.get("/{lang:lang}/", response_class=HTMLResponse)
def home(page: PageDep) -> Response:
    return page.render("home.html", {})


@router.get("/{lang:lang}/reports/new", response_class=HTMLResponse)
def new_report(page: PageDep, session: SessionDep, settings: ReportSettingsDep) -> Response:
    return _form(page, session, settings, {}, None)


@router.post("/{lang:lang}/reports", response_class=HTMLResponse)
async def file_report(
    request: Request,
    page: PageDep,
    session: SessionDep,
    app_settings: SettingsDep,
    settings: ReportSettingsDep,
    civic: CivicDep,
    districts: DistrictsDep,
) -> Response:
    """File the report (its photo checked and cleaned first, so a refused photo files nothing) and send
    the browser to the private follow-up page, which shows the token this once."""
    async with request.form(max_files=1, max_fields=200) as form:
        media = form.get("photo")
        upload = None
        if isinstance(media, UploadFile) and media.filename:
            upload = await media.read(settings.photo_max_bytes + 1)
        address = request.client.host if request.client else None
        # Database work in the thread pool, as a plain `def` handler's: blocking calls in the event loop
        # would hold up every other request.
        return await run_in_threadpool(
            _file, form, upload, address, request.app.state.sessions, page, session, app_settings, settings,
            civic, districts,
        )  # fmt: skip


def _file(
    form: FormData,
    upload: bytes | None,
    address: str | None,
    sessions: Callable[[], Session],
    page: Page,
    session: Session,
    app_settings: Settings,
    settings: ReportSettings,
    civic: CivicSettings,
    districts: Districts,
) -> Response:
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    try:
        ratelimit.consume(
            sessions,
            Action.REPORT,
            person=None,
            address=address,
            now=now(),
            settings=civic,
            secret=app_settings.secret_key,
        )
        photo = photos.clean_photo(upload, settings) if upload is not None else None
        new = _new_report(form, page.lang)
        filed = workflow.file_report(session, new, settings=settings, districts=districts, now=now())
    except (ReportError, GeoError, ratelimit.RateLimited) as exc:
        return _form(page, session, settings, values, str(exc), status_code=status_of(exc))
    if photo is not None:
        photos.store_photo(session, filed.report.id, photo, filed.report.filed_at)
    return RedirectResponse(f"/{page.lang.value}/follow/{filed.token}?new=1", status_code=303)


@router.get("/{lang:lang}/follow/{token}", response_class=HTMLResponse)
def follow(
    token: str, page: PageDep, session: SessionDep, districts: DistrictsDep, new: bool = False
) -> Response:
    """The reporter's private page: the report, the link to keep, and reopening once it is closed."""
    report = workflow.find_report_by_token(session, token)
    if report is None:
        raise ReportNotFound("for this link")
    view = queries.public_report(session, report.id, now())
    return page.render("report.html", _report_context(page, view, districts) | {"token": token, "new": new})


@router.post("/{lang:lang}/follow/{token}/reopen")
def reopen(
    token: str,
    page: PageDep,
    session: SessionDep,
    settings: ReportSettingsDep,
    note: Annotated[str, Form(max_length=4000)] = "",
) -> RedirectResponse:
    report = workflow.find_report_by_token(session, token)
    if report is None:
        raise ReportNotFound("for this link")
    workflow.reopen(session, report.id, token, note, settings=settings, now=now())
    return RedirectResponse(f"/{page.lang.value}/follow/{token}", status_code=303)


@router.get("/{lang:lang}/reports/{report_id}", response_class=HTMLResponse)
def report_page(report_id: int, page: PageDep, session: SessionDep, districts: DistrictsDep) -> Response:
    view = queries.public_report(session, report_id, now())
    return page.render("report.html", _report_context(page, view, districts) | {"token": None, "new": False})


@router.get("/{lang:lang}/reports", response_class=HTMLResponse)
def list_reports(
    request: Request,
    page: PageDep,
    session: SessionDep,
    districts: DistrictsDep,
    category: str = "",
    status: str = "",
    district: str = "",
    offset: int = 0,
) -> Response:
    """The public list with its map: the same filters drive both (the map asks `/layers/reports.geojson`
    with this page's query)."""
    views = public_reports(session, category, status, district, limit=PAGE_ROWS, offset=max(offset, 0))
    return page.render(
        "reports.html",
        {
            "reports": views,
            "categories": categories.list_categories(session),
            "statuses": list(ReportStatus),
            "districts": districts.districts,
            "district_names": district_names(districts, page.lang),
            "filters": {"category": category, "status": status, "district": district},
            "query": request.url.query,
            "offset": max(offset, 0),
            "page_rows": PAGE_ROWS,
        },
    )


def public_reports(
    session: Session, category: str, status: str, district: str, *, limit: int, offset: int = 0
) -> list[ReportPublic]:
    """The public reports matching the list page's filters (an empty filter is no filter)."""
    return queries.list_public_reports(
        session,
        now(),
        service_codes=[category] if category else None,
        statuses=[parse_status(status)] if status else None,
        district_code=district or None,
        limit=limit,
        offset=offset,
    )


def parse_status(value: str) -> ReportStatus:
    try:
        return ReportStatus(value)
    except ValueError:
        raise InvalidReport(
            f"status {value!r} is not one of {', '.join(ReportStatus)}", field="status"
        ) from None


def district_names(districts: Districts, lang: Lang) -> dict[str, str]:
    return {d.code: d.name_fa if lang is Lang.FA else d.name_en for d in districts.districts}


def _report_context(page: Page, view: ReportPublic, districts: Districts) -> dict[str, Any]:
    return {"report": view, "district_names": district_names(districts, page.lang)}


def _form(
    page: Page,
    session: Session,
    settings: ReportSettings,
    values: dict[str, str],
    error: str | None,
    *,
    status_code: int = 200,
) -> Response:
    found = categories.list_categories(session)
    return page.render(
        "report_new.html",
        {
            "categories": found,
            "attributes": {c.service_code: categories.attributes_of(c) for c in found},
            "values": values,
            "error": error,
            "bounds": list(settings.city_bounds),
            "max_mb": settings.photo_max_bytes // (1024 * 1024),
        },
        status_code=status_code,
    )


def _new_report(form: FormData, lang: Lang) -> workflow.NewReport:
    """The report as typed: coordinates in any digits, each category attribute as `attr.<code>.<attr>`
    (only the chosen category's are read)."""
    service_code = _field(form, "category")
    if not service_code:
        raise InvalidReport(
            TEXTS[lang]["report.category"] + ": " + TEXTS[lang]["report.choose"], field="category"
        )
    prefix = f"attr.{service_code}."
    answers: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if key.startswith(prefix) and isinstance(value, str) and value.strip():
            answers.setdefault(key[len(prefix) :], []).append(value)
    contact = {name: _field(form, name) or None for name in CONTACT_FIELDS}
    return workflow.NewReport(
        service_code=service_code,
        description=_field(form, "description"),
        lat=_coordinate(form, "lat", lang),
        lon=_coordinate(form, "lon", lang),
        answers=answers,
        contact=workflow.Contact(**contact),
    )


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _coordinate(form: FormData, name: str, lang: Lang) -> float | None:
    text = to_ascii_digits(_field(form, name)).replace("\u066b", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        label = TEXTS[lang]["report.lat" if name == "lat" else "report.lon"]
        raise InvalidReport(f"{label}: {TEXTS[lang]['error.number']}", field=name) from None
