"""The pages' settings (environment prefix `SHAHR_PAGES_`), declared in one place with their defaults."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHAHR_PAGES_", env_file=".env", extra="ignore")

    tile_url: str | None = None
    """A raster tile server's URL template (`https://tiles.example/{z}/{x}/{y}.png`) drawn under the
    city's own layers. None (the default): the maps draw districts, routes, stops and reports alone, so
    the pages work with no connection beyond this server."""
    tile_attribution: str = ""
    """The tile server's required credit line, shown on the map."""
    staff_session_hours: int = Field(12, ge=1, le=24 * 7)
    """How long a staff sign-in lasts (the cookie's lifetime); the token is also checked on every page,
    so revoking it ends the session at once."""

    def tile_origin(self) -> str | None:
        """The tile server's origin for the Content-Security-Policy (`{s}` subdomains as `*`)."""
        if not self.tile_url:
            return None
        parts = urlsplit(self.tile_url.replace("{s}", "*"))
        return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=1)
def get_page_settings() -> PageSettings:
    return PageSettings()
