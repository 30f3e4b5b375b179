"""Who may call the service: field devices (validators, top-up machines) that sign their requests, and
staff tokens with a role. Card holders need no table: their token is an HMAC of the card id."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from shahr.backoffice.tables import ID, UTCDateTime
from shahr.db.base import Base


class DeviceStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class StaffRole(StrEnum):
    OPERATOR = "operator"
    """Counter staff: issue cards, top up, refund, block, replace."""
    FINANCE = "finance"
    """Corrections to balances (adjustments)."""
    ADMIN = "admin"
    """Everything, and registering devices."""
    OFFICE = "office"
    """A city office: answers proposals and works the report triage (migration 0008)."""
    MODERATOR = "moderator"
    """The proposals' moderation queue and decisions (migration 0008)."""


def _enum(cls: type[StrEnum], name: str) -> Enum:
    """A string column with a CHECK, as in the ledger's tables (no native type to migrate)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


class Device(Base):
    """A field device and the secret it signs requests with. The secret is stored as issued and never
    returned after registration."""

    __tablename__ = "devices"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator: Mapped[str] = mapped_column(String(64))
    """The agency_id of the operator the device belongs to."""
    secret: Mapped[str] = mapped_column(String(128))
    status: Mapped[DeviceStatus] = mapped_column(_enum(DeviceStatus, "device_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffToken(Base):
    """A staff member's bearer token, kept only as its sha256: a copy of the table grants nothing."""

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole, "staff_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
