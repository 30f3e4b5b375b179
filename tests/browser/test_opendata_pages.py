"""The open-data pages in headless Chromium: a visitor searches the catalog in English and narrows it by a
tag, then opens a dataset's page in Persian: right to left, its Persian title, the preview table (Jalali
dates, Persian digits), the chart drawn by Chart.js, the changelog, and a download link that saves the
file's very bytes and is counted."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from shahr.web.pages.formatting import Formatter
from shahr.web.pages.i18n import Lang
from tests.browser.conftest import LiveServer
from tests.opendata.test_ckan_api import BOARDINGS, REPORTS, REVENUE, Seeded, boardings, seed_catalog

TITLE_FA = "سوار شدن مسافران به تفکیک ایستگاه و ساعت"


def seed(server: LiveServer) -> Seeded:
    with server.app.state.sessions() as session:
        return seed_catalog(session)


def listed(page: Any) -> list[str]:
    return [
        str(name)
        for name in page.locator("#datasets li").evaluate_all("items => items.map(i => i.dataset.name)")
    ]


def test_search_the_catalog_in_english(page: Any, server: LiveServer) -> None:
    seed(server)
    page.goto("/en/")
    page.locator("header nav a", has_text="Open data").click()
    page.wait_for_url(re.compile(r"/en/data$"))
    assert listed(page) == [REPORTS, REVENUE, BOARDINGS]
    assert page.locator("#data-count").inner_text().startswith("3 datasets")

    page.fill("#data-search input[name=q]", "transit")
    page.locator("#data-search button").click()
    page.wait_for_url(re.compile(r"q=transit"))
    assert sorted(listed(page)) == [BOARDINGS, REVENUE]
    organizations = page.locator('[data-facet="organization"] li')
    assert organizations.count() == 1 and "Mashhad Traffic and Transportation" in organizations.inner_text()

    page.locator('[data-facet="tag"] a', has_text="ridership").click()
    page.wait_for_url(re.compile(r"tag=ridership"))
    assert listed(page) == [BOARDINGS]
    assert page.locator("#data-search input[name=q]").input_value() == "transit"

    page.fill("#data-search input[name=q]", "no such words")
    page.locator("#data-search button").click()
    page.wait_for_selector("#no-datasets")

    page.goto("/en/data?q=boardings")
    page.locator("#datasets a").first.click()
    page.wait_for_url(re.compile(rf"/en/data/{BOARDINGS}$"))
    assert page.locator("#dataset-title").inner_text() == "Boardings by stop and hour"


def test_a_dataset_page_in_persian(page: Any, server: LiveServer, tmp_path: Path) -> None:
    seeded = seed(server)
    fa = Formatter(Lang.FA, "Asia/Tehran")
    page.goto(f"/fa/data/{BOARDINGS}")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("#dataset-title").inner_text() == TITLE_FA
    assert fa.number(10) in page.locator("#privacy").inner_text()

    day = date(2025, 10, 3)  # the second release's service day
    frame = boardings(day)
    rows = page.locator("#preview-table tbody tr")
    assert rows.count() == frame.height
    first = rows.nth(0).locator("td").all_inner_texts()
    assert first[:3] == [fa.day(day), "metro", "st_vakilabad"]
    assert first[-2:] == [fa.number(1240), fa.number(1100)]  # Persian digits and separators
    assert re.fullmatch(r"[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}", first[0])  # Jalali, in Persian digits

    page.wait_for_selector('#data-chart[data-drawn="1"]')
    drawn = page.evaluate(
        """() => { const chart = Chart.getChart(document.getElementById("data-chart"));
                   return {labels: chart.data.labels, values: chart.data.datasets[0].data,
                           width: chart.width}; }"""
    )
    assert drawn["labels"] == ["metro", "bus", "brt"] and drawn["values"] == [4642, 551, 80]  # cells only
    assert drawn["width"] > 0

    assert page.locator("#changelog li").count() == 2
    assert page.locator("#changelog li").first.get_attribute("data-version") == "2"

    link = page.locator('#downloads tr[data-format="CSV"] a')
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "saved.csv"
    download.value.save_as(saved)
    assert saved.read_bytes() == seeded.content[seeded.ids[BOARDINGS, 2, "CSV"]]
    page.reload()
    assert page.locator('#downloads tr[data-format="CSV"] .downloads').inner_text() == fa.number(1)
