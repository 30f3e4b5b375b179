"""The passes API, on SQLite and PostgreSQL: the price list is public, staff sell passes at a counter,
card holders buy their own; buying is idempotent and refusals say which field is wrong.

Amounts from mashhad-distance: pass-30 (prepaid) 800,000 for adults; pass-1 (prepaid) 50,000."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shahr.backoffice.auth_tables import StaffRole
from shahr.fares.load import load_policy
from tests.web.conftest import Api
from tests.web.test_cards_api import _money, _new_card

TODAY = load_policy("mashhad-distance").service_date(datetime.now(UTC))


def test_the_price_list_is_public(api: Api) -> None:
    response = api.client.get("/passes", params={"on": "2025-10-05"})
    assert response.status_code == 200
    assert [
        (p["product_id"], p["days"], p["payment"], p["price_minor"].get("adult")) for p in response.json()
    ] == [
        ("pass-30", 30, "prepaid", 800_000),
        ("pass-30-postpaid", 30, "postpaid", 800_000),
        ("pass-1", 1, "prepaid", 50_000),
    ]


def test_staff_sell_a_pass_once_per_key_and_holders_see_it(api: Api) -> None:
    operator = api.staff(StaffRole.OPERATOR)
    card = _new_card(api, operator)
    card_id = card["card_id"]
    _money(api, f"/cards/{card_id}/top-ups", "t", operator, amount=1_000_000)
    status, sold = _money(api, f"/cards/{card_id}/passes", "p", operator, product_id="pass-30")
    again_status, again = _money(api, f"/cards/{card_id}/passes", "p", operator, product_id="pass-30")
    assert status == 201, sold
    # 1,000,000 - 800,000 = 200,000 left; 30 days from today, today included.
    assert (sold["paid_minor"], sold["balance_minor"], sold["replayed"]) == (800_000, 200_000, False)
    assert sold["first_day"] == TODAY.isoformat()
    assert sold["last_day"] == (TODAY + timedelta(days=29)).isoformat()
    assert again_status == 200 and again == {**sold, "replayed": True}
    holder = {"Authorization": f"Card {card['card_token']}"}
    mine = api.client.get("/me/passes", headers=holder).json()
    assert [(p["pass_id"], p["name"]) for p in mine] == [(sold["pass_id"], "30-day pass")]
    listed = api.client.get(f"/cards/{card_id}/passes", headers=api.staff(StaffRole.FINANCE)).json()
    assert listed == mine


def test_a_holder_buys_a_day_pass_and_refusals_name_the_field(api: Api) -> None:
    operator = api.staff(StaffRole.OPERATOR)
    card = _new_card(api, operator)
    _money(api, f"/cards/{card['card_id']}/top-ups", "t", operator, amount=60_000)
    holder = {"Authorization": f"Card {card['card_token']}"}
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    status, bought = _money(api, "/me/passes", "a", holder, product_id="pass-1", first_day=tomorrow)
    assert status == 201 and (bought["paid_minor"], bought["balance_minor"]) == (50_000, 10_000)
    unknown_status, unknown = _money(api, "/me/passes", "b", holder, product_id="pass-7")
    assert unknown_status == 422 and unknown["error"]["field"] == "body.product_id"
    overlap_status, overlap = _money(api, "/me/passes", "c", holder, product_id="pass-1", first_day=tomorrow)
    assert overlap_status == 409 and overlap["error"]["code"] == "pass_overlap"
    assert overlap["error"]["field"] == "body.first_day"
    past = (TODAY - timedelta(days=1)).isoformat()
    past_status, refused = _money(api, "/me/passes", "d", holder, product_id="pass-1", first_day=past)
    assert past_status == 422 and refused["error"]["field"] == "body.first_day"
    later = (TODAY + timedelta(days=2)).isoformat()
    poor_status, poor = _money(api, "/me/passes", "e", holder, product_id="pass-30", first_day=later)
    assert poor_status == 409 and poor["error"]["code"] == "insufficient_balance"
    anonymous = api.client.post("/me/passes", json={"product_id": "pass-1"}, headers={"Idempotency-Key": "f"})
    assert anonymous.status_code == 401
