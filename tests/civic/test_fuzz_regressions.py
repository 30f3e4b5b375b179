"""What fuzzing the civic API with the back office's checks found, each request sent again on both
databases with its exact answer, and the answer's status declared in the OpenAPI document (docs/civic.md,
"Fuzzing")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import httpx2
import pytest
from fastapi.testclient import TestClient

from shahr.backoffice.auth import create_staff_token
from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.reports.api_keys import issue_api_key
from shahr.settings import Settings
from shahr.web.app import create_app
from tests.civic.fuzzing import DOCUMENT

R = StaffRole
ROAD_DAMAGE = {
    "service_code": "road_damage",
    "name_fa": "خرابی آسفالت",
    "name_en": "Road damage",
    "department": "معاونت فنی و عمرانی",
}


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def send(
        self, method: str, operation: str, url: str, role: StaffRole | None = None, **options: Any
    ) -> httpx2.Response:
        """The request, with a staff token of `role`, after checking `operation` is the path it is for;
        the answer's status must be one the operation declares."""
        headers = {"Authorization": f"Bearer {self.token(role)}"} if role else {}
        response = self.client.request(method, url, headers=headers, **options)
        declared = DOCUMENT["paths"][operation][method.lower()]["responses"]
        assert str(response.status_code) in declared, f"{method} {operation}: {sorted(declared)}"
        return response

    def token(self, role: StaffRole) -> str:
        with self.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            token = create_staff_token(session, f"test {role}", role, datetime.now(UTC))
            session.commit()
        return token

    def api_key(self) -> str:
        with self.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            _, key = issue_api_key(session, "test client", "test", datetime.now(UTC))
            session.commit()
        return key


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    with TestClient(create_app(Settings(environment="test", database_url=database_url))) as client:
        yield Api(client)


def error(response: httpx2.Response) -> tuple[int, str, str | None]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["field"]


MAX_ID = "9223372036854775808"
"""2^63: one more than the 64-bit id columns hold."""


@pytest.mark.parametrize(
    ("method", "operation", "url", "role", "body", "expected"),
    [
        # ids beyond 64 bits: 500 before the proposals' ids were bounded; the reports' too now
        ("GET", "/proposals/{proposal_id}", f"/proposals/{MAX_ID}", None, None,
         (422, "invalid_request", "path.proposal_id")),
        ("POST", "/moderation/{kind}/{target_id}/decision", f"/moderation/comment/{MAX_ID}/decision",
         R.MODERATOR, {"decision": "approved"}, (422, "invalid_request", "path.target_id")),
        ("GET", "/civic/staff/reports/{report_id}", f"/civic/staff/reports/{MAX_ID}", R.OFFICE, None,
         (422, "invalid_request", "path.report_id")),
        ("GET", "/civic/photos/{photo_id}.jpg", f"/civic/photos/{MAX_ID}.jpg", None, None,
         (422, "invalid_request", "path.photo_id")),
        # undeclared 404 and 400 answers of the staff API (a 400 for a missing key: now a 404)
        ("GET", "/civic/staff/reports/{report_id}", "/civic/staff/reports/9999", R.OFFICE, None,
         (404, "report_not_found", "path.report_id")),
        ("GET", "/civic/staff/reports/{report_id}/duplicates", "/civic/staff/reports/9999/duplicates",
         R.OPERATOR, None, (404, "report_not_found", "path.report_id")),
        ("POST", "/civic/staff/reports/{report_id}/status", "/civic/staff/reports/9999/status", R.OPERATOR,
         {"status": "resolved", "note": "x"}, (404, "report_not_found", "path.report_id")),
        ("POST", "/civic/staff/reports/{report_id}/merge", "/civic/staff/reports/9999/merge", R.OPERATOR,
         {"into": 1}, (404, "report_not_found", "path.report_id")),
        ("PATCH", "/civic/staff/categories/{service_code}", "/civic/staff/categories/0", R.ADMIN, {},
         (404, "unknown_category", "service_code")),
        ("POST", "/civic/staff/categories", "/civic/staff/categories", R.ADMIN, ROAD_DAMAGE,
         (400, "invalid_report", "body.service_code")),
        ("POST", "/civic/staff/open311-keys", "/civic/staff/open311-keys", R.ADMIN, {"name": "\x1f"},
         (400, "invalid_report", "body.name")),
        ("POST", "/civic/staff/open311-keys/{key_id}/revoke", "/civic/staff/open311-keys/9999/revoke",
         R.ADMIN, None, (404, "api_key_not_found", "path.key_id")),
        # a NUL (0x00) in text: 500 on PostgreSQL
        ("GET", "/civic/staff/triage", "/civic/staff/triage?department=%00", R.OPERATOR, None,
         (422, "invalid_request", "query.department")),
        ("GET", "/civic/reports.json", "/civic/reports.json?district=%00", None, None,
         (422, "invalid_request", "query.district")),
        ("GET", "/civic/reports.json", "/civic/reports.json?service_code=%00", None, None,
         (422, "invalid_request", "query.service_code.0")),
        ("POST", "/civic/staff/categories", "/civic/staff/categories", R.ADMIN,
         {**ROAD_DAMAGE, "service_code": "potholes", "name_fa": "\x00"},
         (422, "invalid_request", "body.name_fa")),
        # days Python's calendar cannot end: 500 (OverflowError)
        ("GET", "/civic/accountability.json", "/civic/accountability.json?until=0001-01-01", None, None,
         (422, "invalid_request", "query.until")),
        ("GET", "/civic/accountability.json", "/civic/accountability.json?since=9999-12-31", None, None,
         (422, "invalid_request", "query.since")),
    ],
)  # fmt: skip
def test_json_api(
    api: Api,
    method: str,
    operation: str,
    url: str,
    role: StaffRole | None,
    body: dict[str, Any] | None,
    expected: tuple[int, str, str],
) -> None:
    assert error(api.send(method, operation, url, role, json=body)) == expected


def test_accountability_until_the_first_day_starts_on_it(api: Api) -> None:
    """`until=2000-01-01` defaulted `since` to 1999-10-04, before the first day `until` may name."""
    url = "/civic/accountability.json?until=2000-01-01"
    response = api.send("GET", "/civic/accountability.json", url)
    assert response.status_code == 200
    period = response.json()
    assert (period["since"], period["until"]) == ("2000-01-01T00:00:00+03:30", "2000-01-02T00:00:00+03:30")
    assert period["overall"]["filed"] == 0


def spec_errors(response: httpx2.Response) -> tuple[int, str, list[tuple[int, str]]]:
    """Status, format and the spec's error list `[(code, description)]`, from JSON or XML alike."""
    if response.headers["content-type"] == "application/json; charset=utf-8":
        listed = [(item["code"], item["description"]) for item in response.json()]
        return response.status_code, "json", listed
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "errors"
    listed = [(int(e.findtext("code") or ""), e.findtext("description") or "") for e in root]
    return response.status_code, "xml", listed


@pytest.mark.parametrize(
    ("operation", "url", "expected"),
    [
        # undeclared: every Open311 resource answered 400 and 404 but declared only 200 and 422
        ("/open311/v2/services/{service_code}.{fmt}", "/open311/v2/services/0.0",
         (404, "xml", [(404, "no category with service_code '0'")])),
        ("/open311/v2/discovery.{fmt}", "/open311/v2/discovery.0",
         (404, "xml", [(404, "format '0' is not offered: use .xml or .json")])),
        ("/open311/v2/services.{fmt}", "/open311/v2/services.0?locale=",
         (400, "xml", [(400, "locale: String should match pattern '^(fa|en)$'")])),
        ("/open311/v2/tokens/{token}.{fmt}", "/open311/v2/tokens/0.json",
         (404, "json", [(404, "token not found")])),
        ("/open311/v2/requests/{service_request_id}.{fmt}", "/open311/v2/requests/0.json",
         (404, "json", [(404, "no report 0")])),
        # a NUL (0x00): 500 on PostgreSQL
        ("/open311/v2/services/{service_code}.{fmt}", "/open311/v2/services/%00.json",
         (400, "json", [(400, "service_code: String should match pattern '^[^\\x00]*$'")])),
        ("/open311/v2/requests.{fmt}", "/open311/v2/requests.xml?service_code=%00",
         (400, "xml", [(400, "service_code: String should match pattern '^[^\\x00]*$'")])),
    ],
)  # fmt: skip
def test_open311_answers_the_spec_errors(
    api: Api, operation: str, url: str, expected: tuple[int, str, list[tuple[int, str]]]
) -> None:
    assert spec_errors(api.send("GET", operation, url)) == expected


def test_open311_post_with_a_nul_in_a_field(api: Api) -> None:
    form = {"api_key": api.api_key(), "service_code": "road_damage", "description": "a\x00b"}
    response = api.send("POST", "/open311/v2/requests.{fmt}", "/open311/v2/requests.json", data=form)
    assert spec_errors(response) == (400, "json", [(400, "'description' contains a NUL character (0x00)")])
