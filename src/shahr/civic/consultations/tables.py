"""The consultations' table: one row per published comparison, beside the proposal it is debated as.

The policies are kept as the TOML text that was published (not a preset's name), so a later change to
a preset or a file cannot change what residents were asked about; the figures as the JSON of
`shahr.lab.figures.Figures`. Rows are written once, at publication.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shahr.backoffice.tables import ID, UTCDateTime
from shahr.db.base import Base


class Consultation(Base):
    __tablename__ = "civic_consultations"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("civic_proposals.id"), unique=True)
    """The proposal residents support and comment on, and the city answers."""
    title: Mapped[str] = mapped_column(String(200))
    """As the proposal publishes it (cleaned and masked)."""
    policy_id: Mapped[str] = mapped_column(String(64))
    policy_name: Mapped[str] = mapped_column(String(200))
    policy_toml: Mapped[str] = mapped_column(Text)
    """The proposed fare policy, as published."""
    reference_id: Mapped[str] = mapped_column(String(64))
    reference_name: Mapped[str] = mapped_column(String(200))
    reference_toml: Mapped[str] = mapped_column(Text)
    """The policy the proposal is compared against (usually today's fare)."""
    figures: Mapped[str] = mapped_column(Text)
    """`Figures` as JSON (`model_dump_json`)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    """The publishing staff member's name."""
