"""Civic consultations: a fare comparison published as a proposal, with both policies' TOML text and the
figures.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

Column types spelled out here, as in 0001, so this migration keeps creating the same schema whatever the
models become. Going down drops the consultations; their proposals stay, as proposals.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    op.create_table(
        "civic_consultations",
        sa.Column("id", ID, nullable=False),
        sa.Column("proposal_id", ID, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("policy_name", sa.String(200), nullable=False),
        sa.Column("policy_toml", sa.Text(), nullable=False),
        sa.Column("reference_id", sa.String(64), nullable=False),
        sa.Column("reference_name", sa.String(200), nullable=False),
        sa.Column("reference_toml", sa.Text(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["civic_proposals.id"],
            name=op.f("fk_civic_consultations_proposal_id_civic_proposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_consultations")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_civic_consultations_proposal_id")),
    )


def downgrade() -> None:
    op.drop_table("civic_consultations")
