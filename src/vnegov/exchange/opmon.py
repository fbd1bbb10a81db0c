"""Operational monitoring (giám sát vận hành) of the gateway: X-Road's opmon records, and queries.

Part of the exchange's service layer. The gateway hands each call's figures to an `OpmonWriter`, which
writes them in batches from a background thread (at most a second late), so monitoring never slows a
call down; X-Road's monitoring daemon works the same way. The owner of a client or a service reads its
records, a platform administrator or the `monitoring` role reads all.
"""

from __future__ import annotations

import logging
import operator
import threading
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from vnegov.exchange.identifiers import member_of
from vnegov.exchange.models import OpmonRecord
from vnegov.exchange.owned import identifier_filters, owned_newest
from vnegov.kernel.clock import VN_TZ
from vnegov.kernel.context import Principal
from vnegov.kernel.db import Database, MultiRowInsert

log = logging.getLogger(__name__)

ROW_FIELDS = (
    "monitoring_data_ts",
    "security_server_type",
    "gateway_id",
    "request_in_ts",
    "request_out_ts",
    "response_in_ts",
    "response_out_ts",
    "client",
    "service",
    "message_id",
    "message_user_id",
    "message_issue",
    "message_protocol_version",
    "rest_method",
    "rest_path",
    "request_size",
    "response_size",
    "status_code",
    "succeeded",
    "fault_code",
    "fault_string",
    "service_type",
)
"""A monitoring row's values, in this order: the gateway builds each call's row as a tuple in this
order (a dict per call, turned into a tuple, cost it ≈ 3 % of its instructions)."""
FIELDS = (*ROW_FIELDS, "client_member", "service_member")
"""The table's columns as rows are stored (`stored`): a row, then the members of its client and service."""
if tuple(c.name for c in OpmonRecord.__table__.columns if c.name != "id") != FIELDS:  # pragma: no cover
    raise RuntimeError(f"exchange_opmon_record's columns are not {FIELDS}: change the gateway's rows too")
MonitoringRow = tuple[Any, ...]
_ROW = operator.itemgetter(*ROW_FIELDS)
_CLIENT, _SERVICE = ROW_FIELDS.index("client"), ROW_FIELDS.index("service")


def row_of(fields: dict[str, Any]) -> MonitoringRow:
    """A monitoring row from its fields by name (`ROW_FIELDS`)."""
    return tuple(_ROW(fields))


def stored(rows: list[MonitoringRow]) -> list[MonitoringRow]:
    """Rows as they are inserted (`FIELDS`): each with the members of its client and service, added
    by the writer, off the gateway's event loop."""
    return [(*row, member_of(row[_CLIENT]), member_of(row[_SERVICE])) for row in rows]


class OpmonRead(BaseModel):
    """One call as X-Road's operational monitoring reports it (snake_case of its field names)."""

    monitoring_data_ts: int
    security_server_type: str
    gateway_id: str
    request_in_ts: int
    request_out_ts: int | None
    response_in_ts: int | None
    response_out_ts: int
    client: str
    service: str
    message_id: str
    message_user_id: str
    message_issue: str
    message_protocol_version: str
    rest_method: str
    rest_path: str
    request_size: int
    response_size: int
    status_code: int
    succeeded: bool
    fault_code: str
    fault_string: str
    service_type: str


class OpmonWriter:
    """Buffers records and writes them every `flush_seconds`, `max_batch` per transaction.

    The call path only appends to a deque (no lock, no wake-up); the writer thread sleeps between
    flushes. Waking the writer for every record (a queue) cost the event loop a fifth of its throughput
    in interpreter-lock hand-overs under load. Each transaction takes its turn with the message log's
    writer (`Database.write_turn`, through the engine) and is kept small: on SQLite the log waits while
    it commits, and every call waits for its log record (a second's records in one transaction held
    calls up for tens of milliseconds).
    """

    def __init__(
        self, db: Database, *, flush_seconds: float = 1.0, max_batch: int = 200, max_buffer: int = 100_000
    ) -> None:
        self.db = db
        self.flush_seconds = flush_seconds
        self.max_batch = max_batch
        self.max_buffer = max_buffer
        self.dropped = 0
        self._insert = MultiRowInsert(db, OpmonRecord.__tablename__, FIELDS)
        self._buffer: deque[MonitoringRow] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="exchange-opmon", daemon=True)
        self._thread.start()

    def record(self, row: MonitoringRow) -> None:
        """One call's row (`ROW_FIELDS` order)."""
        if len(self._buffer) >= self.max_buffer:
            self.dropped += 1  # monitoring must never hold a call back
            return
        self._buffer.append(row)

    def flush(self) -> None:
        """Write what is buffered now (the writer thread does this every `flush_seconds`)."""
        batch: list[MonitoringRow] = []
        while self._buffer:
            try:
                batch.append(self._buffer.popleft())
            except IndexError:
                break
            if len(batch) >= self.max_batch:
                self._write(batch)
                batch = []
        if batch:
            self._write(batch)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.flush()

    def _write(self, batch: list[MonitoringRow]) -> None:
        # Plain tuples to the driver: this thread shares the interpreter with the gateway's event loop.
        try:
            with self.db.transaction() as session:
                self._insert.execute(session.connection(), stored(batch))
        except Exception:
            log.exception("operational monitoring records were lost", extra={"count": len(batch)})


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)  # no offset: Vietnam time


def _owner_members(actor: Principal) -> tuple[str, ...] | None:
    """None: every record (administrators, the monitoring component); else the agency's members."""
    if actor.has_role("platform-admin") or actor.has_role("monitoring") or actor.has_role("system"):
        return None
    return (f"VN/GOV/{actor.agency_code}",) if actor.agency_code else ()


def query(
    session: Session,
    *,
    actor: Principal,
    since: datetime | None = None,
    until: datetime | None = None,
    client: str | None = None,
    service: str | None = None,
    limit: int = 100,
) -> list[OpmonRead]:
    """Records newest first, as X-Road's `getSecurityServerOperationalData` answers them; an agency
    sees the calls its systems made or answered."""
    filters = identifier_filters(OpmonRecord, client, service)
    if since is not None:
        filters.append(OpmonRecord.monitoring_data_ts >= int(_aware(since).timestamp()))
    if until is not None:
        filters.append(OpmonRecord.monitoring_data_ts < int(_aware(until).timestamp()))
    members = _owner_members(actor)
    rows: Sequence[OpmonRecord]
    if members is None:
        rows = session.scalars(
            sa.select(OpmonRecord).where(*filters).order_by(OpmonRecord.id.desc()).limit(limit)
        ).all()
    else:
        rows = owned_newest(session, OpmonRecord, OpmonRecord.id, members, filters, limit)
    return [OpmonRead.model_validate(row, from_attributes=True) for row in rows]
