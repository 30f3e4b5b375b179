"""The taps API end to end, on SQLite and PostgreSQL, with the demo feed and `mashhad-distance`: signed
uploads charged exactly once, malformed taps and unknown cards quarantined, staff reading and replaying
the quarantine, finance closing a service day.

The metro from st_vakilabad to st_airport is 22.992 km along the rails: 22,000 base (first 10 km) + 3
steps of 5 km (10-15, 15-20, 20-22.992) x 2,000 = 28,000.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
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
"""A past day of the demo feed: its taps are not ahead of the server clock, and it has ended."""


def at(clock: str) -> str:
    """A local Tehran time on the demo day, as a device sends it (ISO 8601 with offset)."""
    return datetime.combine(DAY, datetime.strptime(clock, "%H:%M").time(), tzinfo=TEHRAN).isoformat()


def tap(seq: int, card_id: str, kind: str, clock: str, stop_id: str) -> dict[str, Any]:
    return {"seq": seq, "card_id": card_id, "kind": kind, "tapped_at": at(clock), "stop_id": stop_id}


class Api:
    """A client on a fresh app with two registered devices (`gate-a`, `gate-b`) and their secrets."""

    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app = app
        self.client = client
        self.secrets = {name: self._register(name) for name in ("gate-a", "gate-b")}

    def staff(self, role: StaffRole) -> dict[str, str]:
        with self.app.state.sessions() as session:
            token = create_staff_token(session, f"test {role}", role, datetime.now(UTC))
            session.commit()
        return {"Authorization": f"Bearer {token}"}

    def upload(
        self, taps: list[Any], *, signer: str = "gate-a", path_device: str | None = None, sign: bool = True
    ) -> tuple[int, dict[str, Any]]:
        """POST a batch signed by `signer` to `path_device`'s path (the signer's by default)."""
        body = json.dumps({"taps": taps}).encode()
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Device-Id": signer, "X-Timestamp": timestamp}
        if sign:
            headers["X-Signature"] = device_signature(self.secrets[signer], timestamp, body)
        response = self.client.post(f"/devices/{path_device or signer}/taps", content=body, headers=headers)
        return response.status_code, response.json()

    def new_card(self, top_up: int) -> str:
        operator = self.staff(StaffRole.OPERATOR)
        card = self.client.post("/cards", json={"rider_category": "adult"}, headers=operator).json()
        loaded = self.client.post(
            f"/cards/{card['card_id']}/top-ups",
            json={"amount": top_up},
            headers={**operator, "Idempotency-Key": f"load-{card['card_id']}"},
        )
        assert loaded.status_code == 201, loaded.text
        card_id: str = card["card_id"]
        return card_id

    def balance(self, card_id: str) -> int:
        response = self.client.get(f"/cards/{card_id}", headers=self.staff(StaffRole.FINANCE))
        assert response.status_code == 200, response.text
        balance: int = response.json()["balance_minor"]
        return balance

    def _register(self, device_id: str) -> str:
        response = self.client.post(
            "/devices",
            json={"device_id": device_id, "operator": "metro"},
            headers=self.staff(StaffRole.ADMIN),
        )
        assert response.status_code == 201, response.text
        secret: str = response.json()["secret"]
        return secret


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    app = create_app(Settings(environment="test", database_url=database_url, feed=str(FEED)))
    with TestClient(app) as client:
        yield Api(app, client)


def test_a_metro_ride_is_charged_once_however_often_the_batch_is_sent(api: Api) -> None:
    card = api.new_card(top_up=100_000)
    batch = [tap(1, card, "on", "07:30", "st_vakilabad"), tap(2, card, "off", "08:20", "st_airport")]
    status, first = api.upload(batch)
    assert status == 200, first
    assert (first["device_id"], first["accepted"], first["quarantined"]) == ("gate-a", 2, 0)
    assert [(a["index"], a["seq"], a["status"], a["replayed"]) for a in first["answers"]] == [
        (0, 1, "accepted", False),
        (1, 2, "accepted", False),
    ]
    assert api.balance(card) == 100_000 - 28_000

    status, again = api.upload(batch)
    assert status == 200
    assert [(a["seq"], a["status"], a["reason_code"]) for a in again["answers"]] == [
        (a["seq"], a["status"], a["reason_code"]) for a in first["answers"]
    ]
    assert all(a["replayed"] and not a["conflict"] for a in again["answers"])
    assert api.balance(card) == 100_000 - 28_000


def test_a_malformed_tap_is_quarantined_with_its_field_and_the_others_accepted(api: Api) -> None:
    card = api.new_card(top_up=100_000)
    naive = {**tap(2, card, "on", "07:40", "st_vakilabad"), "tapped_at": "2025-10-05T07:40:00"}
    batch = [tap(1, card, "on", "07:30", "st_vakilabad"), naive, tap(3, card, "off", "08:20", "st_airport")]
    status, result = api.upload(batch)
    assert status == 200, result
    assert [(a["status"], a["reason_code"]) for a in result["answers"]] == [
        ("accepted", None),
        ("quarantined", "malformed"),
        ("accepted", None),
    ]
    assert result["answers"][1]["reason_detail"].startswith("tapped_at: ")
    assert api.balance(card) == 100_000 - 28_000
    listed = api.client.get(
        "/quarantine", params={"reason": "malformed"}, headers=api.staff(StaffRole.OPERATOR)
    ).json()
    assert [(q["seq"], q["payload"]["tapped_at"]) for q in listed] == [(2, "2025-10-05T07:40:00")]


def test_a_tap_of_an_unknown_card_is_listed_in_the_quarantine_and_replayed_by_an_admin(api: Api) -> None:
    known = api.new_card(top_up=100_000)
    status, result = api.upload(
        [tap(1, "ffffffffffffffff", "on", "07:30", "st_vakilabad"), tap(2, known, "on", "07:31", "st_kowsar")]
    )
    assert status == 200 and [a["reason_code"] for a in result["answers"]] == ["unknown_card", None]
    operator = api.staff(StaffRole.OPERATOR)
    listed = api.client.get("/quarantine", params={"card_id": "ffffffffffffffff"}, headers=operator)
    assert listed.status_code == 200
    [entry] = listed.json()
    assert (entry["device_id"], entry["seq"], entry["reason_code"]) == ("gate-a", 1, "unknown_card")
    assert entry["reason_detail"] == "card_id: no card 'ffffffffffffffff' in the back office"
    assert api.client.get("/quarantine", params={"device_id": "gate-b"}, headers=operator).json() == []
    finance = api.client.get("/quarantine", headers=api.staff(StaffRole.FINANCE))
    assert finance.status_code == 403 and finance.json()["error"]["code"] == "not_allowed"

    assert api.client.post("/quarantine/replay", headers=operator).status_code == 403
    replay = api.client.post("/quarantine/replay", headers=api.staff(StaffRole.ADMIN))
    # Still no such card: looked at again, kept.
    assert replay.status_code == 200 and replay.json() == {"examined": 1, "released": 0, "bookings": 0}


def test_an_unsigned_or_wrongly_signed_batch_is_refused(api: Api) -> None:
    card = api.new_card(top_up=100_000)
    batch = [tap(1, card, "on", "07:30", "st_vakilabad")]
    status, unsigned = api.upload(batch, sign=False)
    assert status == 401 and unsigned["error"]["field"] == "header.x-signature"
    api.secrets["gate-a"] = "0" * 64
    status, forged = api.upload(batch)
    assert status == 401 and forged["error"]["code"] == "bad_signature"
    assert api.balance(card) == 100_000


def test_a_batch_signed_by_one_device_is_refused_on_another_devices_path(api: Api) -> None:
    card = api.new_card(top_up=100_000)
    status, answer = api.upload([tap(1, card, "on", "07:30", "st_vakilabad")], path_device="gate-b")
    assert status == 403
    assert answer["error"]["code"] == "not_allowed" and answer["error"]["field"] == "path.device_id"
    assert api.balance(card) == 100_000


def test_a_batch_of_more_than_a_thousand_taps_is_refused_whole(api: Api) -> None:
    status, answer = api.upload([{"seq": n} for n in range(1_001)])
    assert status == 422 and answer["error"]["field"] == "body.taps"


def test_finance_closes_a_service_day_once_it_has_ended(api: Api) -> None:
    card = api.new_card(top_up=100_000)
    api.upload([tap(1, card, "on", "07:30", "st_vakilabad"), tap(2, card, "off", "08:20", "st_airport")])
    finance = api.staff(StaffRole.FINANCE)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    early = api.client.post(f"/service-days/{tomorrow}/close", headers=finance)
    assert early.status_code == 409 and early.json()["error"]["code"] == "service_day_not_ended"
    assert (
        api.client.post(f"/service-days/{DAY}/close", headers=api.staff(StaffRole.OPERATOR)).status_code
        == 403
    )
    # The ride was complete: closing the day changes nothing, and closing it again neither.
    for _ in range(2):
        closed = api.client.post(f"/service-days/{DAY}/close", headers=finance)
        assert closed.status_code == 200, closed.text
        assert closed.json() == {"service_date": "2025-10-05", "bookings": 0, "amount_minor": 0}
    assert api.balance(card) == 100_000 - 28_000
