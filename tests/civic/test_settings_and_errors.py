"""What the two civic features share: one districts setting (under its new name and its old one), read by
reports and proposals alike; and one error table (`web.errors`), which the pages' error route agrees
with."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shahr.civic.ratelimit import RateLimited
from shahr.civic.reports import errors
from shahr.civic.settings import Action, CivicSettings
from shahr.civic.verification import Person, person_token
from shahr.settings import Settings
from shahr.web.app import create_app
from shahr.web.deps import civic_settings
from shahr.web.errors import headers_of, status_of
from tests.civic.reports.conftest import HARAM

SQUARE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": "x1", "name_fa": "ایکس", "name_en": "X"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [HARAM[1] - 0.01, HARAM[0] - 0.01],
                        [HARAM[1] + 0.01, HARAM[0] - 0.01],
                        [HARAM[1] + 0.01, HARAM[0] + 0.01],
                        [HARAM[1] - 0.01, HARAM[0] + 0.01],
                        [HARAM[1] - 0.01, HARAM[0] - 0.01],
                    ]
                ],
            },
        }
    ],
}
"""One square district, 0.02 degrees a side around the Haram."""


def test_the_districts_file_is_read_under_both_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHAHR_CIVIC_DISTRICTS_FILE", raising=False)
    monkeypatch.setenv("SHAHR_REPORTS_DISTRICTS_FILE", "/srv/old-name.geojson")
    assert CivicSettings(_env_file=None).districts_file == "/srv/old-name.geojson"
    monkeypatch.setenv("SHAHR_CIVIC_DISTRICTS_FILE", "/srv/new-name.geojson")
    assert CivicSettings(_env_file=None).districts_file == "/srv/new-name.geojson"
    assert (
        CivicSettings(_env_file=None, districts_file="/srv/given.geojson").districts_file
        == "/srv/given.geojson"
    )


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    path = tmp_path / "square.geojson"
    path.write_text(json.dumps(SQUARE), encoding="utf-8")
    app = create_app(Settings(environment="test", database_url=database_url, secret_key="shared"))
    app.dependency_overrides[civic_settings] = lambda: CivicSettings(_env_file=None, districts_file=str(path))
    with TestClient(app) as client:
        yield client


def test_reports_and_proposals_read_the_same_districts(client: TestClient) -> None:
    layer = client.get("/civic/districts.geojson").json()
    assert [feature["properties"]["code"] for feature in layer["features"]] == ["x1"]
    now = datetime.now(UTC)
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        session.add(Person(id="d" * 16, phone_hash="1" * 64, created_at=now, verified_at=now))
        session.commit()
    token = person_token("d" * 16, datetime(2100, 1, 1, tzinfo=UTC), "shared")
    proposal = {"title": "Benches", "body": "Benches along the boulevard, please.", "category": "other"}
    headers = {"Authorization": f"Person {token}"}
    refused = client.post("/proposals", json={**proposal, "district_code": "d01"}, headers=headers)
    assert (refused.status_code, refused.json()["error"]["code"], refused.json()["error"]["field"]) == (
        422,
        "invalid_proposal",
        "body.district_code",
    )
    accepted = client.post("/proposals", json={**proposal, "district_code": "x1"}, headers=headers)
    assert accepted.status_code == 201


def _subclasses(cls: type[errors.ReportError]) -> list[type[errors.ReportError]]:
    return [cls] + [sub for direct in cls.__subclasses__() for sub in _subclasses(direct)]


def test_the_pages_read_the_report_errors_status_the_api_answers() -> None:
    """`ReportError.status` stays for the pages' error route; the API answers from `web.errors.STATUS`."""
    answered = {cls.__name__: (cls.status, status_of(cls("x"))) for cls in _subclasses(errors.ReportError)}
    assert answered == {
        "ReportError": (400, (400, "invalid_report")),
        "InvalidReport": (400, (400, "invalid_report")),
        "BadPhoto": (400, (400, "bad_photo")),
        "UnknownCategory": (404, (404, "unknown_category")),
        "ReportNotFound": (404, (404, "report_not_found")),
        "PhotoNotFound": (404, (404, "photo_not_found")),
        "ApiKeyNotFound": (404, (404, "api_key_not_found")),
        "TransitionRefused": (409, (409, "transition_refused")),
        "BadReporterToken": (403, (403, "bad_reporter_token")),
        "BadApiKey": (403, (403, "bad_api_key")),
    }


def test_a_rate_limit_carries_retry_after() -> None:
    limited = RateLimited(Action.SUPPORT, "person", 60, 3600, retry_after_s=17)
    assert (status_of(limited), headers_of(limited)) == ((429, "rate_limited"), {"Retry-After": "17"})
    assert headers_of(errors.InvalidReport("x")) is None
