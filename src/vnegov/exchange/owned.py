"""An agency's own records in the message log and the monitoring data (hồ sơ nhật ký của cơ quan).

Both tables keep, beside each record's client and service, their members (`identifiers.member_of`),
each in an index ordered by the record's number: an agency's page of its newest records reads that
page's worth of index, whatever the size of the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.exchange.identifiers import member_of


def owned_newest(
    session: Session,
    entity: Any,
    key: Any,
    members: Sequence[str],
    filters: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> list[Any]:
    """The newest `limit` rows of `entity` (by `key`) whose client or service belongs to one of
    `members`, with `filters`: the rows of `owned_queries`, merged newest first."""
    found: dict[int, Any] = {}
    for query in owned_queries(entity, key, members, filters, limit):
        for row in session.scalars(query):
            found[getattr(row, key.key)] = row  # a call between two of its own systems comes twice
    return [found[k] for k in sorted(found, reverse=True)[:limit]]


def owned_queries(
    entity: Any,
    key: Any,
    members: Sequence[str],
    filters: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> list[sa.Select[Any]]:
    """One query per member and side (client, service), each reading its (member, key) index
    backwards only as far as its page. (One query with OR would read every row of the agency and
    sort them all to show fifty.)"""
    return [
        sa.select(entity).where(side == member, *filters).order_by(key.desc()).limit(limit)
        for member in members
        for side in (entity.client_member, entity.service_member)
    ]


def identifier_filters(entity: Any, client: str | None, service: str | None) -> list[sa.ColumnElement[bool]]:
    """`client` exactly; `service` exactly or any version of it (`service/…`). Each with its member,
    so the (member, key) index serves it."""
    filters: list[sa.ColumnElement[bool]] = []
    if client:
        filters += [entity.client_member == member_of(client), entity.client == client]
    if service:
        if member_of(service):
            filters.append(entity.service_member == member_of(service))
        filters.append(sa.or_(entity.service == service, entity.service.startswith(service + "/")))
    return filters
