"""The proposals' JSON API on SQLite and PostgreSQL, through a real app: verification, proposing,
supporting (a replay is 409), the debate, the answer, moderation, rate limits with `Retry-After`, and
public answers that never carry a person's id or phone number."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shahr.backoffice.auth import create_staff_token
from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.settings import CivicSettings, Limit
from shahr.civic.verification import ConsoleSender
from shahr.settings import Settings
from shahr.web.app import create_app
from shahr.web.routers import proposals as router

CIVIC = CivicSettings(
    debate_threshold=2,
    answer_threshold=3,
    answer_days=10,
    support_limit=Limit(per_person=50, per_address=500),
    comment_limit=Limit(per_person=2, per_address=100),
)
PROPOSAL = {
    "title": "اتوبوس شبانه",
    "body": "خط ۱۲ تا ساعت ۲ بامداد کار کند. شماره من ۰۹۱۲۱۲۳۴۵۶۷ است.",
    "category": "transport",
    "district_code": "d01",
}


class Api:
    def __init__(self, client: TestClient, sender: ConsoleSender) -> None:
        self.client = client
        self.sender = sender
        self.phones = 0

    def person(self) -> dict[str, str]:
        """A newly verified person's headers."""
        self.phones += 1
        response = self.client.post("/civic/verifications", json={"phone": f"0912000{self.phones:04d}"})
        assert response.status_code == 201, response.text
        challenge = response.json()
        code = self.sender.sent[-1].code
        response = self.client.post(f"/civic/verifications/{challenge['challenge_id']}", json={"code": code})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Person {response.json()['person_token']}"}

    def staff(self, role: StaffRole) -> dict[str, str]:
        with self.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            token = create_staff_token(session, f"test {role}", role, datetime.now(UTC))
            session.commit()
        return {"Authorization": f"Bearer {token}"}

    def propose(self, headers: dict[str, str], **change: Any) -> int:
        response = self.client.post("/proposals", json={**PROPOSAL, **change}, headers=headers)
        assert response.status_code == 201, response.text
        proposal_id: int = response.json()["proposal_id"]
        return proposal_id


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    app = create_app(Settings(environment="test", database_url=database_url))
    sender = ConsoleSender(io.StringIO())
    app.dependency_overrides[router.civic_settings] = lambda: CIVIC
    app.dependency_overrides[router.code_sender] = lambda: sender
    with TestClient(app) as client:
        yield Api(client, sender)


def error(response: Any) -> tuple[int, str, str | None]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["field"]


def test_a_proposal_through_the_api(api: Api) -> None:
    author, a, b = api.person(), api.person(), api.person()
    proposal_id = api.propose(author)
    response = api.client.post(f"/proposals/{proposal_id}/supports", headers=a)
    assert response.status_code == 201
    assert response.json() == {
        "proposal_id": proposal_id,
        "support_count": 1,
        "participant_count": 1,
        "status": "open",
        "reached": [],
    }
    replay = api.client.post(f"/proposals/{proposal_id}/supports", headers=a)
    assert error(replay) == (409, "already_supported", "path.proposal_id")
    assert (
        api.client.post(f"/proposals/{proposal_id}/comments", json={"body": "early"}, headers=b).status_code
        == 409
    )
    second = api.client.post(f"/proposals/{proposal_id}/supports", headers=b).json()
    assert (second["support_count"], second["status"], second["reached"]) == (2, "debate", ["debate"])
    comment = api.client.post(f"/proposals/{proposal_id}/comments", json={"body": "موافقم"}, headers=author)
    assert comment.status_code == 201
    assert comment.json()["visibility"] == "published"

    shown = api.client.get(f"/proposals/{proposal_id}").json()
    public_fields = (
        "id title body district_code category status support_count participant_count debate_threshold "
        "answer_threshold created_at expires_at debate_opened_at answer_due_at answered_at answer_office "
        "answer_text overdue answered_late"
    )
    assert set(shown) == set(public_fields.split())  # no author, no person, no phone
    assert shown["body"] == "خط ۱۲ تا ساعت ۲ بامداد کار کند. شماره من [phone] است."
    assert (shown["status"], shown["support_count"], shown["participant_count"]) == ("awaiting_answer", 2, 3)
    assert shown["created_at"].endswith("+03:30")
    comments = api.client.get(f"/proposals/{proposal_id}/comments").json()
    assert [(c["body"], set(c)) for c in comments] == [
        ("موافقم", {"id", "proposal_id", "body", "created_at"})
    ]
    listed = api.client.get("/proposals", params={"status": "awaiting_answer", "q": "اتوبوس"}).json()
    assert [p["id"] for p in listed] == [proposal_id]
    assert api.client.get("/proposals/overdue").json() == []

    answer = {"office": "معاونت حمل‌ونقل", "text": "از آذر اجرا می‌شود."}
    forbidden = api.client.post(
        f"/proposals/{proposal_id}/answer", json=answer, headers=api.staff(StaffRole.OPERATOR)
    )
    assert error(forbidden)[:2] == (403, "not_allowed")
    answered = api.client.post(
        f"/proposals/{proposal_id}/answer", json=answer, headers=api.staff(StaffRole.ADMIN)
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["answer_office"]) == ("answered", "معاونت حمل‌ونقل")
    head = api.client.get("/civic/audit/head").json()
    # created, 2 supports, open -> debate, the comment, debate -> awaiting_answer, the answer and its status
    assert head["seq"] == 8
    assert len(head["hash"]) == 64


def test_persons_need_a_valid_token(api: Api) -> None:
    author = api.person()
    proposal_id = api.propose(author)
    missing = api.client.post(f"/proposals/{proposal_id}/supports")
    assert error(missing) == (401, "not_authenticated", "header.authorization")
    forged = api.client.post(f"/proposals/{proposal_id}/supports", headers={"Authorization": "Person a.1.b"})
    assert error(forged) == (401, "bad_person_token", "header.authorization")
    assert error(api.client.post("/proposals/999/supports", headers=author)) == (
        404,
        "proposal_not_found",
        "path.proposal_id",
    )


def test_verification_errors(api: Api) -> None:
    assert error(api.client.post("/civic/verifications", json={"phone": "12"})) == (
        422,
        "invalid_phone",
        "body.phone",
    )
    started = api.client.post("/civic/verifications", json={"phone": "09351112233"}).json()
    url = f"/civic/verifications/{started['challenge_id']}"
    right = api.sender.sent[-1].code
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1, 0):
        response = api.client.post(url, json={"code": wrong})
        assert error(response) == (422, "wrong_code", "body.code")
        assert response.json()["error"]["message"] == f"wrong code: {left} attempts left"
    assert error(api.client.post(url, json={"code": right}))[:2] == (409, "challenge_closed")
    assert error(api.client.post("/civic/verifications/nope", json={"code": right}))[:2] == (
        404,
        "challenge_not_found",
    )


def test_rate_limits_answer_429_with_retry_after(api: Api) -> None:
    author, a = api.person(), api.person()
    proposal_id = api.propose(author)
    for person in (author, a):
        api.client.post(f"/proposals/{proposal_id}/supports", headers=person)
    for _ in range(2):
        assert (
            api.client.post(f"/proposals/{proposal_id}/comments", json={"body": "x"}, headers=a).status_code
            == 201
        )
    refused = api.client.post(f"/proposals/{proposal_id}/comments", json={"body": "x"}, headers=a)
    assert error(refused) == (429, "rate_limited", None)
    assert 1 <= int(refused.headers["Retry-After"]) <= CIVIC.rate_window_s
    assert (
        api.client.post(f"/proposals/{proposal_id}/comments", json={"body": "y"}, headers=author).status_code
        == 201
    )
    for _ in range(2):  # the phone's third code in the window is refused (3 per phone per hour)
        api.client.post("/civic/verifications", json={"phone": "09121110000"})
    assert api.client.post("/civic/verifications", json={"phone": "۰۹۱۲۱۱۱۰۰۰۰"}).status_code == 201
    assert error(api.client.post("/civic/verifications", json={"phone": "+989121110000"}))[:2] == (
        429,
        "rate_limited",
    )


def test_moderation_through_the_api(api: Api) -> None:
    author = api.person()
    response = api.client.post(
        "/proposals", json={**PROPOSAL, "body": "See www.example.org for the full plan."}, headers=author
    )
    assert response.json()["visibility"] == "pending"
    proposal_id = response.json()["proposal_id"]
    assert error(api.client.get(f"/proposals/{proposal_id}"))[:2] == (404, "proposal_not_found")
    admin = api.staff(StaffRole.ADMIN)
    assert api.client.get("/moderation/queue").status_code == 401
    queue = api.client.get("/moderation/queue", headers=admin).json()
    assert [(item["kind"], item["target_id"], item["reasons"]) for item in queue] == [
        ("proposal", proposal_id, ["link"])
    ]
    decided = api.client.post(
        f"/moderation/proposal/{proposal_id}/decision", json={"decision": "approved"}, headers=admin
    )
    assert decided.json() == {"visibility": "published"}
    assert api.client.get(f"/proposals/{proposal_id}").status_code == 200
    flagged = api.client.post(
        f"/proposals/{proposal_id}/flags", json={"reason": "spam"}, headers=api.person()
    )
    assert (flagged.status_code, flagged.json()) == (201, {"visibility": "published"})
