"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2, frozen spec) over the civic reports, mounted at
`/open311/v2/`, every resource in XML (the spec's required format) and JSON by its extension.

- `discovery.{fmt}` (Service Discovery spec), `services.{fmt}`, `services/{service_code}.{fmt}`;
- `POST requests.{fmt}`: form-encoded (multipart also accepted, for a `media` photo upload: the media
  extension), `api_key` required (403 without a valid one), a location as lat & long, address_string or
  address_id, `attribute[code]=value` (`attribute[code][]=v` for a multivaluelist). Services are
  `realtime`: the answer carries `service_request_id`, never a token. Rate-limited as reports
  (`civic.ratelimit`): per reporter as the client names them and per client address;
- `GET requests.{fmt}`: `service_request_id` (comma list, overrides everything else), `service_code`
  and `status` (comma lists), `start_date`/`end_date` (w3 dates with a zone); by default the most recent
  90 days and at most 1,000 requests (the spec's "Response Volume"), and a span over 90 days is refused;
- `requests/{id}.{fmt}` and `tokens/{token}.{fmt}` (the reporter's private token, from the pages).

Errors are the spec's list, `[{code, description}]` / `<errors><error>...`, with HTTP 404 for what does
not exist, 403 for the api_key, 429 (with `Retry-After`) for a client over its rate limit and 400 for
anything else: the app's errors (`web.errors`) in the spec's format. The JSON shapes are the models below
(the XML has the same elements), declared in the OpenAPI document with every error status. Dates are ISO
8601 in Asia/Tehran local time (+03:30). A reporter's email, phone and name are stored but never in any
answer here; text is masked (`civic.text.mask_personal_data`). `jurisdiction_id` is ignored: one
jurisdiction per endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from shahr.civic.geo import Districts
from shahr.civic.reports import api_keys, categories, photos, queries, workflow
from shahr.civic.reports.schemas import ReportPublic
from shahr.civic.reports.settings import ReportSettings
from shahr.civic.reports.tables import CLOSED, Category
from shahr.civic.settings import Action
from shahr.errors import ShahrError
from shahr.web.deps import DistrictsDep, RateLimit, RateLimitDep, ReportSettingsDep, SessionDep
from shahr.web.errors import headers_of, status_of
from shahr.web.routers import open311_form as parse
from shahr.web.routers.open311_form import Open311Error
from shahr.web.routers.open311_models import (
    AttributeValue,
    Discovery,
    Endpoint,
    RequestCreated,
    Service,
    ServiceAttribute,
    ServiceDefinition,
    ServiceRequest,
    SpecError,
    TokenAnswer,
)
from shahr.web.schemas import NO_NUL, RETRY_AFTER

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
LIST_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
"""XML element of each item of a list, by the list's element (the Spark convention maps both ways)."""
SPEC_STATUSES = frozenset({403, 404, 429})
"""The statuses answered as they are; every other refusal is the spec's 400."""


class Open311Route(APIRoute):
    """Answers every error of these routes as the spec's error list, in the format of the path's
    extension (XML when it has none it knows): the app's errors with their status from `web.errors`,
    narrowed to the spec's (`SPEC_STATUSES`, else 400), and its headers (`Retry-After`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            fmt = "json" if request.url.path.endswith(".json") else "xml"
            try:
                return await handler(request)
            except Open311Error as exc:
                return _errors(exc.status, str(exc), fmt)
            except ShahrError as exc:
                return _errors(status_of(exc)[0], str(exc), fmt, headers_of(exc))
            except StarletteHTTPException as exc:
                return _errors(exc.status_code, str(exc.detail), fmt)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
                where = ".".join(str(part) for part in first["loc"][1:]) or "request"
                return _errors(400, f"{where}: {first['msg']}", fmt)

        return handle


# --- the answers' JSON shapes (the XML has the same elements) ----------------------------------------


def _documented(answer: Any, *errors: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the 200 answer in JSON (`answer`'s schema) and XML, and the spec's error list for
    `errors` (400 and 404 for every resource: a bad parameter, an unknown format or thing)."""
    xml = {"text/xml": {"schema": {"type": "string"}}}
    documented: dict[int | str, dict[str, Any]] = {200: {"model": answer, "content": xml}}
    for status in (400, 404, *errors):
        documented[status] = {"model": list[SpecError], "content": xml, "description": "The spec's errors."}
    if 429 in errors:
        documented[429]["headers"] = RETRY_AFTER
    return documented


_FORM_FIELDS = {
    "api_key": "The key issued to the client (required).",
    "service_code": "The category (required).",
    "lat": "WGS84 latitude, with long.",
    "long": "WGS84 longitude, with lat.",
    "address_string": "Where, in words (without lat and long).",
    "address_id": "Where, as an address id.",
    "description": "At most 4,000 characters.",
    "media_url": "A photo's http(s) URL.",
    **{name: "The reporter's; kept for staff, never published." for name in parse.CONTACT_FIELDS},
}
_FORM_PROPERTIES = {name: {"type": "string", "description": text} for name, text in _FORM_FIELDS.items()}
_FORM = {
    "type": "object",
    "properties": _FORM_PROPERTIES,
    "required": ["api_key", "service_code"],
    "additionalProperties": {"type": "string", "description": "attribute[code] or attribute[code][]"},
}
_MULTIPART = {**_FORM, "properties": {**_FORM_PROPERTIES, "media": {"type": "string", "format": "binary"}}}
REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": _FORM},
            "multipart/form-data": {"schema": _MULTIPART},
        },
    }
}
"""The POST's form, documented: the handler reads it itself, `attribute[code]` keys included."""

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)

Format = Annotated[str, Path(pattern=NO_NUL, description="xml or json.", examples=["xml", "json"])]
Locale = Annotated[str, Query(pattern="^(fa|en)$", description="Names in Persian (default) or English.")]
Text = Annotated[str | None, Query(max_length=2000, pattern=NO_NUL)]


@router.get("/discovery.{fmt}", responses=_documented(Discovery))
def discovery(fmt: Format, request: Request, session: SessionDep, settings: ReportSettingsDep) -> Response:
    """Service Discovery: this one production endpoint, its formats, and the categories' changeset."""
    changed = categories.last_changed(session)
    changeset = _w3(changed, settings.timezone) if changed else "0"
    document = Discovery(
        changeset=changeset,
        contact=settings.jurisdiction_contact,
        key_service=f"Keys are issued by the city's administrators: {settings.jurisdiction_contact}",
        endpoints=[
            Endpoint(
                specification=SPECIFICATION,
                url=str(request.url_for("open311_root")).rstrip("/"),
                changeset=changeset,
                type="production",
                formats=["text/xml", "application/json"],
            )
        ],
    )
    return _render(document, _format(fmt), "discovery")


@router.get("/", name="open311_root", include_in_schema=False)
def root(request: Request) -> Response:
    """The endpoint's base URL (what discovery names); it serves the discovery document as XML."""
    return Response(status_code=307, headers={"Location": str(request.url_for("discovery", fmt="xml"))})


@router.get("/services.{fmt}", responses=_documented(list[Service]))
def services(fmt: Format, session: SessionDep, locale: Locale = "fa") -> Response:
    """GET Service List: the active categories."""
    listed = [_service(category, locale) for category in categories.list_categories(session)]
    return _render(listed, _format(fmt), "services")


@router.get("/services/{service_code}.{fmt}", responses=_documented(ServiceDefinition))
def service_definition(
    service_code: Annotated[str, Path(pattern=NO_NUL)], fmt: Format, session: SessionDep
) -> Response:
    """GET Service Definition: the category's attributes (404 for an unknown code)."""
    category = categories.get_category(session, service_code)
    attributes = [
        ServiceAttribute(
            variable=True,
            code=attribute.code,
            datatype=attribute.datatype,
            required=attribute.required,
            datatype_description=attribute.datatype_description,
            order=attribute.order,
            description=attribute.description,
            values=[AttributeValue(key=value.key, name=value.name) for value in attribute.values],
        )
        for attribute in categories.attributes_of(category)
    ]
    document = ServiceDefinition(service_code=category.service_code, attributes=attributes)
    return _render(document, _format(fmt), "service_definition")


@router.post(
    "/requests.{fmt}", responses=_documented(list[RequestCreated], 403, 429), openapi_extra=REQUEST_BODY
)
async def create_request(
    fmt: Format,
    request: Request,
    session: SessionDep,
    settings: ReportSettingsDep,
    districts: DistrictsDep,
    count: RateLimitDep,
) -> Response:
    """POST Service Request. The api_key is checked, then the request counted for the rate limits, then
    the photo of a `media` upload is checked and cleaned before anything is stored, so a refused photo
    files nothing."""
    output = _format(fmt)
    async with request.form(max_files=1, max_fields=200) as form:
        media = form.get("media")
        upload = await media.read(settings.photo_max_bytes + 1) if isinstance(media, UploadFile) else None
        query_key = request.query_params.get("api_key")
        # The database work runs in the thread pool, as a plain `def` handler's would: blocking calls in
        # the event loop would hold up every other request while this one waits for the database.
        return await run_in_threadpool(
            _file_request, form, upload, query_key, output, session, settings, districts, count
        )


def _file_request(
    form: FormData,
    upload: bytes | None,
    query_key: str | None,
    output: str,
    session: Session,
    settings: ReportSettings,
    districts: Districts,
    count: RateLimit,
) -> Response:
    parse.refuse_nul(form)
    key = api_keys.check_api_key(session, parse.field(form, "api_key") or query_key)
    count(Action.REPORT, parse.reporter(key.id, form))
    service_code = parse.field(form, "service_code")
    if not service_code:
        raise Open311Error(400, "service_code was not provided")
    photo = photos.clean_photo(upload, settings) if upload is not None else None
    new = workflow.NewReport(
        service_code=service_code,
        description=parse.field(form, "description") or "",
        lat=parse.coordinate(form, "lat", 90),
        lon=parse.coordinate(form, "long", 180),
        address=parse.field(form, "address_string"),
        address_id=parse.field(form, "address_id"),
        answers=parse.answers(form),
        media_url=parse.media_url(parse.field(form, "media_url")),
        contact=workflow.Contact(**{name: parse.field(form, name) for name in parse.CONTACT_FIELDS}),
    )
    filed = workflow.file_report(
        session,
        new,
        settings=settings,
        districts=districts,
        now=datetime.now(UTC),
        source="open311",
        api_key_id=key.id,
        actor=f"open311:{key.name}",
    )
    if photo is not None:
        photos.store_photo(session, filed.report.id, photo, filed.report.filed_at)
    report = filed.report
    notice = (
        f"{report.department}: expected by {_w3(report.due_at, settings.timezone)} "
        f"({report.category.sla_hours}-hour service level)"
    )
    answer = RequestCreated(
        service_request_id=str(report.id), service_notice=notice, account_id=new.contact.account_id
    )
    return _render([answer], output, "service_requests")


@router.get("/requests.{fmt}", responses=_documented(list[ServiceRequest]))
def list_requests(
    fmt: Format,
    request: Request,
    session: SessionDep,
    settings: ReportSettingsDep,
    service_request_id: Text = None,
    service_code: Text = None,
    start_date: Text = None,
    end_date: Text = None,
    status: Text = None,
    locale: Locale = "fa",
) -> Response:
    """GET Service Requests, with the spec's filters and defaults (see the module docstring)."""
    output = _format(fmt)
    now = datetime.now(UTC)
    if service_request_id:
        ids = [
            int(part) for part in parse.comma_list(service_request_id) if part.isdigit() and len(part) < 19
        ]
        reports = queries.search_reports(session, ids=ids, limit=settings.requests_max_rows)
    else:
        span = timedelta(days=settings.requests_default_days)
        start, end = parse.date(start_date, "start_date"), parse.date(end_date, "end_date")
        if start is None and end is None:
            start, end = now - span, now + timedelta(seconds=1)
        elif start is None and end is not None:
            start = end - span
        elif end is None and start is not None:
            end = start + span
        if start is None or end is None or end < start:
            raise Open311Error(400, "end_date is before start_date")
        if end - start > span + timedelta(seconds=1):
            raise Open311Error(400, f"start_date to end_date may not span more than {span.days} days")
        reports = queries.search_reports(
            session,
            service_codes=parse.comma_list(service_code) if service_code else None,
            statuses=parse.statuses(status) if status else None,
            since=start,
            until=end + timedelta(microseconds=1),
            limit=settings.requests_max_rows,
        )
    views = queries.public_views(session, reports, now)
    return _render(
        [_request(view, request, settings.timezone, locale) for view in views], output, "service_requests"
    )


@router.get("/requests/{service_request_id}.{fmt}", responses=_documented(list[ServiceRequest]))
def get_request(
    service_request_id: Annotated[str, Path(pattern=NO_NUL)],
    fmt: Format,
    request: Request,
    session: SessionDep,
    settings: ReportSettingsDep,
    locale: Locale = "fa",
) -> Response:
    """GET Service Request: a list of the one request (404 when there is no such request)."""
    output = _format(fmt)
    view = queries.public_report(session, service_request_id, datetime.now(UTC))
    return _render([_request(view, request, settings.timezone, locale)], output, "service_requests")


@router.get("/tokens/{token}.{fmt}", responses=_documented(list[TokenAnswer]))
def get_token(token: Annotated[str, Path(pattern=NO_NUL)], fmt: Format, session: SessionDep) -> Response:
    """GET service_request_id from a token: the reporter's private token names their request."""
    output = _format(fmt)
    report = workflow.find_report_by_token(session, token)
    if report is None:
        raise Open311Error(404, "token not found")
    return _render([TokenAnswer(service_request_id=str(report.id), token=token)], output, "service_requests")


# --- shapes ---------------------------------------------------------------------------------------


def _service(category: Category, locale: str) -> Service:
    english = locale == "en"
    return Service(
        service_code=category.service_code,
        service_name=category.name_en if english else category.name_fa,
        description=(category.description_en if english else category.description_fa) or None,
        metadata=bool(category.attributes),
        type="realtime",
        keywords=category.keywords or None,
        group=category.group,
    )


def _request(view: ReportPublic, request: Request, timezone: str, locale: str) -> ServiceRequest:
    """A report as GeoReport v2's `request`: built from the public view, so the text is masked and no
    contact detail can appear."""
    media_url = None
    if view.photo_ids:
        media_url = str(request.url_for("civic_photo", photo_id=view.photo_ids[0]))
    return ServiceRequest(
        service_request_id=str(view.id),
        status="closed" if view.status in CLOSED else "open",
        status_notes=view.status_note,
        service_name=view.category_en if locale == "en" else view.category_fa,
        service_code=view.service_code,
        description=view.description,
        agency_responsible=view.department,
        service_notice=None,
        requested_datetime=_w3(view.filed_at, timezone),
        updated_datetime=_w3(view.updated_at, timezone),
        expected_datetime=_w3(view.due_at, timezone),
        address=view.address,
        address_id=view.address_id,
        zipcode=None,
        lat=view.lat,
        long=view.lon,
        media_url=media_url or view.media_url,
    )


def _render(document: BaseModel | Sequence[BaseModel], fmt: str, root: str) -> Response:
    """The answer in `fmt`: JSON as the models dump, or XML with `root` as the document element."""
    data = (
        [item.model_dump() for item in document] if isinstance(document, Sequence) else document.model_dump()
    )
    if fmt == "json":
        return Response(json.dumps(data, ensure_ascii=False), media_type=FORMATS["json"])
    element = _xml(root, data)
    body = ElementTree.tostring(element, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + body, media_type=FORMATS["xml"])


def _xml(tag: str, value: Any) -> ElementTree.Element:
    element = ElementTree.Element(tag)
    if isinstance(value, list):
        for item in value:
            element.append(_xml(LIST_ITEMS[tag], item))
    elif isinstance(value, dict):
        for key, item in value.items():
            element.append(_xml(key, item))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


def _errors(status: int, description: str, fmt: str, headers: dict[str, str] | None = None) -> Response:
    code = status if status in SPEC_STATUSES else 400
    response = _render([SpecError(code=code, description=description)], fmt, "errors")
    response.status_code = code
    response.headers.update(headers or {})
    return response


# --- input ----------------------------------------------------------------------------------------


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"format {fmt!r} is not offered: use .xml or .json")
    return fmt


def _w3(moment: datetime, timezone: str) -> str:
    """ISO 8601 in the city's local time with its offset, to the second: 2025-11-28T17:50:00+03:30."""
    return moment.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")
