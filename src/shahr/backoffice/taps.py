"""Tables of tap ingestion and rating: taps as received, the card-days rated from them, the rated
journeys (derived, replaced on each re-rating) and the service days closed.

A tap row is written once per (device_id, seq) and keeps the payload exactly as received, so nothing a
device was told "acknowledged" is ever lost, whatever its fate. `service_date` is set once the tap is
assigned to a card-day (well formed, card known): from then on the fare engine decides, at each
re-rating of that card-day, whether the tap is accepted or refused (quarantined with the anomaly's code).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, field_validator
from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shahr.backoffice.tables import ID, UTCDateTime, _enum
from shahr.db.base import Base
from shahr.fares.model import TapKind

SEQ_MAX = 2**63 - 1
"""A device's tap counter fits a 64-bit column."""
_NO_NUL = r"^[^\x00]*$"
"""PostgreSQL text cannot hold NUL: a tap carrying one is malformed, not a server error."""
_Id = Annotated[str, Field(min_length=1, max_length=64, pattern=_NO_NUL)]
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, tzinfo=UTC)
"""Taps outside these years are malformed: no validator clock is that wrong, and service dates and Jalali
dates must be computable for every tap kept."""


class TapIn(BaseModel):
    """A tap as a device sends it; a field that fails here quarantines the tap with the field named.
    Unknown extra fields are ignored, so a newer firmware's additions do not quarantine its taps."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    seq: StrictInt = Field(ge=0, le=SEQ_MAX)
    card_id: Annotated[str, Field(min_length=1, max_length=32, pattern=_NO_NUL)]
    kind: TapKind
    tapped_at: AwareDatetime
    stop_id: _Id
    route_id: _Id | None = None
    trip_id: Annotated[str, Field(min_length=1, max_length=128, pattern=_NO_NUL)] | None = None
    medium: Annotated[str, Field(min_length=1, max_length=16, pattern=_NO_NUL)] | None = None

    @field_validator("tapped_at")
    @classmethod
    def _sane_year(cls, value: datetime) -> datetime:
        if not EARLIEST <= value <= LATEST:
            raise ValueError(f"must be between {EARLIEST.date()} and {LATEST.date()}")
        return value


class TapStatus(StrEnum):
    ACCEPTED = "accepted"
    """Rated: part of its card-day's journeys."""
    QUARANTINED = "quarantined"
    """Kept aside with a reason (malformed, unknown card, refused by the engine); `replay_quarantine`
    looks at it again."""


MALFORMED = "malformed"
"""Reason code of a tap missing a field or carrying a bad value; the detail names the field."""
UNKNOWN_CARD = "unknown_card"
"""Reason code of a well-formed tap whose card the back office does not know (yet)."""
NO_TARIFF = "no_tariff"
"""Reason code of a tap on a service date before the fare policy's first version: nothing prices it."""


class TapRecord(Base):
    """One tap as a device sent it, stored once per (device_id, seq)."""

    __tablename__ = "taps"
    __table_args__ = (
        UniqueConstraint("device_id", "seq"),
        Index("ix_taps_card_day", "card_id", "service_date", "tapped_at"),
        Index("ix_taps_service_date", "service_date", "tapped_at"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    """The device's own counter; None only for a malformed tap without one (deduplicated by fingerprint)."""
    fingerprint: Mapped[str] = mapped_column(String(64))
    """sha256 of the canonical payload: tells a faithful re-send from a device reusing a seq."""
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    card_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(8))
    tapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stop_id: Mapped[str | None] = mapped_column(String(64))
    route_id: Mapped[str | None] = mapped_column(String(64))
    trip_id: Mapped[str | None] = mapped_column(String(128))
    medium: Mapped[str | None] = mapped_column(String(16))
    service_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[TapStatus] = mapped_column(_enum(TapStatus, "tap_status"), index=True)
    reason_code: Mapped[str | None] = mapped_column(String(32))
    reason_detail: Mapped[str | None] = mapped_column(Text)

    @property
    def label(self) -> str:
        """How a reason or a log line names the tap."""
        return tap_label(self.device_id, self.seq)


def tap_label(device_id: str, seq: int | None) -> str:
    """How a reason or a log line names a tap, from its row or from its columns read alone."""
    return f"device {device_id} seq {seq}"


class CardDay(Base):
    """A card's service day as last rated: the ledger holds its fare, this row what it was rated from."""

    __tablename__ = "card_days"

    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"), primary_key=True)
    service_date: Mapped[date] = mapped_column(Date, primary_key=True)
    charged_through: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Time of the newest accepted tap rated: a new tap before it arrived late."""
    fares_minor: Mapped[int] = mapped_column(BigInteger)
    """The engine's fares for the day, before caps and passes."""
    total_minor: Mapped[int] = mapped_column(BigInteger)
    """What the card pays for the day: the fares within its caps and passes (`fares.capping`)."""
    capped_by: Mapped[str | None] = mapped_column(String(200))
    """The cap or pass that limited the day's charge, when one did."""
    closed: Mapped[bool] = mapped_column(Boolean)
    """Rated with the end-of-day close (missing tap-offs settled)."""


class ServiceDay(Base):
    """A service day closed by `close_service_day`: taps arriving for it later are rated closed."""

    __tablename__ = "service_days"

    service_date: Mapped[date] = mapped_column(Date, primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RatedJourney(Base):
    """A journey of a card-day as last rated, for statements and clearing; replaced on each re-rating."""

    __tablename__ = "rated_journeys"
    __table_args__ = (
        UniqueConstraint("card_id", "service_date", "journey_seq"),
        Index("ix_rated_journeys_service_date", "service_date"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"))
    service_date: Mapped[date] = mapped_column(Date)
    journey_seq: Mapped[int] = mapped_column(BigInteger)
    fare_minor: Mapped[int] = mapped_column(BigInteger)
    operator_shares: Mapped[dict[str, int]] = mapped_column(JSON)
    charged_minor: Mapped[int] = mapped_column(BigInteger)
    """What the card paid for the journey: the fare, less what a cap or pass took off."""
    charged_shares: Mapped[dict[str, int]] = mapped_column(JSON)
    """`charged_minor` split between operators in the proportions of `operator_shares`: what clearing
    pays them."""
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    """`shahr.fares.explain.journey_data`: legs, fare and why."""
