"""The open-data pages: the catalog (`/{lang}/data`: a search box, facets by publisher, tag and format, the
datasets found) and a page per dataset (`/{lang}/data/{name}`: titles and notes in the page's language,
what a row is, how privacy was kept in plain words, the licence, the files with their download counts,
a preview of the first 50 rows, a chart of one measure and the changelog).

Both read the catalog as the CKAN API does (`opendata.ckan`, `opendata.search`). The preview and the
chart come from the current release's Parquet file, whose column types survive (dates show as dates:
Jalali on the Persian page). The chart sums the table's first measure by its first dimension with more
than one value: the specs put dimensions first and measures (the trailing numeric columns) last, and
rows whose `level` is not `cell` (published totals) are left out, since summed with the cells they
would count twice. Its data is a JSON element that `static/opendata.js` draws with Chart.js: the
pages' Content-Security-Policy allows no inline script."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import polars as pl
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from shahr.opendata import search
from shahr.opendata.ckan import (
    LICENSES,
    Entry,
    Release,
    find_entry,
    load_entries,
    organization_title,
    resource_content,
)
from shahr.opendata.search import Clause
from shahr.web.deps import SessionDep
from shahr.web.pages.formatting import Formatter
from shahr.web.pages.i18n import TEXTS, Lang
from shahr.web.pages.rendering import Page, PageDep
from shahr.web.pages.route import PageRoute, error_page

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_ROWS = 20
PREVIEW_ROWS = 50
CHART_BARS = 20
"""A dimension with more values (stops, routes) is charted by its largest."""
FACETS = (("organization", "organization"), ("tags", "tag"), ("res_format", "format"))
"""(search field, the page's query parameter) of each facet."""

Text = Annotated[str, Query(max_length=200)]
Texts = Annotated[list[str] | None, Query(max_length=20)]


@router.get("/{lang:lang}/data", response_class=HTMLResponse)
def catalog_page(
    page: PageDep,
    session: SessionDep,
    q: Text = "",
    organization: Text = "",
    tag: Texts = None,
    format: Text = "",
    start: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    """The datasets matching the words and the chosen facet values, most relevant (or newest) first."""
    filters = [("organization", organization), *(("tag", value) for value in tag or []), ("format", format)]
    active = [(name, value) for name, value in filters if value]
    fields = dict((parameter, field) for field, parameter in FACETS)
    query = search.Query(
        words=search.words(q),
        clauses=tuple(Clause(fields[name], value) for name, value in active),
        sort=(("score", True), ("metadata_modified", True)),
        rows=PAGE_ROWS,
        start=start,
        facet_fields=tuple(field for field, _ in FACETS),
        facet_limit=30,
    )
    found = search.search(load_entries(session), query)

    def link(toggle: tuple[str, str] | None = None, start: int = 0, keep: bool = True) -> str:
        """This search with a facet value chosen or dropped (`toggle`), from `start`; `keep=False`:
        the words alone."""
        chosen = [pair for pair in active if pair != toggle] if keep else []
        if toggle and toggle not in active:
            chosen.append(toggle)
        pairs = ([("q", q)] if q else []) + chosen + ([("start", str(start))] if start else [])
        return f"/{page.lang.value}/data" + (f"?{urlencode(pairs)}" if pairs else "")

    facets = [
        (
            parameter,
            [
                {
                    "label": search.display_name(field, value, page.lang.value),
                    "count": count,
                    "chosen": (parameter, value) in active,
                    "url": link(toggle=(parameter, value)),
                }
                for value, count in found.facets.get(field, [])
            ],
        )
        for field, parameter in FACETS
    ]
    context = {
        "q": q,
        "active": active,
        "found": found,
        "items": [_summary(entry, page.lang) for entry in found.entries],
        "facets": facets,
        "clear_url": link(keep=False),
        "previous_url": link(start=max(start - PAGE_ROWS, 0)) if start else None,
        "next_url": link(start=start + PAGE_ROWS) if start + PAGE_ROWS < found.count else None,
    }
    return page.render("opendata_catalog.html", context)


@router.get("/{lang:lang}/data/{name}", response_class=HTMLResponse)
def dataset_page(name: str, page: PageDep, session: SessionDep) -> Response:
    entry = find_entry(load_entries(session), name)
    if entry is None:
        return error_page(page.request, TEXTS[page.lang]["data.not_found"], 404)
    fmt = Formatter(page.lang, page.request.app.state.settings.timezone)
    current = entry.current
    parquet = next((r for r in current.resources if r.format == "Parquet"), None) if current else None
    frame = pl.read_parquet(io.BytesIO(resource_content(session, parquet.id))) if parquet else None
    license_ = LICENSES.get(entry.dataset.license_id)
    context = {
        "d": _summary(entry, page.lang),
        "entry": entry,
        "current": current,
        "privacy": _privacy(entry.dataset.privacy, page.lang, fmt),
        "license": license_.title if license_ else entry.dataset.license_id,
        "license_url": license_.url if license_ else "",
        "preview": _preview(frame, fmt) if frame is not None else None,
        "chart": _chart(frame, page, fmt) if frame is not None else None,
        "releases": [_release(release, fmt) for release in entry.releases],
    }
    return page.render("opendata_dataset.html", context)


def _summary(entry: Entry, lang: Lang) -> dict[str, Any]:
    dataset = entry.dataset
    persian = lang is Lang.FA
    return {
        "name": dataset.name,
        "title": dataset.title_fa if persian else dataset.title_en,
        "notes": dataset.notes_fa if persian else dataset.notes_en,
        "organization": organization_title(dataset.organization, lang.value),
        "tags": dataset.tags,
        "formats": entry.formats,
        "version": entry.current.row.version if entry.current else None,
        "modified": entry.modified,
    }


def _release(release: Release, fmt: Formatter) -> dict[str, Any]:
    """A changelog entry with its files (each with its download count)."""
    row = release.row
    files = [
        {
            "format": resource.format,
            "filename": resource.filename,
            "url": f"/opendata/resources/{resource.id}/download/{quote(resource.filename)}",
            "size_kb": fmt.number(resource.size / 1024, 1),
            "downloads": resource.downloads,
        }
        for resource in release.resources
    ]
    return {"row": row, "files": files}


def _privacy(setting: dict[str, Any], lang: Lang, fmt: Formatter) -> list[str]:
    """How the cells were protected, in the page's words (the setting as written when it is unknown)."""
    texts = TEXTS[lang]
    method = setting.get("method")
    said: list[str] = []
    if method == "suppression":
        said.append(texts["data.privacy.suppression"].format(k=fmt.number(int(setting.get("k", 0)))))
    elif method == "dp":
        said.append(texts["data.privacy.dp"].format(epsilon=fmt.digits(f"{float(setting['epsilon']):g}")))
    elif method == "public":
        said.append(texts["data.privacy.public"])
    else:
        said.append(", ".join(f"{key}: {value}" for key, value in sorted(setting.items())))
    if setting.get("contribution_bound"):
        said.append(texts["data.privacy.bound"].format(bound=fmt.number(int(setting["contribution_bound"]))))
    return said


def _cell(value: Any, fmt: Formatter) -> str:
    """A value as the page writes it: its digits, its calendar."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime):
        return fmt.when(value) if value.tzinfo else fmt.digits(value.isoformat(sep=" ", timespec="minutes"))
    if isinstance(value, date):
        return fmt.day(value)
    if isinstance(value, int):
        return fmt.number(value)
    if isinstance(value, float):
        return fmt.number(value, 2)
    return str(value)


def _preview(frame: pl.DataFrame, fmt: Formatter) -> dict[str, Any]:
    head = frame.head(PREVIEW_ROWS)
    return {
        "columns": head.columns,
        "rows": [[_cell(value, fmt) for value in row] for row in head.iter_rows()],
        "numeric": [dtype.is_numeric() for dtype in head.dtypes],
    }


def _chart(frame: pl.DataFrame, page: Page, fmt: Formatter) -> dict[str, Any] | None:
    """The first measure summed by the first dimension that varies, or None when the table has no
    measure or no dimension."""
    if "level" in frame.columns:
        frame = frame.filter(pl.col("level") == "cell")
    columns = frame.columns
    split = len(columns)
    while split and frame.schema[columns[split - 1]].is_numeric():
        split -= 1
    dimensions = [column for column in columns[:split] if column != "level"]
    if split == len(columns) or not dimensions:
        return None
    measure = columns[split]
    dimension = next((c for c in dimensions if frame[c].drop_nulls().n_unique() > 1), dimensions[0])
    grouped = frame.drop_nulls(dimension).group_by(dimension).agg(pl.col(measure).sum())
    kind = frame.schema[dimension]
    if kind.is_temporal() or kind.is_numeric():
        grouped = grouped.sort(dimension)
    else:
        grouped = grouped.sort([measure, dimension], descending=[True, False]).head(CHART_BARS)
    caption = TEXTS[page.lang]["data.chart.caption"].format(measure=measure, dimension=dimension)
    return {
        "type": "line" if kind.is_temporal() else "bar",
        "lang": page.lang.value,
        "label": measure,
        "caption": caption,
        "labels": [_cell(value, fmt) for value in grouped[dimension]],
        "values": [value or 0 for value in grouped[measure].to_list()],
    }
