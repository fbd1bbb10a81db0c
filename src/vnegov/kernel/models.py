"""The kernel's own tables: audit log, outbox, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from vnegov.kernel.db import Base, BigId, JSONType, UTCDateTime, utcnow


class AuditLogEntry(Base):
    """An audit record (nhật ký kiểm toán): who, acting for which agency, did what, when, before/after.

    Written in the same transaction as the change it describes, so there is never a change without
    its record nor a record without its change.
    """

    __tablename__ = "kernel_audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(200))
    agency_code: Mapped[str] = mapped_column(sa.String(40), default="")
    action: Mapped[str] = mapped_column(sa.String(100), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(100))
    object_id: Mapped[str] = mapped_column(sa.String(200))
    before: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    after: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    request_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    __table_args__ = (sa.Index("ix_kernel_audit_log_object", "object_type", "object_id"),)


class OutboxMessage(Base):
    """An event waiting to be delivered after commit (hộp thư đi).

    Rows are written in the transaction that caused the event; the dispatcher delivers them once
    that transaction has committed, retrying with back-off, so a crash loses nothing.
    """

    __tablename__ = "kernel_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(200), index=True)
    payload: Mapped[Any] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    request_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    __table_args__ = (sa.Index("ix_kernel_outbox_pending", "delivered_at", "available_at"),)


class ApiKey(Base):
    """An API key for a system acting for an agency (khóa truy cập API).

    Only a SHA-256 of the secret is stored; the secret is shown once, when the key is created.
    Replaced for people by the identity component's OpenID Connect tokens; kept for systems.
    """

    __tablename__ = "kernel_api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    secret_sha256: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    agency_code: Mapped[str] = mapped_column(sa.String(40), index=True)
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
