"""Outbox (hộp thư đi): events written with the change, delivered after commit.

`emit(session, topic, payload)` adds a row in the caller's transaction. An `OutboxDispatcher`
hands committed rows to the handlers subscribed to their topic, marks them delivered, and retries
failures with exponential back-off. Delivery is at-least-once: handlers must be idempotent (the
message id is passed to them for that).

On PostgreSQL several dispatcher processes may run: rows are claimed with
`FOR UPDATE SKIP LOCKED`. On SQLite one process owns the database, so one dispatcher suffices.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.kernel.clock import now
from vnegov.kernel.context import current_request_id
from vnegov.kernel.db import Database
from vnegov.kernel.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=10)
EMITTED = "vnegov.outbox.emitted"


@dataclass(frozen=True)
class Event:
    id: int
    topic: str
    payload: Any
    created_at: datetime
    attempts: int


Handler = Callable[[Event], None]


def emit(session: Session, topic: str, payload: Any) -> None:
    """Queue an event; it is delivered only if the caller's transaction commits."""
    session.info[EMITTED] = True
    session.add(OutboxMessage(topic=topic, payload=payload, request_id=current_request_id()))


def pending_count(session: Session) -> int:
    query = sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
    return int(session.scalar(query) or 0)


class OutboxDispatcher:
    """Delivers outbox rows to subscribed handlers; run `run_once` or start the background thread."""

    def __init__(self, db: Database, *, batch_size: int = 100, poll_seconds: float = 2.0) -> None:
        self.db = db
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._handlers: dict[str, list[Handler]] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Wake only for transactions that queued events; waking on every commit would make the
        # dispatcher's own commits wake it again, a busy loop.
        db.on_commit(self._on_commit)

    def _on_commit(self, info: dict[str, Any]) -> None:
        if info.get(EMITTED):
            self._wake.set()

    def subscribe(self, topic_prefix: str, handler: Handler) -> None:
        """Deliver every event whose topic starts with `topic_prefix` ("" for all) to `handler`."""
        self._handlers.setdefault(topic_prefix, []).append(handler)

    def _handlers_for(self, topic: str) -> list[Handler]:
        return [h for prefix, hs in self._handlers.items() if topic.startswith(prefix) for h in hs]

    def run_once(self) -> int:
        """Deliver one batch of due events; returns how many were delivered."""
        delivered = 0
        with self.db.read() as session:  # a cheap look first: no write lock while idle
            due = session.scalar(
                sa.select(OutboxMessage.id)
                .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.available_at <= now())
                .limit(1)
            )
        if due is None:
            return 0
        with self.db.transaction() as session:
            query = (
                sa.select(OutboxMessage)
                .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.available_at <= now())
                .order_by(OutboxMessage.id)
                .limit(self.batch_size)
            )
            if self.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for message in session.scalars(query):
                delivered += self._deliver(message)
        return delivered

    def _deliver(self, message: OutboxMessage) -> int:
        event = Event(message.id, message.topic, message.payload, message.created_at, message.attempts)
        message.attempts += 1
        try:
            for handler in self._handlers_for(message.topic):
                handler(event)
        except Exception as exc:  # a handler's failure must not stop the others' events
            log.warning("outbox delivery failed", extra={"topic": message.topic, "id": message.id})
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            backoff = min(timedelta(seconds=2 ** min(message.attempts, 20)), MAX_BACKOFF)
            message.available_at = now() + backoff
            return 0
        message.delivered_at = now()
        message.last_error = None
        return 1

    def drain(self, max_rounds: int = 100) -> int:
        """Deliver until nothing due is left (tests and CLI commands use this)."""
        total = 0
        for _ in range(max_rounds):
            n = self.run_once()
            total += n
            if n == 0:
                break
        return total

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="outbox-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception:
                log.exception("outbox dispatcher round failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
