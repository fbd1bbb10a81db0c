"""kernel: audit log, outbox, API keys

Revision ID: 20261127_01_kernel
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import BigId, JSONType, UTCDateTime

revision = "20261127_01_kernel"
down_revision = None
branch_labels = ("kernel",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kernel_audit_log",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("agency_code", sa.String(40), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("object_type", sa.String(100), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=False),
        sa.Column("before", JSONType, nullable=True),
        sa.Column("after", JSONType, nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernel_audit_log")),
    )
    op.create_index(op.f("ix_kernel_audit_log_at"), "kernel_audit_log", ["at"])
    op.create_index(op.f("ix_kernel_audit_log_action"), "kernel_audit_log", ["action"])
    op.create_index("ix_kernel_audit_log_object", "kernel_audit_log", ["object_type", "object_id"])

    op.create_table(
        "kernel_outbox",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("available_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernel_outbox")),
    )
    op.create_index(op.f("ix_kernel_outbox_topic"), "kernel_outbox", ["topic"])
    op.create_index("ix_kernel_outbox_pending", "kernel_outbox", ["delivered_at", "available_at"])

    op.create_table(
        "kernel_api_key",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("agency_code", sa.String(40), nullable=False),
        sa.Column("roles", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernel_api_key")),
        sa.UniqueConstraint("key_id", name=op.f("uq_kernel_api_key_key_id")),
    )
    op.create_index(op.f("ix_kernel_api_key_agency_code"), "kernel_api_key", ["agency_code"])


def downgrade() -> None:
    op.drop_table("kernel_api_key")
    op.drop_table("kernel_outbox")
    op.drop_table("kernel_audit_log")
