"""The reports' settings, declared in one place with their defaults (environment prefix `SHAHR_REPORTS_`).

Deadlines per category are table rows (staff edit them); what is here applies to every category. The
districts file and the rate limits, which proposals read too, are `civic.settings.CivicSettings`'.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReportSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHAHR_REPORTS_", env_file=".env", extra="ignore")

    timezone: str = "Asia/Tehran"
    """Deadlines are wall-clock hours in this zone, and Open311 dates carry its offset (+03:30)."""
    city_bounds: tuple[float, float, float, float] = (59.40, 36.20, 59.72, 36.38)
    """(min_lon, min_lat, max_lon, max_lat): the first view of a map. Whether a point is in the city is
    decided by the districts, not by this box."""
    default_sla_hours: int = Field(72, ge=1)
    """The deadline of a category created without one."""
    description_max_chars: int = Field(4000, ge=1)
    """Open311's limit for `description` (GeoReport v2, POST Service Request); notes get the same."""
    photo_max_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    """The largest photo upload accepted, before re-encoding: a phone's full-size JPEG fits."""
    photo_max_side_px: int = Field(2048, ge=64)
    """Photos are stored re-encoded, their longer side at most this: enough to see a pothole."""
    photo_max_pixels: int = Field(50_000_000, ge=1)
    """Larger images are refused before decoding (a small file can decode to gigabytes)."""
    duplicate_radius_m: float = Field(50.0, gt=0)
    duplicate_days: int = Field(7, ge=1)
    """A report of the same category within `duplicate_radius_m` and `duplicate_days` of another is
    suggested to staff as its duplicate."""
    reopen_days: int = Field(30, ge=1)
    """How long after it is closed a reporter may reopen a report."""
    requests_default_days: int = Field(90, ge=1)
    requests_max_rows: int = Field(1000, ge=1)
    """Open311 GET requests: the default span and row limit ("a span of 90 days or first 1000 requests
    returned, whichever is smallest"); a span given by the client may not exceed the default span."""
    jurisdiction_contact: str = "Mashhad municipality, 137 call centre: https://www.mashhad.ir"
    """Open311 discovery's `contact` and `key_service` text."""

    @model_validator(mode="after")
    def _bounds_ordered(self) -> ReportSettings:
        min_lon, min_lat, max_lon, max_lat = self.city_bounds
        if not (min_lon < max_lon and min_lat < max_lat):
            raise ValueError(f"city_bounds {self.city_bounds} must be (min_lon, min_lat, max_lon, max_lat)")
        return self


@lru_cache(maxsize=1)
def get_report_settings() -> ReportSettings:
    return ReportSettings()
