"""identity: first-party clients (the platform's own pages) are not asked for consent

Revision ID: 20261201_02_identity
Revises: 20261201_01_identity
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_02_identity"
down_revision = "20261201_01_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identity_client") as batch:
        batch.add_column(sa.Column("first_party", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("identity_client") as batch:
        batch.drop_column("first_party")
