"""A card holder's consultation page, in a real browser: staff issue a card and register a validator over
the API, the validator uploads a few days of taps through the real signed ingestion path, an office
publishes the comparison of `mashhad-distance` against `mashhad-flat`, and the card holder types their
card token on the Persian page, then on the English one, and sees their own journeys day by day under both
policies, with totals equal to what `FareEngine` makes of the same rides here (the rides and their fares,
worked out by hand, are in tests/civic/test_consultations.py). The token never appears in a URL.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx2

from shahr.backoffice.auth_tables import StaffRole
from shahr.fares.load import load_policy
from shahr.network import Network
from shahr.web.device_client import DeviceClient, StaffClient
from shahr.web.pages.formatting import Formatter
from shahr.web.pages.i18n import Lang
from tests.browser.conftest import LiveServer
from tests.civic.test_consultations import DISTANCE_TOML, FLAT_TOML, engine_totals, recent_rides, tap_payloads
from tests.lab.example_figures import example_figures

TITLE = "کرایهٔ مسافتی برای مشهد"
PERSIAN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789", "٬,")


def amount(text: str) -> int:
    """A whole number as a page writes it, in Persian or ASCII digits with separators."""
    return int(text.strip().translate(PERSIAN))


def issue_card(server: LiveServer) -> str:
    """A new adult card's holder token, as the API issues it with the card."""
    headers = {"Authorization": f"Bearer {server.staff_token(StaffRole.OPERATOR)}"}
    response = httpx2.post(f"{server.url}/cards", json={"rider_category": "adult"}, headers=headers)
    assert response.status_code == 201, response.text
    token: str = response.json()["card_token"]
    return token


def publish(server: LiveServer) -> int:
    body = {
        "title": TITLE,
        "policy": DISTANCE_TOML,
        "reference": FLAT_TOML,
        "figures": json.loads(example_figures().model_dump_json()),
    }
    headers = {"Authorization": f"Bearer {server.staff_token(StaffRole.OFFICE)}"}
    response = httpx2.post(f"{server.url}/consultations", json=body, headers=headers)
    assert response.status_code == 201, response.text
    consultation_id: int = response.json()["consultation_id"]
    return consultation_id


def show_my_fares(page: Any, token: str) -> None:
    page.fill("input[name=card_token]", token)
    page.locator("#show-my-fares").click()
    page.wait_for_selector("#rider-fares")


def test_a_card_holder_sees_their_own_journeys_under_both_policies(
    page: Any, server: LiveServer, mashhad_network: Network
) -> None:
    distance, flat = load_policy("mashhad-distance"), load_policy("mashhad-flat")
    today = distance.service_date(datetime.now(UTC))
    rides = recent_rides(today)
    token = issue_card(server)
    with StaffClient(server.url, server.staff_token(StaffRole.ADMIN)) as staff:
        secret = staff.register_device("gate-1", "metro")
    with DeviceClient(server.url, "gate-1", secret) as device:
        sent = device.send_batch(tap_payloads(token.partition(".")[0], rides))
    assert (sent.accepted, sent.quarantined) == (len(sent.answers), 0)
    consultation_id = publish(server)
    reference = engine_totals(flat, mashhad_network, rides)
    proposed = engine_totals(distance, mashhad_network, rides)
    days = sorted(rides)

    page.goto("/fa/consultations")
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"{server.url}/fa/consultations/{consultation_id}")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert amount(page.locator("#headline-average_fare td").nth(1).inner_text()) == 21_502
    page.wait_for_selector('#lab-charts canvas[data-chart="revenue"][data-drawn="1"]')
    page.wait_for_selector("#lab-charts div[data-map][data-drawn='1']")

    show_my_fares(page, token)
    assert token not in page.url and page.url.endswith(
        f"/fa/consultations/{consultation_id}/my-fares#my-fares"
    )
    assert amount(page.locator("#total-reference").inner_text()) == sum(reference.values()) == 100_000
    assert amount(page.locator("#total-proposed").inner_text()) == sum(proposed.values()) == 102_000
    assert amount(page.locator("#total-charged").inner_text()) == 102_000
    shown = page.locator("article.rider-day")
    assert [shown.nth(i).get_attribute("data-day") for i in range(shown.count())] == [
        d.isoformat() for d in days
    ]
    persian = Formatter(Lang.FA, "Asia/Tehran")
    for i, day in enumerate(days):
        article = shown.nth(i)
        assert article.locator("h3").inner_text() == persian.day(day)  # Jalali, Persian digits
        assert amount(article.locator(".day-reference .day-total").inner_text()) == reference[day]
        assert amount(article.locator(".day-proposed .day-total").inner_text()) == proposed[day]
    feeder_day = shown.nth(1)  # the feeder and the metro: two boardings today, one journey proposed
    assert feeder_day.locator(".day-reference li.journey").count() == 2
    assert feeder_day.locator(".day-proposed li.journey").count() == 1
    why = feeder_day.locator(".day-proposed details")
    why.locator("summary").click()
    assert "Fare 24,000 IRR for 2 leg(s)" in why.inner_text()

    page.get_by_role("link", name="English").click()  # the form again: the token was not kept
    page.wait_for_url(f"{server.url}/en/consultations/{consultation_id}#my-fares")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("#rider-fares").count() == 0
    show_my_fares(page, token)
    assert page.locator("#total-reference").inner_text() == "100,000"
    assert page.locator("#total-proposed").inner_text() == "102,000"
    assert page.locator("#total-difference").inner_text() == "+2.0%"
    english = page.locator("article.rider-day")
    assert english.count() == len(days)
    assert english.nth(0).locator("h3").inner_text() == days[0].isoformat()
    assert [amount(t) for t in english.locator(".day-proposed .day-total").all_inner_texts()] == [
        proposed[d] for d in days
    ]

    page.fill("input[name=card_token]", token.partition(".")[0] + ".not-the-mac")
    page.locator("#show-my-fares").click()
    assert "not accepted" in page.locator("#token-error").inner_text()
    assert page.locator("#rider-fares").count() == 0

    page.get_by_role("link", name="Support or comment on this proposal").click()
    page.wait_for_url(re.compile(r"/en/proposals/\d+$"))
    assert page.locator("h1").inner_text() == TITLE
    assert not [url for url in server.requests if token in url or token.partition(".")[2] in url]
