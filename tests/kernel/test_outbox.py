"""Events are delivered after commit, never for a rolled-back change, and retried on failure."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from vnegov.kernel import outbox
from vnegov.kernel.db import Database
from vnegov.kernel.models import OutboxMessage
from vnegov.kernel.outbox import Event, OutboxDispatcher


def _topic(name: str) -> str:
    return f"test.{name}.{id(name)}"


def test_delivered_after_commit_once(db: Database) -> None:
    topic = _topic("commit")
    seen: list[Event] = []
    dispatcher = OutboxDispatcher(db)
    dispatcher.subscribe(topic, seen.append)
    with db.transaction() as session:
        outbox.emit(session, topic, {"n": 1})
    dispatcher.drain()
    dispatcher.drain()
    assert [e.payload for e in seen if e.topic == topic] == [{"n": 1}]


def test_rolled_back_change_emits_nothing(db: Database) -> None:
    topic = _topic("rollback")
    with pytest.raises(RuntimeError), db.transaction() as session:
        outbox.emit(session, topic, {"n": 1})
        raise RuntimeError("the change failed")
    with db.read() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == topic)
            )
            == 0
        )


def test_failing_handler_is_retried_later(db: Database) -> None:
    topic = _topic("retry")
    calls: list[int] = []

    def flaky(event: Event) -> None:
        calls.append(event.attempts)
        if len(calls) == 1:
            raise ConnectionError("subscriber down")

    dispatcher = OutboxDispatcher(db)
    dispatcher.subscribe(topic, flaky)
    with db.transaction() as session:
        outbox.emit(session, topic, {"n": 1})
    dispatcher.drain()
    with db.transaction() as session:
        row = session.scalars(sa.select(OutboxMessage).where(OutboxMessage.topic == topic)).one()
        assert row.delivered_at is None
        assert row.last_error == "ConnectionError: subscriber down"
        row.available_at = row.created_at  # the back-off has passed
    dispatcher.drain()
    with db.read() as session:
        row = session.scalars(sa.select(OutboxMessage).where(OutboxMessage.topic == topic)).one()
        assert row.delivered_at is not None
        assert row.attempts == 2
    assert calls == [0, 1]


def test_background_thread_delivers_on_commit(db: Database) -> None:
    import threading

    topic = _topic("thread")
    got = threading.Event()
    dispatcher = OutboxDispatcher(db, poll_seconds=30)  # only the commit hook can wake it in time
    dispatcher.subscribe(topic, lambda e: got.set())
    dispatcher.start()
    try:
        with db.transaction() as session:
            outbox.emit(session, topic, {})
        assert got.wait(10)
    finally:
        dispatcher.stop()


def test_idle_dispatcher_does_not_spin(db: Database) -> None:
    import time

    class Counting(OutboxDispatcher):
        rounds = 0

        def run_once(self) -> int:
            Counting.rounds += 1
            return super().run_once()

    dispatcher = Counting(db, poll_seconds=30)
    dispatcher.start()
    try:
        time.sleep(0.3)
        with db.transaction() as session:  # a commit that queued nothing must not wake it
            session.execute(sa.text("SELECT 1"))
        time.sleep(0.3)
    finally:
        dispatcher.stop()
    assert Counting.rounds <= 3  # the first drain at start, and the final one at stop
