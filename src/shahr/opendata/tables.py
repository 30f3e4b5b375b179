"""The catalog's tables: datasets, their releases (the changelog) and each release's files.

A release's files are kept in the database, not on a disk beside one server: the web app stays stateless
over its database, and the files are aggregates (a few MB at most). A dataset's current release is its
highest version; older releases stay downloadable, as published. Rows are written once, at release,
except a file's download counter.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shahr.backoffice.tables import ID, UTCDateTime
from shahr.db.base import Base


class OpenDataset(Base):
    """A dataset as the catalog lists it (CKAN: a package)."""

    __tablename__ = "opendata_datasets"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    """CKAN's package name: lowercase letters, digits, - and _ (`boardings-by-stop-hour`)."""
    title_en: Mapped[str] = mapped_column(String(200))
    title_fa: Mapped[str] = mapped_column(String(200))
    notes_en: Mapped[str] = mapped_column(Text)
    notes_fa: Mapped[str] = mapped_column(Text)
    organization: Mapped[str] = mapped_column(String(100))
    """CKAN organization name (`mashhad-transit`, `mashhad-municipality`)."""
    tags: Mapped[list[str]] = mapped_column(JSON)
    license_id: Mapped[str] = mapped_column(String(64))
    """CKAN licence id (`cc-by-4.0` by default)."""
    grain: Mapped[str] = mapped_column(String(200))
    """What one row is (`stop x hour x service day`): no published value is finer."""
    privacy: Mapped[dict[str, Any]] = mapped_column(JSON)
    """How cells are protected: {"method": "suppression", "k": 10} or {"method": "dp", "epsilon": ...}."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OpenRelease(Base):
    """One published version of a dataset: a period's rows, why they changed, how they were made."""

    __tablename__ = "opendata_releases"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("opendata_datasets.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text)
    """The changelog entry."""
    rows: Mapped[int] = mapped_column(BigInteger)
    suppressed_cells: Mapped[int] = mapped_column(BigInteger)
    table_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The Frictionless Table Schema of the rows."""
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Source (settled day, database), software version, policy, privacy parameters used."""


class OpenResource(Base):
    """A file of a release (CKAN: a resource): CSV, JSON, Parquet or the datapackage.json."""

    __tablename__ = "opendata_resources"
    __table_args__ = (UniqueConstraint("release_id", "format"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    """A UUID, as CKAN resource ids are."""
    release_id: Mapped[int] = mapped_column(ForeignKey("opendata_releases.id"), index=True)
    format: Mapped[str] = mapped_column(String(16))
    """`CSV`, `JSON`, `Parquet` or `datapackage`."""
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    downloads: Mapped[int] = mapped_column(BigInteger, default=0)
