"""exchange: registry of members, subsystems, services and access rights

Revision ID: 20261127_01_exchange
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import UTCDateTime

revision = "20261127_01_exchange"
down_revision = None
branch_labels = ("exchange",)
depends_on = ("20261127_01_kernel", "20261127_01_catalogs")


def upgrade() -> None:
    op.create_table(
        "exchange_member",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("instance", sa.String(255), nullable=False),
        sa.Column("member_class", sa.String(10), nullable=False),
        sa.Column("member_code", sa.String(255), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_member")),
        sa.UniqueConstraint("instance", "member_class", "member_code", name="uq_exchange_member_id"),
    )

    op.create_table(
        "exchange_subsystem",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("member_id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(255), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_subsystem")),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["exchange_member.id"],
            name=op.f("fk_exchange_subsystem_member_id_exchange_member"),
        ),
        sa.UniqueConstraint("member_id", "code", name="uq_exchange_subsystem_code"),
    )

    op.create_table(
        "exchange_service",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("subsystem_id", sa.Integer, nullable=False),
        sa.Column("service_code", sa.String(255), nullable=False),
        sa.Column("version", sa.String(255), nullable=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("upstream_url", sa.String(2000), nullable=False),
        sa.Column("openapi", sa.Text, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_service")),
        sa.ForeignKeyConstraint(
            ["subsystem_id"],
            ["exchange_subsystem.id"],
            name=op.f("fk_exchange_service_subsystem_id_exchange_subsystem"),
        ),
        sa.UniqueConstraint("subsystem_id", "service_code", "version", name="uq_exchange_service_code"),
    )

    op.create_table(
        "exchange_access_right",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("service_id", sa.Integer, nullable=False),
        sa.Column("client_id", sa.Integer, nullable=False),
        sa.Column("method", sa.String(10), nullable=True),
        sa.Column("path", sa.String(1000), nullable=True),
        sa.Column("granted_by", sa.String(200), nullable=False),
        sa.Column("granted_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_access_right")),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["exchange_service.id"],
            name=op.f("fk_exchange_access_right_service_id_exchange_service"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["exchange_subsystem.id"],
            name=op.f("fk_exchange_access_right_client_id_exchange_subsystem"),
        ),
    )
    op.create_index("ix_exchange_access_right_lookup", "exchange_access_right", ["service_id", "client_id"])
    op.create_index("ix_exchange_access_right_client", "exchange_access_right", ["client_id"])


def downgrade() -> None:
    op.drop_table("exchange_access_right")
    op.drop_table("exchange_service")
    op.drop_table("exchange_subsystem")
    op.drop_table("exchange_member")
