"""Phone verification as two pages: the phone number (a code is sent through the configured sender), then
the code. A verified person's token is kept in a cookie, and the browser goes back to what it was doing
(supporting or proposing)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shahr.civic import ratelimit, verification
from shahr.civic.settings import Action
from shahr.web.deps import SessionDep, SettingsDep
from shahr.web.pages.deps import SenderDep, now
from shahr.web.pages.rendering import PageDep
from shahr.web.pages.route import PageRoute
from shahr.web.pages.security import PERSON_COOKIE, safe_next, set_cookie
from shahr.web.routers.proposals import CivicDep

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/{lang:lang}/verify", response_class=HTMLResponse)
def phone_form(page: PageDep, next: str = "") -> Response:
    return page.render("verify_phone.html", {"next": safe_next(next, f"/{page.lang.value}/proposals")})


@router.post("/{lang:lang}/verify")
def send_code(
    request: Request,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    civic: CivicDep,
    sender: SenderDep,
    phone: Annotated[str, Form(max_length=32)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    """Counted per phone and per address first: every code is a text message the city pays for."""
    moment = now()
    ratelimit.consume(
        request.app.state.sessions,
        Action.VERIFICATION,
        person=verification.phone_hash(phone, civic, settings.secret_key),
        address=request.client.host if request.client else None,
        now=moment,
        settings=civic,
        secret=settings.secret_key,
    )
    challenge = verification.start_verification(
        session, phone, sender=sender, settings=civic, secret=settings.secret_key, now=moment
    )
    target = safe_next(next, f"/{page.lang.value}/proposals")
    query = urlencode({"next": target})
    return RedirectResponse(f"/{page.lang.value}/verify/{challenge.id}?{query}", status_code=303)


@router.get("/{lang:lang}/verify/{challenge_id}", response_class=HTMLResponse)
def code_form(challenge_id: str, page: PageDep, civic: CivicDep, next: str = "") -> Response:
    return page.render(
        "verify_code.html",
        {
            "challenge_id": challenge_id,
            "code_length": civic.code_length,
            "next": safe_next(next, f"/{page.lang.value}/proposals"),
            "wrong": None,
        },
    )


@router.post("/{lang:lang}/verify/{challenge_id}")
def check_code(
    challenge_id: str,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    civic: CivicDep,
    code: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """A wrong code is answered on the same form and stays counted (the session commits it)."""
    target = safe_next(next, f"/{page.lang.value}/proposals")
    outcome = verification.confirm_verification(
        session, challenge_id, code, settings=civic, secret=settings.secret_key, now=now()
    )
    if isinstance(outcome, verification.WrongCode):
        context = {
            "challenge_id": challenge_id,
            "code_length": civic.code_length,
            "next": target,
            "wrong": outcome.attempts_left,
        }
        return page.render("verify_code.html", context, status_code=422)
    response = RedirectResponse(target, status_code=303)
    lifetime = max(outcome.expires_at - now(), timedelta(seconds=1))
    set_cookie(response, PERSON_COOKIE, outcome.token, max_age=lifetime, same_site="lax")
    return response
