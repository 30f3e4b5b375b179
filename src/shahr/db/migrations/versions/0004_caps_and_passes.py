"""Caps and passes: passes held by cards, the pass_sale transaction kind, card-days' fares before caps,
and what each rated journey was charged after them; an index on `transactions.reference`, by which
rating sums what a batch's card-days were charged.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

Rows rated before this migration had no caps: their fares are what was charged, so the new columns are
filled from the old ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")
KINDS_BEFORE = ("top_up", "refund", "adjustment", "fare", "clearing", "transfer")
KINDS_AFTER = (*KINDS_BEFORE, "pass_sale")


def _kind(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="transaction_kind", native_enum=False, create_constraint=True, length=32)


def _set_kinds(values: tuple[str, ...], before: tuple[str, ...]) -> None:
    """Replace the CHECK constraint listing the transaction kinds (SQLite: by rebuilding the table)."""
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("transactions", recreate="always") as batch:
            batch.alter_column(
                "kind", existing_type=_kind(before), type_=_kind(values), existing_nullable=False
            )
        return
    op.drop_constraint(op.f("ck_transactions_transaction_kind"), "transactions", type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint("transaction_kind", "transactions", f"kind IN ({listed})")


def upgrade() -> None:
    _set_kinds(KINDS_AFTER, KINDS_BEFORE)
    op.create_index(op.f("ix_transactions_reference"), "transactions", ["reference"])
    op.create_table(
        "card_passes",
        sa.Column("id", ID, nullable=False),
        sa.Column("card_id", sa.String(32), nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("payment", sa.String(16), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", ID, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_card_passes_card_id_cards")),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["transactions.id"], name=op.f("fk_card_passes_transaction_id_transactions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_passes")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_card_passes_transaction_id")),
    )
    op.create_index(op.f("ix_card_passes_card_id"), "card_passes", ["card_id"])
    with op.batch_alter_table("card_days") as batch:
        batch.add_column(sa.Column("fares_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("capped_by", sa.String(200), nullable=True))
    op.execute("UPDATE card_days SET fares_minor = total_minor")
    with op.batch_alter_table("card_days") as batch:
        batch.alter_column("fares_minor", existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table("rated_journeys") as batch:
        batch.add_column(sa.Column("charged_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("charged_shares", sa.JSON(), nullable=True))
    op.execute("UPDATE rated_journeys SET charged_minor = fare_minor, charged_shares = operator_shares")
    with op.batch_alter_table("rated_journeys") as batch:
        batch.alter_column("charged_minor", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("charged_shares", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    sold = op.get_bind().scalar(sa.text("SELECT count(*) FROM transactions WHERE kind = 'pass_sale'"))
    if sold:
        raise RuntimeError(f"cannot downgrade below 0004: {sold} pass sales are booked in the ledger")
    with op.batch_alter_table("rated_journeys") as batch:
        batch.drop_column("charged_shares")
        batch.drop_column("charged_minor")
    with op.batch_alter_table("card_days") as batch:
        batch.drop_column("capped_by")
        batch.drop_column("fares_minor")
    op.drop_index(op.f("ix_card_passes_card_id"), table_name="card_passes")
    op.drop_table("card_passes")
    op.drop_index(op.f("ix_transactions_reference"), table_name="transactions")
    _set_kinds(KINDS_BEFORE, KINDS_AFTER)
