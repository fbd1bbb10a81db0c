"""The message log written by a child process (`ProcessLog`, what `vnegov serve` uses): a record is
answered only once it is stored and chained; a bad record fails alone; if the writer process dies the
records waiting for it fail (the gateway withholds those answers) and a new one goes on from the
stored tip; closing stores everything handed over."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.exchange.conftest import own_database
from tests.exchange.test_messagelog import fields
from vnegov.exchange import logstore
from vnegov.exchange.logwriter import (
    MONITORING_FLUSH_S,
    MONITORING_HOLD_S,
    MONITORING_ROWS,
    ProcessLog,
    ProcessMonitoring,
    _HeldMonitoring,
)
from vnegov.exchange.messagelog import LogClosed, LogWriteFailed, verify_log
from vnegov.exchange.messagelog.records import ChainTip
from vnegov.exchange.models import LogRecord, OpmonRecord
from vnegov.exchange.opmon import row_of
from vnegov.kernel.db import Database


@pytest.fixture()
def log_db(tmp_path: Path) -> Iterator[Database]:
    with own_database(tmp_path / "log.db") as db:
        yield db


def _stored(db: Database) -> dict[str, int]:
    """query_id → sequence of every stored record."""
    with db.read() as session:
        rows = session.execute(sa.select(LogRecord.query_id, LogRecord.sequence)).all()
    return {query_id: sequence for query_id, sequence in rows}


def _verifies(db: Database) -> None:
    report = verify_log(logstore.iter_entries(db))
    assert not report.errors, report.lines()


def test_records_are_answered_once_stored_and_chained(log_db: Database) -> None:
    async def run() -> list[ChainTip]:
        log = ProcessLog(log_db.url)
        try:
            tips = await asyncio.gather(*(log.write(**fields(i)) for i in range(200)))
            assert log.tip == max(tips, key=lambda t: t.sequence)
            assert log.stats.entries == 200 and log.stats.batches >= 1
            return tips
        finally:
            log.close()

    tips = asyncio.run(run())
    stored = _stored(log_db)
    assert len(stored) == 200
    for i, tip in enumerate(tips):  # each answer names the stored record of that call
        assert stored[f"q-{i}"] == tip.sequence
    assert sorted(t.sequence for t in tips) == list(range(1, 201))
    _verifies(log_db)


def test_a_bad_record_fails_alone(log_db: Database) -> None:
    async def run() -> None:
        log = ProcessLog(log_db.url)
        try:
            good = [log.write(**fields(i)) for i in (1, 2)]
            bad = log.write(**{**fields(3), "request_time": fields(3)["request_time"].replace(tzinfo=None)})
            # ...and one the writer refuses (it checks values as `MessageLogEntry` does), in the batch
            checked = log.write(**{**fields(4), "request_hash": "not a digest"})
            after = log.write(**fields(5))
            results = await asyncio.gather(*good, bad, checked, after, return_exceptions=True)
            assert isinstance(results[2], LogWriteFailed)
            assert "request_time" in str(results[2])
            assert isinstance(results[3], LogWriteFailed)
            assert "request_hash must be a lowercase SHA-256 hex digest" in str(results[3])
            assert [r.sequence for r in (*results[:2], results[4])] == [1, 2, 3]  # type: ignore[union-attr]
        finally:
            log.close()

    asyncio.run(run())
    assert set(_stored(log_db)) == {"q-1", "q-2", "q-5"}
    assert verify_log(logstore.iter_entries(log_db)).ok


def test_a_dead_writer_fails_what_waits_and_a_new_one_goes_on(log_db: Database) -> None:
    async def run() -> None:
        log = ProcessLog(log_db.url)
        try:
            await asyncio.gather(*(log.write(**fields(i)) for i in range(10)))
            first = log.pid
            assert first is not None
            os.kill(first, signal.SIGSTOP)  # holds what is sent to it, then dies with it
            waiting = [asyncio.ensure_future(log.write(**fields(i))) for i in range(10, 20)]
            await asyncio.sleep(0.2)
            assert not any(w.done() for w in waiting)  # nobody is answered before the record is stored
            os.kill(first, signal.SIGKILL)
            outcomes = await asyncio.gather(*waiting, return_exceptions=True)
            assert all(isinstance(o, LogWriteFailed) for o in outcomes), outcomes
            with pytest.raises(LogWriteFailed, match="not running"):
                await log.write(**fields(20))  # refused at once while another starts
            deadline = time.monotonic() + 60
            while log.pid is None and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert log.pid not in (None, first)
            tip = await log.write(**fields(21))
            assert tip.sequence == 11  # right after the last stored record
            assert log.stats.failed_entries >= 10
        finally:
            log.close()

    asyncio.run(run())
    stored = _stored(log_db)
    assert set(stored) == {f"q-{i}" for i in range(10)} | {"q-21"}
    _verifies(log_db)


def test_closing_stores_everything_handed_over(log_db: Database) -> None:
    async def run() -> None:
        log = ProcessLog(log_db.url)
        pending = [asyncio.ensure_future(log.write(**fields(i))) for i in range(300)]
        await asyncio.sleep(0)  # handed over, not yet answered
        log.close()
        outcomes = await asyncio.gather(*pending, return_exceptions=True)
        assert all(isinstance(o, ChainTip) for o in outcomes), [
            o for o in outcomes if not isinstance(o, ChainTip)
        ]
        with pytest.raises(LogClosed):
            await log.write(**fields(999))

    asyncio.run(run())
    assert len(_stored(log_db)) == 300
    _verifies(log_db)


def test_a_writer_that_cannot_open_its_database_says_so(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="could not start"):
        ProcessLog("postgresql+psycopg://nobody@127.0.0.1:1/none")


def _monitoring(i: int) -> dict[str, object]:
    return {
        "monitoring_data_ts": 1_790_000_000 + i,
        "security_server_type": "Producer",
        "gateway_id": "VN/GOV/G12/GW1",
        "request_in_ts": 1_790_000_000_000 + i,
        "request_out_ts": 1_790_000_000_001 + i,
        "response_in_ts": 1_790_000_000_002 + i,
        "response_out_ts": 1_790_000_000_003 + i,
        "client": "VN/GOV/G12/DVC",
        "service": "VN/GOV/G01/DANCU/verify/v1",
        "message_id": f"G12-DVC-{i:08d}",
        "message_user_id": "",
        "message_issue": "",
        "message_protocol_version": "r1",
        "rest_method": "POST",
        "rest_path": "/r1/VN/GOV/G01/DANCU/verify/v1",
        "request_size": 20,
        "response_size": 14,
        "status_code": 200 if i % 2 else 403,
        "succeeded": bool(i % 2),
        "fault_code": "" if i % 2 else "Server.ServerProxy.AccessDenied",
        "fault_string": "",
        "service_type": "REST",
    }


def _monitored(db: Database) -> set[str]:
    with db.read() as session:
        return set(session.scalars(sa.select(OpmonRecord.message_id)))


def _wait_for_monitored(db: Database, count: int, within: float) -> set[str]:
    deadline = time.monotonic() + within
    while len(found := _monitored(db)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_monitoring_records_travel_with_the_log_and_alone(log_db: Database) -> None:
    """Operational monitoring goes to the writer process too: with log records, or on its own within
    a second when none came (a refused call has none); the writer stores it soon after, in
    transactions of its own (`_HeldMonitoring`), and everything at close."""

    async def run() -> None:
        log = ProcessLog(log_db.url)
        monitoring = ProcessMonitoring(log)
        soon = 10 * (MONITORING_FLUSH_S + MONITORING_HOLD_S)
        try:
            for i in range(3):  # refusals: no log record
                monitoring.record(row_of(_monitoring(i)))
            await asyncio.sleep(0)
            found = await asyncio.to_thread(_wait_for_monitored, log_db, 3, soon)
            assert found == {f"G12-DVC-{i:08d}" for i in range(3)}

            writes = [log.write(**fields(i)) for i in range(3, 6)]
            for i in range(3, 6):
                monitoring.record(row_of(_monitoring(i)))
            await asyncio.gather(*writes)  # the records are answered once stored...
            found = await asyncio.to_thread(_wait_for_monitored, log_db, 6, soon)
            assert found == {f"G12-DVC-{i:08d}" for i in range(6)}  # ...the monitoring rows follow

            monitoring.record(row_of(_monitoring(6)))  # still on its way when the log closes
            await log.write(**fields(7))  # and its row held by the writer
            monitoring.record(row_of(_monitoring(7)))
        finally:
            log.close()
        assert monitoring.dropped == 0

    asyncio.run(run())
    assert len(_monitored(log_db)) == 8
    with log_db.read() as session:
        row = session.scalar(sa.select(OpmonRecord).where(OpmonRecord.message_id == "G12-DVC-00000004"))
        assert row is not None and (row.status_code, row.succeeded, row.fault_code) == (
            403,
            False,
            "Server.ServerProxy.AccessDenied",
        )


def test_the_writer_stores_monitoring_in_chunks_of_one_size() -> None:
    """Full chunks of `MONITORING_ROWS` at once (one statement shape, which PostgreSQL's driver keeps
    prepared), the rest once the oldest row has waited `MONITORING_HOLD_S`, everything at the end."""
    held = _HeldMonitoring()
    assert held.take() == [] and held.wait() is None  # nothing held: wait for the gateway
    held.add([(i,) for i in range(MONITORING_ROWS * 2 + 10)])
    chunks = held.take()
    assert [len(c) for c in chunks] == [MONITORING_ROWS, MONITORING_ROWS]
    assert chunks[0][0] == (0,) and chunks[1][-1] == (2 * MONITORING_ROWS - 1,)
    assert len(held.rows) == 10 and held.take() == []  # not due yet
    wait = held.wait()
    assert wait is not None and 0 < wait <= MONITORING_HOLD_S
    held.since -= MONITORING_HOLD_S  # the oldest has waited long enough
    assert held.wait() == 0 and [len(c) for c in held.take()] == [10]
    held.add([(1,), (2,)])
    assert held.take(flush=True) == [[(1,), (2,)]] and held.rows == []


def test_a_writer_that_dies_idle_fails_nothing(log_db: Database) -> None:
    """Killed with nothing waiting, the writer is replaced and no record counts as failed: the health
    check (`WriterStats.failed_batches`) does not turn red for good over nothing."""

    async def run() -> None:
        log = ProcessLog(log_db.url)
        try:
            await log.write(**fields(1))
            first = log.pid
            assert first is not None
            os.kill(first, signal.SIGKILL)
            deadline = time.monotonic() + 60
            while log.pid in (None, first) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert log.pid not in (None, first)
            assert (await log.write(**fields(2))).sequence == 2
            assert (log.stats.failed_batches, log.stats.failed_entries) == (0, 0)
        finally:
            log.close()

    asyncio.run(run())


def test_times_arrive_exactly_and_bad_fields_fail_before_they_travel(log_db: Database) -> None:
    """Times travel as microseconds since the epoch: any zone, to the microsecond, as sent. A record
    missing a field, with an unknown one, or with a time without a zone never reaches the writer."""
    sent = datetime(2026, 12, 6, 20, 15, 30, 123457, tzinfo=timezone(timedelta(hours=7)))

    async def run() -> None:
        log = ProcessLog(log_db.url)
        try:
            tip = await log.write(**{**fields(1), "request_time": sent, "response_time": sent})
            assert tip.sequence == 1
            for bad, named in (
                ({k: v for k, v in fields(2).items() if k != "status"}, "status"),
                ({**fields(2), "colour": "blue"}, "colour"),
                ({**fields(2), "response_time": sent.replace(tzinfo=None)}, "response_time"),
                ({**fields(2), "response_time": 1_796_000_000}, "response_time"),
            ):
                with pytest.raises(LogWriteFailed, match=named):
                    await log.write(**bad)
            assert (await log.write(**fields(3))).sequence == 2  # the log goes on
        finally:
            log.close()

    asyncio.run(run())
    (entry, _second) = list(logstore.iter_entries(log_db))
    assert entry.request_time == sent and entry.response_time == sent
    assert entry.request_time.astimezone(UTC).microsecond == 123457
