"""registries: population and enterprise registries, field grants, consents, access log, notifications

Revision ID: 20261201_01_registries
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import BigId, JSONType, UTCDateTime

revision = "20261201_01_registries"
down_revision = None
branch_labels = ("registries",)
depends_on = ("20261127_01_kernel", "20261127_01_catalogs")


def upgrade() -> None:
    op.create_table(
        "registries_change",
        sa.Column("id", BigId, nullable=False),
        sa.Column("database", sa.String(length=20), nullable=False),
        sa.Column("record_key", sa.String(length=13), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("agency_code", sa.String(length=40), nullable=False),
        sa.Column("before", JSONType, nullable=False),
        sa.Column("after", JSONType, nullable=False),
        sa.Column("changed_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registries_change")),
    )
    op.create_index(
        "ix_registries_change_record",
        "registries_change",
        ["database", "record_key", "version"],
        unique=False,
    )
    op.create_table(
        "registries_consent",
        sa.Column("id", BigId, nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("recipient", sa.String(length=1100), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("fields", JSONType, nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("given_at", UTCDateTime, nullable=False),
        sa.Column("recorded_by", sa.String(length=300), nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registries_consent")),
    )
    op.create_index(
        "ix_registries_consent_subject", "registries_consent", ["personal_id", "recipient"], unique=False
    )
    op.create_table(
        "registries_data_access",
        sa.Column("id", BigId, nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("accessed_at", UTCDateTime, nullable=False),
        sa.Column("client", sa.String(length=1100), nullable=False),
        sa.Column("agency_code", sa.String(length=255), nullable=False),
        sa.Column("official", sa.String(length=300), nullable=False),
        sa.Column("purpose", sa.String(length=1000), nullable=False),
        sa.Column("operation", sa.String(length=30), nullable=False),
        sa.Column("fields", JSONType, nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registries_data_access")),
    )
    op.create_index(
        "ix_registries_data_access_subject",
        "registries_data_access",
        ["personal_id", "accessed_at"],
        unique=False,
    )
    op.create_table(
        "registries_enterprise",
        sa.Column("id", BigId, nullable=False),
        sa.Column("code", sa.String(length=13), nullable=False),
        sa.Column("parent_code", sa.String(length=10), nullable=True),
        sa.Column("name_vi", sa.String(length=400), nullable=False),
        sa.Column("name_en", sa.String(length=400), nullable=False),
        sa.Column("short_name", sa.String(length=200), nullable=False),
        sa.Column("name_folded", sa.String(length=1000), nullable=False),
        sa.Column("enterprise_type", sa.String(length=10), nullable=False),
        sa.Column("head_office_commune", sa.String(length=10), nullable=False),
        sa.Column("head_office_address", sa.String(length=300), nullable=False),
        sa.Column("representative_personal_id", sa.String(length=12), nullable=True),
        sa.Column("charter_capital", sa.BigInteger(), nullable=False),
        sa.Column("business_lines", JSONType, nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_since", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registries_enterprise")),
        sa.UniqueConstraint("code", name=op.f("uq_registries_enterprise_code")),
    )
    op.create_index(
        op.f("ix_registries_enterprise_name_folded"), "registries_enterprise", ["name_folded"], unique=False
    )
    op.create_index(
        op.f("ix_registries_enterprise_parent_code"), "registries_enterprise", ["parent_code"], unique=False
    )
    op.create_index(
        op.f("ix_registries_enterprise_representative_personal_id"),
        "registries_enterprise",
        ["representative_personal_id"],
        unique=False,
    )
    op.create_table(
        "registries_field_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database", sa.String(length=20), nullable=False),
        sa.Column("client", sa.String(length=1100), nullable=False),
        sa.Column("fields", JSONType, nullable=False),
        sa.Column("legal_basis", sa.String(length=500), nullable=False),
        sa.Column("granted_by", sa.String(length=300), nullable=False),
        sa.Column("granted_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registries_field_grant")),
        sa.UniqueConstraint("database", "client", name=op.f("uq_registries_field_grant_database_client")),
    )
    op.create_table(
        "registries_household",
        sa.Column("id", BigId, nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("head_personal_id", sa.String(length=12), nullable=True),
        sa.Column("commune", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registries_household")),
        sa.UniqueConstraint("code", name=op.f("uq_registries_household_code")),
    )
    op.create_table(
        "registries_notification",
        sa.Column("id", BigId, nullable=False),
        sa.Column("database", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("record_key", sa.String(length=13), nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registries_notification")),
    )
    op.create_table(
        "registries_citizen",
        sa.Column("id", BigId, nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("family_name", sa.String(length=50), nullable=False),
        sa.Column("middle_name", sa.String(length=100), nullable=False),
        sa.Column("given_name", sa.String(length=50), nullable=False),
        sa.Column("name_folded", sa.String(length=200), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=False),
        sa.Column("birth_month", sa.SmallInteger(), nullable=True),
        sa.Column("birth_day", sa.SmallInteger(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("ethnicity", sa.String(length=4), nullable=False),
        sa.Column("religion", sa.String(length=4), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=False),
        sa.Column("birth_place_commune", sa.String(length=10), nullable=True),
        sa.Column("birth_place", sa.String(length=300), nullable=False),
        sa.Column("hometown_commune", sa.String(length=10), nullable=True),
        sa.Column("permanent_commune", sa.String(length=10), nullable=True),
        sa.Column("permanent_address", sa.String(length=300), nullable=False),
        sa.Column("current_commune", sa.String(length=10), nullable=True),
        sa.Column("current_address", sa.String(length=300), nullable=False),
        sa.Column("father_personal_id", sa.String(length=12), nullable=True),
        sa.Column("mother_personal_id", sa.String(length=12), nullable=True),
        sa.Column("spouse_personal_id", sa.String(length=12), nullable=True),
        sa.Column("household_id", BigId, nullable=True),
        sa.Column("household_relation", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["registries_household.id"],
            name=op.f("fk_registries_citizen_household_id_registries_household"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registries_citizen")),
        sa.UniqueConstraint("personal_id", name=op.f("uq_registries_citizen_personal_id")),
    )
    op.create_index(
        op.f("ix_registries_citizen_father_personal_id"),
        "registries_citizen",
        ["father_personal_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_registries_citizen_household_id"), "registries_citizen", ["household_id"], unique=False
    )
    op.create_index(
        op.f("ix_registries_citizen_mother_personal_id"),
        "registries_citizen",
        ["mother_personal_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_registries_citizen_name_folded"), "registries_citizen", ["name_folded"], unique=False
    )
    op.create_index(
        op.f("ix_registries_citizen_permanent_commune"),
        "registries_citizen",
        ["permanent_commune"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_registries_citizen_permanent_commune"), table_name="registries_citizen")
    op.drop_index(op.f("ix_registries_citizen_name_folded"), table_name="registries_citizen")
    op.drop_index(op.f("ix_registries_citizen_mother_personal_id"), table_name="registries_citizen")
    op.drop_index(op.f("ix_registries_citizen_household_id"), table_name="registries_citizen")
    op.drop_index(op.f("ix_registries_citizen_father_personal_id"), table_name="registries_citizen")
    op.drop_index(
        op.f("ix_registries_enterprise_representative_personal_id"), table_name="registries_enterprise"
    )
    op.drop_index(op.f("ix_registries_enterprise_parent_code"), table_name="registries_enterprise")
    op.drop_index(op.f("ix_registries_enterprise_name_folded"), table_name="registries_enterprise")
    op.drop_index("ix_registries_data_access_subject", table_name="registries_data_access")
    op.drop_index("ix_registries_consent_subject", table_name="registries_consent")
    op.drop_index("ix_registries_change_record", table_name="registries_change")
    op.drop_table("registries_citizen")
    op.drop_table("registries_notification")
    op.drop_table("registries_household")
    op.drop_table("registries_field_grant")
    op.drop_table("registries_enterprise")
    op.drop_table("registries_data_access")
    op.drop_table("registries_consent")
    op.drop_table("registries_change")
