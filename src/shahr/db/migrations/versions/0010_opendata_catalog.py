"""Open data catalog: datasets, releases, resources (with their bytes and download counters).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25

Column types spelled out here, as in 0001, so this migration keeps creating the same schema whatever the
models become.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    op.create_table(
        "opendata_datasets",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("title_fa", sa.String(200), nullable=False),
        sa.Column("notes_en", sa.Text(), nullable=False),
        sa.Column("notes_fa", sa.Text(), nullable=False),
        sa.Column("organization", sa.String(100), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("license_id", sa.String(64), nullable=False),
        sa.Column("grain", sa.String(200), nullable=False),
        sa.Column("privacy", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_datasets")),
        sa.UniqueConstraint("name", name=op.f("uq_opendata_datasets_name")),
    )
    op.create_table(
        "opendata_releases",
        sa.Column("id", ID, nullable=False),
        sa.Column("dataset_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("released_at", UTC_TIME, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("suppressed_cells", sa.BigInteger(), nullable=False),
        sa.Column("table_schema", sa.JSON(), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["opendata_datasets.id"],
            name=op.f("fk_opendata_releases_dataset_id_opendata_datasets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_releases")),
        sa.UniqueConstraint("dataset_id", "version", name=op.f("uq_opendata_releases_dataset_id")),
    )
    op.create_index(op.f("ix_opendata_releases_dataset_id"), "opendata_releases", ["dataset_id"])
    op.create_table(
        "opendata_resources",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("release_id", ID, nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("downloads", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["opendata_releases.id"],
            name=op.f("fk_opendata_resources_release_id_opendata_releases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_resources")),
        sa.UniqueConstraint("release_id", "format", name=op.f("uq_opendata_resources_release_id")),
    )
    op.create_index(op.f("ix_opendata_resources_release_id"), "opendata_resources", ["release_id"])


def downgrade() -> None:
    op.drop_table("opendata_resources")
    op.drop_table("opendata_releases")
    op.drop_table("opendata_datasets")
