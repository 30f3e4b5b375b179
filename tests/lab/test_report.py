"""The policy lab's HTML report without a browser: it names no other site, carries the figures as JSON
that round-trips and that no text can break out of, speaks Persian right to left with Persian digits, and
lists every figure in its tables with the exact values (the browser tests draw the charts)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib import resources

import pytest

from shahr.lab.figures import Breakdown, Figures
from shahr.lab.report import CSP, render_report
from tests.lab.example_figures import example_figures

ATTACK = "</script><script>alert(1)</script>"


class Document(HTMLParser):
    """What the tests read from a report: every tag's attributes, the scripts' text, the tables' rows."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.rows: list[list[str]] = []
        self.cells: list[tuple[str, str]] = []
        self._script: dict[str, str | None] | None = None
        self._cell: list[str] | None = None
        self._cell_tag = ""
        self._text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script, self._text = dict(attrs), []
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
            self._cell_tag = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None
        elif tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            self.rows[-1].append(text)
            self.cells.append((self._cell_tag, text))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)
        elif self._cell is not None:
            self._cell.append(data)


def _figures_json(document: Document) -> str:
    [text] = [text for attrs, text in document.scripts if attrs.get("id") == "lab-figures"]
    return text


def _strip_isolates(text: str) -> str:
    return text.replace("\u2066", "").replace("\u2069", "")


@pytest.fixture(scope="module")
def figures() -> Figures:
    return example_figures()


@pytest.fixture(scope="module")
def english(figures: Figures) -> Document:
    return Document(render_report(figures, "en"))


@pytest.fixture(scope="module")
def persian(figures: Figures) -> Document:
    return Document(render_report(figures, "fa"))


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_nothing_is_loaded_from_elsewhere(figures: Figures, lang: str) -> None:
    document = Document(render_report(figures, "fa" if lang == "fa" else "en"))
    links = [
        (tag, name, value)
        for tag, attrs in document.tags
        for name, value in attrs.items()
        if name in ("src", "href", "action", "srcset", "poster", "data") and value
    ]
    assert [link for link in links if re.match(r"\s*(https?:)?//", link[2] or "")] == []
    assert [tag for tag, attrs in document.tags if "src" in attrs] == [], "every script is inlined"
    metas = [attrs for tag, attrs in document.tags if tag == "meta" and attrs.get("http-equiv")]
    assert metas == [{"http-equiv": "Content-Security-Policy", "content": CSP}]


def test_scripts_are_the_libraries_the_chart_script_and_the_figures(english: Document) -> None:
    kinds = [attrs.get("type") for attrs, _ in english.scripts]
    assert kinds == ["application/json", None, None, None, None]
    assert all(text.strip() for _, text in english.scripts)
    assert "window.shahrLabCharts = { render: render }" in english.scripts[3][1]


@pytest.mark.parametrize(
    "parts",
    [("vendor", "chart.js", "chart.umd.min.js"), ("vendor", "leaflet", "leaflet.js"), ("lab_charts.js",)],
)
def test_inlined_scripts_cannot_end_their_element(parts: tuple[str, ...]) -> None:
    """An upgrade of a vendored library that brought `</script` or `<!--` would break the report."""
    text = resources.files("shahr.web").joinpath("static", *parts).read_text(encoding="utf-8").lower()
    assert "</script" not in text
    assert "<!--" not in text


def test_figures_round_trip(figures: Figures, english: Document) -> None:
    assert Figures.model_validate_json(_figures_json(english)) == figures


def test_a_policy_name_cannot_break_out(figures: Figures) -> None:
    policies = [policy.model_copy(update={"name": ATTACK}) for policy in figures.policies]
    hostile = figures.model_copy(update={"title": ATTACK, "policies": policies})
    html = render_report(hostile, "en")
    assert "<script>alert(1)" not in html
    document = Document(html)
    assert len(document.scripts) == 5
    assert "alert" not in "".join(text for _, text in document.scripts[1:])
    round_tripped = Figures.model_validate_json(_figures_json(document))
    assert [policy.name for policy in round_tripped.policies] == [ATTACK, ATTACK]
    assert round_tripped.title == ATTACK
    assert "\\u003c/script\\u003e" in _figures_json(document)
    assert not set("<>&") & set(_figures_json(document))


def test_persian_is_right_to_left_with_persian_digits(figures: Figures, persian: Document) -> None:
    [html] = [attrs for tag, attrs in persian.tags if tag == "html"]
    assert html == {"lang": "fa", "dir": "rtl"}
    cells = [_strip_isolates(text) for tag, text in persian.cells if tag == "td"]
    assert "۱۲٬۴۸۰" in cells
    assert "۳۰۴٬۶۰۰٬۰۰۰ ریال" in cells
    assert "-۳٫۸٪" in cells
    assert "+۴۴۱" in cells
    # Sources, file names and ids are shown as given; every other cell writes its digits in Persian.
    as_given = {given.source for given in [*figures.elasticity.values(), *figures.factors.values()]}
    as_given |= {figures.demand.source} | {policy.id for policy in figures.policies}
    assert [text for text in cells if re.search(r"[0-9]", text) and text not in as_given] == []


def test_english_has_left_to_right(english: Document) -> None:
    [html] = [attrs for tag, attrs in english.tags if tag == "html"]
    assert html == {"lang": "en", "dir": "ltr"}


def _row(row: Breakdown) -> list[str]:
    return [
        row.label,
        f"{row.trips:,}",
        f"{row.reference_average:,} rials",
        f"{row.average:,} rials",
        f"{row.change_percent:+.1f}%",
        f"{row.pays_more:,}",
        f"{row.pays_same:,}",
        f"{row.pays_less:,}",
    ]


def test_every_breakdown_row_is_in_a_table(figures: Figures, english: Document) -> None:
    [comparison] = figures.comparisons
    rising = comparison.riders_rising
    breakdowns = [
        comparison.by_distance_band,
        comparison.by_rider_category,
        comparison.by_zone,
        comparison.by_hour,
        rising.by_rider_category,
        rising.by_distance_band,
        rising.by_zone,
    ]
    for rows in breakdowns:
        for row in rows:
            assert _row(row) in english.rows, row.key
    keyed_rows = [attrs for tag, attrs in english.tags if tag == "tr" and "data-key" in attrs]
    assert len(keyed_rows) == sum(len(rows) for rows in breakdowns)


def test_policies_comparison_and_assumptions_are_in_tables(figures: Figures, english: Document) -> None:
    assert ["Pays more", "3,120", "25.0%"] in english.rows
    assert ["Pays the same", "2,870", "23.0%"] in english.rows
    assert ["Pays less", "6,490", "52.0%"] in english.rows
    assert ["Largest rise of one trip's fare", "14,000 rials", "+70.0%"] in english.rows
    assert [
        "Mashhad flat fare per boarding",
        "mashhad-flat",
        "304,600,000 rials",
        "12,480",
        "15,230",
        "24,407 rials",
        "3,088 rials",
    ] in english.rows
    distance = figures.policies[1]
    assert [distance.name, "12,921", "+441", "277,834,911 rials", "79", "675", "0.11"] in english.rows
    assert ["Trips", "12,480"] in english.rows
    assert ["Service days", "2025-10-05"] in english.rows
    for category, given in figures.elasticity.items():
        assert [category, f"{given.value:.2f}", given.source] in english.rows
    assert [
        "Share of new trips that were by car",
        "0.18",
        figures.factors["car_share"].source,
    ] in english.rows
    assert ["Car CO₂ (g per km)", "170.00", figures.factors["co2_g_per_km"].source] in english.rows
