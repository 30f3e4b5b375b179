"""Taps: taps as received (once per device and seq), card-days rated from them, rated journeys, closed
service days.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Column types spelled out here, as in 0001, so this migration keeps creating the same schema whatever the
models become. `taps.card_id` has no foreign key on purpose: a tap of a card not yet registered is kept
in quarantine until the card exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    op.create_table(
        "taps",
        sa.Column("id", ID, nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.Column("card_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(8), nullable=True),
        sa.Column("tapped_at", UTC_TIME, nullable=True),
        sa.Column("stop_id", sa.String(64), nullable=True),
        sa.Column("route_id", sa.String(64), nullable=True),
        sa.Column("trip_id", sa.String(128), nullable=True),
        sa.Column("medium", sa.String(16), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "accepted",
                "quarantined",
                name="tap_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),  # fmt: skip
        sa.Column("reason_code", sa.String(32), nullable=True),
        sa.Column("reason_detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taps")),
        sa.UniqueConstraint("device_id", "seq", name=op.f("uq_taps_device_id")),
    )
    op.create_index("ix_taps_card_day", "taps", ["card_id", "service_date", "tapped_at"])
    op.create_index(op.f("ix_taps_status"), "taps", ["status"])
    op.create_table(
        "card_days",
        sa.Column("card_id", sa.String(32), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("charged_through", UTC_TIME, nullable=True),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_card_days_card_id_cards")),
        sa.PrimaryKeyConstraint("card_id", "service_date", name=op.f("pk_card_days")),
    )
    op.create_table(
        "service_days",
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("closed_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("service_date", name=op.f("pk_service_days")),
    )
    op.create_table(
        "rated_journeys",
        sa.Column("id", ID, nullable=False),
        sa.Column("card_id", sa.String(32), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("journey_seq", sa.BigInteger(), nullable=False),
        sa.Column("fare_minor", sa.BigInteger(), nullable=False),
        sa.Column("operator_shares", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_rated_journeys_card_id_cards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rated_journeys")),
        sa.UniqueConstraint("card_id", "service_date", "journey_seq", name=op.f("uq_rated_journeys_card_id")),
    )


def downgrade() -> None:
    op.drop_table("rated_journeys")
    op.drop_table("service_days")
    op.drop_table("card_days")
    op.drop_index(op.f("ix_taps_status"), table_name="taps")
    op.drop_index("ix_taps_card_day", table_name="taps")
    op.drop_table("taps")
