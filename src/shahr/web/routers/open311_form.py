"""Reading an Open311 POST form (form-encoded or multipart, as GeoReport v2 says) and its query values:
fields, coordinates, attribute answers, dates; what is wrong becomes the spec's error (`Open311Error`)."""

from __future__ import annotations

import math
import re
from datetime import datetime

from starlette.datastructures import FormData

from shahr.civic.reports.errors import InvalidReport
from shahr.civic.reports.tables import CLOSED, ReportStatus
from shahr.civic.text import clean_text

STATUSES = {"open": [s for s in ReportStatus if s not in CLOSED], "closed": sorted(CLOSED)}
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
CONTACT_FIELDS = ("email", "phone", "first_name", "last_name", "device_id", "account_id")
REPORTER_FIELDS = ("account_id", "device_id", "email", "phone")


class Open311Error(Exception):
    """An answer in the spec's error list: `status` is the HTTP status and the body's `code`."""

    def __init__(self, status: int, description: str) -> None:
        self.status = status
        super().__init__(description)


def refuse_nul(form: FormData) -> None:
    """A NUL (0x00) in any field is refused: PostgreSQL cannot store it (`schemas.NO_NUL`)."""
    for key, value in form.multi_items():
        if "\x00" in key or (isinstance(value, str) and "\x00" in value):
            raise Open311Error(400, f"{key.replace(chr(0), '')!r} contains a NUL character (0x00)")


def reporter(key_id: int, form: FormData) -> str | None:
    """The reporter as the client names them (account_id, else device_id, email or phone), under the
    client's key: who the per-person rate limit counts. None: the address alone is counted."""
    for name in REPORTER_FIELDS:
        value = field(form, name)
        if value is not None:
            return f"open311:{key_id}:{name}:{value.strip()}"
    return None


def field(form: FormData, name: str) -> str | None:
    """A text field, None when absent or empty ("Optional" arguments: empty is the same as absent)."""
    value = form.get(name)
    if isinstance(value, str) and value.strip():
        return value
    return None


def coordinate(form: FormData, name: str, limit: float) -> float | None:
    text = field(form, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Open311Error(400, f"{name} {text!r} is not a number") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise Open311Error(
            400, f"{name} {text!r} is not a WGS84 {'latitude' if limit == 90 else 'longitude'}"
        )
    return value


def answers(form: FormData) -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        match = ATTRIBUTE.match(key)
        if match and isinstance(value, str):
            answers.setdefault(match.group(1), []).append(value)
    return answers


def media_url(value: str | None) -> str | None:
    if value is None:
        return None
    url = clean_text(value)
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", url) or len(url) > 1000:
        raise InvalidReport(f"media_url {url[:100]!r} is not an http(s) URL of at most 1,000 characters")
    return url


def comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def statuses(value: str) -> list[ReportStatus]:
    wanted = comma_list(value)
    unknown = [part for part in wanted if part not in STATUSES]
    if unknown:
        raise Open311Error(400, f"status {unknown[0]!r} is not open or closed")
    return [status for part in wanted for status in STATUSES[part]]


def date(value: str | None, name: str) -> datetime | None:
    """A w3 date-time with its zone (2010-01-01T00:00:00Z); a date or time without a zone is refused."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise Open311Error(
            400, f"{name} {value!r} is not a w3 date-time, e.g. 2010-01-01T00:00:00Z"
        ) from None
    if parsed.utcoffset() is None:
        raise Open311Error(400, f"{name} {value!r} has no time zone (Z or +HH:MM)")
    return parsed
