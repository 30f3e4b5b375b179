"""The reports' tables: categories (Open311 services), reports, their history of events, photos, the
reporters' contact details and the Open311 API keys.

Contact details sit in their own table so that nothing public ever reads them: the public queries and the
Open311 answers are built from `Report` alone. Times are aware and stored in UTC (`UTCDateTime`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shahr.backoffice.tables import ID, UTCDateTime
from shahr.db.base import Base


class ReportStatus(StrEnum):
    FILED = "filed"
    """New, or reopened by its reporter: waiting for triage."""
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    """Closed without a fix; the public note says why (a duplicate names its original)."""


CLOSED = frozenset({ReportStatus.RESOLVED, ReportStatus.REJECTED})
"""The statuses Open311 calls `closed`; every other one is `open`."""


class EventKind(StrEnum):
    FILED = "filed"
    STATUS = "status"
    NOTE = "note"
    INTERNAL_NOTE = "internal_note"
    """Staff only: never in a public history or an Open311 answer."""
    ASSIGN = "assign"
    MERGE = "merge"
    REOPEN = "reopen"


def _enum(cls: type[StrEnum], name: str) -> Enum:
    """A string column with a CHECK, as in the back office's tables (no native type to migrate)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


class Category(Base):
    """A kind of problem (an Open311 service): who handles it and how long they have. Staff edit these
    rows; migration 0006 seeds the default set."""

    __tablename__ = "civic_categories"
    __table_args__ = (CheckConstraint("sla_hours > 0", name="sla_positive"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    service_code: Mapped[str] = mapped_column(String(64), unique=True)
    name_fa: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_fa: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    group: Mapped[str] = mapped_column(String(100))
    keywords: Mapped[str] = mapped_column(String(500))
    department: Mapped[str] = mapped_column(String(100))
    sla_hours: Mapped[int] = mapped_column(Integer)
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """Open311 service definition attributes: `{code, datatype, required, description, order,
    datatype_description, values: [{key, name}]}` (validated by `categories.Attribute`)."""
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """An Open311 client's key (an app, another city system), kept only as its sha256."""

    __tablename__ = "open311_api_keys"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Report(Base):
    """A problem a resident reported. `token_hash` is the sha256 of the reporter's private token (their
    link to follow it, reopen it, and Open311's `token`)."""

    __tablename__ = "civic_reports"
    __table_args__ = (Index(None, "category_id", "filed_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("civic_categories.id"))
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus, "report_status"), index=True)
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(500))
    address_id: Mapped[str | None] = mapped_column(String(128))
    district_code: Mapped[str | None] = mapped_column(String(32), index=True)
    department: Mapped[str] = mapped_column(String(100))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Answers to the category's attributes, by attribute code (a list for a multivaluelist)."""
    media_url: Mapped[str | None] = mapped_column(String(1000))
    """A photo's address sent by an Open311 client; a photo uploaded here is in `civic_report_photos`."""
    status_note: Mapped[str | None] = mapped_column(Text)
    """The latest public note: Open311's `status_notes`."""
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("civic_reports.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    """`web` or `open311`."""
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("open311_api_keys.id"))

    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    events: Mapped[list[ReportEvent]] = relationship(
        order_by="ReportEvent.id", foreign_keys="ReportEvent.report_id"
    )


class ReportContact(Base):
    """How to reach a report's reporter: staff only, never public."""

    __tablename__ = "civic_report_contacts"

    report_id: Mapped[int] = mapped_column(ForeignKey("civic_reports.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    device_id: Mapped[str | None] = mapped_column(String(128))
    account_id: Mapped[str | None] = mapped_column(String(128))


class ReportEvent(Base):
    """One step of a report's history, appended and never changed. `public` is false for internal notes
    only; `status` is the status after the step."""

    __tablename__ = "civic_report_events"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("civic_reports.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "report_event_kind"))
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus, "report_status"))
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(128))
    """A staff token's name, `reporter`, or `open311:<key name>`."""
    department: Mapped[str | None] = mapped_column(String(100))
    other_report_id: Mapped[int | None] = mapped_column(ForeignKey("civic_reports.id"))
    """For a merge: the report this one was merged into."""


class ReportPhoto(Base):
    """A photo as stored: re-encoded (no EXIF), in the database so it commits and is backed up with its
    report and any number of server processes can serve it (see `photos`)."""

    __tablename__ = "civic_report_photos"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("civic_reports.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
