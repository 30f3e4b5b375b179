"""Turning a template and its values into a page: the language's texts, dates and direction, the link to
the same page in the other language, and the headers that keep a page to this server's own files.

Templates are Jinja2 with autoescaping on: residents' text (descriptions, notes, proposals) is shown as
text, never as markup. The templates and static files are package data, served from the installed
package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from shahr.web.pages.formatting import Formatter
from shahr.web.pages.i18n import DIRECTION, TEXTS, Lang, other
from shahr.web.pages.settings import PageSettings, get_page_settings

WEB_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined)
)


def static_files() -> StaticFiles:
    """The pages' CSS, scripts and vendored libraries, for `app.mount("/static", ...)`."""
    return StaticFiles(directory=STATIC_DIR)


@dataclass(frozen=True)
class Page:
    """What a handler renders with: the request, its language and the pages' settings."""

    request: Request
    lang: Lang
    settings: PageSettings

    def render(self, name: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
        """The template `name` with `context` and what every page needs: `t` (the language's texts),
        `fmt` (dates and numbers), `lang`, `dir`, `switch_url` and the map settings."""
        values = {
            "lang": self.lang.value,
            "dir": DIRECTION[self.lang],
            "t": TEXTS[self.lang],
            "fmt": Formatter(self.lang, self.request.app.state.settings.timezone),
            "switch_url": switch_url(self.request, self.lang),
            "other_lang": other(self.lang).value,
            "tile_url": self.settings.tile_url or "",
            "tile_attribution": self.settings.tile_attribution,
            **context,
        }
        response = templates.TemplateResponse(self.request, name, values, status_code=status_code)
        add_security_headers(response, self.settings)
        return response


def page(request: Request, lang: Lang, settings: Annotated[PageSettings, Depends(get_page_settings)]) -> Page:
    return Page(request, lang, settings)


PageDep = Annotated[Page, Depends(page)]
"""The page being answered: `lang` is the path's first segment (`/{lang:lang}/...`)."""


def switch_url(request: Request, lang: Lang) -> str:
    """This page in the other language: the same path and query under the other prefix."""
    rest = request.url.path[len(lang.value) + 1 :]
    query = f"?{request.url.query}" if request.url.query else ""
    return f"/{other(lang).value}{rest}{query}"


def add_security_headers(response: HTMLResponse, pages: PageSettings) -> None:
    """Scripts, styles, images and form targets from this server only (and the tile server's images, when
    one is set): a page can neither load nor post anything elsewhere."""
    images = " ".join(filter(None, ["'self'", "data:", pages.tile_origin()]))
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; img-src {images}; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
