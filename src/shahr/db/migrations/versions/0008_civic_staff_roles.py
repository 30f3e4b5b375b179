"""Staff roles for the civic module: `office` (answers proposals, works the report triage) and
`moderator` (the proposals' moderation), allowed by the CHECK on `staff_tokens.role`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

The role column is a string with a CHECK listing the roles (no native enum type): the CHECK is replaced,
on SQLite by rebuilding the table (as 0004 does for the transaction kinds).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ROLES_BEFORE = ("operator", "finance", "admin")
ROLES_AFTER = (*ROLES_BEFORE, "office", "moderator")


def _role(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="staff_role", native_enum=False, create_constraint=True, length=32)


def _set_roles(values: tuple[str, ...], before: tuple[str, ...]) -> None:
    """Replace the CHECK constraint listing the staff roles (SQLite: by rebuilding the table)."""
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("staff_tokens", recreate="always") as batch:
            batch.alter_column(
                "role", existing_type=_role(before), type_=_role(values), existing_nullable=False
            )
        return
    op.drop_constraint(op.f("ck_staff_tokens_staff_role"), "staff_tokens", type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint("staff_role", "staff_tokens", f"role IN ({listed})")


def upgrade() -> None:
    _set_roles(ROLES_AFTER, ROLES_BEFORE)


def downgrade() -> None:
    held = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM staff_tokens WHERE role IN ('office', 'moderator')")
    )
    if held:
        raise RuntimeError(
            f"cannot downgrade below 0008: {held} staff tokens have the office or moderator role; "
            "revoke and delete them first"
        )
    _set_roles(ROLES_BEFORE, ROLES_AFTER)
