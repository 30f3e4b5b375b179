"""Indexes for the dashboard's reads of one service day: taps by service date and time, rated journeys
by service date.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26

The dashboard (`shahr.opendata.live`) counts a day's taps per minute and by stop, and sums its rated
journeys by operator, every few seconds; without these, each of its reads scans the whole table
(`ix_taps_card_day` and the journeys' unique key start with the card). The day's clearing and close read
the same rows by service date and use them too.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_taps_service_date", "taps", ["service_date", "tapped_at"])
    op.create_index("ix_rated_journeys_service_date", "rated_journeys", ["service_date"])


def downgrade() -> None:
    op.drop_index("ix_rated_journeys_service_date", table_name="rated_journeys")
    op.drop_index("ix_taps_service_date", table_name="taps")
