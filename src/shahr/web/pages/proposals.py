"""The proposal pages: the list (with the answers that are overdue), a proposal with its supports against
the thresholds, its debate and the official answer, the form to propose, and the support and comment
buttons. Acting needs a verified phone (`verify`); without one the browser is sent there and back."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shahr.civic import ratelimit, verification
from shahr.civic.proposals import queries, workflow
from shahr.civic.proposals.errors import InvalidProposal
from shahr.civic.proposals.tables import IN_DEBATE, ProposalStatus, Visibility
from shahr.civic.settings import Action, CivicSettings
from shahr.settings import Settings
from shahr.web.deps import SessionDep, SettingsDep
from shahr.web.pages.deps import PersonDep, PersonForm, form_token, now
from shahr.web.pages.rendering import Page, PageDep
from shahr.web.pages.reports import district_names
from shahr.web.pages.route import PageRoute
from shahr.web.pages.security import PERSON_COOKIE
from shahr.web.routers.civic_staff import DistrictsDep
from shahr.web.routers.proposals import CivicDep

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_ROWS = 50


@router.get("/{lang:lang}/proposals", response_class=HTMLResponse)
def list_proposals(
    page: PageDep,
    session: SessionDep,
    civic: CivicDep,
    districts: DistrictsDep,
    status: str = "",
    category: str = "",
) -> Response:
    moment = now()
    found = queries.list_proposals(
        session,
        settings=civic,
        now=moment,
        status=_status(status),
        category=category or None,
        order="most_supported",
        limit=PAGE_ROWS,
    )
    return page.render(
        "proposals.html",
        {
            "proposals": found,
            "overdue": queries.list_overdue(session, settings=civic, now=moment),
            "civic": civic,
            "statuses": list(ProposalStatus),
            "filters": {"status": status, "category": category},
            "district_names": district_names(districts, page.lang),
        },
    )


@router.get("/{lang:lang}/proposals/new", response_class=HTMLResponse)
def new_proposal(
    request: Request,
    page: PageDep,
    person: PersonDep,
    settings: SettingsDep,
    civic: CivicDep,
    districts: DistrictsDep,
) -> Response:
    if person is None:
        return _verify_first(page, f"/{page.lang.value}/proposals/new")
    return page.render(
        "proposal_new.html",
        {
            "civic": civic,
            "districts": districts.districts,
            "district_names": district_names(districts, page.lang),
            "csrf": form_token(request, PERSON_COOKIE, settings.secret_key),
        },
    )


@router.post("/{lang:lang}/proposals", dependencies=[PersonForm])
def propose(
    request: Request,
    page: PageDep,
    session: SessionDep,
    person: PersonDep,
    settings: SettingsDep,
    civic: CivicDep,
    districts: DistrictsDep,
    title: Annotated[str, Form(max_length=400)] = "",
    body: Annotated[str, Form(max_length=8000)] = "",
    category: Annotated[str, Form(max_length=64)] = "",
    district: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    if person is None:
        return _verify_first(page, f"/{page.lang.value}/proposals/new")
    _count(request, Action.PROPOSAL, person, settings, civic)
    proposal = workflow.create_proposal(
        session,
        person,
        title=title,
        body=body,
        category=category,
        district_code=district or None,
        districts=districts,
        settings=civic,
        now=now(),
    )
    if proposal.visibility is not Visibility.PUBLISHED:
        return page.render("message.html", {"message_key": "prop.pending"}, status_code=202)
    return RedirectResponse(f"/{page.lang.value}/proposals/{proposal.id}", status_code=303)


@router.get("/{lang:lang}/proposals/{proposal_id}", response_class=HTMLResponse)
def proposal_page(
    proposal_id: int,
    request: Request,
    page: PageDep,
    session: SessionDep,
    person: PersonDep,
    settings: SettingsDep,
    civic: CivicDep,
    districts: DistrictsDep,
    done: str = "",
) -> Response:
    """`done` names what the browser just did (`supported`, `commented`, `pending`), for a line of
    thanks after the redirect."""
    view = queries.get_proposal(session, proposal_id, settings=civic, now=now())
    context: dict[str, Any] = {
        "proposal": view,
        "comments": queries.list_comments(session, proposal_id),
        "in_debate": view.status in IN_DEBATE,
        "accepting": view.status in (ProposalStatus.OPEN, *IN_DEBATE),
        "verified": person is not None,
        "csrf": form_token(request, PERSON_COOKIE, settings.secret_key),
        "done": done,
        "district_names": district_names(districts, page.lang),
    }
    return page.render("proposal.html", context)


@router.post("/{lang:lang}/proposals/{proposal_id}/support", dependencies=[PersonForm])
def support(
    proposal_id: int,
    request: Request,
    page: PageDep,
    session: SessionDep,
    person: PersonDep,
    settings: SettingsDep,
    civic: CivicDep,
) -> Response:
    here = f"/{page.lang.value}/proposals/{proposal_id}"
    if person is None:
        return _verify_first(page, here)
    _count(request, Action.SUPPORT, person, settings, civic)
    workflow.support(session, proposal_id, person, settings=civic, now=now())
    return RedirectResponse(f"{here}?done=supported", status_code=303)


@router.post("/{lang:lang}/proposals/{proposal_id}/comments", dependencies=[PersonForm])
def comment(
    proposal_id: int,
    request: Request,
    page: PageDep,
    session: SessionDep,
    person: PersonDep,
    settings: SettingsDep,
    civic: CivicDep,
    body: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    here = f"/{page.lang.value}/proposals/{proposal_id}"
    if person is None:
        return _verify_first(page, here)
    _count(request, Action.COMMENT, person, settings, civic)
    entry = workflow.comment(session, proposal_id, person, body, settings=civic, now=now())
    done = "commented" if entry.visibility is Visibility.PUBLISHED else "pending"
    return RedirectResponse(f"{here}?done={done}#comments", status_code=303)


def _status(value: str) -> ProposalStatus | None:
    if not value:
        return None
    try:
        return ProposalStatus(value)
    except ValueError:
        raise InvalidProposal(
            f"status {value!r} is not one of {', '.join(ProposalStatus)}", field="status"
        ) from None


def _verify_first(page: Page, back: str) -> RedirectResponse:
    return RedirectResponse(f"/{page.lang.value}/verify?{urlencode({'next': back})}", status_code=303)


def _count(
    request: Request, action: Action, person: verification.Person, settings: Settings, civic: CivicSettings
) -> None:
    """The same rate limits as the JSON API, per person and per address."""
    ratelimit.consume(
        request.app.state.sessions,
        action,
        person=person.id,
        address=request.client.host if request.client else None,
        now=now(),
        settings=civic,
        secret=settings.secret_key,
    )
