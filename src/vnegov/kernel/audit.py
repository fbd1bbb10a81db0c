"""Audit log (nhật ký kiểm toán): `record` inside the action, `list_entries` for those who may read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.kernel.context import Principal, current_request_id
from vnegov.kernel.models import AuditLogEntry


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    agency_code: str
    action: str
    object_type: str
    object_id: str
    before: Any
    after: Any
    request_id: str | None


def record(
    session: Session,
    *,
    actor: Principal,
    action: str,
    object_type: str,
    object_id: str,
    before: Any = None,
    after: Any = None,
) -> None:
    """Write an audit row in the caller's transaction (so it commits or rolls back with the change)."""
    session.add(
        AuditLogEntry(
            actor=actor.subject,
            agency_code=actor.agency_code,
            action=action,
            object_type=object_type,
            object_id=object_id,
            before=before,
            after=after,
            request_id=current_request_id(),
        )
    )


def list_entries(
    session: Session,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    action_prefix: str | None = None,
    limit: int = 100,
) -> list[AuditRecord]:
    query = sa.select(AuditLogEntry).order_by(AuditLogEntry.id.desc()).limit(limit)
    if object_type is not None:
        query = query.where(AuditLogEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditLogEntry.object_id == object_id)
    if action_prefix is not None:
        query = query.where(AuditLogEntry.action.startswith(action_prefix))
    return [
        AuditRecord(
            id=e.id,
            at=e.at,
            actor=e.actor,
            agency_code=e.agency_code,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            before=e.before,
            after=e.after,
            request_id=e.request_id,
        )
        for e in session.scalars(query)
    ]
