"""The validators' deny list: published versions and, per version, the cards that changed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

Column types spelled out here, as in 0001, so this migration keeps creating the same schema whatever the
models become. `deny_list_versions.version` is set by the publisher, not generated: its primary key is
what stops two concurrent publishers writing the same version.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    op.create_table(
        "deny_list_versions",
        sa.Column("version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_deny_list_versions")),
    )
    op.create_table(
        "deny_list_entries",
        sa.Column("id", ID, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("card_id", sa.String(32), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "blocked",
                "lost",
                "replaced",
                "low_balance",
                name="deny_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["version"],
            ["deny_list_versions.version"],
            name=op.f("fk_deny_list_entries_version_deny_list_versions"),
        ),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_deny_list_entries_card_id_cards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deny_list_entries")),
        sa.UniqueConstraint("version", "card_id", name=op.f("uq_deny_list_entries_version")),
    )
    op.create_index(op.f("ix_deny_list_entries_card_id"), "deny_list_entries", ["card_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_deny_list_entries_card_id"), table_name="deny_list_entries")
    op.drop_table("deny_list_entries")
    op.drop_table("deny_list_versions")
