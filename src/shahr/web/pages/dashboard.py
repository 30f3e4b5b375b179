"""The dashboard page (the Digital Mayor's Room), for a wall screen: the snapshot's figures written into
the page (so it reads without JavaScript) and carried as JSON for `static/dashboard.js`, which draws the
chart and the map and keeps everything current from `/dashboard/stream`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from shahr.web.deps import DistrictsDep
from shahr.web.pages.i18n import TEXTS
from shahr.web.pages.rendering import PageDep
from shahr.web.pages.route import PageRoute
from shahr.web.routers.dashboard import REFRESH_S, LiveDep

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CURRENCY = {"IRR": {"fa": "ریال", "en": "rials"}}


@router.get("/{lang:lang}/dashboard", response_class=HTMLResponse)
def dashboard_page(page: PageDep, live: LiveDep, districts: DistrictsDep) -> Response:
    current = live.current()
    lang = page.lang.value
    labels = {key: text for key, text in TEXTS[page.lang].items() if key.startswith("dash.")}
    data = {
        "lang": lang,
        "snapshot": current.model_dump(mode="json"),
        "labels": labels,
        "currency": CURRENCY.get(current.currency, {}).get(lang, current.currency),
        "stream": "/dashboard/stream",
        "refresh_ms": int(REFRESH_S * 1000),
    }
    context = {"s": current, "data": data, "bounds": list(districts.bounds()), "currency": data["currency"]}
    return page.render("dashboard.html", context)
