"""Open311 GeoReport v2 through the API on both databases: every endpoint's answer, in XML and JSON,
validated against the JSON Schemas in tests/civic/open311_schemas (written from the open311
schema-validation project and the spec); bad input answered with the spec's errors, never a 5xx; a
reporter's contact details in no answer."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx2
import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from PIL import Image
from referencing import Registry, Resource

from shahr.backoffice.auth_tables import StaffRole
from tests.civic.reports.conftest import HARAM, OUTSIDE, Api
from tests.civic.reports.test_photos import jpeg_with_gps

SCHEMAS = Path(__file__).resolve().parent.parent / "open311_schemas"
_LOADED = {path.stem: json.loads(path.read_text()) for path in SCHEMAS.glob("*.json")}
REGISTRY = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema)) for schema in _LOADED.values()
)
LISTS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
BOOLEANS = {"metadata", "variable", "required"}
INTEGERS = {"order", "code"}
NUMBERS = {"lat", "long"}
CONTACT = {
    "email": "reza@example.ir",
    "phone": "09151234567",
    "first_name": "رضا",
    "last_name": "رضایی",
    "device_id": "device-77",
    "account_id": "acct-9",
}


def from_xml(element: ElementTree.Element) -> Any:
    """An Open311 XML answer as the JSON one (the Spark convention): list elements to lists, leaves to
    typed values by field, empty elements to null."""
    if element.tag in LISTS:
        return [from_xml(child) for child in element]
    if len(element):
        return {child.tag: from_xml(child) for child in element}
    text = element.text
    if text is None:
        return None
    if element.tag in BOOLEANS:
        return {"true": True, "false": False}[text]
    if element.tag in INTEGERS and text.lstrip("-").isdigit():
        return int(text)
    if element.tag in NUMBERS:
        return float(text)
    return text


def answer(response: httpx2.Response, schema: str, status: int = 200) -> Any:
    """The body, checked against `schema` (and its content type and status)."""
    assert response.status_code == status, response.text
    if response.url.path.endswith(".json"):
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        body = response.json()
    else:
        assert response.headers["content-type"] == "text/xml; charset=utf-8"
        assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
        body = from_xml(ElementTree.fromstring(response.content))
    Draft202012Validator(_LOADED[schema], registry=REGISTRY).validate(body)
    return body


def post(api: Api, fmt: str, key: str | None, *, files: Any = None, **fields: str) -> httpx2.Response:
    data = {"service_code": "road_damage", "lat": str(HARAM[0]), "long": str(HARAM[1]), **fields}
    if key is not None:
        data["api_key"] = key
    return api.client.post(f"/open311/v2/requests.{fmt}", data=data, files=files)


FORMATS = pytest.mark.parametrize("fmt", ["json", "xml"])


@FORMATS
def test_discovery_services_and_definitions(api: Api, fmt: str) -> None:
    discovery = answer(api.client.get(f"/open311/v2/discovery.{fmt}"), "discovery")
    assert discovery["endpoints"][0]["url"] == "http://testserver/open311/v2"
    services = answer(api.client.get(f"/open311/v2/services.{fmt}"), "services")
    codes = {service["service_code"] for service in services}
    assert {"road_damage", "street_lighting", "waste_collection", "bus_stop_vehicle", "fare_card"} <= codes
    road = next(service for service in services if service["service_code"] == "road_damage")
    assert road == {
        "service_code": "road_damage",
        "service_name": "خرابی آسفالت و معابر",
        "description": None,
        "metadata": True,
        "type": "realtime",
        "keywords": "road,damage",
        "group": "streets",
    }
    english = answer(api.client.get(f"/open311/v2/services.{fmt}?locale=en"), "services")
    assert "Road or pavement damage" in {service["service_name"] for service in english}
    definition = answer(api.client.get(f"/open311/v2/services/road_damage.{fmt}"), "service-definition")
    assert definition["attributes"][0]["values"] == [
        {"key": "small", "name": "کوچک / Small"},
        {"key": "large", "name": "بزرگ / Large"},
    ]
    empty = answer(api.client.get(f"/open311/v2/services/waste_collection.{fmt}"), "service-definition")
    assert empty == {"service_code": "waste_collection", "attributes": []}
    answer(api.client.get(f"/open311/v2/services/nope.{fmt}"), "errors", 404)


@FORMATS
def test_post_then_read_back_everywhere(api: Api, fmt: str) -> None:
    key = api.api_key()
    description = "چاله عمیق <script>alert(1)</script>\nتماس: 09151234567، reza@example.ir"
    created = answer(
        post(api, fmt, key, description=description, **CONTACT, **{"attribute[size]": "large"}),
        "post-response",
    )
    request_id = created[0]["service_request_id"]
    assert created[0]["account_id"] == "acct-9"  # the submitter's own, echoed to them only
    assert "expected by" in created[0]["service_notice"]

    one = answer(api.client.get(f"/open311/v2/requests/{request_id}.{fmt}"), "requests")
    listed = answer(api.client.get(f"/open311/v2/requests.{fmt}"), "requests")
    assert listed == one
    request = one[0]
    assert request["status"] == "open" and request["service_code"] == "road_damage"
    assert request["description"] == "چاله عمیق <script>alert(1)</script>\nتماس: [phone]، [email]"
    assert request["lat"] == HARAM[0] and request["long"] == HARAM[1]
    assert request["requested_datetime"].endswith("+03:30")
    raw = api.client.get(f"/open311/v2/requests/{request_id}.{fmt}").text
    for value in CONTACT.values():
        assert value not in raw
    if fmt == "xml":
        assert "&lt;script&gt;" in raw  # markup is text, escaped
    staff = api.client.get(f"/civic/staff/reports/{request_id}", headers=api.staff()).json()
    assert staff["contact"]["email"] == CONTACT["email"]  # kept, for staff only


@FORMATS
def test_get_requests_filters_and_defaults(api: Api, fmt: str) -> None:
    key = api.api_key()
    ids = [
        answer(post(api, fmt, key, service_code=code), "post-response")[0]["service_request_id"]
        for code in ("road_damage", "waste_collection", "road_damage")
    ]
    api.client.post(
        f"/civic/staff/reports/{ids[1]}/status",
        json={"status": "resolved", "note": "جمع شد"},
        headers=api.staff(),
    ).raise_for_status()

    def ids_of(query: str) -> list[str]:
        body = answer(api.client.get(f"/open311/v2/requests.{fmt}?{query}"), "requests")
        return [request["service_request_id"] for request in body]

    assert ids_of("") == ids[::-1]  # newest first
    assert ids_of("service_code=road_damage") == [ids[2], ids[0]]
    assert ids_of("service_code=road_damage,waste_collection&status=closed") == [ids[1]]
    assert ids_of("status=open") == [ids[2], ids[0]]
    assert ids_of(f"service_request_id={ids[0]},{ids[1]},999,abc&status=open") == [
        ids[1],
        ids[0],
    ]  # overrides
    assert ids_of("start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z") == []
    closed = answer(api.client.get(f"/open311/v2/requests/{ids[1]}.{fmt}"), "requests")[0]
    assert (closed["status"], closed["status_notes"]) == ("closed", "جمع شد")
    for bad in (
        "start_date=2020-01-01T00:00:00Z&end_date=2020-06-01T00:00:00Z",
        "start_date=2020-01-01",
        "end_date=yesterday",
        "status=pending",
        "start_date=2025-02-01T00:00:00Z&end_date=2025-01-01T00:00:00Z",
    ):
        answer(api.client.get(f"/open311/v2/requests.{fmt}?{bad}"), "errors", 400)


@FORMATS
def test_tokens_and_missing_requests(api: Api, fmt: str) -> None:
    answer(api.client.get(f"/open311/v2/tokens/not-a-token.{fmt}"), "errors", 404)
    answer(api.client.get(f"/open311/v2/requests/424242.{fmt}"), "errors", 404)
    answer(api.client.get(f"/open311/v2/requests/abc.{fmt}"), "errors", 404)


def test_token_names_the_reporters_request(api: Api) -> None:
    from datetime import UTC, datetime

    from shahr.civic.geo import load_districts
    from shahr.civic.reports import workflow
    from shahr.civic.reports.settings import ReportSettings

    with api.app.state.sessions() as session:
        new = workflow.NewReport(service_code="other", description="x", lat=HARAM[0], lon=HARAM[1])
        filed = workflow.file_report(
            session, new, settings=ReportSettings(), districts=load_districts(), now=datetime.now(UTC)
        )
        session.commit()
        report_id, token = filed.report.id, filed.token
    for fmt in ("json", "xml"):
        body = answer(api.client.get(f"/open311/v2/tokens/{token}.{fmt}"), "token-response")
        assert body == [{"service_request_id": str(report_id), "token": token}]


@FORMATS
def test_photo_upload_is_cleaned_and_linked(api: Api, fmt: str) -> None:
    key = api.api_key()
    files = {"media": ("pothole.jpg", jpeg_with_gps(), "image/jpeg")}
    request_id = answer(post(api, fmt, key, files=files), "post-response")[0]["service_request_id"]
    request = answer(api.client.get(f"/open311/v2/requests/{request_id}.{fmt}"), "requests")[0]
    photo = api.client.get(request["media_url"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert dict(Image.open(io.BytesIO(photo.content)).getexif()) == {}
    assert b"Model X 12" not in photo.content
    given = answer(post(api, fmt, key, media_url="https://photos.example.org/1.jpg"), "post-response")
    linked = answer(
        api.client.get(f"/open311/v2/requests/{given[0]['service_request_id']}.{fmt}"), "requests"
    )
    assert linked[0]["media_url"] == "https://photos.example.org/1.jpg"


@FORMATS
@pytest.mark.parametrize(
    "fields, files, status, words",
    [
        ({"service_code": ""}, None, 400, "service_code was not provided"),
        ({"service_code": "nope"}, None, 404, "no category"),
        ({"lat": str(OUTSIDE[0]), "long": str(OUTSIDE[1])}, None, 400, "outside the city"),
        ({"lat": "north"}, None, 400, "not a number"),
        ({"lat": "", "long": ""}, None, 400, "a location is required"),
        ({"long": ""}, None, 400, "both lat and long"),
        ({"description": "x" * 4001}, None, 400, "at most 4,000"),
        ({"attribute[size]": "huge"}, None, 400, "not one of"),
        ({"media_url": "javascript:alert(1)"}, None, 400, "not an http(s) URL"),
        ({}, {"media": ("a.pdf", b"%PDF-1.4 not an image", "image/jpeg")}, 400, "not an image"),
        ({}, {"media": ("big.jpg", b"\xff\xd8" + b"\x00" * 400_000, "image/jpeg")}, 400, "at most 300,000"),
    ],
)
def test_bad_posts_get_the_specs_errors(
    api: Api, fmt: str, fields: dict[str, str], files: dict[str, Any] | None, status: int, words: str
) -> None:
    key = api.api_key()
    errors = answer(post(api, fmt, key, files=files, **fields), "errors", status)
    assert errors[0]["code"] == status and words in errors[0]["description"]
    assert answer(api.client.get(f"/open311/v2/requests.{fmt}"), "requests") == []  # nothing was filed


@FORMATS
def test_api_key_required(api: Api, fmt: str) -> None:
    answer(post(api, fmt, None), "errors", 403)
    answer(post(api, fmt, "made-up"), "errors", 403)
    key = api.api_key("revoked client")
    admin = api.staff(StaffRole.ADMIN)
    listed = api.client.get("/civic/staff/open311-keys", headers=admin).json()
    api.client.post(f"/civic/staff/open311-keys/{listed[-1]['id']}/revoke", headers=admin).raise_for_status()
    answer(post(api, fmt, key), "errors", 403)
    issued = api.client.post("/civic/staff/open311-keys", json={"name": "city app"}, headers=admin)
    assert issued.status_code == 201
    answer(post(api, fmt, issued.json()["api_key"]), "post-response")
    assert (
        api.client.post("/civic/staff/open311-keys", json={"name": "x"}, headers=api.staff()).status_code
        == 403
    )


def test_unknown_format_is_404_in_xml(api: Api) -> None:
    response = api.client.get("/open311/v2/services.html")
    assert response.status_code == 404 and "<errors>" in response.text
