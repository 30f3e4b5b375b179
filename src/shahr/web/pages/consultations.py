"""The fare consultation pages: the list, a consultation with its headline figures, the lab's charts and
zone map, the full report, its proposal's counts (supporting and commenting happen on the proposal's own
page), and a card holder's own fares.

A card holder posts their card token in a form, never in a URL (where it would stay in the history, the
logs and a Referer); the answer is the same page with their last 30 service days priced under both
policies, not cached. Every attempt is counted (`rider_fares`, per card named and per address) before the
token is checked, so guessing tokens costs attempts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shahr.backoffice.auth import BadCardToken, card_from_token
from shahr.backoffice.statement import MODE_LABELS
from shahr.civic import ratelimit
from shahr.civic.consultations import queries, rider
from shahr.civic.settings import Action
from shahr.web.deps import CivicDep, FaresDep, SessionDep, SettingsDep
from shahr.web.pages.deps import now
from shahr.web.pages.formatting import Formatter
from shahr.web.pages.i18n import Lang
from shahr.web.pages.rendering import Page, PageDep
from shahr.web.pages.route import PageRoute
from shahr.web.schemas import RowIdPath

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_ROWS = 50
CURRENCY = {"IRR": {Lang.FA: "ریال", Lang.EN: "rials"}}


@router.get("/{lang:lang}/consultations", response_class=HTMLResponse)
def list_consultations(page: PageDep, session: SessionDep, civic: CivicDep) -> Response:
    found = queries.list_consultations(session, settings=civic, now=now(), limit=PAGE_ROWS)
    return page.render("consultations.html", {"consultations": found, "change": _change(page)})


@router.get("/{lang:lang}/consultations/{consultation_id}", response_class=HTMLResponse)
def consultation_page(
    consultation_id: RowIdPath, page: PageDep, session: SessionDep, civic: CivicDep
) -> Response:
    view = queries.get_consultation(session, consultation_id, settings=civic, now=now())
    return _render(page, view, None)


@router.post("/{lang:lang}/consultations/{consultation_id}/my-fares", response_class=HTMLResponse)
def my_fares(
    consultation_id: RowIdPath,
    request: Request,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    civic: CivicDep,
    fares: FaresDep,
    card_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The consultation page again, with the card's own figures (or the form with what was wrong)."""
    moment = now()
    view = queries.get_consultation(session, consultation_id, settings=civic, now=moment)
    token = card_token.strip()
    if not token:
        return _render(page, view, None, token_error="cons.token.missing", status_code=422)
    ratelimit.consume(
        request.app.state.sessions,
        Action.RIDER_FARES,
        person=token.partition(".")[0] or None,
        address=request.client.host if request.client else None,
        now=moment,
        settings=civic,
        secret=settings.secret_key,
    )
    try:
        card_id = card_from_token(token, settings.secret_key)
    except BadCardToken:
        return _render(page, view, None, token_error="cons.token.bad", status_code=401)
    policies = queries.get_policies(session, consultation_id)
    mine = rider.rider_fares(
        session,
        card_id,
        proposed=policies.proposed,
        reference=policies.reference,
        network=fares.network,
        today=fares.policy.service_date(moment),
    )
    response = _render(page, view, mine)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/{lang:lang}/consultations/{consultation_id}/my-fares")
def my_fares_again(consultation_id: RowIdPath, page: PageDep) -> RedirectResponse:
    """Where the other language's link leads from the page with a card's figures: the form, since the
    token was not kept (and must not be put in a URL)."""
    return RedirectResponse(f"/{page.lang.value}/consultations/{consultation_id}#my-fares", status_code=303)


@router.get("/{lang:lang}/consultations/{consultation_id}/report.html", response_class=HTMLResponse)
def full_report(consultation_id: RowIdPath, page: PageDep, session: SessionDep, civic: CivicDep) -> Response:
    """The policy lab's self-contained report of the published figures, under the report's own
    Content-Security-Policy (everything inlined, nothing fetched)."""
    from shahr.lab.report import CSP, render_report  # the lab's report: loaded when one is asked for

    view = queries.get_consultation(session, consultation_id, settings=civic, now=now())
    response = HTMLResponse(render_report(view.figures, page.lang.value))
    response.headers["Content-Security-Policy"] = f"{CSP}; base-uri 'none'; form-action 'none'"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _render(
    page: Page,
    view: queries.ConsultationView,
    mine: rider.RiderFares | None,
    *,
    token_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    figures = view.figures
    zone = ZoneInfo(page.request.app.state.settings.timezone)
    context: dict[str, Any] = {
        "c": view,
        "comparison_index": figures.comparisons.index(view.comparison),
        "figures_data": figures.model_dump(mode="json"),
        "mine": mine,
        "token_error": token_error,
        "modes": MODE_LABELS["fa" if page.lang is Lang.FA else "en"],
        "clock": lambda moment: moment.astimezone(zone).strftime("%H:%M"),
        "currency": CURRENCY.get(figures.currency, {}).get(page.lang, figures.currency),
        "change": _change(page),
    }
    return page.render("consultation.html", context, status_code=status_code)


def _change(page: Page) -> Callable[[int, int], str]:
    """`change(before, after)`: the change as a signed percentage in the page's digits."""
    fmt = Formatter(page.lang, page.request.app.state.settings.timezone)

    def change(before: int, after: int) -> str:
        if before == 0:
            return "—"
        percent = (after - before) / before * 100
        text = (
            ("+" if percent > 0 else "")
            + fmt.number(percent, 1)
            + ("\u066a" if page.lang is Lang.FA else "%")
        )
        return f"\u2066{text}\u2069" if page.lang is Lang.FA else text  # the sign stays before the digits

    return change
