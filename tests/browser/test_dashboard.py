"""The dashboard in a real browser, on SQLite and PostgreSQL: the Persian page open on a wall screen, a
validator uploads a signed batch of taps through the API, and the page's figures change within 5 seconds
without a reload (server-sent events), in Persian digits, right to left; the chart and the map are drawn."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from playwright.sync_api import expect

from shahr.backoffice.auth_tables import StaffRole
from shahr.backoffice.rating import service_day_end
from shahr.web.device_client import DeviceClient, StaffClient
from tests.browser.conftest import LiveServer

UPDATE_WITHIN_S = 5.0
PERSIAN_NUMBER = re.compile(r"^[۰-۹٬]+$")


def metro_ride(card_id: str, server: LiveServer) -> list[dict[str, Any]]:
    """Vakilabad to Kowsar on the metro, tapped in and out in the last half minute (never before the
    service day's start, so both taps count today)."""
    policy = server.app.state.fares.policy
    now = datetime.now(UTC)
    start = service_day_end(policy, policy.service_date(now) - timedelta(days=1))
    on = max(start, now - timedelta(seconds=30))
    off = max(on, now - timedelta(seconds=5))
    return [
        {"seq": 1, "card_id": card_id, "kind": "on", "tapped_at": on.isoformat(), "stop_id": "st_vakilabad"},
        {"seq": 2, "card_id": card_id, "kind": "off", "tapped_at": off.isoformat(), "stop_id": "st_kowsar"},
    ]


def test_the_dashboard_shows_new_taps_within_5_seconds(page: Any, server: LiveServer) -> None:
    with StaffClient(server.url, server.staff_token(StaffRole.ADMIN)) as staff:
        card = staff.create_card("adult", top_up_minor=100_000)
        secret = staff.register_device("gate-vakilabad", "MURC")

    page.goto("/fa/dashboard")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.wait_for_selector("#dash-live[data-state='live']")
    page.wait_for_selector("#per-minute[data-drawn='1']")
    page.wait_for_selector("#dash-map[data-drawn='1']")
    assert page.locator("#taps-today").inner_text() == "۰"

    with DeviceClient(server.url, "gate-vakilabad", secret) as device:
        result = device.send_batch(metro_ride(card.card_id, server))
    sent = time.monotonic()
    assert result.accepted == 2

    expect(page.locator("#taps-today")).to_have_text("۲", timeout=UPDATE_WITHIN_S * 1000)
    assert time.monotonic() - sent < UPDATE_WITHIN_S
    assert page.locator("#journeys-today").inner_text() == "۱"  # under way: counted, not yet rated
    busiest = page.locator("#busiest li").first
    assert busiest.locator("span").inner_text() == "وکیل آباد"  # as stops.txt spells it
    assert busiest.locator("strong").inner_text() == "۱"  # one boarding; the tap-off is no boarding
    for figure in (
        "#taps-today",
        "#journeys-today",
        "#revenue-today",
        "#reports-open",
        "#proposals-awaiting",
    ):
        assert PERSIAN_NUMBER.match(page.locator(figure).inner_text()), figure
    assert page.locator("#dash-updated").inner_text()[:4] in ("۱۴۰۵", "۱۴۰۶", "۱۴۰۷")  # a Jalali year

    snapshot = httpx2.get(f"{server.url}/dashboard/snapshot").json()
    assert snapshot["activity"]["taps_today"] == 2


def test_the_english_dashboard(page: Any, server: LiveServer) -> None:
    page.goto("/en/dashboard")
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.wait_for_selector("#dash-live[data-state='live']")
    assert page.locator("#taps-today").inner_text() == "0"
    assert page.locator("#lab-body").inner_text() == "No consultation has been published yet."
