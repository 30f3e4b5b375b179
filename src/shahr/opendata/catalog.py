"""Publishing a dataset's rows as a release of the catalog: the dataset's row (created or brought up to
date with its spec), a new release numbered after the last with its changelog note, and its files, each
kept in the database with its size and sha256 (`opendata.tables`):

- CSV (UTF-8, a header row, empty for null), the file the Frictionless package describes;
- JSON, an array of records (null for null); Parquet, typed as the frame;
- `datapackage.json`: a Frictionless Data Package with the CSV as its one resource, by relative path, so
  the files downloaded side by side validate with `frictionless validate datapackage.json`.

Each file carries the same rows: the three formats are three spellings of one table.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shahr.opendata.datasets.spec import DatasetError, DatasetSpec
from shahr.opendata.tables import OpenDataset, OpenRelease, OpenResource

LICENSES: dict[str, dict[str, str]] = {
    "cc-by-4.0": {
        "name": "CC-BY-4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
        "title": "Creative Commons Attribution 4.0",
    },
}
"""CKAN licence id -> the Frictionless `licenses` entry (an SPDX name and the licence's URL)."""
PRIVACY_KEY = "shahr:privacy"
"""The package's custom property holding how the cells were protected (Frictionless allows extra keys)."""
_FIELD_TYPES: tuple[tuple[type[pl.DataType], str], ...] = (
    (pl.Boolean, "boolean"),
    (pl.Date, "date"),
    (pl.Datetime, "datetime"),
    (pl.String, "string"),
)


@dataclass(frozen=True)
class File:
    format: str
    filename: str
    media_type: str
    content: bytes


def publish(
    session: Session,
    spec: DatasetSpec,
    frame: pl.DataFrame,
    *,
    period_start: date,
    period_end: date,
    note: str,
    provenance: Mapping[str, Any],
    privacy_metadata: Mapping[str, Any],
    now: datetime,
) -> OpenRelease:
    """Publish `frame` (the spec's columns) as the dataset's next release. `provenance` must name its
    `source`; the privacy metadata goes into the dataset row, the release's provenance and the package.
    Flushed, not committed: the caller's transaction publishes every file or none."""
    if now.tzinfo is None:
        raise DatasetError(f"publish {spec.name}: `now` must be aware, got {now}")
    if period_end < period_start:
        raise DatasetError(
            f"publish {spec.name}: period ends ({period_end}) before it starts ({period_start})"
        )
    rows = spec.conform(frame)
    dataset = _dataset(session, spec, dict(privacy_metadata), now)
    version = 1 + (
        session.scalar(select(func.max(OpenRelease.version)).where(OpenRelease.dataset_id == dataset.id)) or 0
    )
    schema = table_schema(spec)
    release = OpenRelease(
        dataset_id=dataset.id,
        version=version,
        period_start=period_start,
        period_end=period_end,
        released_at=now,
        note=note,
        rows=len(rows),
        suppressed_cells=int(privacy_metadata.get("suppressed_cells", 0)),
        table_schema=schema,
        provenance={**provenance, "privacy": dict(privacy_metadata)},
    )
    session.add(release)
    session.flush()
    stem = f"{spec.name}-v{version}"
    csv = File("CSV", f"{stem}.csv", "text/csv", csv_bytes(rows))
    package = data_package(spec, release, csv, provenance, privacy_metadata)
    files = [
        csv,
        File("JSON", f"{stem}.json", "application/json", json_bytes(rows)),
        File("Parquet", f"{stem}.parquet", "application/vnd.apache.parquet", parquet_bytes(rows)),
        File("datapackage", "datapackage.json", "application/json", _json(package, indent=2)),
    ]
    session.add_all(
        OpenResource(
            id=str(uuid.uuid4()),
            release_id=release.id,
            format=f.format,
            filename=f.filename,
            media_type=f.media_type,
            content=f.content,
            size=len(f.content),
            sha256=hashlib.sha256(f.content).hexdigest(),
            created_at=now,
            downloads=0,
        )
        for f in files
    )
    session.flush()
    return release


def unchanged(
    session: Session, spec: DatasetSpec, frame: pl.DataFrame, period_start: date, period_end: date
) -> bool:
    """Whether the dataset's latest release covers the same period with the same rows: publishing it
    again would only add a changelog entry that changes nothing (a service day closed twice)."""
    latest = session.execute(
        select(OpenRelease, OpenResource.sha256)
        .join(OpenDataset, OpenRelease.dataset_id == OpenDataset.id)
        .join(OpenResource, (OpenResource.release_id == OpenRelease.id) & (OpenResource.format == "CSV"))
        .where(OpenDataset.name == spec.name)
        .order_by(OpenRelease.version.desc())
        .limit(1)
    ).first()
    if latest is None:
        return False
    release, sha256 = latest
    same_period = (release.period_start, release.period_end) == (period_start, period_end)
    return same_period and sha256 == hashlib.sha256(csv_bytes(spec.conform(frame))).hexdigest()


def table_schema(spec: DatasetSpec) -> dict[str, Any]:
    """The Frictionless Table Schema of the spec's columns; an empty cell is a null (blanked or absent)."""
    return {
        "fields": [
            {"name": c.name, "type": _field_type(c.dtype), "description": c.description} for c in spec.columns
        ],
        "missingValues": [""],
    }


def data_package(
    spec: DatasetSpec,
    release: OpenRelease,
    csv: File,
    provenance: Mapping[str, Any],
    privacy_metadata: Mapping[str, Any],
) -> dict[str, Any]:
    """The release's `datapackage.json`: the CSV with its schema, licence, sources and privacy."""
    if spec.license_id not in LICENSES:
        raise DatasetError(
            f"dataset {spec.name}: unknown licence {spec.license_id!r} (known: {sorted(LICENSES)})"
        )
    return {
        "name": spec.name,
        "title": spec.title_en,
        "description": spec.notes_en,
        "version": str(release.version),
        "created": release.released_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "keywords": list(spec.tags),
        "licenses": [LICENSES[spec.license_id]],
        "contributors": [{"title": spec.organization, "role": "publisher"}],
        "sources": [{"title": str(provenance["source"])}],
        "resources": [
            {
                "name": spec.name,
                "path": csv.filename,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": csv.media_type,
                "encoding": "utf-8",
                "bytes": len(csv.content),
                "hash": f"sha256:{hashlib.sha256(csv.content).hexdigest()}",
                "schema": release.table_schema,
            }
        ],
        "shahr:title_fa": spec.title_fa,
        "shahr:description_fa": spec.notes_fa,
        "shahr:grain": spec.grain,
        "shahr:period": {"start": release.period_start.isoformat(), "end": release.period_end.isoformat()},
        "shahr:changelog": release.note,
        "shahr:provenance": dict(provenance),
        PRIVACY_KEY: dict(privacy_metadata),
    }


def csv_bytes(frame: pl.DataFrame) -> bytes:
    return frame.write_csv(null_value="").encode("utf-8")


def json_bytes(frame: pl.DataFrame) -> bytes:
    return _json(frame.to_dicts())


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _dataset(session: Session, spec: DatasetSpec, privacy: dict[str, Any], now: datetime) -> OpenDataset:
    """The dataset's row, locked for the new version number; its description follows the spec."""
    dataset = session.scalars(
        select(OpenDataset).where(OpenDataset.name == spec.name).with_for_update()
    ).first()
    if dataset is None:
        dataset = OpenDataset(name=spec.name, created_at=now)
        session.add(dataset)
    dataset.title_en, dataset.title_fa = spec.title_en, spec.title_fa
    dataset.notes_en, dataset.notes_fa = spec.notes_en, spec.notes_fa
    dataset.organization, dataset.tags, dataset.license_id = (
        spec.organization,
        list(spec.tags),
        spec.license_id,
    )
    dataset.grain, dataset.privacy, dataset.updated_at = spec.grain, privacy, now
    session.flush()
    return dataset


def _field_type(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "number"
    for polars_type, name in _FIELD_TYPES:
        if isinstance(dtype, polars_type):
            return name
    raise DatasetError(f"no Frictionless field type for a {dtype} column")


def _json(value: Any, indent: int | None = None) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=indent, default=_iso, allow_nan=False).encode("utf-8")


def _iso(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
