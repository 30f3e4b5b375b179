"""The pages' dependencies, defined once: who is signed in (staff by role, a verified person), the CSRF
check of a posted form, and the code sender of the JSON router (so a test overriding it changes the pages
too). The civic settings and districts are the JSON routers' dependencies for the same reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Form, Request

from shahr.backoffice.auth import NotAuthenticated, check_staff_token
from shahr.backoffice.auth_tables import StaffRole, StaffToken
from shahr.civic import verification
from shahr.web.deps import SessionDep, SettingsDep
from shahr.web.pages.security import (
    PERSON_COOKIE,
    STAFF_COOKIE,
    LoginRequired,
    check_csrf,
    csrf_token,
    staff_token_from_cookie,
)
from shahr.web.routers.proposals import code_sender

SenderDep = Annotated[verification.CodeSender, Depends(code_sender)]


def now() -> datetime:
    return datetime.now(UTC)


def _staff(*roles: StaffRole) -> Callable[..., StaffToken]:
    """A dependency admitting a signed-in staff member whose role is one of `roles`: the back office's
    check of the token in the cookie, so a revoked token signs out at once."""

    def staff(request: Request, session: SessionDep, settings: SettingsDep) -> StaffToken:
        token = staff_token_from_cookie(request.cookies.get(STAFF_COOKIE), settings.secret_key, now())
        try:
            return check_staff_token(session, token, roles)
        except NotAuthenticated as exc:
            raise LoginRequired(str(exc)) from exc

    return staff


def _staff_form(request: Request, settings: SettingsDep, csrf: Annotated[str, Form()] = "") -> None:
    check_csrf(request, STAFF_COOKIE, csrf, settings.secret_key)


def _person_form(request: Request, settings: SettingsDep, csrf: Annotated[str, Form()] = "") -> None:
    check_csrf(request, PERSON_COOKIE, csrf, settings.secret_key)


def _person(request: Request, session: SessionDep, settings: SettingsDep) -> verification.Person | None:
    """The verified person of the cookie, or None (not verified, or the token expired or was voided)."""
    token = request.cookies.get(PERSON_COOKIE)
    if not token:
        return None
    try:
        return verification.person_from_token(session, token, settings.secret_key, now())
    except verification.BadPersonToken:
        return None


def form_token(request: Request, cookie: str, secret: str) -> str:
    """The CSRF token a page writes into its forms for the cookie it acts with ("" without one)."""
    value = request.cookies.get(cookie)
    return csrf_token(value, secret) if value else ""


ReportReaderPage = Annotated[
    StaffToken, Depends(_staff(StaffRole.OPERATOR, StaffRole.FINANCE, StaffRole.OFFICE, StaffRole.ADMIN))
]
"""The same roles as the API's `ReportReaderDep`: every role but moderator (reporters' contacts show)."""
TriagePage = Annotated[StaffToken, Depends(_staff(StaffRole.OPERATOR, StaffRole.OFFICE, StaffRole.ADMIN))]
"""The same roles as the API's `TriageDep`."""
StaffForm = Depends(_staff_form)
"""On a staff POST: refuses (403) a form without the token of the staff cookie."""
PersonForm = Depends(_person_form)
PersonDep = Annotated[verification.Person | None, Depends(_person)]
