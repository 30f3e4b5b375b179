"""Civic problem reports: categories (Open311 services, seeded with a default set), reports, their
contacts, events and photos, and the Open311 API keys.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

Column types spelled out here, as in 0001, so this migration keeps creating the same schema whatever the
models become. The default categories are written here as data too: a new installation starts with them
on its first start (the app migrates when it starts), and staff edit the rows from then on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")
STATUSES = ("filed", "acknowledged", "in_progress", "resolved", "rejected")
EVENT_KINDS = ("filed", "status", "note", "internal_note", "assign", "merge", "reopen")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _choice(code: str, description: str, values: list[tuple[str, str]], order: int) -> dict[str, Any]:
    return {
        "code": code,
        "datatype": "singlevaluelist",
        "required": False,
        "description": description,
        "datatype_description": None,
        "order": order,
        "values": [{"key": key, "name": name} for key, name in values],
    }


def _text(code: str, description: str, order: int) -> dict[str, Any]:
    return {
        "code": code,
        "datatype": "string",
        "required": False,
        "description": description,
        "datatype_description": None,
        "order": order,
        "values": [],
    }


MODES = [("metro", "مترو / Metro"), ("bus", "اتوبوس / Bus"), ("brt", "بی‌آر‌تی / BRT")]

DEFAULT_CATEGORIES: list[tuple[str, str, str, str, str, int, list[dict[str, Any]]]] = [
    # service_code, name_fa, name_en, group, department, sla_hours, attributes
    (
        "road_damage",
        "خرابی آسفالت و معابر",
        "Road or pavement damage",
        "streets",
        "معاونت فنی و عمرانی",
        72,
        [_choice("size", "اندازه / Size", [("small", "کوچک / Small"), ("large", "بزرگ / Large")], 1)],
    ),
    (
        "street_lighting",
        "روشنایی معابر",
        "Street lighting",
        "streets",
        "معاونت فنی و عمرانی",
        48,
        [_text("pole_number", "شماره تیر چراغ / Pole number", 1)],
    ),
    ("waste_collection", "جمع‌آوری پسماند", "Waste collection", "cleanliness", "سازمان مدیریت پسماند", 24, []),
    (
        "bus_stop_vehicle",
        "ایستگاه یا ناوگان اتوبوس",
        "Bus stop or vehicle",
        "transport",
        "سازمان اتوبوسرانی",
        72,
        [_text("route", "شماره خط / Route", 1), _text("vehicle_number", "شماره اتوبوس / Vehicle", 2)],
    ),
    (
        "fare_card",
        "کرایه یا کارت بلیت",
        "Fare or card problem",
        "transport",
        "سازمان حمل‌ونقل و ترافیک",
        48,
        [_choice("mode", "وسیله / Mode", MODES, 1)],
    ),
    (
        "metro_station",
        "ایستگاه یا قطار مترو",
        "Metro station or train",
        "transport",
        "شرکت قطار شهری",
        48,
        [_text("station", "ایستگاه / Station", 1)],
    ),
    (
        "water_sewage",
        "آب و فاضلاب",
        "Water or sewage",
        "utilities",
        "شرکت آب و فاضلاب",
        24,
        [
            _choice(
                "kind",
                "نوع / Kind",
                [("leak", "نشت آب / Leak"), ("drain", "گرفتگی / Blocked drain"), ("cover", "دریچه / Cover")],
                1,
            )
        ],
    ),
    ("parks_trees", "پارک و فضای سبز", "Parks and trees", "environment", "سازمان پارک‌ها و فضای سبز", 120, []),
    (
        "traffic_signals",
        "چراغ راهنمایی",
        "Traffic signals",
        "transport",
        "سازمان حمل‌ونقل و ترافیک",
        24,
        [_choice("failure", "خرابی / Failure", [("dark", "خاموش / Dark"), ("stuck", "ثابت / Stuck")], 1)],
    ),
    (
        "signs_markings",
        "تابلو و خط‌کشی",
        "Signs and road markings",
        "streets",
        "سازمان حمل‌ونقل و ترافیک",
        120,
        [],
    ),
    ("other", "سایر", "Something else", "other", "سامانه ۱۳۷", 168, []),
]
"""Service levels follow Seoul's practice: what endangers people or blocks a street within a day,
the rest within two to five days, anything else within a week. ILLUSTRATIVE until the city sets them."""


def upgrade() -> None:
    categories = op.create_table(
        "civic_categories",
        sa.Column("id", ID, nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("name_fa", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("description_fa", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("group", sa.String(100), nullable=False),
        sa.Column("keywords", sa.String(500), nullable=False),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("sla_hours", sa.Integer(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.CheckConstraint("sla_hours > 0", name=op.f("ck_civic_categories_sla_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_categories")),
        sa.UniqueConstraint("service_code", name=op.f("uq_civic_categories_service_code")),
    )
    op.create_table(
        "open311_api_keys",
        sa.Column("id", ID, nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_api_keys_key_hash")),
    )
    op.create_table(
        "civic_reports",
        sa.Column("id", ID, nullable=False),
        sa.Column("category_id", ID, nullable=False),
        sa.Column("status", _enum("report_status", *STATUSES), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("address_id", sa.String(128), nullable=True),
        sa.Column("district_code", sa.String(32), nullable=True),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("media_url", sa.String(1000), nullable=True),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("filed_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("due_at", UTC_TIME, nullable=False),
        sa.Column("closed_at", UTC_TIME, nullable=True),
        sa.Column("duplicate_of_id", ID, nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("api_key_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["civic_categories.id"],
            name=op.f("fk_civic_reports_category_id_civic_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["civic_reports.id"],
            name=op.f("fk_civic_reports_duplicate_of_id_civic_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["open311_api_keys.id"], name=op.f("fk_civic_reports_api_key_id_open311_api_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_reports")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_civic_reports_token_hash")),
    )
    op.create_index(op.f("ix_civic_reports_category_id"), "civic_reports", ["category_id", "filed_at"])
    op.create_index(op.f("ix_civic_reports_status"), "civic_reports", ["status"])
    op.create_index(op.f("ix_civic_reports_district_code"), "civic_reports", ["district_code"])
    op.create_index(op.f("ix_civic_reports_filed_at"), "civic_reports", ["filed_at"])
    op.create_table(
        "civic_report_contacts",
        sa.Column("report_id", ID, nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("first_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=True),
        sa.Column("device_id", sa.String(128), nullable=True),
        sa.Column("account_id", sa.String(128), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["civic_reports.id"], name=op.f("fk_civic_report_contacts_report_id_civic_reports")
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_civic_report_contacts")),
    )
    op.create_table(
        "civic_report_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("report_id", ID, nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("kind", _enum("report_event_kind", *EVENT_KINDS), nullable=False),
        sa.Column("status", _enum("report_status", *STATUSES), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("department", sa.String(100), nullable=True),
        sa.Column("other_report_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["civic_reports.id"], name=op.f("fk_civic_report_events_report_id_civic_reports")
        ),
        sa.ForeignKeyConstraint(
            ["other_report_id"],
            ["civic_reports.id"],
            name=op.f("fk_civic_report_events_other_report_id_civic_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_report_events")),
    )
    op.create_index(op.f("ix_civic_report_events_report_id"), "civic_report_events", ["report_id"])
    op.create_table(
        "civic_report_photos",
        sa.Column("id", ID, nullable=False),
        sa.Column("report_id", ID, nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["civic_reports.id"], name=op.f("fk_civic_report_photos_report_id_civic_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_report_photos")),
    )
    op.create_index(op.f("ix_civic_report_photos_report_id"), "civic_report_photos", ["report_id"])
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        stamp: Any = now.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    else:
        stamp = now
    op.bulk_insert(
        categories,
        [
            {
                "service_code": code,
                "name_fa": name_fa,
                "name_en": name_en,
                "description_fa": "",
                "description_en": "",
                "group": group,
                "keywords": code.replace("_", ","),
                "department": department,
                "sla_hours": sla_hours,
                "attributes": attributes,
                "active": True,
                "created_at": stamp,
                "updated_at": stamp,
            }
            for code, name_fa, name_en, group, department, sla_hours, attributes in DEFAULT_CATEGORIES
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_civic_report_photos_report_id"), table_name="civic_report_photos")
    op.drop_table("civic_report_photos")
    op.drop_index(op.f("ix_civic_report_events_report_id"), table_name="civic_report_events")
    op.drop_table("civic_report_events")
    op.drop_table("civic_report_contacts")
    op.drop_index(op.f("ix_civic_reports_filed_at"), table_name="civic_reports")
    op.drop_index(op.f("ix_civic_reports_district_code"), table_name="civic_reports")
    op.drop_index(op.f("ix_civic_reports_status"), table_name="civic_reports")
    op.drop_index(op.f("ix_civic_reports_category_id"), table_name="civic_reports")
    op.drop_table("civic_reports")
    op.drop_table("open311_api_keys")
    op.drop_table("civic_categories")
