"""catalogs: catalogues, item versions, crosswalk, change feed

Revision ID: 20261127_01_catalogs
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import BigId, JSONType, UTCDateTime

revision = "20261127_01_catalogs"
down_revision = None
branch_labels = ("catalogs",)
depends_on = "20261127_01_kernel"


def upgrade() -> None:
    op.create_table(
        "catalogs_catalog",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name_vi", sa.String(300), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("owner_agency", sa.String(40), nullable=False),
        sa.Column("decision", sa.String(500), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("licence", sa.String(300), nullable=False),
        sa.Column("fields", JSONType, nullable=False),
        sa.Column("levels", JSONType, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogs_catalog")),
        sa.UniqueConstraint("code", name=op.f("uq_catalogs_catalog_code")),
    )
    op.create_index(op.f("ix_catalogs_catalog_owner_agency"), "catalogs_catalog", ["owner_agency"])

    op.create_table(
        "catalogs_item",
        sa.Column("id", BigId, nullable=False),
        sa.Column("catalog_id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name_vi", sa.String(500), nullable=False),
        sa.Column("name_en", sa.String(500), nullable=False),
        sa.Column("search_text", sa.String(1200), nullable=False),
        sa.Column("parent_code", sa.String(64), nullable=True),
        sa.Column("level", sa.String(40), nullable=True),
        sa.Column("attributes", JSONType, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=True),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogs_item")),
        sa.ForeignKeyConstraint(
            ["catalog_id"],
            ["catalogs_catalog.id"],
            ondelete="CASCADE",
            name=op.f("fk_catalogs_item_catalog_id_catalogs_catalog"),
        ),
        sa.UniqueConstraint("catalog_id", "code", "valid_from", name="uq_catalogs_item_version"),
    )
    op.create_index("ix_catalogs_item_code", "catalogs_item", ["catalog_id", "code"])
    op.create_index("ix_catalogs_item_parent", "catalogs_item", ["catalog_id", "parent_code"])
    op.create_index("ix_catalogs_item_level", "catalogs_item", ["catalog_id", "level", "valid_from"])

    op.create_table(
        "catalogs_crosswalk",
        sa.Column("id", BigId, nullable=False),
        sa.Column("catalog_id", sa.Integer, nullable=False),
        sa.Column("from_code", sa.String(64), nullable=False),
        sa.Column("to_code", sa.String(64), nullable=False),
        sa.Column("effective", sa.Date, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogs_crosswalk")),
        sa.ForeignKeyConstraint(
            ["catalog_id"],
            ["catalogs_catalog.id"],
            ondelete="CASCADE",
            name=op.f("fk_catalogs_crosswalk_catalog_id_catalogs_catalog"),
        ),
    )
    op.create_index("ix_catalogs_crosswalk_from", "catalogs_crosswalk", ["catalog_id", "from_code"])
    op.create_index("ix_catalogs_crosswalk_to", "catalogs_crosswalk", ["catalog_id", "to_code"])

    op.create_table(
        "catalogs_change",
        sa.Column("seq", BigId, nullable=False),
        sa.Column("catalog_id", sa.Integer, nullable=False),
        sa.Column("item_code", sa.String(64), nullable=True),
        sa.Column("change", sa.String(30), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_catalogs_change")),
        sa.ForeignKeyConstraint(
            ["catalog_id"],
            ["catalogs_catalog.id"],
            ondelete="CASCADE",
            name=op.f("fk_catalogs_change_catalog_id_catalogs_catalog"),
        ),
    )
    op.create_index("ix_catalogs_change_catalog", "catalogs_change", ["catalog_id", "seq"])


def downgrade() -> None:
    op.drop_table("catalogs_change")
    op.drop_table("catalogs_crosswalk")
    op.drop_table("catalogs_item")
    op.drop_table("catalogs_catalog")
