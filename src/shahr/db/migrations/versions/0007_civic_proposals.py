"""Civic proposals: verified persons and their codes, the hash-chained audit log and its head, rate-limit
counters, proposals with their supports, participants and comments, and moderation flags.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

Column types spelled out here, as in 0001, so this migration keeps creating the same schema whatever the
models become. `civic_audit_entries.seq` and `civic_audit_head.id` are set by the writer, not generated:
the entry's position is what stops two writers appending the same one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")
VISIBILITY = ("published", "pending", "removed")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "civic_persons",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("verified_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_persons")),
        sa.UniqueConstraint("phone_hash", name=op.f("uq_civic_persons_phone_hash")),
    )
    op.create_table(
        "civic_verification_challenges",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_verification_challenges")),
    )
    op.create_index(
        op.f("ix_civic_verification_challenges_phone_hash"), "civic_verification_challenges", ["phone_hash"]
    )
    op.create_table(
        "civic_audit_entries",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_civic_audit_entries")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_civic_audit_entries_prev_hash")),
        sa.UniqueConstraint("hash", name=op.f("uq_civic_audit_entries_hash")),
    )
    op.create_index(op.f("ix_civic_audit_entries_subject"), "civic_audit_entries", ["subject"])
    op.create_table(
        "civic_audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_audit_head")),
    )
    op.create_table(
        "civic_rate_counters",
        sa.Column("bucket", sa.String(64), nullable=False),
        sa.Column("window_start", UTC_TIME, nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window_start", name=op.f("pk_civic_rate_counters")),
    )
    op.create_index(op.f("ix_civic_rate_counters_window_start"), "civic_rate_counters", ["window_start"])
    op.create_table(
        "civic_proposals",
        sa.Column("id", ID, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("district_code", sa.String(32), nullable=True),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("author_id", sa.String(32), nullable=False),
        sa.Column(
            "status",
            _enum("proposal_status", "open", "debate", "awaiting_answer", "answered", "expired"),
            nullable=False,
        ),
        sa.Column("visibility", _enum("visibility", *VISIBILITY), nullable=False),
        sa.Column("support_count", sa.Integer(), nullable=False),
        sa.Column("participant_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("debate_opened_at", UTC_TIME, nullable=True),
        sa.Column("answer_due_at", UTC_TIME, nullable=True),
        sa.Column("answered_at", UTC_TIME, nullable=True),
        sa.Column("answer_office", sa.String(200), nullable=True),
        sa.Column("answer_text", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "support_count >= 0 AND participant_count >= support_count",
            name=op.f("ck_civic_proposals_counts"),
        ),
        _fk("civic_proposals", "author_id", "civic_persons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_proposals")),
    )
    op.create_index("ix_civic_proposals_status", "civic_proposals", ["status", "created_at"])
    op.create_index(op.f("ix_civic_proposals_district_code"), "civic_proposals", ["district_code"])
    op.create_index(op.f("ix_civic_proposals_author_id"), "civic_proposals", ["author_id"])
    op.create_table(
        "civic_proposal_supports",
        sa.Column("id", ID, nullable=False),
        sa.Column("proposal_id", ID, nullable=False),
        sa.Column("person_id", sa.String(32), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        _fk("civic_proposal_supports", "proposal_id", "civic_proposals"),
        _fk("civic_proposal_supports", "person_id", "civic_persons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_proposal_supports")),
        sa.UniqueConstraint("proposal_id", "person_id", name=op.f("uq_civic_proposal_supports_proposal_id")),
    )
    op.create_index(op.f("ix_civic_proposal_supports_person_id"), "civic_proposal_supports", ["person_id"])
    op.create_table(
        "civic_proposal_participants",
        sa.Column("proposal_id", ID, nullable=False),
        sa.Column("person_id", sa.String(32), nullable=False),
        sa.Column("since", UTC_TIME, nullable=False),
        _fk("civic_proposal_participants", "proposal_id", "civic_proposals"),
        _fk("civic_proposal_participants", "person_id", "civic_persons"),
        sa.PrimaryKeyConstraint("proposal_id", "person_id", name=op.f("pk_civic_proposal_participants")),
    )
    op.create_table(
        "civic_proposal_comments",
        sa.Column("id", ID, nullable=False),
        sa.Column("proposal_id", ID, nullable=False),
        sa.Column("author_id", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("visibility", _enum("visibility", *VISIBILITY), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        _fk("civic_proposal_comments", "proposal_id", "civic_proposals"),
        _fk("civic_proposal_comments", "author_id", "civic_persons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_proposal_comments")),
    )
    op.create_index(
        op.f("ix_civic_proposal_comments_proposal_id"), "civic_proposal_comments", ["proposal_id"]
    )
    op.create_table(
        "civic_moderation_flags",
        sa.Column("id", ID, nullable=False),
        sa.Column("target_kind", _enum("moderation_target", "proposal", "comment"), nullable=False),
        sa.Column("target_id", ID, nullable=False),
        sa.Column("source", _enum("flag_source", "screening", "user"), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("person_id", sa.String(32), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("resolved_at", UTC_TIME, nullable=True),
        sa.Column("resolved_by", sa.String(128), nullable=True),
        sa.Column("decision", _enum("moderation_decision", "approved", "removed"), nullable=True),
        _fk("civic_moderation_flags", "person_id", "civic_persons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_moderation_flags")),
        sa.UniqueConstraint(
            "target_kind", "target_id", "person_id", name=op.f("uq_civic_moderation_flags_target_kind")
        ),
    )
    op.create_index(
        "ix_civic_moderation_flags_open",
        "civic_moderation_flags",
        ["resolved_at", "target_kind", "target_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_civic_moderation_flags_open", table_name="civic_moderation_flags")
    op.drop_table("civic_moderation_flags")
    op.drop_index(op.f("ix_civic_proposal_comments_proposal_id"), table_name="civic_proposal_comments")
    op.drop_table("civic_proposal_comments")
    op.drop_table("civic_proposal_participants")
    op.drop_index(op.f("ix_civic_proposal_supports_person_id"), table_name="civic_proposal_supports")
    op.drop_table("civic_proposal_supports")
    op.drop_index(op.f("ix_civic_proposals_author_id"), table_name="civic_proposals")
    op.drop_index(op.f("ix_civic_proposals_district_code"), table_name="civic_proposals")
    op.drop_index("ix_civic_proposals_status", table_name="civic_proposals")
    op.drop_table("civic_proposals")
    op.drop_index(op.f("ix_civic_rate_counters_window_start"), table_name="civic_rate_counters")
    op.drop_table("civic_rate_counters")
    op.drop_table("civic_audit_head")
    op.drop_index(op.f("ix_civic_audit_entries_subject"), table_name="civic_audit_entries")
    op.drop_table("civic_audit_entries")
    op.drop_index(
        op.f("ix_civic_verification_challenges_phone_hash"), table_name="civic_verification_challenges"
    )
    op.drop_table("civic_verification_challenges")
    op.drop_table("civic_persons")
