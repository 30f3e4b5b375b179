"""The shapes reports are shown in: public (anyone: masked text, no contact, no internal notes) and staff
(everything). Pages and the JSON API render these; nothing public is built from a table row directly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shahr.civic.reports.tables import EventKind, ReportStatus


class EventPublic(BaseModel):
    at: datetime
    kind: EventKind
    status: ReportStatus
    note: str | None
    """Masked (`text.mask_personal_data`)."""
    department: str | None
    other_report_id: int | None


class ReportPublic(BaseModel):
    id: int
    service_code: str
    category_fa: str
    category_en: str
    status: ReportStatus
    description: str
    """Masked; HTML in it is text (escape it when rendering)."""
    lat: float | None
    lon: float | None
    address: str | None
    address_id: str | None
    district_code: str | None
    department: str
    status_note: str | None
    attributes: dict[str, Any]
    filed_at: datetime
    updated_at: datetime
    due_at: datetime
    closed_at: datetime | None
    overdue: bool
    duplicate_of_id: int | None
    photo_ids: list[int]
    media_url: str | None
    """A photo's address given by an Open311 client (photos uploaded here are `photo_ids`)."""
    history: list[EventPublic]
    """Public events, oldest first (empty in lists)."""


class ContactView(BaseModel):
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    device_id: str | None
    account_id: str | None


class EventStaff(EventPublic):
    public: bool
    actor: str


class ReportStaff(BaseModel):
    """A report as staff see it: the text unmasked, the contact, internal notes and who did what."""

    report: ReportPublic
    description_as_filed: str
    source: str
    contact: ContactView | None
    events: list[EventStaff]
