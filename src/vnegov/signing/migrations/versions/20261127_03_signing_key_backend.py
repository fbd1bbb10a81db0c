"""signing: service and seal keys may live on the HSM too (key_backend)

Revision ID: 20261127_03_signing
Revises: 20261127_02_signing
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261127_03_signing"
down_revision = "20261127_02_signing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("signing_service_key", "signing_seal"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("key_backend", sa.String(20), nullable=False, server_default="file"))


def downgrade() -> None:
    for table in ("signing_service_key", "signing_seal"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("key_backend")
