"""The consultations' JSON API on SQLite and PostgreSQL, through a real app: who may publish, refusals
naming their field, the public reads (a consultation hidden with its proposal), and a card holder's own
figures from taps uploaded by a signed validator, totals held to `FareEngine` over the same rides."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shahr.backoffice.auth import create_staff_token, device_signature
from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.settings import CivicSettings, Limit
from shahr.fares.load import load_policy
from shahr.lab.figures import Figures
from shahr.network import Network
from shahr.settings import Settings
from shahr.web.app import create_app
from shahr.web.deps import civic_settings
from tests.civic.test_consultations import (
    DISTANCE_TOML,
    FLAT_TOML,
    engine_totals,
    recent_rides,
    tap_payloads,
)
from tests.lab.example_figures import example_figures

FEED = Path(__file__).parents[2] / "data" / "mashhad-demo.zip"
CIVIC = CivicSettings(rider_fares_limit=Limit(per_person=3, per_address=100), screen_words=("ممنوع",))


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def staff(self, role: StaffRole) -> dict[str, str]:
        with self.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            token = create_staff_token(session, f"test {role}", role, datetime.now(UTC))
            session.commit()
        return {"Authorization": f"Bearer {token}"}

    def publish(self, role: StaffRole = StaffRole.OFFICE, **change: Any) -> Any:
        body = {
            "title": "کرایهٔ مسافتی برای مشهد",
            "policy": DISTANCE_TOML,
            "reference": FLAT_TOML,
            "figures": json.loads(example_figures().model_dump_json()),
        }
        return self.client.post("/consultations", json=body | change, headers=self.staff(role))

    def card(self) -> str:
        """A new adult card's holder token, as the API issues it."""
        response = self.client.post(
            "/cards", json={"rider_category": "adult"}, headers=self.staff(StaffRole.OPERATOR)
        )
        assert response.status_code == 201, response.text
        token: str = response.json()["card_token"]
        return token

    def upload(self, taps: list[dict[str, Any]]) -> None:
        """The taps from a registered validator, signed, as a device sends them."""
        registered = self.client.post(
            "/devices", json={"device_id": "gate-1", "operator": "metro"}, headers=self.staff(StaffRole.ADMIN)
        )
        assert registered.status_code == 201, registered.text
        body = json.dumps({"taps": taps}).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Device-Id": "gate-1",
            "X-Timestamp": timestamp,
            "X-Signature": device_signature(registered.json()["secret"], timestamp, body),
        }
        response = self.client.post("/devices/gate-1/taps", content=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["quarantined"] == 0, response.text


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    app = create_app(Settings(environment="test", database_url=database_url, feed=str(FEED)))
    app.dependency_overrides[civic_settings] = lambda: CIVIC
    with TestClient(app) as client:
        yield Api(client)


def error(response: Any) -> tuple[int, str, str | None]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["field"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (StaffRole.OFFICE, 201),
        (StaffRole.ADMIN, 201),
        (StaffRole.OPERATOR, 403),
        (StaffRole.FINANCE, 403),
        (StaffRole.MODERATOR, 403),
    ],
)
def test_office_and_admin_publish(api: Api, role: StaffRole, status: int) -> None:
    response = api.publish(role)
    assert response.status_code == status, response.text
    if status == 201:
        assert response.json() == {"consultation_id": 1, "proposal_id": 1, "visibility": "published"}
    else:
        assert error(response) == (403, "not_allowed", "header.authorization")


def test_publishing_needs_a_staff_token(api: Api) -> None:
    response = api.client.post("/consultations", json={})
    assert error(response) == (401, "not_authenticated", "header.authorization")


def test_refusals_name_the_field(api: Api) -> None:
    bad_toml = api.publish(policy='id = "x"\nname = 1\n')
    assert error(bad_toml) == (422, "invalid_consultation", "body.policy")
    assert "name: Input should be a valid string" in bad_toml.json()["error"]["message"]
    swapped = api.publish(policy=FLAT_TOML, reference=DISTANCE_TOML)
    assert error(swapped) == (422, "invalid_consultation", "body.figures.reference")
    figures = json.loads(example_figures().model_dump_json())
    del figures["policies"][1]["revenue"]
    assert error(api.publish(figures=figures)) == (422, "invalid_request", "body.figures.policies.1.revenue")
    assert error(api.publish(title="ab")) == (422, "invalid_proposal", "body.title")
    assert api.client.get("/consultations").json() == []
    assert api.client.get("/proposals").json() == []


def test_the_public_reads_published_consultations(api: Api) -> None:
    first = api.publish().json()["consultation_id"]
    held = api.publish(body="متنی با واژهٔ ممنوع که باید پیش از انتشار بررسی شود.").json()
    assert held["visibility"] == "pending"

    listed = api.client.get("/consultations").json()
    assert [c["id"] for c in listed] == [first]
    assert listed[0]["policy"] == {
        "id": "mashhad-distance",
        "name": "Mashhad integrated distance-based fare (illustrative)",
    }
    assert listed[0]["reference"] == {"id": "mashhad-flat", "name": "Mashhad flat fare per boarding"}
    assert (listed[0]["proposal_status"], listed[0]["support_count"]) == ("open", 0)
    assert listed[0]["created_at"].endswith("+03:30")

    one = api.client.get(f"/consultations/{first}")
    assert one.status_code == 200
    assert Figures.model_validate(one.json()["figures"]) == example_figures()
    proposal = api.client.get(f"/proposals/{one.json()['proposal_id']}").json()
    assert proposal["title"] == one.json()["title"] and proposal["category"] == "transport"

    hidden = api.client.get(f"/consultations/{held['consultation_id']}")
    assert error(hidden) == (404, "consultation_not_found", "path.consultation_id")
    assert error(api.client.get("/consultations/99")) == (
        404,
        "consultation_not_found",
        "path.consultation_id",
    )


def test_a_card_holder_reads_their_own_fares(api: Api, mashhad_network: Network) -> None:
    distance, flat = load_policy("mashhad-distance"), load_policy("mashhad-flat")
    today = distance.service_date(datetime.now(UTC))
    rides = recent_rides(today)
    token = api.card()
    card_id = token.partition(".")[0]
    api.upload(tap_payloads(card_id, rides))
    consultation = api.publish().json()["consultation_id"]

    response = api.client.get(
        f"/consultations/{consultation}/my-fares", headers={"Authorization": f"Card {token}"}
    )

    assert response.status_code == 200, response.text
    mine = response.json()
    reference, proposed = (
        engine_totals(flat, mashhad_network, rides),
        engine_totals(distance, mashhad_network, rides),
    )
    assert [date.fromisoformat(d["service_date"]) for d in mine["days"]] == sorted(rides)
    assert [d["reference"]["charged_minor"] for d in mine["days"]] == [reference[d] for d in sorted(rides)]
    assert [d["proposed"]["charged_minor"] for d in mine["days"]] == [proposed[d] for d in sorted(rides)]
    assert (mine["reference_minor"], mine["proposed_minor"]) == (
        sum(reference.values()),
        sum(proposed.values()),
    )
    assert (mine["reference_minor"], mine["proposed_minor"], mine["charged_minor"]) == (
        100_000,
        102_000,
        102_000,
    )
    assert mine["days"][0]["proposed"]["journeys"][0]["explanation"][0].startswith("Fare 28,000 IRR")
    assert mine["days"][0]["proposed"]["journeys"][0]["start"].endswith("+03:30")
    assert (mine["first_day"], mine["last_day"]) == (
        str(today - timedelta(days=29)),
        str(today),
    )


def test_the_card_token_is_checked_and_counted(api: Api) -> None:
    consultation = api.publish().json()["consultation_id"]
    path = f"/consultations/{consultation}/my-fares"
    token = api.card()
    card_id = token.partition(".")[0]

    assert error(api.client.get(path)) == (401, "not_authenticated", "header.authorization")
    forged = api.client.get(path, headers={"Authorization": f"Card {card_id}.forged"})
    assert error(forged) == (401, "bad_card_token", "header.authorization")
    mine = api.client.get(path, headers={"Authorization": f"Card {token}"})
    assert mine.status_code == 200 and mine.json()["days"] == []
    again = api.client.get(path, headers={"Authorization": f"Card {token}"})  # the card's third attempt
    assert again.status_code == 200
    limited = api.client.get(path, headers={"Authorization": f"Card {token}"})
    assert error(limited) == (429, "rate_limited", None)
    assert 1 <= int(limited.headers["Retry-After"]) <= CIVIC.rate_window_s
    other = api.card()
    assert api.client.get(path, headers={"Authorization": f"Card {other}"}).status_code == 200
    missing = api.client.get("/consultations/99/my-fares", headers={"Authorization": f"Card {other}"})
    assert error(missing) == (404, "consultation_not_found", "path.consultation_id")


def test_the_pages_take_the_token_in_a_form_only(api: Api) -> None:
    """The pages in process (where Chromium is absent too): the token goes in a posted form, is never
    echoed, the answer is not cached, and the other language's link leads back to the form."""
    consultation = api.publish().json()["consultation_id"]
    token = api.card()
    here = f"/en/consultations/{consultation}"

    listed = api.client.get("/fa/consultations")
    assert listed.status_code == 200 and f'href="/fa/consultations/{consultation}"' in listed.text
    form = api.client.get(here)
    assert form.status_code == 200
    assert f'<form method="post" action="{here}/my-fares#my-fares"' in form.text
    assert '<input type="password" name="card_token"' in form.text

    mine = api.client.post(f"{here}/my-fares", data={"card_token": token})
    assert mine.status_code == 200 and mine.headers["cache-control"] == "no-store"
    assert "This card has no journeys in the last 30 days." in mine.text
    assert token not in mine.text and token.partition(".")[2] not in mine.text
    assert api.client.post(f"{here}/my-fares", data={"card_token": "x.y"}).status_code == 401
    assert api.client.post(f"{here}/my-fares", data={"card_token": " "}).status_code == 422
    back = api.client.get(f"/fa/consultations/{consultation}/my-fares", follow_redirects=False)
    assert (back.status_code, back.headers["location"]) == (303, f"/fa/consultations/{consultation}#my-fares")

    report = api.client.get(f"{here}/report.html")
    assert report.status_code == 200 and "default-src 'none'" in report.headers["content-security-policy"]
    assert api.client.get("/fa/consultations/99").status_code == 404
