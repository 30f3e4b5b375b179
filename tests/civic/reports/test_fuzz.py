"""Schemathesis over the civic reports' JSON API and Open311 (tags `civic reports`, `civic staff`,
`open311`), in process, on SQLite and PostgreSQL, with the back office's checks: no 5xx, a declared
status, the declared content type and the declared schema (Open311's JSON answers against the router's
models; its XML ones are held to the spec's schemas in test_open311).

Each operation runs on a fresh database seeded with a report (with a photo), a second report, and an
Open311 key. Generated path ids, tokens, service codes and formats are sometimes swapped for the seeded
ones, and Open311 POST forms sometimes carry the live key and a point in the city, so that the workflow,
photos, revocations and filings are reached, not only refused. Staff operations get an admin token;
rate limits are out of the way (`fuzzing.CIVIC`). Deterministic (fixed seed, derandomized)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.python import asgi

from shahr.backoffice.auth import create_staff_token
from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.geo import load_districts
from shahr.civic.reports import api_keys, photos, workflow
from shahr.civic.reports.settings import ReportSettings
from shahr.settings import Settings
from shahr.web.app import create_app
from shahr.web.deps import civic_settings
from tests.civic.fuzzing import (
    BASE_URL,
    CHECKS,
    CIVIC,
    DOCUMENT,
    FUZZ,
    PROPOSAL_TAGS,
    REPORT_TAGS,
    civic_schema,
    security_schemes,
)
from tests.civic.reports.conftest import AHMADABAD, HARAM
from tests.civic.reports.test_photos import jpeg_with_gps
from tests.web.test_fuzz import CIVIC as UNFUZZED_THERE

LIVE = 7_777_777
"""Stands for a seeded row in generated paths and bodies; swapped for its id before the call."""
LIVE_TEXT = "live"
"""Stands for the seeded report's id or token, or the live key, where they are strings."""
SEEDED_PATHS = {
    "report_id": LIVE,
    "photo_id": LIVE,
    "key_id": LIVE,
    "service_request_id": LIVE_TEXT,
    "token": LIVE_TEXT,
    "service_code": "road_damage",
}

schema = civic_schema(REPORT_TAGS, seed=20251128)


@schema.hook("flatmap_path_parameters")
def _seeded_paths(
    _context: schemathesis.HookContext, path: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    if not path:
        return st.just(path)
    seeded = {key: SEEDED_PATHS.get(key, value) for key, value in path.items()}
    if "fmt" not in path:
        return st.sampled_from([seeded, path])  # Hypothesis leans to the first
    return st.sampled_from([{**seeded, "fmt": "json"}, {**seeded, "fmt": "xml"}, path])


@schema.hook("flatmap_body")
def _live_bodies(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    assert context.operation is not None
    path = context.operation.path
    if path.endswith("/merge") and isinstance(body, dict):
        return st.sampled_from([{**body, "into": LIVE}, body])
    if path.endswith("/requests.{fmt}") and isinstance(body, dict):
        place = {"lat": str(HARAM[0]), "long": str(HARAM[1])}
        live = {**body, "api_key": LIVE_TEXT, "service_code": "road_damage", **place}
        return st.sampled_from([live, {**body, "api_key": LIVE_TEXT}, body])
    return st.just(body)


@dataclass(frozen=True)
class Target:
    """The app on a fresh database, a client calling it in process, and the seeded rows."""

    client: asgi.ASGIClient
    admin: str
    report_id: int
    other_id: int
    photo_id: int
    token: str
    key_id: int
    api_key: str


@pytest.fixture
def target(database_url: str) -> Iterator[Target]:
    app = create_app(Settings(environment="test", database_url=database_url))
    app.dependency_overrides[civic_settings] = lambda: CIVIC
    try:
        with asgi.get_client(app) as client:  # runs the lifespan: migrations
            now = datetime.now(UTC)
            settings, districts = ReportSettings(), load_districts()
            with app.state.sessions() as session:
                admin = create_staff_token(session, "fuzzer", StaffRole.ADMIN, now)
                filed = workflow.file_report(
                    session,
                    workflow.NewReport("road_damage", "چاله", lat=HARAM[0], lon=HARAM[1]),
                    settings=settings,
                    districts=districts,
                    now=now,
                )
                other = workflow.file_report(
                    session,
                    workflow.NewReport("road_damage", "چاله", lat=AHMADABAD[0], lon=AHMADABAD[1]),
                    settings=settings,
                    districts=districts,
                    now=now,
                )
                photo = photos.store_photo(
                    session, filed.report.id, photos.clean_photo(jpeg_with_gps((64, 48)), settings), now
                )
                key, api_key = api_keys.issue_api_key(session, "fuzz client", "fuzzer", now)
                session.commit()
                seeded = Target(
                    client,
                    admin,
                    filed.report.id,
                    other.report.id,
                    photo.id,
                    filed.token,
                    key.id,
                    api_key,
                )
            yield seeded
    finally:
        asgi.shutdown_lifespans()  # disposes the engine before the database is dropped


def _aim(case: schemathesis.Case, target: Target) -> dict[str, Any]:
    """Swap the stand-ins for the seeded rows, and send the admin token to staff operations."""
    live_paths = {
        "report_id": target.report_id,
        "photo_id": target.photo_id,
        "key_id": target.key_id,
        "service_request_id": str(target.report_id),
        "token": target.token,
    }
    for key, value in (case.path_parameters or {}).items():
        if value in (LIVE, LIVE_TEXT) and key in live_paths:
            assert case.path_parameters is not None
            case.path_parameters[key] = live_paths[key]
    if isinstance(case.body, dict):
        if case.body.get("into") == LIVE:
            case.body["into"] = target.other_id
        if case.body.get("api_key") == LIVE_TEXT:
            case.body["api_key"] = target.api_key
    if "StaffToken" in security_schemes(case):
        return {"headers": {"Authorization": f"Bearer {target.admin}"}}
    return {}


@schema.parametrize()
@FUZZ
def test_no_request_gets_a_5xx_or_an_undeclared_answer(case: schemathesis.Case, target: Target) -> None:
    case.call_and_validate(session=target.client, base_url=BASE_URL, checks=CHECKS, **_aim(case, target))


def test_every_operation_is_fuzzed_by_one_run() -> None:
    """The back office's run leaves out exactly the civic tags, which the two civic runs share out:
    no operation is fuzzed twice or never."""
    assert sorted(UNFUZZED_THERE) == sorted(REPORT_TAGS + PROPOSAL_TAGS)
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            civic = [tag for tag in operation.get("tags", []) if tag in UNFUZZED_THERE]
            assert civic == [] or civic == operation["tags"], f"{method} {path}: {operation['tags']}"
            assert len(civic) <= 1, f"{method} {path} is in two civic runs: {civic}"
