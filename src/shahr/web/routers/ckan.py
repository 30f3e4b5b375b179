"""The open-data catalog for machines: CKAN's Action API (v3, read side), the files, and DCAT.

- `/api/3/action/{action}` and `/api/action/{action}` (the path `ckanapi.RemoteCKAN` calls: its
  `base_url` is `api/action/`): `package_list`, `package_show`, `package_search`, `organization_list`,
  `tag_list`, `resource_show`, `status_show` and `help_show` (where every answer's `help` points). GET
  takes the parameters in the query string (a repeated one as a list), POST a JSON object (what ckanapi
  sends) or a form; `/api/3` answers `{"version": 3}`.
- Every answer is CKAN's envelope, `{"help", "success": true, "result"}`, and every refusal CKAN's:
  `{"help", "success": false, "error": {"__type", "message"}}` with 404 (Not Found Error), 409
  (Validation Error, the fields and their messages in place of `message`; Search Error) or 400 (Search
  Query Error). An unknown action or an unreadable body is CKAN's 400 with a JSON string,
  `"Bad request - Action name not known: x"`. JSON is ASCII with `\\u` escapes, as CKAN writes it.
  These routes answer in these shapes, not the app's own error format: CKAN clients parse them.
- `/opendata/resources/{id}/download/{filename}`: a file's bytes with its media type, each download
  counted (the `url` of every resource); `/opendata/catalog.jsonld`: the catalog in DCAT-AP JSON-LD.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from shahr.opendata import ckan, dcat, search
from shahr.opendata.ckan import Action, Call, CkanError, NotFound
from shahr.web.deps import SessionDep


def help_show(call: Call) -> str:
    """An action's description: where every answer's `help` points."""
    name = call.required("name")
    if name not in ACTIONS:
        raise NotFound("Action function not found")
    return ACTIONS[name].__doc__ or name


ACTIONS: dict[str, Action] = {
    "package_list": ckan.package_list,
    "package_show": ckan.package_show,
    "package_search": search.package_search,
    "organization_list": ckan.organization_list,
    "tag_list": ckan.tag_list,
    "resource_show": ckan.resource_show,
    "status_show": ckan.status_show,
    "help_show": help_show,
}
"""The read side of CKAN's Action API this catalog answers: all side-effect free, so GET or POST."""

FORM = "application/x-www-form-urlencoded"


class CkanJSON(JSONResponse):
    """JSON as CKAN writes it: ASCII, other characters as `\\u` escapes (so a lone surrogate a client sent
    comes back escaped rather than failing to encode)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False).encode("ascii")


class Unreadable(Exception):
    """A request whose parameters cannot be read: CKAN's 400 "Bad request - ..."."""


_ERROR = {
    "type": "object",
    "required": ["help", "success", "error"],
    "properties": {
        "help": {"type": "string"},
        "success": {"const": False},
        "error": {
            "type": "object",
            "required": ["__type"],
            "properties": {"__type": {"type": "string"}, "message": {"type": "string"}},
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}
_OK = {
    "type": "object",
    "required": ["help", "success", "result"],
    "properties": {"help": {"type": "string"}, "success": {"const": True}, "result": {}},
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _json(_OK, "CKAN's envelope with the action's result."),
    400: _json(
        {"anyOf": [{"type": "string"}, _ERROR]},
        'An unknown action or unreadable body ("Bad request - ..."), or a Search Query Error.',
    ),
    404: _json(_ERROR, "Not Found Error."),
    409: _json(_ERROR, "Validation Error (the fields and their messages) or Search Error."),
}
_PARAMETERS = {
    "id": ("string", "package_show: a dataset's name or id; resource_show: a resource's id."),
    "q": ("string", "package_search: words, all of which must appear, and field:value clauses."),
    "fq": ("string", "package_search: field:value clauses (tags, organization, res_format, ...)."),
    "sort": ("string", "package_search: e.g. `metadata_modified desc`, `name asc`, `score desc`."),
    "rows": ("integer", "package_search: datasets per page (default 10, at most 1,000)."),
    "start": ("integer", "package_search: the first dataset's position."),
    "facet.field": ("string", 'package_search: a JSON list of fields to count, `["tags","organization"]`.'),
    "limit": ("integer", "package_list, organization_list: at most this many."),
    "offset": ("integer", "package_list, organization_list: from this position."),
    "all_fields": ("boolean", "organization_list, tag_list: dicts rather than names."),
    "query": ("string", "tag_list: tags containing this."),
    "name": ("string", "help_show: the action."),
}
GET_PARAMETERS = {
    "parameters": [
        {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": text}
        for name, (kind, text) in _PARAMETERS.items()
    ]
}
POST_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": {"type": "object", "description": "The parameters."}}},
    }
}
ActionPath = Annotated[
    str,
    Path(
        description="A read action; any other name is CKAN's 400.",
        examples=["package_search"],
        json_schema_extra={"enum": list(ACTIONS)},
    ),
]

router = APIRouter(tags=["open data"])


async def _raw_body(request: Request) -> bytes:
    return await request.body()


BodyDep = Annotated[bytes, Depends(_raw_body)]


@router.get("/api/3", response_class=CkanJSON)
def api_version() -> dict[str, int]:
    """The API's version, as CKAN answers it: clients probe it to find an Action API."""
    return {"version": 3}


@router.get("/api/3/action/{action}", responses=ACTION_RESPONSES, openapi_extra=GET_PARAMETERS)
@router.get("/api/action/{action}", include_in_schema=False)
def call_action_get(action: ActionPath, request: Request, session: SessionDep, body: BodyDep) -> Response:
    """Call a read action of CKAN's Action API, with its parameters in the query string."""
    return _answer(action, request, session, body)


@router.post("/api/3/action/{action}", responses=ACTION_RESPONSES, openapi_extra=POST_BODY)
@router.post("/api/action/{action}", include_in_schema=False)
def call_action_post(action: ActionPath, request: Request, session: SessionDep, body: BodyDep) -> Response:
    """Call a read action of CKAN's Action API, with its parameters in a JSON object (or a form)."""
    return _answer(action, request, session, body)


@router.get(
    "/opendata/resources/{resource_id}/download/{filename}",
    response_class=Response,
    responses={
        200: {
            "description": "The file.",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        404: _json(_ERROR, "No file of that id."),
    },
)
def download_resource(resource_id: str, filename: str, request: Request, session: SessionDep) -> Response:
    """A file of a release (any release: older ones stay downloadable), counted. The filename is the
    file's own name in CKAN's URLs, for the client that saves it under the URL's last segment; the id
    alone says which file."""
    try:
        resource = ckan.download(session, resource_id)
    except CkanError as exc:
        return _refusal(exc, _help(request, "resource_show"))
    disposition = f"attachment; filename*=UTF-8''{quote(resource.filename)}"
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}
    return Response(resource.content, media_type=resource.media_type, headers=headers)


@router.get(
    "/opendata/catalog.jsonld",
    response_class=Response,
    responses={
        200: {"description": "DCAT-AP.", "content": {"application/ld+json": {"schema": {"type": "object"}}}}
    },
)
def dcat_catalog(request: Request, session: SessionDep) -> Response:
    """The catalog in DCAT-AP JSON-LD: every dataset with its current files."""
    document = dcat.catalog(ckan.load_entries(session), _base_url(request))
    return Response(json.dumps(document, ensure_ascii=False), media_type="application/ld+json")


def _answer(action: str, request: Request, session: Session, body: bytes) -> Response:
    function = ACTIONS.get(action)
    if function is None:
        return CkanJSON(f"Bad request - Action name not known: {action}", status_code=400)
    try:
        data = _request_data(request, body)
    except Unreadable as exc:
        return CkanJSON(f"Bad request - {exc}", status_code=400)
    help_url = _help(request, action)
    try:
        result = function(Call(session, _base_url(request), data))
    except CkanError as exc:
        return _refusal(exc, help_url)
    return CkanJSON({"help": help_url, "success": True, "result": result})


def _refusal(exc: CkanError, help_url: str) -> Response:
    return CkanJSON({"help": help_url, "success": False, "error": exc.error()}, status_code=exc.status)


def _request_data(request: Request, body: bytes) -> dict[str, Any]:
    """The parameters as CKAN reads them: a POSTed form (one field whose value is empty or 1 holds the
    JSON as its name: old clients send that), else the query string, else the body's JSON object.
    `callback` (JSONP) is dropped."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    data: Any
    if request.method == "POST" and content_type == FORM and body:
        try:
            form = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError as exc:
            raise Unreadable(f"JSON Error: the form is not UTF-8: {exc}") from exc
        if len(form) == 1 and form[0][1] in {"", "1"}:
            data = _parse_json(form[0][0])
        else:
            data = _mixed(form)
    elif request.query_params:
        data = _mixed(request.query_params.multi_items())
    elif body.strip():
        data = _parse_json(body)
    else:
        data = {}
    if not isinstance(data, dict):
        raise Unreadable(
            f"Bad request data: Request data JSON decoded to {data!r} but it needs to be a dictionary."
        )
    data.pop("callback", None)
    return data


def _parse_json(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Unreadable(f"JSON Error: Error decoding JSON data. Error: {exc!r}") from exc


def _mixed(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Query or form pairs as CKAN's `mixed`: a key given once is a string, given more often a list."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _help(request: Request, action: str) -> str:
    return f"{_base_url(request)}/api/3/action/help_show?name={quote(action, safe='')}"
