"""The stored message log: group-committed writes, sealing, and `vnegov exchange verify-log`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_ENV, ROOT, _fresh_postgres
from tests.exchange.test_messagelog import fields
from vnegov import migrate
from vnegov.exchange import logstore
from vnegov.exchange.messagelog import GroupCommitLog, ProblemCode
from vnegov.kernel.context import Principal
from vnegov.kernel.db import Database
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
    log = GroupCommitLog(logstore.persister(db), tip=logstore.stored_tip(db))
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


def _cli(url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "VNEGOV_DATABASE_URL": url,
        "VNEGOV_DATA_DIR": str(tmp_path),
        "VNEGOV_SIGNING__KEY_PASSPHRASE": PASSPHRASE,
        "VNEGOV_LOG_JSON": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "vnegov.cli.main", "exchange", "verify-log"],
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
