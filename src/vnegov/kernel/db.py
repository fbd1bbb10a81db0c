"""Database (cơ sở dữ liệu): one model layer for SQLite (embedded) and PostgreSQL (production).

- `Base`: the declarative base; constraints are named by convention so SQLite batch migrations
  and PostgreSQL agree on names. Tables are prefixed with their component (`catalogs_item`).
- `Database`: an engine plus sessions. A transaction is opened at the edge (a request, a job, a CLI
  command) with `Database.transaction()`; services take the session, may `flush()`, never commit.
- `UTCDateTime`: timezone-aware datetimes stored as UTC on both engines.
"""

from __future__ import annotations

import fcntl
import functools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# A 64-bit id on PostgreSQL; INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")

# JSON that is JSONB on PostgreSQL (indexable, compact) and JSON text on SQLite.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A datetime that is always timezone-aware in Python and stored as UTC.

    SQLite has no time zones; storing naive UTC there and `timestamptz` on PostgreSQL keeps both
    engines returning the same aware values.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


BUSY_TIMEOUT_S = 10.0  # how long a SQLite writer waits for another to finish before "database is locked"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers and one writer work at once; synchronous=FULL makes a commit durable
    # before we answer (an accepted request survives kill -9 and power loss).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def make_engine(
    url: str, *, sqlite_begin: str = "BEGIN", write_turn: WriteTurn | None = None, **kwargs: Any
) -> Engine:
    """An engine for `url`, with SQLite tuned for durability and concurrent readers.

    `sqlite_begin` is the statement that opens a transaction on SQLite: writers use
    "BEGIN IMMEDIATE" so they queue for the write lock up front instead of failing when a read
    transaction later tries to write; readers use a plain deferred "BEGIN". With `write_turn`, the
    engine's transactions take that lock before BEGIN and give it back when they end
    (`Database.write_turn`).
    """
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        return sa.create_engine(sa_url, **kwargs)
    if sa_url.database and sa_url.database != ":memory:":
        Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        sa_url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}, **kwargs
    )

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        _sqlite_pragmas(dbapi_connection, _record)
        # Take transaction control from pysqlite, which would defer BEGIN to the first write.
        dbapi_connection.isolation_level = None

    event.listen(engine, "connect", on_connect)
    if write_turn is None:
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(sqlite_begin))
        return engine

    def begin(conn: sa.Connection) -> None:
        info = conn.connection.info
        if not info.get(_TURN):  # waits as long as SQLite would, then leaves the wait to SQLite
            info[_TURN] = write_turn.acquire(timeout=BUSY_TIMEOUT_S)
        conn.exec_driver_sql(sqlite_begin)

    def end(conn: sa.Connection) -> None:
        if conn.invalidated:
            return  # released when it was invalidated (`lost`); asking for its info would reconnect
        if conn.connection.info.pop(_TURN, False):
            write_turn.release()

    def lost(_dbapi: Any, record: Any, *_exc: Any) -> None:  # returned or invalidated mid-transaction
        if record.info.pop(_TURN, False):
            write_turn.release()

    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)
    event.listen(engine, "checkin", lost)
    event.listen(engine, "invalidate", lost)
    return engine


class WriteTurn:
    """Turns at a SQLite database's one write lock, for every writer of every process using it.

    A thread lock orders the writers of this process; an exclusive `flock` on the file
    `<database>-turn` beside the database orders the processes (a gateway and its message log's
    writer process, `serve --workers N`, the CLI). A writer that waits here starts the moment the one
    before it is done, where SQLite's busy handler would have slept in growing steps. The kernel
    gives back the lock of a process that dies, so a crashed writer never holds it. An in-memory
    database has only the thread lock.
    """

    def __init__(self, database: str | None) -> None:
        self._lock = threading.Lock()
        self._path = f"{database}-turn" if database and database != ":memory:" else None
        self._fd: int | None = None
        self._forks = -1  # `_forks` when the descriptor was opened

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the turn (as `threading.Lock.acquire`); False if this process's turn did not come
        within `timeout` seconds (the wait is then left to SQLite), or at once when not `blocking`.
        Another process's turn always ends: its transaction ends or the process dies."""
        if not self._lock.acquire(blocking, timeout):
            return False
        if self._path is not None:
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._lock.release()
                return False
            except BaseException:
                self._lock.release()
                raise
        return True

    def release(self) -> None:
        if self._path is not None and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()

    def _file(self) -> int:
        # Opened per process: a descriptor inherited across fork would share the other's lock. Forks
        # are counted rather than the process id asked for, which is a system call on every turn.
        if self._fd is None or self._forks != _forks:
            assert self._path is not None
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._forks = _forks
        return self._fd


_forks = 0  # forks this process is down from its start


def _forked() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_forked)


_TURN = "vnegov_write_turn"  # in a pooled connection's info while its transaction holds the turn


class Database:
    """An engine, its session factory and the hooks that run after each commit."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        sa_url = sa.make_url(url)
        self._write_turn = WriteTurn(sa_url.database) if sa_url.get_backend_name() == "sqlite" else None
        self.engine = make_engine(
            url, sqlite_begin="BEGIN IMMEDIATE", write_turn=self._write_turn, **engine_kwargs
        )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        # SQLite readers get their own pool with deferred transactions, so reads never wait for
        # the write lock; on PostgreSQL one engine serves both.
        self.read_engine = (
            make_engine(url, **engine_kwargs) if self.engine.dialect.name == "sqlite" else self.engine
        )
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False, autoflush=False)
        self._after_commit: list[Callable[[dict[str, Any]], None]] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def on_commit(self, hook: Callable[[dict[str, Any]], None]) -> None:
        """Run `hook(session.info)` after every successful commit (e.g. wake the outbox dispatcher
        when the transaction queued events)."""
        self._after_commit.append(hook)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit if the block succeeds, roll back if it raises."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            info = dict(session.info)
            session.close()
        for hook in self._after_commit:
            hook(info)

    @contextmanager
    def write_turn(self) -> Iterator[None]:
        """The turn at SQLite's one write lock (`WriteTurn`), for a writer that bypasses the
        engine's transactions (the message log's own connection); those take it themselves.

        SQLite has one writer at a time; a writer that finds the lock taken sleeps in SQLite's busy
        handler in growing steps (1, 2, 5, 10, … up to 100 ms) and starts long after the other has
        committed — under concurrent requests the slowest one waits most (p99 in hundreds of ms), and
        every call waiting for its log record waits with the log writer. Taking turns, a writer
        starts the moment the one before is done, in this process or another. No-op on PostgreSQL
        (row locks)."""
        turn = self._write_turn
        if turn is None:
            yield
            return
        taken = turn.acquire(timeout=BUSY_TIMEOUT_S)  # else the wait is left to SQLite, as for the
        try:  # engine's transactions
            yield
        finally:
            if taken:
                turn.release()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads only; rolled back at the end whatever happens."""
        session = self.read_sessions()
        try:
            yield session
        finally:
            self.end_read(session)

    @staticmethod
    def end_read(session: Session) -> None:
        """End a session opened for reads: roll back whatever it did, give its connection back."""
        session.rollback()
        session.close()

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()


class MultiRowInsert:
    """`INSERT … VALUES (…), (…), …` of plain tuples in as few statements as the driver allows.

    For hot write paths written from a background thread (a gateway's message log): the driver's
    executemany releases and retakes the interpreter lock once per row, and under load each hand-over
    waits for the event-loop thread; one statement per chunk waits once. Values go to the driver as
    they are, so callers pass what the column stores (see `UTCDateTime` for times).
    """

    MAX_PARAMETERS = 30_000  # under SQLite's 32,766 and PostgreSQL's 65,535

    def __init__(
        self, db: Database, table: str, columns: Sequence[str], *, rollback_on_conflict: bool = False
    ) -> None:
        self.mark = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
        self.width = len(columns)
        # For a transaction that fails as a whole on a conflict anyway (a log batch): on SQLite,
        # `INSERT OR ROLLBACK` ends it at once, so SQLite keeps no statement journal to undo just the
        # statement — a copy of every page the statement touches, in memory and then in a temporary
        # file (≈ 7 % of a log writer's CPU per batch). The caller must not ROLLBACK again.
        verb = "INSERT OR ROLLBACK" if rollback_on_conflict and db.dialect == "sqlite" else "INSERT"
        self.head = f"{verb} INTO {table} ({', '.join(columns)}) VALUES "
        self.row = "(" + ", ".join([self.mark] * len(columns)) + ")"
        self.chunk = max(1, self.MAX_PARAMETERS // len(columns))

    def statement(self, rows: Sequence[Sequence[Any]]) -> tuple[str, tuple[Any, ...]]:
        """One statement for at most `chunk` rows, for a driver cursor: (SQL, flat parameters)."""
        if len(rows) > self.chunk:
            raise ValueError(f"at most {self.chunk} rows per statement")
        return self.head + ", ".join([self.row] * len(rows)), tuple(chain.from_iterable(rows))

    def numbered(self, rows: Sequence[Sequence[Any]], first: int = 1) -> tuple[str, tuple[Any, ...]]:
        """`statement` with PostgreSQL's own placeholders, `$first`, `$first+1`, …, for a psycopg
        `RawCursor`, which sends the text as it is. Given `%s`, psycopg parses every statement to number
        them, and one of hundreds of parameters is too long for its cache of parsed statements: that
        parse was 44 % of a PostgreSQL log writer's CPU."""
        if len(rows) > self.chunk:
            raise ValueError(f"at most {self.chunk} rows per statement")
        return self.head + _numbered_rows(self.width, len(rows), first), tuple(chain.from_iterable(rows))

    def execute(self, connection: sa.Connection, rows: Sequence[Sequence[Any]]) -> None:
        """All of `rows`, in as few statements as fit, in `connection`'s transaction."""
        native = raw_cursor(connection.connection.dbapi_connection, connection.dialect)
        try:
            for start in range(0, len(rows), self.chunk):
                chunk = rows[start : start + self.chunk]
                if native is not None:
                    native.execute(*self.numbered(chunk))
                else:
                    connection.exec_driver_sql(*self.statement(chunk))
        finally:
            if native is not None:
                native.close()


def native_postgres(dialect: sa.Dialect) -> bool:
    """PostgreSQL through psycopg (the driver vnegov installs), which `raw_cursor` needs."""
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def raw_cursor(dbapi_connection: Any, dialect: sa.Dialect) -> Any | None:
    """A psycopg cursor that sends statements as written, for `MultiRowInsert.numbered`; None unless
    the database is PostgreSQL through psycopg (the driver vnegov installs)."""
    if not native_postgres(dialect):
        return None
    import psycopg  # only where PostgreSQL is used

    return psycopg.RawCursor(dbapi_connection)


def _numbered_rows(width: int, count: int, first: int) -> str:
    """`($first, …), (…)`: `count` rows of `width` placeholders. A log batch's are remembered (building
    them cost ≈ 3 µs a record); those of large batches, rare and long, are not kept."""
    if width * count <= 2_000:
        return _remembered_rows(width, count, first)
    return _rows_of_marks(width, count, first)


def _rows_of_marks(width: int, count: int, first: int) -> str:
    marks = iter(range(first, first + width * count))
    return ", ".join("(" + ", ".join(f"${next(marks)}" for _c in range(width)) + ")" for _r in range(count))


_remembered_rows = functools.lru_cache(maxsize=512)(_rows_of_marks)  # at most ≈ 7 MB


def combined_insert(
    parts: Sequence[tuple[MultiRowInsert, Sequence[Sequence[Any]]]],
) -> tuple[str, tuple[Any, ...]] | None:
    """PostgreSQL: the rows of `parts` (several tables') as ONE statement with numbered placeholders
    (`MultiRowInsert.numbered`); None when they take more than one statement's parameters.

    Data-modifying CTEs (`WITH a AS (INSERT …) INSERT …`) make it one statement, atomic on its own in
    autocommit mode and one round trip to the server, where BEGIN, each insert and COMMIT took one
    each (a log batch with monitoring rows: four round trips, each waking the server's process and
    ours; the writer's CPU per record nearly doubled). SQLite has no INSERT in WITH, and needs none:
    a transaction there costs no round trips.
    """
    parts = [(insert, rows) for insert, rows in parts if rows]
    if not parts or sum(len(rows) * insert.width for insert, rows in parts) > MultiRowInsert.MAX_PARAMETERS:
        return None
    statements = []
    first = 1
    for insert, rows in parts:
        statements.append(insert.numbered(rows, first))
        first += len(rows) * insert.width
    if len(statements) == 1:
        return statements[0]
    ctes = ", ".join(f"written_{i} AS ({sql})" for i, (sql, _p) in enumerate(statements[:-1]))
    return f"WITH {ctes} {statements[-1][0]}", tuple(chain.from_iterable(p for _s, p in statements))
