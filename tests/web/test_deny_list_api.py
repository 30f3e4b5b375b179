"""The deny list over HTTP, on SQLite and PostgreSQL, with the demo feed and `mashhad-distance`: devices
download it signed (publishing first), staff read it and publish on demand.

An adult card's cheapest boarding is the feeder bus before 06:30: 16,000 less the early-bird 20% =
12,800 rials. The metro from st_vakilabad to st_airport costs 28,000 (see test_taps_api.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shahr.backoffice.auth import create_staff_token, device_signature
from shahr.backoffice.auth_tables import StaffRole
from shahr.settings import Settings
from shahr.web.app import create_app

FEED = Path(__file__).parents[2] / "data" / "mashhad-demo.zip"
TEHRAN = ZoneInfo("Asia/Tehran")
DAY = date(2025, 10, 5)


def at(clock: str) -> str:
    """A local Tehran time on the demo day, as a device sends it."""
    return datetime.combine(DAY, datetime.strptime(clock, "%H:%M").time(), tzinfo=TEHRAN).isoformat()


class Api:
    """A client on a fresh app with one registered device, `gate-a`."""

    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app = app
        self.client = client
        response = client.post(
            "/devices", json={"device_id": "gate-a", "operator": "metro"}, headers=self.staff(StaffRole.ADMIN)
        )
        assert response.status_code == 201, response.text
        self.secret: str = response.json()["secret"]

    def staff(self, role: StaffRole) -> dict[str, str]:
        with self.app.state.sessions() as session:
            token = create_staff_token(session, f"test {role}", role, datetime.now(UTC))
            session.commit()
        return {"Authorization": f"Bearer {token}"}

    def signed(self, body: bytes = b"") -> dict[str, str]:
        timestamp = str(int(time.time()))
        signature = device_signature(self.secret, timestamp, body)
        return {"X-Device-Id": "gate-a", "X-Timestamp": timestamp, "X-Signature": signature}

    def download(self, since: int | None = None, path_device: str = "gate-a") -> tuple[int, dict[str, Any]]:
        query = {} if since is None else {"since": since}
        response = self.client.get(f"/devices/{path_device}/deny-list", params=query, headers=self.signed())
        return response.status_code, response.json()

    def new_card(self, top_up: int) -> str:
        operator = self.staff(StaffRole.OPERATOR)
        card_id: str = self.client.post("/cards", json={"rider_category": "adult"}, headers=operator).json()[
            "card_id"
        ]
        self.top_up(card_id, top_up, key=f"load-{card_id}")
        return card_id

    def top_up(self, card_id: str, amount: int, *, key: str) -> None:
        headers = {**self.staff(StaffRole.OPERATOR), "Idempotency-Key": key}
        response = self.client.post(f"/cards/{card_id}/top-ups", json={"amount": amount}, headers=headers)
        assert response.status_code == 201, response.text

    def command(self, card_id: str, action: str) -> None:
        response = self.client.post(f"/cards/{card_id}/{action}", headers=self.staff(StaffRole.OPERATOR))
        assert response.status_code == 200, response.text


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    app = create_app(Settings(environment="test", database_url=database_url, feed=str(FEED)))
    with TestClient(app) as client:
        yield Api(app, client)


def full(version: int, *entries: tuple[str, str]) -> dict[str, Any]:
    listed = [{"card_id": card_id, "reason": reason} for card_id, reason in sorted(entries)]
    return {"version": version, "since": None, "full": True, "entries": listed, "removed": []}


def delta(version: int, since: int, entries: list[tuple[str, str]], removed: list[str]) -> dict[str, Any]:
    listed = [{"card_id": card_id, "reason": reason} for card_id, reason in sorted(entries)]
    return {"version": version, "since": since, "full": False, "entries": listed, "removed": sorted(removed)}


def test_a_device_downloads_the_whole_list_then_what_changed(api: Api) -> None:
    a, b = api.new_card(100_000), api.new_card(100_000)
    assert api.download() == (200, full(0))

    api.command(a, "block")
    assert api.download() == (200, full(1, (a, "blocked")))
    assert api.download(since=1) == (200, delta(1, 1, [], []))

    api.command(b, "block")
    api.command(a, "lost")
    assert api.download(since=1) == (200, delta(2, 1, [(a, "lost"), (b, "blocked")], []))
    assert api.download(since=0) == (200, full(2, (a, "lost"), (b, "blocked")))


def test_a_fare_leaving_less_than_the_cheapest_boarding_lists_the_card_until_a_top_up(api: Api) -> None:
    card = api.new_card(40_000)
    taps = [
        {"seq": 1, "card_id": card, "kind": "on", "tapped_at": at("07:30"), "stop_id": "st_vakilabad"},
        {"seq": 2, "card_id": card, "kind": "off", "tapped_at": at("08:20"), "stop_id": "st_airport"},
    ]
    body = json.dumps({"taps": taps}).encode()
    uploaded = api.client.post(
        "/devices/gate-a/taps", content=body, headers={**api.signed(body), "Content-Type": "application/json"}
    )
    assert uploaded.status_code == 200, uploaded.text
    assert api.download() == (200, full(1, (card, "low_balance")))  # 40,000 - 28,000 = 12,000

    api.top_up(card, 800, key="top-up")  # 12,800: exactly the cheapest boarding
    assert api.download(since=1) == (200, delta(2, 1, [], [card]))


def test_since_newer_than_the_current_version_is_refused(api: Api) -> None:
    status, body = api.download(since=1)
    assert status == 422
    assert body == {
        "error": {
            "code": "deny_list_version_ahead",
            "message": "since 1 is newer than the deny list's current version 0: this service never "
            "published it; download the full list (no since)",
            "field": "query.since",
        }
    }
    status, body = api.download(since=-1)
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "invalid_request", "query.since")


def test_the_download_is_for_the_signing_device_only(api: Api) -> None:
    unsigned = api.client.get("/devices/gate-a/deny-list")
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["field"] == "header.x-device-id"
    headers = {**api.signed(), "X-Signature": "0" * 64}
    forged = api.client.get("/devices/gate-a/deny-list", headers=headers)
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "bad_signature")
    status, body = api.download(path_device="gate-b")
    assert (status, body["error"]["code"], body["error"]["field"]) == (403, "not_allowed", "path.device_id")
    staff = api.client.get("/devices/gate-a/deny-list", headers=api.staff(StaffRole.ADMIN))
    assert staff.status_code == 401


def test_staff_read_the_published_list_and_publish_on_demand(api: Api) -> None:
    card = api.new_card(100_000)
    api.command(card, "block")
    finance = api.staff(StaffRole.FINANCE)
    assert api.client.get("/deny-list", headers=finance).json() == full(0)  # reading publishes nothing

    operator = api.staff(StaffRole.OPERATOR)
    published = api.client.post("/deny-list/publish", headers=operator)
    assert (published.status_code, published.json()) == (200, {"version": 1, "changes": 1})
    again = api.client.post("/deny-list/publish", headers=api.staff(StaffRole.ADMIN))
    assert again.json() == {"version": 1, "changes": 0}
    assert api.client.get("/deny-list", headers=finance).json() == full(1, (card, "blocked"))
    assert api.client.get("/deny-list", params={"since": 1}, headers=finance).json() == delta(1, 1, [], [])

    assert api.client.post("/deny-list/publish", headers=finance).status_code == 403
    assert api.client.get("/deny-list").status_code == 401
    ahead = api.client.get("/deny-list", params={"since": 2}, headers=finance)
    assert (ahead.status_code, ahead.json()["error"]["field"]) == (422, "query.since")
