"""The policy lab's report in a real browser, opened from a file with the network cut: nothing is
fetched, every chart draws something, the zone map has one shape per zone, drawing again replaces what
was drawn, and a comparison with empty lists still renders without a script error. In English and in
Persian."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shahr.lab.figures import Figures
from shahr.lab.report import render_report
from tests.browser.conftest import LOCAL_SCHEMES
from tests.lab.example_figures import example_figures

# Canvases whose opaque pixels are counted: a chart with data paints far more than a few hundred.
INK = """canvas => {
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) { painted++; } }
    return painted;
}"""
RENDER = """lang => shahrLabCharts.render(
    document.body, JSON.parse(document.getElementById("lab-figures").textContent), lang)"""


class Offline:
    """A browser tab that may read files only: every other request is aborted and recorded."""

    def __init__(self, browser: Any, lang: str) -> None:
        self.context = browser.new_context(locale="fa-IR" if lang == "fa" else "en-US")
        self.context.set_default_timeout(10_000)
        self.attempted: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.tab = self.context.new_page()
        self.tab.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.tab.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", *LOCAL_SCHEMES)):
            route.continue_()
        else:
            self.attempted.append(url)
            route.abort()

    def open(self, path: Path) -> Any:
        self.tab.goto(path.as_uri())
        return self.tab


@pytest.fixture(params=["en", "fa"])
def offline(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[Offline, str]]:
    tab = Offline(browser, request.param)
    yield tab, request.param
    tab.context.close()
    assert tab.attempted == [], f"the report tried to load {tab.attempted}"
    assert tab.errors == [], f"script or policy errors: {tab.errors}"


def _write(tmp_path: Path, figures: Figures, lang: str) -> Path:
    path = tmp_path / f"report-{lang}.html"
    path.write_text(render_report(figures, "fa" if lang == "fa" else "en"), encoding="utf-8")
    return path


def test_report_draws_every_chart_and_zone_offline(offline: tuple[Offline, str], tmp_path: Path) -> None:
    browser_tab, lang = offline
    figures = example_figures()
    tab = browser_tab.open(_write(tmp_path, figures, lang))
    canvases = tab.locator("canvas[data-chart]")
    assert canvases.count() == 2 + 4 * len(figures.comparisons)
    tab.wait_for_function(
        "n => document.querySelectorAll('canvas[data-drawn=\"1\"]').length === n", arg=canvases.count()
    )
    for index in range(canvases.count()):
        canvas = canvases.nth(index)
        assert canvas.evaluate(INK) > 500, f"canvas {canvas.get_attribute('data-chart')} is blank"
    zone_map = tab.locator("div[data-map][data-drawn='1']")
    assert zone_map.count() == len(figures.comparisons)
    assert zone_map.locator("path.leaflet-interactive").count() == len(figures.zones["features"])
    assert tab.locator("html").get_attribute("dir") == ("rtl" if lang == "fa" else "ltr")
    # The consultation page may draw again (another language): the old charts and map are replaced.
    tab.evaluate(RENDER, "en" if lang == "fa" else "fa")
    assert zone_map.locator("path.leaflet-interactive").count() == len(figures.zones["features"])
    assert tab.locator("div[data-map] .lab-map-legend").count() == len(figures.comparisons)


def test_empty_lists_render_without_errors(offline: tuple[Offline, str], tmp_path: Path) -> None:
    browser_tab, lang = offline
    full = example_figures()
    empty_comparison = full.comparisons[0].model_copy(
        update={"by_distance_band": [], "by_rider_category": [], "by_zone": [], "by_hour": []}
    )
    figures = full.model_copy(
        update={"comparisons": [empty_comparison], "zones": {"type": "FeatureCollection", "features": []}}
    )
    tab = browser_tab.open(_write(tmp_path, figures, lang))
    tab.wait_for_function("() => document.querySelectorAll('canvas[data-drawn=\"1\"]').length === 6")
    assert tab.locator("div[data-map][data-drawn='1'] path").count() == 0
