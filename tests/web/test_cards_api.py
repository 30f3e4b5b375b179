"""The cards API end to end, on SQLite and PostgreSQL: staff issue cards and move money with idempotency
keys, card holders see their own card and no other."""

from __future__ import annotations

from typing import Any

from shahr.backoffice.auth_tables import StaffRole
from tests.web.conftest import Api


def _new_card(api: Api, headers: dict[str, str]) -> dict[str, Any]:
    response = api.client.post("/cards", json={"rider_category": "adult"}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _money(
    api: Api, path: str, key: str, headers: dict[str, str], **body: object
) -> tuple[int, dict[str, Any]]:
    response = api.client.post(path, json=body, headers={**headers, "Idempotency-Key": key})
    return response.status_code, response.json()


def test_create_card_answers_its_token_and_staff_read_it(api: Api) -> None:
    operator = api.staff(StaffRole.OPERATOR)
    card = _new_card(api, operator)
    assert card["status"] == "active" and card["balance_minor"] == 0 and card["card_token"]
    read = api.client.get(f"/cards/{card['card_id']}", headers=api.staff(StaffRole.FINANCE))
    assert read.status_code == 200
    assert "card_token" not in read.json() and read.json()["card_id"] == card["card_id"]
    missing = api.client.get("/cards/0000000000000000", headers=operator)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "card_not_found"


def test_finance_may_not_issue_cards_and_nobody_without_a_token(api: Api) -> None:
    finance = api.client.post(
        "/cards", json={"rider_category": "adult"}, headers=api.staff(StaffRole.FINANCE)
    )
    anonymous = api.client.post("/cards", json={"rider_category": "adult"})
    forged = api.client.post(
        "/cards", json={"rider_category": "adult"}, headers={"Authorization": "Bearer x"}
    )
    assert finance.status_code == 403 and finance.json()["error"]["code"] == "not_allowed"
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_authenticated"
    assert anonymous.json()["error"]["field"] == "header.authorization"
    assert forged.status_code == 401


def test_top_up_twice_with_the_same_key_books_once(api: Api) -> None:
    operator = api.staff(StaffRole.OPERATOR)
    card_id = _new_card(api, operator)["card_id"]
    path = f"/cards/{card_id}/top-ups"
    first_status, first = _money(api, path, "topup-1", operator, amount=100_000)
    again_status, again = _money(api, path, "topup-1", operator, amount=100_000)
    assert first_status == 201 and again_status == 200
    assert first["balance_minor"] == 100_000 and first["replayed"] is False
    assert again == {**first, "replayed": True}
    card = api.client.get(f"/cards/{card_id}", headers=operator).json()
    assert card["balance_minor"] == 100_000


def test_same_key_for_another_amount_is_a_conflict(api: Api) -> None:
    operator = api.staff(StaffRole.OPERATOR)
    card_id = _new_card(api, operator)["card_id"]
    _money(api, f"/cards/{card_id}/top-ups", "k", operator, amount=100_000)
    status, body = _money(api, f"/cards/{card_id}/top-ups", "k", operator, amount=50_000)
    assert status == 409 and body["error"]["code"] == "idempotency_conflict"


def test_money_needs_a_key_and_a_positive_amount(api: Api) -> None:
    operator = api.staff(StaffRole.OPERATOR)
    card_id = _new_card(api, operator)["card_id"]
    no_key = api.client.post(f"/cards/{card_id}/top-ups", json={"amount": 100}, headers=operator)
    status, negative = _money(api, f"/cards/{card_id}/top-ups", "k", operator, amount=-5)
    assert no_key.status_code == 422 and no_key.json()["error"]["field"] == "header.Idempotency-Key"
    assert status == 422 and negative["error"]["field"] == "body.amount"


def test_refund_beyond_the_balance_is_refused(api: Api) -> None:
    operator = api.staff(StaffRole.OPERATOR)
    card_id = _new_card(api, operator)["card_id"]
    _money(api, f"/cards/{card_id}/top-ups", "t", operator, amount=100_000)
    status, body = _money(api, f"/cards/{card_id}/refunds", "r1", operator, amount=100_001)
    assert status == 409 and body["error"]["code"] == "insufficient_balance"
    status, receipt = _money(api, f"/cards/{card_id}/refunds", "r2", operator, amount=40_000)
    assert status == 201 and receipt["balance_minor"] == 60_000


def test_adjustments_need_the_finance_role(api: Api) -> None:
    operator = api.staff(StaffRole.OPERATOR)
    card_id = _new_card(api, operator)["card_id"]
    path = f"/cards/{card_id}/adjustments"
    refused, body = _money(api, path, "a", operator, amount=5_000, reason="goodwill")
    done, receipt = _money(api, path, "a", api.staff(StaffRole.FINANCE), amount=-5_000, reason="fare fix")
    assert refused == 403 and body["error"]["code"] == "not_allowed"
    assert done == 201 and receipt["amount_minor"] == -5_000 and receipt["balance_minor"] == -5_000


def test_card_holder_sees_only_their_own_card(api: Api) -> None:
    operator = api.staff(StaffRole.OPERATOR)
    mine, theirs = _new_card(api, operator), _new_card(api, operator)
    _money(api, f"/cards/{mine['card_id']}/top-ups", "t", operator, amount=100_000)
    holder = {"Authorization": f"Card {mine['card_token']}"}
    own = api.client.get("/me/card", headers=holder)
    assert own.status_code == 200
    assert own.json() == {
        "card_id": mine["card_id"],
        "rider_category": "adult",
        "category_valid_until": None,
        "status": "active",
        "balance_minor": 100_000,
    }
    _, mac = str(mine["card_token"]).split(".")
    forged = api.client.get("/me/card", headers={"Authorization": f"Card {theirs['card_id']}.{mac}"})
    staff_route = api.client.get(f"/cards/{theirs['card_id']}", headers=holder)
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_card_token"
    assert staff_route.status_code == 401


def test_replace_moves_the_balance_to_the_new_card(api: Api) -> None:
    operator = api.staff(StaffRole.OPERATOR)
    old = _new_card(api, operator)
    _money(api, f"/cards/{old['card_id']}/top-ups", "t", operator, amount=100_000)
    lost = api.client.post(f"/cards/{old['card_id']}/lost", headers=operator)
    assert lost.status_code == 200 and lost.json()["status"] == "lost"
    path = f"/cards/{old['card_id']}/replace"
    first = api.client.post(path, headers={**operator, "Idempotency-Key": "rep"})
    again = api.client.post(path, headers={**operator, "Idempotency-Key": "rep"})
    assert first.status_code == 201 and again.status_code == 200
    new = first.json()
    assert again.json() == new and new["balance_minor"] == 100_000
    previous = api.client.get(f"/cards/{old['card_id']}", headers=operator).json()
    assert previous["status"] == "replaced" and previous["replaced_by"] == new["card_id"]
    assert previous["balance_minor"] == 0
    holder = api.client.get("/me/card", headers={"Authorization": f"Card {new['card_token']}"})
    assert holder.json()["balance_minor"] == 100_000
    status, refused = _money(api, f"/cards/{old['card_id']}/top-ups", "t2", operator, amount=1)
    assert status == 409 and refused["error"]["code"] == "card_not_usable"


def test_block_then_top_up_is_refused(api: Api) -> None:
    operator = api.staff(StaffRole.OPERATOR)
    card_id = _new_card(api, operator)["card_id"]
    assert api.client.post(f"/cards/{card_id}/block", headers=operator).json()["status"] == "blocked"
    status, body = _money(api, f"/cards/{card_id}/top-ups", "t", operator, amount=1_000)
    assert status == 409 and body["error"]["code"] == "card_not_usable"


def test_openapi_declares_security_and_errors(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert {"StaffToken", "CardToken", "DeviceSignature"} <= set(schemes)
    top_up = spec["paths"]["/cards/{card_id}/top-ups"]["post"]
    assert {"200", "201", "401", "403", "404", "409", "422"} <= set(top_up["responses"])
    assert top_up["security"] == [{"StaffToken": []}]
    assert top_up["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert spec["paths"]["/me/card"]["get"]["security"] == [{"CardToken": []}]
    assert spec["paths"]["/devices/{device_id}/ping"]["post"]["security"] == [{"DeviceSignature": []}]
