"""The catalog as CKAN's Action API (v3) shows it, so that `ckanapi` and other CKAN clients read it unchanged:
the read actions, CKAN's package, resource and organization dicts built from the catalog's tables, and
the refusals in CKAN's error types. `search.py` is `package_search`; `web/routers/ckan.py` puts the
actions at `/api/3/action/` with CKAN's envelope.

    ShahrError
     └── CkanError            an action refused, answered as CKAN answers it (`__type`, HTTP status)
          ├── NotFound        "Not Found Error", 404: no dataset, resource or vocabulary of that id
          ├── ValidationError "Validation Error", 409: {field: [messages]}, a parameter of the wrong type
          ├── SearchQueryError "Search Query Error", 400: a parameter package_search does not take
          └── SearchError     "Search Error", 409: a query it cannot run (a field it does not know)

Ids: a dataset's is a UUID derived from its row id (CKAN ids are UUIDs and never change; names may),
a resource's is its own UUID. Times are CKAN's: naive UTC ISO 8601 with microseconds. `title` and
`notes` are the English ones; both languages are in `title_translated` and `notes_translated`
(ckanext-fluent's fields, which multilingual CKAN clients read).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast
from urllib.parse import quote

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, defer

from shahr import __version__
from shahr.errors import ShahrError
from shahr.opendata.tables import OpenDataset, OpenRelease, OpenResource


class CkanError(ShahrError):
    """An action refused; `ckan_type` and `status` are what CKAN answers, `details` its error fields."""

    ckan_type = "Bad Request"
    status = 400
    prefix = ""

    def __init__(self, message: str = "", details: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.details = dict(details or {})

    def error(self) -> dict[str, Any]:
        """The envelope's `error` object, as CKAN's API writes it."""
        if self.details:
            return {"__type": self.ckan_type, **self.details}
        text = str(self)
        message = f"{self.prefix}: {text}" if self.prefix and text else self.prefix or text
        return {"__type": self.ckan_type, "message": message}


class NotFound(CkanError):
    """Nothing of that id or name in the catalog."""

    ckan_type = "Not Found Error"
    status = 404
    prefix = "Not found"


class ValidationError(CkanError):
    """A parameter missing or of the wrong type: `details` maps each field to its messages."""

    ckan_type = "Validation Error"
    status = 409

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", {field: [message]})


class SearchQueryError(CkanError):
    """A package_search parameter CKAN does not take (a misspelt one, say `facet_field`)."""

    ckan_type = "Search Query Error"
    status = 400
    prefix = "Search Query is invalid"


class SearchError(CkanError):
    """A query that names a field the search does not know, or a clause it cannot read."""

    ckan_type = "Search Error"
    status = 409
    prefix = "Search error"


class Organization(NamedTuple):
    title_en: str
    title_fa: str


ORGANIZATIONS = {
    "mashhad-transit": Organization(
        "Mashhad Traffic and Transportation Organization", "سازمان حمل‌ونقل و ترافیک شهرداری مشهد"
    ),
    "mashhad-municipality": Organization("Municipality of Mashhad", "شهرداری مشهد"),
}
"""The publishing bodies datasets name (`OpenDataset.organization`); another name shows as itself."""


class License(NamedTuple):
    title: str
    url: str


LICENSES = {
    "cc-by-4.0": License("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "cc-by-sa-4.0": License(
        "Creative Commons Attribution Share-Alike 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"
    ),
    "cc-zero": License("Creative Commons CCZero", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "odc-by": License("Open Data Commons Attribution License", "https://opendatacommons.org/licenses/by/"),
    "odc-odbl": License(
        "Open Data Commons Open Database License (ODbL)", "https://opendatacommons.org/licenses/odbl/"
    ),
}
"""CKAN's licence ids (its default register, the 4.0 ones added) with their titles and URLs; all open."""

FORMAT_ORDER = {"CSV": 0, "JSON": 1, "Parquet": 2, "datapackage": 3}
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:shahr:opendata")
MAX_ID_LENGTH = 36
"""A longer resource id matches nothing (the column holds a UUID's 36 characters): refused unasked."""


@dataclass(frozen=True)
class Release:
    """A release with its files (their bytes not loaded: `resource_content` reads them)."""

    row: OpenRelease
    resources: tuple[OpenResource, ...]


@dataclass(frozen=True)
class Entry:
    """A dataset with its releases, newest first: what every view of the catalog is built from."""

    dataset: OpenDataset
    releases: tuple[Release, ...]

    @property
    def id(self) -> str:
        return str(uuid.uuid5(ID_NAMESPACE, f"dataset:{self.dataset.id}"))

    @property
    def current(self) -> Release | None:
        """The highest version: the one CKAN shows and the pages lead with."""
        return self.releases[0] if self.releases else None

    @property
    def created(self) -> datetime:
        return self.dataset.created_at

    @property
    def modified(self) -> datetime:
        """The last change of its metadata or its latest release."""
        current = self.current
        latest = current.row.released_at if current else self.dataset.updated_at
        return max(self.dataset.updated_at, latest)

    @property
    def formats(self) -> list[str]:
        current = self.current
        return [resource.format for resource in current.resources] if current else []

    @property
    def downloads(self) -> int:
        """Downloads of every file of every release."""
        return sum(resource.downloads for release in self.releases for resource in release.resources)


def load_entries(session: Session) -> list[Entry]:
    """The whole catalog, by name, in three queries; files' bytes are left in the database."""
    datasets = session.scalars(select(OpenDataset).order_by(OpenDataset.name)).all()
    releases = session.scalars(select(OpenRelease).order_by(OpenRelease.version.desc())).all()
    resources = session.scalars(select(OpenResource).options(defer(OpenResource.content))).all()
    files: dict[int, list[OpenResource]] = {}
    for resource in resources:
        files.setdefault(resource.release_id, []).append(resource)
    by_dataset: dict[int, list[Release]] = {}
    for release in releases:
        ordered = sorted(files.get(release.id, []), key=lambda r: (FORMAT_ORDER.get(r.format, 9), r.format))
        by_dataset.setdefault(release.dataset_id, []).append(Release(release, tuple(ordered)))
    return [Entry(dataset, tuple(by_dataset.get(dataset.id, []))) for dataset in datasets]


def find_entry(entries: Sequence[Entry], name_or_id: str) -> Entry | None:
    """The dataset of that name or id, as CKAN's package_show takes either."""
    return next((e for e in entries if name_or_id in (e.dataset.name, e.id)), None)


def find_resource(entries: Sequence[Entry], resource_id: str) -> tuple[Entry, Release, int] | None:
    """The dataset, release and position of the file of that id."""
    for entry in entries:
        for release in entry.releases:
            for position, resource in enumerate(release.resources):
                if resource.id == resource_id:
                    return entry, release, position
    return None


def resource_content(session: Session, resource_id: str) -> bytes:
    """A file's bytes, for a preview: not counted as a download."""
    content = session.scalar(select(OpenResource.content).where(OpenResource.id == resource_id))
    if content is None:
        raise NotFound("Resource was not found.")
    return content


def download(session: Session, resource_id: str) -> OpenResource:
    """The file to send, counted: one `UPDATE ... SET downloads = downloads + 1`, so concurrent downloads
    never lose a count (no read-modify-write). NotFound for an id the catalog does not have."""
    if not 0 < len(resource_id) <= MAX_ID_LENGTH or "\x00" in resource_id:
        raise NotFound("Resource was not found.")
    counted = session.execute(
        update(OpenResource)
        .where(OpenResource.id == resource_id)
        .values(downloads=OpenResource.downloads + 1)
        .execution_options(synchronize_session=False)
    )
    resource = session.get(OpenResource, resource_id) if cast(CursorResult[Any], counted).rowcount else None
    if resource is None:
        raise NotFound("Resource was not found.")
    return resource


def download_url(base_url: str, resource: OpenResource) -> str:
    return f"{base_url}/opendata/resources/{resource.id}/download/{quote(resource.filename)}"


def ckan_time(value: datetime) -> str:
    """CKAN's timestamps: UTC without an offset, to the microsecond."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def organization_title(name: str, lang: str = "en") -> str:
    known = ORGANIZATIONS.get(name)
    if known is None:
        return name
    return known.title_fa if lang == "fa" else known.title_en


def organization_dict(
    name: str, created: datetime | None = None, package_count: int | None = None
) -> dict[str, Any]:
    """CKAN's organization dict (`package_count` as organization_list's `all_fields` gives it)."""
    title = organization_title(name)
    shown: dict[str, Any] = {
        "id": str(uuid.uuid5(ID_NAMESPACE, f"organization:{name}")),
        "name": name,
        "title": title,
        "display_name": title,
        "title_translated": {"en": title, "fa": organization_title(name, "fa")},
        "description": "",
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "created": ckan_time(created) if created else None,
    }
    if package_count is not None:
        shown["package_count"] = package_count
    return shown


def resource_dict(
    entry: Entry, release: OpenRelease, resource: OpenResource, position: int, base_url: str
) -> dict[str, Any]:
    """CKAN's resource dict: `url` downloads the file (and counts it), `hash` is its sha256 (hex)."""
    period = f"{release.period_start.isoformat()} to {release.period_end.isoformat()}"
    return {
        "id": resource.id,
        "package_id": entry.id,
        "name": resource.filename,
        "description": f"{resource.format}, version {release.version} ({period}).",
        "format": resource.format,
        "mimetype": resource.media_type,
        "mimetype_inner": None,
        "url": download_url(base_url, resource),
        "url_type": None,
        "size": resource.size,
        "hash": resource.sha256,
        "created": ckan_time(resource.created_at),
        "last_modified": ckan_time(resource.created_at),
        "metadata_modified": ckan_time(resource.created_at),
        "position": position,
        "state": "active",
        "resource_type": None,
        "cache_url": None,
        "datastore_active": False,
        "downloads": resource.downloads,
    }


def package_dict(entry: Entry, base_url: str) -> dict[str, Any]:
    """CKAN's package dict of a dataset, with its current release's files as resources and the release's
    facts (grain, privacy, version, period, rows, suppressed cells) as extras, sorted by key."""
    dataset, current = entry.dataset, entry.current
    license_ = LICENSES.get(dataset.license_id)
    organization = organization_dict(dataset.organization)
    resources = (
        [
            resource_dict(entry, current.row, file, position, base_url)
            for position, file in enumerate(current.resources)
        ]
        if current
        else []
    )
    extras = {"grain": dataset.grain, "privacy": json.dumps(dataset.privacy, sort_keys=True)}
    if current:
        release = current.row
        extras |= {
            "version": str(release.version),
            "period": f"{release.period_start.isoformat()}/{release.period_end.isoformat()}",
            "rows": str(release.rows),
            "suppressed_cells": str(release.suppressed_cells),
        }
    return {
        "id": entry.id,
        "name": dataset.name,
        "title": dataset.title_en,
        "notes": dataset.notes_en,
        "title_translated": {"en": dataset.title_en, "fa": dataset.title_fa},
        "notes_translated": {"en": dataset.notes_en, "fa": dataset.notes_fa},
        "type": "dataset",
        "state": "active",
        "private": False,
        "isopen": license_ is not None,
        "license_id": dataset.license_id,
        "license_title": license_.title if license_ else dataset.license_id,
        "license_url": license_.url if license_ else "",
        "url": f"{base_url}/en/data/{quote(dataset.name)}",
        "version": str(current.row.version) if current else None,
        "author": None,
        "author_email": None,
        "maintainer": organization["title"],
        "maintainer_email": None,
        "creator_user_id": None,
        "owner_org": organization["id"],
        "organization": organization,
        "groups": [],
        "tags": [_tag(tag) for tag in dataset.tags],
        "extras": [{"key": key, "value": value} for key, value in sorted(extras.items())],
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "metadata_created": ckan_time(entry.created),
        "metadata_modified": ckan_time(entry.modified),
        "num_resources": len(resources),
        "num_tags": len(dataset.tags),
        "resources": resources,
    }


def _tag(name: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(ID_NAMESPACE, f"tag:{name}")),
        "name": name,
        "display_name": name,
        "state": "active",
        "vocabulary_id": None,
    }


# --- the actions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """What an action is called with: the request's session, the site's base URL (no trailing slash)
    for absolute links, and its parameters as CKAN reads them (a JSON object or the query string)."""

    session: Session
    base_url: str
    data: Mapping[str, Any]

    def text(self, key: str) -> str | None:
        """A string parameter (a number is taken as its digits), None when absent."""
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise ValidationError(key, "Must be a string")

    def required(self, key: str) -> str:
        value = self.text(key)
        if value is None or not value.strip():
            raise ValidationError(key, "Missing value")
        return value

    def natural(self, key: str, default: int) -> int:
        """A whole number >= 0, as CKAN's natural_number_validator takes it."""
        value = self.data.get(key)
        if value is None or value == "":
            return default
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str):
            with suppress(ValueError):
                number = int(value)
        if number is None:
            raise ValidationError(key, "Invalid integer")
        if number < 0:
            raise ValidationError(key, "Must be a natural number")
        return number

    def flag(self, key: str) -> bool:
        """A boolean as CKAN's asbool reads it: true/false, yes/no, on/off, 1/0."""
        value = self.data.get(key, False)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "yes", "on", "y", "t", "1"}:
            return True
        if text in {"false", "no", "off", "n", "f", "0", ""}:
            return False
        raise ValidationError(key, f"Not a boolean: {value!r}")


Action = Callable[[Call], Any]
"""A read action: its parameters in, its `result` out (or a `CkanError`)."""


def package_list(call: Call) -> list[str]:
    """The datasets' names, alphabetically; `limit` and `offset` page them."""
    names = [entry.dataset.name for entry in load_entries(call.session)]
    offset = call.natural("offset", 0)
    limit = call.natural("limit", len(names))
    return names[offset : offset + limit]


def package_show(call: Call) -> dict[str, Any]:
    """A dataset by name or id, with its current release's files."""
    name_or_id = call.required("id")
    entry = find_entry(load_entries(call.session), name_or_id)
    if entry is None:
        raise NotFound()
    return package_dict(entry, call.base_url)


def resource_show(call: Call) -> dict[str, Any]:
    """A file by id, of any release (older releases stay downloadable)."""
    resource_id = call.required("id")
    entries = load_entries(call.session)
    found = find_resource(entries, resource_id)
    if found is None:
        raise NotFound("Resource was not found.")
    entry, release, position = found
    return resource_dict(entry, release.row, release.resources[position], position, call.base_url)


ORGANIZATION_SORTS = {"name", "title", "package_count"}


def organization_list(call: Call) -> list[Any]:
    """The publishing organizations: names, or dicts with `all_fields`; `sort` is `name`, `title` or
    `package_count`, with `asc` or `desc` (default `title asc`, as CKAN's)."""
    entries = load_entries(call.session)
    counts: dict[str, int] = {}
    first: dict[str, datetime] = {}
    for entry in entries:
        name = entry.dataset.organization
        counts[name] = counts.get(name, 0) + 1
        first[name] = min(first.get(name, entry.created), entry.created)
    field, _, direction = (call.text("sort") or "title asc").strip().partition(" ")
    if field not in ORGANIZATION_SORTS or direction.strip() not in {"", "asc", "desc"}:
        raise ValidationError("sort", f"Cannot sort by {field!r}: name, title or package_count")
    keys: dict[str, Callable[[str], Any]] = {
        "name": lambda name: name,
        "title": organization_title,
        "package_count": lambda name: counts[name],
    }
    names = sorted(sorted(counts), key=keys[field], reverse=direction.strip() == "desc")
    offset = call.natural("offset", 0)
    names = names[offset : offset + call.natural("limit", len(names))]
    if call.flag("all_fields"):
        return [organization_dict(name, first[name], counts[name]) for name in names]
    return names


def tag_list(call: Call) -> list[Any]:
    """Every tag in use, alphabetically; `query` keeps those containing it; `all_fields` gives dicts.
    There are no vocabularies: any `vocabulary_id` is NotFound, as CKAN answers an unknown one."""
    vocabulary = call.text("vocabulary_id")
    if vocabulary:
        raise NotFound(f"Could not find vocabulary {vocabulary!r}")
    query = (call.text("query") or "").lower()
    tags = sorted({tag for entry in load_entries(call.session) for tag in entry.dataset.tags})
    tags = [tag for tag in tags if query in tag.lower()]
    return [_tag(tag) for tag in tags] if call.flag("all_fields") else tags


def status_show(call: Call) -> dict[str, Any]:
    """The site: which CKAN API it answers as (2.10's read side) and this software's version."""
    return {
        "site_title": "shahr: Mashhad open data",
        "site_description": "Ridership, revenue and citizens' reports of Mashhad, published safely.",
        "site_url": call.base_url,
        "ckan_version": "2.10.0",
        "shahr_version": __version__,
        "error_emails_to": None,
        "locale_default": "en",
        "extensions": [],
    }
