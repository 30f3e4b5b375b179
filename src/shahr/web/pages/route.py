"""Refusals answered as pages: a domain error becomes an error page in the page's language with the
error's HTTP status (the same status the JSON API gives it), and a staff page without a sign-in sends
the browser to the sign-in form."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from shahr.civic.geo import GeoError
from shahr.civic.reports.errors import ReportError
from shahr.errors import ShahrError
from shahr.web.errors import STATUS
from shahr.web.pages.i18n import Lang
from shahr.web.pages.rendering import Page
from shahr.web.pages.security import BadCsrfToken, LoginRequired
from shahr.web.pages.settings import get_page_settings
from shahr.web.routers.proposals import CIVIC_STATUS

_STATUS: dict[type[ShahrError], int] = {
    **{cls: status for cls, (status, _) in STATUS.items()},
    **{cls: status for cls, (status, _) in CIVIC_STATUS.items()},
    GeoError: 400,
    BadCsrfToken: 403,
}


def status_of(exc: ShahrError) -> int:
    """The HTTP status the API answers this error with (400 for one it does not list)."""
    if isinstance(exc, ReportError):
        return exc.status
    return next((_STATUS[cls] for cls in type(exc).__mro__ if cls in _STATUS), 400)


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                lang = _lang(request)
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"/{lang.value}/staff/login?next={target}", status_code=303)
            except ShahrError as exc:
                return error_page(request, str(exc), status_of(exc))
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
                where = ".".join(str(part) for part in first["loc"])
                return error_page(request, f"{where}: {first['msg']}", 400)

        return page_handler


def error_page(request: Request, message: str, status_code: int) -> Response:
    page = Page(request, _lang(request), get_page_settings())
    return page.render("error.html", {"message": message}, status_code=status_code)


def _lang(request: Request) -> Lang:
    return Lang(request.path_params.get("lang", Lang.FA.value))
