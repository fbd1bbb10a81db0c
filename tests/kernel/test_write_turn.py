"""SQLite's one write lock, taken in turn by the writers of a process (`Database.write_turn`): every
write lands, none meets "database is locked", and the turn comes back however a transaction ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from vnegov.kernel.db import Database, WriteTurn


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    with db.transaction() as session:
        session.execute(sa.text("CREATE TABLE note (writer INTEGER, n INTEGER)"))
    return db


def _free(db: Database) -> bool:
    turn = db._write_turn
    assert turn is not None
    if turn.acquire(blocking=False):
        turn.release()
        return True
    return False


def test_concurrent_writers_take_turns_and_all_land(sqlite_db: Database) -> None:
    def writer(w: int) -> None:
        for n in range(15):
            with sqlite_db.transaction() as session:
                session.execute(sa.text("INSERT INTO note VALUES (:w, :n)"), {"w": w, "n": n})
                time.sleep(0.002)  # hold the write lock a little, as a real transaction does

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(writer, range(8)))  # a writer's failure ("database is locked") is raised here
    with sqlite_db.read() as session:
        assert session.scalar(sa.text("SELECT count(*) FROM note")) == 8 * 15
    assert _free(sqlite_db)  # every turn was given back


def test_the_turn_comes_back_after_a_rollback_and_after_an_invalidated_connection(
    sqlite_db: Database,
) -> None:
    with pytest.raises(RuntimeError), sqlite_db.transaction() as session:
        session.execute(sa.text("INSERT INTO note VALUES (1, 1)"))
        assert not _free(sqlite_db)  # held while the transaction is open
        raise RuntimeError("the block fails")
    assert _free(sqlite_db)

    connection = sqlite_db.engine.connect()
    connection.begin()
    connection.execute(sa.text("INSERT INTO note VALUES (2, 2)"))
    assert not _free(sqlite_db)
    connection.invalidate()  # the connection is lost mid-transaction
    assert _free(sqlite_db)
    connection.close()
    with sqlite_db.read() as reader:
        assert reader.scalar(sa.text("SELECT count(*) FROM note")) == 0


def test_postgresql_needs_no_turns() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connected
    assert db._write_turn is None
    with db.write_turn():
        pass


_HOLDER = """
import sys, time
from sqlalchemy import text
from vnegov.kernel.db import Database
db = Database(sys.argv[1])
with db.transaction() as session:  # the engine's transaction takes the turn at BEGIN
    session.execute(text("INSERT INTO note VALUES (99, 1)"))
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
print("done", flush=True)
"""


def test_processes_take_turns_and_a_dead_holder_gives_its_turn_back(sqlite_db: Database) -> None:
    """The turn orders processes too (a gateway and its log writer process): a writer waits for
    another process's transaction instead of sleeping in SQLite's busy handler, and the kernel gives
    back the turn of a process killed while it held it."""
    url = str(sqlite_db.engine.url)
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, url, "0.5"], stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline() == b"holding\n"
    assert not _free(sqlite_db)  # held by the other process
    with sqlite_db.transaction() as session:  # waits for its turn, then writes
        session.execute(sa.text("INSERT INTO note VALUES (1, 1)"))
    assert holder.stdout.readline() == b"done\n"  # the other committed first
    holder.wait(timeout=10)

    killed = subprocess.Popen([sys.executable, "-c", _HOLDER, url, "60"], stdout=subprocess.PIPE)
    assert killed.stdout is not None and killed.stdout.readline() == b"holding\n"
    assert not _free(sqlite_db)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    assert _free(sqlite_db)
    with sqlite_db.read() as session:
        assert session.scalar(sa.text("SELECT count(*) FROM note")) == 2  # the killed one's was undone


def test_a_forked_child_waits_for_its_parents_turn(tmp_path: Path) -> None:
    """The child opens the turn file again: a descriptor inherited across fork shares its lock with
    the parent, so the child would have taken a turn the parent holds."""
    turn = WriteTurn(str(tmp_path / "forked.db"))
    assert turn.acquire()
    try:
        pid = os.fork()
        if pid == 0:
            turn._lock = threading.Lock()  # the parent's thread lock comes along held: only the file counts
            os._exit(0 if not turn.acquire(blocking=False) else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        turn.release()
