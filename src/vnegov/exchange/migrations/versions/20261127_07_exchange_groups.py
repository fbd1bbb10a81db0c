"""exchange: global and local groups of client subsystems, usable in access rights

Revision ID: 20261127_07_exchange
Revises: 20261127_06_exchange
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import UTCDateTime

revision = "20261127_07_exchange"
down_revision = "20261127_06_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_group",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("code", sa.String(255), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column(
            "owner_member_id",
            sa.Integer(),
            sa.ForeignKey("exchange_member.id", name="fk_exchange_group_owner_member_id_exchange_member"),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_exchange_group_code", "exchange_group", ["kind", "code"])
    op.create_table(
        "exchange_group_member",
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("exchange_group.id", name="fk_exchange_group_member_group_id_exchange_group"),
            primary_key=True,
        ),
        sa.Column(
            "subsystem_id",
            sa.Integer(),
            sa.ForeignKey(
                "exchange_subsystem.id", name="fk_exchange_group_member_subsystem_id_exchange_subsystem"
            ),
            primary_key=True,
        ),
        sa.Column("added_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("exchange_access_right") as batch:
        batch.alter_column("client_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_exchange_access_right_group_id_exchange_group", "exchange_group", ["group_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_access_right") as batch:
        batch.drop_constraint("fk_exchange_access_right_group_id_exchange_group", type_="foreignkey")
        batch.drop_column("group_id")
        batch.alter_column("client_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("exchange_group_member")
    op.drop_index("ix_exchange_group_code", "exchange_group")
    op.drop_table("exchange_group")
