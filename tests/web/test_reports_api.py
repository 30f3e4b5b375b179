"""The reports API on SQLite and PostgreSQL: finance reads a day's clearing as JSON or CSV, a card holder
reads their own statement. The demo day as in tests/backoffice/test_clearing.py: card A's metro ride of
28,000 (MURC), closed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shahr.backoffice import cards
from shahr.backoffice.auth import card_token
from shahr.backoffice.auth_tables import StaffRole
from shahr.settings import Settings
from shahr.web.app import create_app
from tests.backoffice.test_clearing import close_day
from tests.backoffice.test_ingest import make_ingest, tap
from tests.web.test_cards_api import Api


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    app = create_app(Settings(environment="test", database_url=database_url))
    with TestClient(app) as client:
        yield Api(app, client)


@pytest.fixture
def card(api: Api) -> str:
    """A card that rode the metro on the demo day, which is closed; its holder's Authorization header."""
    fares = api.app.state.fares
    with api.app.state.sessions() as session:
        card_id = cards.create_card(session, "adult").id
        ingest = make_ingest(session, fares.policy, fares.network)
        ingest("gate-vak", [tap(1, card_id, "on", "07:30", "st_vakilabad")])
        ingest("gate-air", [tap(1, card_id, "off", "08:20", "st_airport")])
        close_day(session, fares.policy, fares.network)
        session.commit()
    return f"Card {card_token(card_id, api.app.state.settings.secret_key)}"


def test_finance_reads_the_clearing(api: Api, card: str) -> None:
    response = api.client.get("/clearing/2025-10-05", headers=api.staff(StaffRole.FINANCE))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["operators"] == [{"operator": "MURC", "amount_minor": 28_000, "journeys": 1, "legs": 1}]
    assert (body["total_minor"], body["card_debits_minor"], body["difference_minor"]) == (28_000, 28_000, 0)


def test_the_clearing_as_csv(api: Api, card: str) -> None:
    response = api.client.get("/clearing/2025-10-05.csv", headers=api.staff(StaffRole.ADMIN))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines()[1:] == [
        "2025-10-05,MURC,28000,1,1",
        "2025-10-05,(total),28000,1,1",
        "2025-10-05,(card debits),28000,,",
        "2025-10-05,(difference),0,,",
    ]


def test_the_clearing_is_for_finance_only(api: Api) -> None:
    assert api.client.get("/clearing/2025-10-05").status_code == 401
    forbidden = api.client.get("/clearing/2025-10-05", headers=api.staff(StaffRole.OPERATOR))
    assert (forbidden.status_code, forbidden.json()["error"]["code"]) == (403, "not_allowed")
    assert api.client.get("/clearing/yesterday", headers=api.staff(StaffRole.FINANCE)).status_code == 422


def test_the_holder_reads_their_statement(api: Api, card: str) -> None:
    response = api.client.get(
        "/me/statement",
        params={"lang": "fa", "since": "2025-10-05", "until": "2025-10-05"},
        headers={"Authorization": card},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["closing_balance"] == "-۲۸٬۰۰۰ ریال"
    assert body["journeys"][0]["started"] == {
        "jalali": "۱۴۰۴/۰۷/۱۳",
        "gregorian": "۲۰۲۵-۱۰-۰۵",
        "time": "۰۷:۳۰",
    }
    assert api.client.get("/me/statement").status_code == 401
    bad = api.client.get("/me/statement", params={"lang": "de"}, headers={"Authorization": card})
    assert bad.status_code == 422
