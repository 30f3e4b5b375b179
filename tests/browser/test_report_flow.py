"""A resident reports a problem in Persian with a pin dropped on the map and a phone photo carrying GPS
data; staff sign in and resolve it with a note; the public page shows the note and Jalali dates in
Persian digits, right to left, and the English page the same report left to right in the Gregorian
calendar. Nothing the browser asks for comes from anywhere but the server."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image

from shahr.web.pages.formatting import Formatter
from shahr.web.pages.i18n import Lang
from tests.browser.conftest import LiveServer
from tests.civic.reports.test_photos import jpeg_with_gps

DESCRIPTION = "چاله‌ای بزرگ جلوی ایستگاه <b>اتوبوس</b>"
NOTE = "آسفالت این نقطه ترمیم شد."
TEHRAN = ZoneInfo("Asia/Tehran")


def test_report_filed_resolved_and_shown(page: Any, server: LiveServer) -> None:
    page.goto("/")
    assert page.url == f"{server.url}/fa/"
    page.get_by_role("link", name="گزارش مشکل").first.click()

    page.select_option("#category", "road_damage")
    page.fill("textarea[name=description]", DESCRIPTION)
    page.locator("div.map.leaflet-container").click()  # the centre of the city: the pin fills lat/lon
    assert page.locator("#lat").input_value() != "" and page.locator("#lon").input_value() != ""
    assert page.locator(".leaflet-marker-icon").count() == 1
    photo = {"name": "pothole.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}
    page.set_input_files("input[name=photo]", files=[photo])
    page.get_by_role("button", name="ثبت گزارش").click()

    page.wait_for_url(re.compile(r"/fa/follow/[\w-]+\?new=1$"))
    private_link = page.locator("a.private-link").get_attribute("href")
    assert private_link is not None and private_link.startswith("/fa/follow/")
    heading = page.locator("h1").inner_text()
    report_id = int(re.sub(r"\D", "", heading.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))))
    assert "<b>اتوبوس</b>" in page.locator("p.description").inner_text()  # shown as text, not markup

    photo_src = page.locator("p.photos img").get_attribute("src")
    stored = page.request.get(f"{server.url}{photo_src}").body()
    assert dict(Image.open(io.BytesIO(stored)).getexif()) == {} and b"Exif" not in stored
    assert b"PhoneMaker" not in stored and b"Model X 12" not in stored

    page.goto("/fa/staff")
    assert "/fa/staff/login" in page.url
    page.fill("input[name=token]", server.staff_token())
    page.get_by_role("button", name="ورود").click()
    page.wait_for_url(f"{server.url}/fa/staff")
    page.locator(f"a[href='/fa/staff/reports/{report_id}']").click()
    page.select_option("#status-form select[name=status]", "resolved")
    page.fill("#status-form textarea[name=note]", NOTE)
    page.locator("#status-form button").click()
    page.wait_for_url(f"{server.url}/fa/staff/reports/{report_id}")
    assert "برطرف‌شده" in page.locator("#status").inner_text()

    page.goto(f"/fa/reports/{report_id}")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert "برطرف‌شده" in page.locator("#status").inner_text()
    assert NOTE in page.locator("ol.history").inner_text()
    today = datetime.now(UTC).astimezone(TEHRAN)
    jalali = Formatter(Lang.FA, "Asia/Tehran").day(today.date())
    assert re.fullmatch(r"[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}", jalali)
    dates = page.locator("time").all_inner_texts()
    assert dates and all(text.startswith(jalali) for text in dates[:1])
    assert not re.search(r"[0-9]", " ".join(dates))  # Persian digits only

    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"{server.url}/en/reports/{report_id}")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    assert "Resolved" in page.locator("#status").inner_text()
    assert page.locator("time").first.inner_text().startswith(today.strftime("%Y-%m-%d"))

    page.goto("/fa/reports?status=resolved")
    page.wait_for_selector("path.leaflet-interactive")  # districts, routes and the report drawn locally
    assert page.locator("table.reports tbody tr").count() == 1
