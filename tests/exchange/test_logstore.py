"""The stored message log: group-committed writes, sealing, and `vnegov exchange verify-log`."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import PG_ENV, ROOT, _fresh_postgres
from tests.exchange.test_messagelog import fields
from vnegov import migrate
from vnegov.exchange import logstore, opmon
from vnegov.exchange.messagelog import ProblemCode
from vnegov.exchange.messagelog.records import ChainTip, MessageLogEntry, next_entry
from vnegov.exchange.models import LogBody, LogRecord, OpmonRecord
from vnegov.exchange.opmon import FIELDS as OPMON_FIELDS
from vnegov.kernel import audit
from vnegov.kernel.context import Principal
from vnegov.kernel.db import Database, MultiRowInsert
from vnegov.kernel.models import AuditLogEntry
from vnegov.signing import service as signing
from vnegov.signing.context import SigningContext

PASSPHRASE = "message log test passphrase"
OPERATOR = Principal(subject="system:exchange", agency_code="G22")


@pytest.fixture()
def log_db(tmp_path: Path) -> Iterator[tuple[Database, str, SigningContext]]:
    """A database of its own: verification reads the whole log, so no other test may write to it."""
    base = os.environ.get(PG_ENV)
    url, drop = _fresh_postgres(base) if base else (f"sqlite:///{tmp_path / 'log.db'}", lambda: None)
    db = Database(url)
    migrate.upgrade(db)
    ctx = SigningContext(passphrase=PASSPHRASE, base_url="http://127.0.0.1:8000")
    with db.transaction() as session:
        signing.ensure_pki(session, ctx)
    yield db, url, ctx
    db.dispose()
    drop()


def _write(db: Database, count: int, start: int = 0, threads: int = 4) -> None:
    log = logstore.open_log(db)
    futures = []
    lock = threading.Lock()

    def client(k: int) -> None:
        for i in range(start + k, start + count, threads):
            future = log.append(**fields(i))
            with lock:
                futures.append(future)

    workers = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for f in futures:
        f.result(timeout=30)  # every append is durable once its future resolves
    log.close()


def _cli(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`vnegov exchange ARGS` (default: verify-log) on this database."""
    env = {
        "PATH": "/usr/bin:/bin",
        "VNEGOV_DATABASE_URL": url,
        "VNEGOV_DATA_DIR": str(tmp_path),
        "VNEGOV_SIGNING__KEY_PASSPHRASE": PASSPHRASE,
        "VNEGOV_LOG_JSON": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "vnegov.cli.main", "exchange", *(args or ("verify-log",))],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_written_sealed_and_verified(log_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, url, ctx = log_db
    _write(db, 400)
    first = logstore.seal_pending(db, ctx, OPERATOR)
    assert first is not None and (first.first_sequence, first.last_sequence) == (1, 400)
    _write(db, 100, start=400)  # a restarted writer continues the stored chain
    assert logstore.seal_pending(db, ctx, OPERATOR) is not None
    assert logstore.seal_pending(db, ctx, OPERATOR) is None  # nothing new to seal
    report = logstore.verify(db, ctx)
    assert report.ok, report.lines()
    assert (report.entries, report.seals, report.sealed_through) == (500, 2, 500)
    r = _cli(url, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "message log OK: 500 records" in r.stdout


def test_edits_and_deletions_are_named(log_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, url, ctx = log_db
    _write(db, 300, threads=2)
    logstore.seal_pending(db, ctx, OPERATOR)
    with db.transaction() as session:
        session.execute(sa.text("UPDATE exchange_log_record SET status = 403 WHERE sequence = 123"))
        session.execute(sa.text("DELETE FROM exchange_log_record WHERE sequence = 200"))
    report = logstore.verify(db, ctx)
    assert not report.ok
    found = {(p.code, p.sequence) for p in report.errors}
    assert (ProblemCode.EDITED, 123) in found
    assert any(code == ProblemCode.DELETED and seq == 200 for code, seq in found)
    r = _cli(url, tmp_path)
    assert r.returncode == 1
    assert "123" in r.stdout and "200" in r.stdout


def test_archiving_moves_sealed_ranges_and_both_parts_verify(log_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    db, url, ctx = log_db
    _write(db, 300)
    logstore.seal_pending(db, ctx, OPERATOR)
    _write(db, 50, start=300)  # not sealed yet: stays in the database
    result = logstore.archive(db, tmp_path / "archive", older_than=datetime.now(UTC) + timedelta(days=1))
    assert result is not None and (result.first_sequence, result.last_sequence, result.records) == (
        1,
        300,
        300,
    )
    assert (
        logstore.archive(db, tmp_path / "archive", older_than=datetime.now(UTC) + timedelta(days=1)) is None
    )
    report = logstore.verify(db, ctx)  # what remains starts where the archive ended
    assert report.ok, report.lines()
    assert (report.first_sequence, report.last_sequence) == (301, 350)
    archived = logstore.verify_archive(result.path, logstore.platform_trust(db, ctx))
    assert archived.ok and archived.entries == 300 and archived.sealed_through == 300, archived.lines()
    # sealing after an archive continues from its end, not from record 1
    seal = logstore.seal_pending(db, ctx, OPERATOR)
    assert seal is not None and (seal.first_sequence, seal.last_sequence) == (301, 350)
    r = _cli(url, tmp_path, "verify-archive", str(result.path))
    assert r.returncode == 0, r.stdout + r.stderr


def test_an_edited_archive_is_named(log_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import gzip
    from datetime import UTC, datetime, timedelta

    db, url, ctx = log_db
    _write(db, 120)
    logstore.seal_pending(db, ctx, OPERATOR)
    result = logstore.archive(db, tmp_path / "archive", older_than=datetime.now(UTC) + timedelta(days=1))
    assert result is not None
    lines = gzip.decompress(result.path.read_bytes()).splitlines()
    lines[42] = lines[42].replace(b'"status":200', b'"status":500')
    tampered = tmp_path / "archive" / result.path.name
    tampered.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    report = logstore.verify_archive(tampered, logstore.platform_trust(db, ctx))
    assert not report.ok
    assert (ProblemCode.EDITED, 42) in {(p.code, p.sequence) for p in report.errors}
    r = _cli(url, tmp_path, "verify-archive", str(tampered))
    assert r.returncode == 1


def test_two_gateway_processes_share_one_unbroken_chain(log_db) -> None:  # type: ignore[no-untyped-def]
    """Each process has its own writer; the tip row, locked per batch, keeps one chain."""
    db, url, ctx = log_db
    other = Database(url)  # another process's connections
    try:
        logs = [logstore.open_log(db), logstore.open_log(other)]
        futures = []
        lock = threading.Lock()

        def client(k: int) -> None:
            for i in range(k, 600, 6):
                future = logs[k % 2].append(**fields(i))
                with lock:
                    futures.append(future)

        workers = [threading.Thread(target=client, args=(k,)) for k in range(6)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        entries = sorted((f.result(timeout=30) for f in futures), key=lambda e: e.sequence)
        for log in logs:
            log.close()
        assert [e.sequence for e in entries] == list(range(1, 601))
        assert logs[0].stats.entries > 0 and logs[1].stats.entries > 0
        assert logstore.seal_pending(db, ctx, OPERATOR) is not None
        assert logstore.seal_pending(other, ctx, OPERATOR) is None  # already sealed by the first
        report = logstore.verify(db, ctx)
        assert report.ok and report.entries == 600 and report.sealed_through == 600, report.lines()
    finally:
        other.dispose()


def test_the_writer_connection_never_returns_to_the_pool(log_db) -> None:  # type: ignore[no-untyped-def]
    """The log writer's connection runs in autocommit; were it handed back to the pool, a later
    session on it would commit statement by statement and a failed transaction would leave its writes."""
    db, _url, _ctx = log_db
    _write(db, 20)
    gc.collect()
    for attempt in range(25):  # more than the pool holds: every pooled connection gets a turn
        marker = f"rollback-check-{attempt}"
        with pytest.raises(RuntimeError), db.transaction() as session:
            audit.record(session, actor=OPERATOR, action=marker, object_type="test", object_id=marker)
            session.flush()
            raise RuntimeError("abort")
        with db.read() as session:
            left = session.scalar(sa.select(sa.func.count()).where(AuditLogEntry.action == marker))
        assert left == 0, f"a pooled connection committed on its own (attempt {attempt})"


def _monitoring_rows(
    db: Database, first: int, count: int, *, rollback_on_conflict: bool = True
) -> tuple[MultiRowInsert, list[tuple[Any, ...]]]:
    """Monitoring rows (`opmon.FIELDS` order) as a writer process stores them with a log batch."""
    rows = opmon.stored(
        [opmon.row_of({**_opmon_fields(), "message_id": f"opmon-{i}"}) for i in range(first, first + count)]
    )
    insert = MultiRowInsert(
        db, OpmonRecord.__tablename__, OPMON_FIELDS, rollback_on_conflict=rollback_on_conflict
    )
    return insert, rows


def _opmon_fields() -> dict[str, Any]:
    return {
        "monitoring_data_ts": 1_790_000_000,
        "security_server_type": "Producer",
        "gateway_id": "VN/GOV/G22/NDXP",
        "request_in_ts": 1_790_000_000_000,
        "request_out_ts": 1_790_000_000_001,
        "response_in_ts": 1_790_000_000_002,
        "response_out_ts": 1_790_000_000_003,
        "client": "VN/GOV/G12/DVC",
        "service": "VN/GOV/G01/DANCU/verify",
        "message_user_id": "",
        "message_issue": "",
        "message_protocol_version": "r1",
        "rest_method": "POST",
        "rest_path": "/r1/VN/GOV/G01/DANCU/verify",
        "request_size": 20,
        "response_size": 14,
        "status_code": 200,
        "succeeded": True,
        "fault_code": "",
        "fault_string": "",
        "service_type": "REST",
    }


def _chain_of(items: list[tuple[dict[str, Any], Any]]) -> Any:
    def chain(tip: ChainTip) -> list[tuple[MessageLogEntry, Any]]:
        out = []
        for item_fields, attachment in items:
            entry = next_entry(tip, **item_fields)
            out.append((entry, attachment))
            tip = entry.tip
        return out

    return chain


def _counts(db: Database) -> tuple[int, int, int]:
    with db.read() as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(LogRecord)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(LogBody)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(OpmonRecord)) or 0,
        )


def test_a_batch_stores_its_records_bodies_and_monitoring_rows_together(log_db) -> None:  # type: ignore[no-untyped-def]
    """One statement on PostgreSQL (data-modifying CTEs), one transaction on SQLite."""
    db, _url, ctx = log_db
    writer = logstore._Writer(db)
    bodies = logstore.Bodies(b'{"cccd":"1"}', b'{"valid":true}', "application/json", "application/json")
    items = [(fields(i), bodies if i % 2 else None) for i in range(10)]
    writer.persist(_chain_of(items), [_monitoring_rows(db, 0, 7)])
    assert _counts(db) == (10, 5, 7)
    assert writer.tip.sequence == 10
    report = logstore.verify(db, ctx)
    assert report.ok and report.entries == 10, report.lines()


def test_a_batch_larger_than_one_statement_is_one_transaction(log_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db, _url, ctx = log_db
    monkeypatch.setattr(MultiRowInsert, "MAX_PARAMETERS", 100)  # 6 log records a statement
    writer = logstore._Writer(db)
    writer.persist(_chain_of([(fields(i), None) for i in range(40)]), [_monitoring_rows(db, 0, 9)])
    assert _counts(db) == (40, 0, 9)
    report = logstore.verify(db, ctx)
    assert report.ok and report.entries == 40, report.lines()


@pytest.mark.parametrize("rollback_on_conflict", [True, False], ids=["or-rollback", "plain-insert"])
def test_a_batch_that_lost_the_race_leaves_no_monitoring_row_behind(log_db, rollback_on_conflict) -> None:  # type: ignore[no-untyped-def]
    """Another process's writer stored these sequence numbers first: the batch fails whole (its
    monitoring rows too), is chained again after the stored tip, and every row is stored once —
    whether the conflict ended the transaction itself (SQLite's `INSERT OR ROLLBACK`, as the log's
    and the writer process's inserts are) or left it to the writer to roll back."""
    db, url, ctx = log_db
    other = Database(url)
    try:
        late = logstore._Writer(db)  # its tip is 0, and stays so while the other writes
        if not rollback_on_conflict:  # the conflict leaves the transaction open: the writer rolls back
            late.insert = MultiRowInsert(db, LogRecord.__tablename__, logstore._FIELDS)
        logstore._Writer(other).persist(_chain_of([(fields(i), None) for i in range(3)]))
        monitoring = _monitoring_rows(db, 0, 4, rollback_on_conflict=rollback_on_conflict)
        late.persist(_chain_of([(fields(i), None) for i in range(3, 6)]), [monitoring])
        assert _counts(db) == (6, 0, 4)
        assert late.tip.sequence == 6
        logstore._Writer(other).persist(_chain_of([(fields(i), None) for i in range(6, 8)]))
        late.persist(_chain_of([(fields(8), None)]), [_monitoring_rows(db, 4, 1)])  # and lost again
        assert _counts(db) == (9, 0, 5)
        report = logstore.verify(db, ctx)
        assert report.ok and report.entries == 9, report.lines()
    finally:
        other.dispose()


def test_only_sqlite_log_inserts_roll_back_on_conflict(log_db) -> None:  # type: ignore[no-untyped-def]
    """`INSERT OR ROLLBACK` is SQLite's (PostgreSQL has no such clause, and needs no statement journal)."""
    db, _url, _ctx = log_db
    writer = logstore._Writer(db)
    expected = "INSERT OR ROLLBACK INTO" if db.dialect == "sqlite" else "INSERT INTO"
    assert writer.insert.head.startswith(expected + " exchange_log_record")
    assert writer.bodies.head.startswith(expected + " exchange_log_body")
    assert MultiRowInsert(db, "t", ["a"]).head.startswith("INSERT INTO")
