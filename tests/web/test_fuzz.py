"""Schemathesis over the app's own OpenAPI document, in process, on SQLite and PostgreSQL: every operation
of the back office (`CIVIC` aside, fuzzed with the same checks in tests/civic/) is called with generated
requests, valid and invalid, authenticated so that they reach the handlers, and no answer may be a 5xx or
differ from what the document declares (issue 4).

Staff operations get an admin token, the card holder's operations the seeded card's token, device
operations are signed with a registered device's secret (`DeviceSigner`), so uploads reach the tap
ingestion. A generated card id is sometimes replaced by the seeded card (`LIVE_CARD`) and a device id by
the signing device, and upload bodies are sometimes tap-shaped, so commands reach real cards and taps get
rated, not only refused. Each operation runs on a fresh database; deterministic (fixed seed,
derandomized), so CI sends the same requests every run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shahr.backoffice import cards
from shahr.backoffice.auth import card_token, create_staff_token, device_signature, register_device
from shahr.backoffice.auth_tables import StaffRole
from shahr.settings import Settings
from shahr.web.app import create_app

FEED = Path(__file__).parents[2] / "data" / "mashhad-demo.zip"
SECRET_KEY = "fuzz-secret"
DEVICE = "fuzz-gate"
LIVE_CARD = "live-card"
"""Stands for the seeded card in generated requests; swapped for its id before the call."""
BASE_URL = f"http://{asgi.HOST}"
TEHRAN = ZoneInfo("Asia/Tehran")
STOPS = ["st_vakilabad", "st_airport", "st_kowsar", "st_tabarsi"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

CIVIC = ["civic reports", "civic staff", "open311", "proposals"]
"""Tags of the citizen-participation API, left out: its runs, with these checks, are in tests/civic/ (one for
the reports and Open311, one for the proposals), each seeding its own rows."""
ENDLESS = "/dashboard/stream"
"""Server-sent events that end only when the client goes: an in-process call would never return. It takes
no input; tests/web/test_dashboard.py reads its first event from a real server."""

schema = (
    schemathesis.openapi.from_dict(
        json.loads(json.dumps(create_app(Settings(environment="test")).openapi())),
        config=schemathesis.Config.from_dict(
            {
                "seed": 20251005,
                "generation": {"mode": "all", "deterministic": True, "database": "none"},
                "phases": {"stateful": {"enabled": False}},
            }
        ),
    )
    .exclude(tag=CIVIC)
    .exclude(path=ENDLESS)
)


def _tap() -> st.SearchStrategy[dict[str, Any]]:
    """A tap-shaped payload: mostly plausible (so the engine rates it), with fuzzed values mixed in, NUL
    characters and the ends of Python's calendar included."""
    text = st.text
    recent = st.datetimes(
        min_value=datetime(2025, 10, 1), max_value=datetime(2025, 10, 31), timezones=st.just(TEHRAN)
    )
    zones = st.sampled_from([UTC, TEHRAN, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))])
    anywhen = st.datetimes(timezones=zones)
    return st.fixed_dictionaries(
        {
            "seq": st.one_of(st.integers(min_value=0, max_value=2**63 - 1), st.integers()),
            "card_id": st.one_of(st.just(LIVE_CARD), text(max_size=40)),
            "kind": st.one_of(st.sampled_from(["on", "off"]), text(max_size=4)),
            "tapped_at": st.one_of(recent.map(datetime.isoformat), anywhen.map(datetime.isoformat), text()),
            "stop_id": st.one_of(st.sampled_from(STOPS), text(max_size=70)),
        },
        optional={
            "route_id": st.one_of(st.none(), text(max_size=70)),
            "trip_id": st.one_of(st.none(), text(max_size=130)),
            "medium": st.one_of(st.none(), text(max_size=20)),
        },
    )


@schema.hook("flatmap_path_parameters")
def _seeded_ids(
    _context: schemathesis.HookContext, path: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    if not path:
        return st.just(path)
    seeded = {**path}
    if "card_id" in path:
        seeded["card_id"] = LIVE_CARD
    if "device_id" in path:
        seeded["device_id"] = DEVICE
    return st.sampled_from([seeded, path])  # Hypothesis leans to the first


@schema.hook("flatmap_body")
def _tap_batches(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    assert context.operation is not None
    if not context.operation.path.endswith("/taps"):
        return st.just(body)
    return st.one_of(st.lists(_tap(), min_size=1, max_size=4).map(lambda taps: {"taps": taps}), st.just(body))


class DeviceSigner(requests.auth.AuthBase):
    """Signs the request as sent, body bytes and all, as `backoffice.auth.verify_device_signature`
    expects: any generated X-Device-Id, X-Timestamp and X-Signature are replaced."""

    def __init__(self, device_id: str, secret: str) -> None:
        self.device_id = device_id
        self.secret = secret

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else body
        timestamp = str(int(time.time()))
        request.headers["X-Device-Id"] = self.device_id
        request.headers["X-Timestamp"] = timestamp
        request.headers["X-Signature"] = device_signature(self.secret, timestamp, raw)
        return request


@dataclass(frozen=True)
class Target:
    """The app on a fresh database, a client calling it in process, and what requests are aimed with."""

    client: asgi.ASGIClient
    admin: str
    card_id: str
    signer: DeviceSigner


@pytest.fixture
def target(database_url: str) -> Iterator[Target]:
    app = create_app(
        Settings(environment="test", database_url=database_url, feed=str(FEED), secret_key=SECRET_KEY)
    )
    try:
        with asgi.get_client(app) as client:  # runs the lifespan: migrations, fares
            now = datetime.now(UTC)
            with app.state.sessions() as session:
                admin = create_staff_token(session, "fuzzer", StaffRole.ADMIN, now)
                _, secret = register_device(session, DEVICE, "metro", now)
                card_id = cards.create_card(session, "adult").id
                cards.top_up(session, card_id, 500_000, key="seed", at=now)
                session.commit()
            yield Target(client, admin, card_id, DeviceSigner(DEVICE, secret))
    finally:
        asgi.shutdown_lifespans()  # disposes the engine before the database is dropped


def _aim(case: schemathesis.Case, target: Target) -> dict[str, Any]:
    """Swap `LIVE_CARD` for the seeded card, and choose the credentials of the operation's security
    scheme: a signer for devices, the card token for its holder, the admin token for staff."""
    if case.path_parameters and case.path_parameters.get("card_id") == LIVE_CARD:
        case.path_parameters["card_id"] = target.card_id
    if isinstance(case.body, dict) and isinstance(case.body.get("taps"), list):
        for tap in case.body["taps"]:
            if isinstance(tap, dict) and tap.get("card_id") == LIVE_CARD:
                tap["card_id"] = target.card_id
    security = case.operation.definition.raw.get("security", [])
    schemes = {name for requirement in security for name in requirement}
    if "DeviceSignature" in schemes:
        return {"auth": target.signer}
    if "CardToken" in schemes:
        return {"headers": {"Authorization": f"Card {card_token(target.card_id, SECRET_KEY)}"}}
    if "StaffToken" in schemes:
        return {"headers": {"Authorization": f"Bearer {target.admin}"}}
    return {}


@schema.parametrize()
@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one database per operation, shared by its examples on purpose
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_no_request_gets_a_5xx_or_an_undeclared_answer(case: schemathesis.Case, target: Target) -> None:
    case.call_and_validate(session=target.client, base_url=BASE_URL, checks=CHECKS, **_aim(case, target))
