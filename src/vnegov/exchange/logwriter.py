"""The message log's writer in a process of its own (tiến trình ghi nhật ký), for a served gateway.

`vnegov serve exchange` writes its message log from a child process, not from a thread of the
gateway's process: a writer thread needs Python's interpreter lock to chain and store every batch,
and under load it and the event loop handed that lock to each other hundreds of times a second,
each hand-over costing both sides (the loop thread spent ~15 % more CPU per call, and every batch
waited for the lock twice). The child has an interpreter of its own and takes the second core.

The gateway's event loop sends the records of a call (the `MessageLogEntry` fields, without the
chain) down a pipe, all those of one loop turn in one write; the child reads whatever has arrived,
chains and stores it in one transaction (`logstore` — group commit, the shared chain of several
processes, the write turn), and only then answers with each record's sequence number and hash. A
call is answered after its record's answer came back, as with the thread: durable before we answer.

Frames on both pipes: a 4-byte big-endian length, then a pickle. Both ends are this platform's own
code in a parent and its child; nothing else can write to the pipes.

- The child ignores SIGINT/SIGTERM (a terminal's ^C reaches the whole process group): it stops
  when its input closes, after storing and answering what it read. A gateway killed with -9 closes
  it too: records read are stored, the child exits; no orphan is left.
- If the child dies, every waiting record fails (`LogWriteFailed`: the gateway withholds those
  answers, LOGGING_FAILED), new records fail while a new child starts (off the event loop, at most
  once a second), and the log goes on from the stored tip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import operator
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from datetime import datetime
from typing import Any

from vnegov.exchange.messagelog.records import RECORD_FIELDS, ChainTip, LinkedRecord, link_record, micros
from vnegov.exchange.messagelog.writer import LogClosed, LogOverloaded, LogWriteFailed, WriterStats
from vnegov.exchange.opmon import FIELDS as MONITORING_FIELDS

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("!I")
_START_TIMEOUT_S = 120.0  # imports and the first database connection of a fresh interpreter
_RESTART_AFTER_S = 1.0
# Reads of at most 64 KiB: a 1 MiB read had the allocator map, shrink and unmap a buffer every time
# (three system calls per read on the event loop); a reader that finds more is called again.
_READ = 64 * 1024
_AHEAD = 2  # batches at the writer at once: one being stored, the next waiting in the pipe
MONITORING_FLUSH_S = 1.0  # monitoring records wait for log records to travel with at most this long
MONITORING_HOLD_S = 0.5  # and then wait in the writer process at most this long (`_HeldMonitoring`)
MONITORING_ROWS = 256  # or until this many are held

# A record travels as a tuple of its fields' values (`RECORD_FIELDS`), its times as integer
# microseconds since the epoch: pickling a dict with two datetimes cost the event loop ≈ 5 µs a record,
# the tuple ≈ 1.8 µs; and the writer chains it as it comes (`link_record`), without datetimes.
_FIELD_SET = frozenset(RECORD_FIELDS)
_TIMES = tuple(RECORD_FIELDS.index(name) for name in ("request_time", "response_time"))
_RECORD_VALUES = operator.itemgetter(*RECORD_FIELDS)

Ack = tuple[int, int, str]
"""(record id, sequence number or 0 if it failed, the record's hash or why it failed)."""


def _record(fields: dict[str, Any]) -> tuple[Any, ...]:
    """A record's fields as they travel (`RECORD_FIELDS`, times as microseconds since the epoch);
    `LogWriteFailed` if a field is missing or unknown or a time is not timezone-aware. Other values
    are checked by the writer, as `MessageLogEntry` checks them."""
    if len(fields) != len(RECORD_FIELDS) or not fields.keys() <= _FIELD_SET:
        given, known = set(fields), set(RECORD_FIELDS)
        wrong = ", ".join(sorted((given - known) | (known - given)))
        raise LogWriteFailed(f"the record is not valid: missing or unknown fields: {wrong}")
    values = list(_RECORD_VALUES(fields))
    for i in _TIMES:
        moment = values[i]
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise LogWriteFailed(
                f"the record is not valid: {RECORD_FIELDS[i]} must be a timezone-aware datetime"
            )
        values[i] = micros(moment)
    return tuple(values)


def _frame(obj: object) -> bytes:
    data = pickle.dumps(obj, protocol=5)
    return _LENGTH.pack(len(data)) + data


def _frames(buffer: bytearray) -> list[Any]:
    """Take the complete frames off the front of `buffer`."""
    out = []
    while len(buffer) >= _LENGTH.size:
        (size,) = _LENGTH.unpack_from(buffer)
        end = _LENGTH.size + size
        if len(buffer) < end:
            break
        out.append(pickle.loads(buffer[_LENGTH.size : end]))
        del buffer[:end]
    return out


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_frame(fd: int, timeout: float) -> Any:
    """One frame from a blocking descriptor, within `timeout` seconds (the child's first answer)."""
    buffer = bytearray()
    deadline = time.monotonic() + timeout
    while True:
        frames = _frames(buffer)
        if frames:
            return frames[0]
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise RuntimeError(f"the message log writer process did not answer within {timeout:.0f} s")
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            raise RuntimeError("the message log writer process exited as it started (see its errors above)")
        buffer += chunk


class _Child:
    """One writer process and the two ends of its pipes."""

    def __init__(self, database_url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vnegov.exchange.logwriter"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.to_child = self.process.stdin.fileno()
        self.from_child = self.process.stdout.fileno()
        try:
            _write_all(self.to_child, _frame(database_url))  # not on the command line, where ps shows it
            ready = _read_frame(self.from_child, _START_TIMEOUT_S)
            if ready[0] != "ready":
                raise RuntimeError(f"the message log writer process could not start: {ready[1]}")
        except BaseException:
            self.kill()
            raise
        self.tip = ChainTip(ready[1], ready[2])
        os.set_blocking(self.to_child, False)
        os.set_blocking(self.from_child, False)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait()
        self.close_pipes()

    def close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]


class ProcessLog:
    """The message log of a served gateway, written by a child process (see the module docstring).

    Same face as `GroupCommitLog` for the gateway: `await write(**fields)` returns once the record is
    stored (its `ChainTip`), `tip`, `stats`, `close()`. Used from one event loop.
    """

    def __init__(self, database_url: str, *, max_in_flight: int = 10_000) -> None:
        self._url = database_url
        self._max = max_in_flight
        self._child: _Child | None = _Child(database_url)
        self._tip = self._child.tip
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[int, asyncio.Future[ChainTip]] = {}
        self._next_id = 0
        self._outbox: list[tuple[int, tuple[Any, ...], Any]] = []
        self._monitoring: list[tuple[Any, ...]] = []
        self._monitoring_timer: asyncio.TimerHandle | None = None
        self.monitoring_dropped = 0
        self._flush_scheduled = False
        self._at_writer = 0  # frames sent and not yet answered: at most `_AHEAD` (see `_flush`)
        self._unsent = bytearray()  # what the pipe did not take yet
        self._received = bytearray()
        self._closed = False
        self._down: str | None = None  # why no child is running
        self._restarting = False
        self._lock = threading.Lock()  # stats, read by the health check's thread
        self._batches = self._entries = self._failed_batches = self._failed_entries = self._max_size = 0
        self._persist_seconds = 0.0

    @property
    def tip(self) -> ChainTip:
        """The last record stored by this gateway process's writer."""
        return self._tip

    @property
    def stats(self) -> WriterStats:
        with self._lock:
            return WriterStats(
                batches=self._batches,
                entries=self._entries,
                failed_batches=self._failed_batches,
                failed_entries=self._failed_entries,
                max_batch_size=self._max_size,
                persist_seconds=self._persist_seconds,
            )

    @property
    def pid(self) -> int | None:
        return self._child.process.pid if self._child else None

    # ------------------------------------------------------------------ the event loop's side

    async def write(self, *, attachment: Any = None, **fields: Any) -> ChainTip:
        """Hand a record to the writer; return once it is stored (`LogWriteFailed` if it was not)."""
        loop = self._loop or self._attach()
        if self._closed:
            raise LogClosed("the message log is closed")
        if self._child is None:
            self._restart_soon()
            raise LogWriteFailed(f"the message log writer process is not running: {self._down}")
        if len(self._waiters) >= self._max:
            raise LogOverloaded(f"{self._max} message log records are waiting to be stored")
        record = _record(fields)  # before anything waits for it: a bad one fails here, alone
        record_id = self._next_id
        self._next_id = record_id + 1
        waiter: asyncio.Future[ChainTip] = loop.create_future()
        self._waiters[record_id] = waiter
        self._outbox.append((record_id, record, attachment))
        if not self._flush_scheduled and self._at_writer < _AHEAD:  # this loop turn's records go together
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await waiter

    def monitor(self, row: tuple[Any, ...]) -> None:
        """An operational monitoring row (`opmon.ROW_FIELDS`): sent with the next log records, or on
        its own after `MONITORING_FLUSH_S` (a write to the pipe wakes the writer: it costs the loop
        more than the record); the writer stores it soon after (`_HeldMonitoring`). Never waits;
        dropped and counted when the writer is down or too many are queued — monitoring must never
        hold a call back."""
        loop = self._loop or self._attach()
        if self._child is None or len(self._monitoring) >= self._max:
            self.monitoring_dropped += 1
            return
        self._monitoring.append(row)
        if self._monitoring_timer is None:
            self._monitoring_timer = loop.call_later(MONITORING_FLUSH_S, self._send_monitoring)

    def _send_monitoring(self) -> None:
        self._monitoring_timer = None
        if self._monitoring and not self._flush_scheduled:
            self._flush()

    def _attach(self) -> asyncio.AbstractEventLoop:
        self._loop = asyncio.get_running_loop()
        if self._child is not None:
            self._loop.add_reader(self._child.from_child, self._on_answers)
        return self._loop

    def _flush(self) -> None:
        """Send what has queued, unless the writer has `_AHEAD` batches already (one being stored,
        the next in the pipe): then it goes when one is answered, with everything that came
        meanwhile. The writer never waits for the gateway between batches, and is not woken for
        every loop turn's one or two records (when the cores were busy that cost more than it saved:
        one hop 4,320 against 4,020 calls/s in alternating runs)."""
        self._flush_scheduled = False
        child = self._child
        if not (self._outbox or self._monitoring) or child is None or self._at_writer >= _AHEAD:
            return
        frame = _frame((self._outbox, self._monitoring))
        self._outbox, self._monitoring = [], []
        self._at_writer += 1
        if self._unsent:  # the pipe is full: wait behind what it has not taken yet
            self._unsent += frame
            return
        try:
            sent = os.write(child.to_child, frame)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self._lost(f"its pipe broke ({exc})")
            return
        if sent < len(frame):
            self._unsent += frame[sent:]
            assert self._loop is not None
            self._loop.add_writer(child.to_child, self._send_unsent)

    def _send_unsent(self) -> None:
        child = self._child
        if child is None:
            return
        try:
            sent = os.write(child.to_child, self._unsent)
        except BlockingIOError:
            return
        except OSError as exc:
            self._lost(f"its pipe broke ({exc})")
            return
        del self._unsent[:sent]
        if not self._unsent and self._loop is not None:
            self._loop.remove_writer(child.to_child)

    def _on_answers(self) -> None:
        child = self._child
        if child is None:
            return
        try:
            chunk = os.read(child.from_child, _READ)
        except BlockingIOError:
            return
        except OSError as exc:
            self._lost(f"its pipe broke ({exc})")
            return
        if not chunk:
            code = child.process.poll()
            self._lost("it exited" if code is None else f"it exited with code {code}")
            return
        self._received += chunk
        for frames, seconds, acks in _frames(self._received):
            self._at_writer -= frames
            self._settle(seconds, acks)
        if self._outbox or (self._monitoring and self._monitoring_timer is None):
            self._flush()  # what queued while the writer was busy

    def _settle(self, seconds: float, acks: list[Ack]) -> None:
        waiters = self._waiters
        stored = 0
        for record_id, sequence, detail in acks:
            waiter = waiters.pop(record_id, None)
            if sequence:
                stored += 1
                tip = ChainTip(sequence, detail)
                if sequence > self._tip.sequence:
                    self._tip = tip
                if waiter is not None and not waiter.done():
                    waiter.set_result(tip)
            elif waiter is not None and not waiter.done():
                waiter.set_exception(LogWriteFailed(detail))
        with self._lock:
            self._persist_seconds += seconds
            if stored:
                self._batches += 1
                self._entries += stored
                self._max_size = max(self._max_size, stored)
            if stored < len(acks):
                self._failed_batches += 1
                self._failed_entries += len(acks) - stored

    # ------------------------------------------------------------------ when the child dies

    def _lost(self, why: str) -> None:
        """The child is gone: fail what waits for it and start another."""
        child, self._child = self._child, None
        if child is None:
            return
        self._down = why
        log.error(
            "the message log writer process stopped", extra={"reason": why, "waiting": len(self._waiters)}
        )
        if self._loop is not None:
            self._loop.remove_reader(child.from_child)
            self._loop.remove_writer(child.to_child)
        child.kill()
        failure = LogWriteFailed(
            f"the message log writer process stopped ({why}); the record may not be stored"
        )
        waiting, self._waiters = self._waiters, {}
        if waiting:  # (a writer that dies idle fails no record: the health check stays green)
            with self._lock:
                self._failed_batches += 1
                self._failed_entries += len(waiting)
        for waiter in waiting.values():
            if not waiter.done():
                waiter.set_exception(failure)
        self._outbox.clear()
        self._at_writer = 0
        self.monitoring_dropped += len(self._monitoring)
        self._monitoring.clear()
        self._unsent.clear()
        self._received.clear()
        self._restart_soon()

    def _restart_soon(self) -> None:
        if self._restarting or self._closed or self._loop is None:
            return
        self._restarting = True
        self._loop.call_later(_RESTART_AFTER_S, self._restart)

    def _restart(self) -> None:
        loop = self._loop
        assert loop is not None

        def started(future: asyncio.Future[_Child]) -> None:
            self._restarting = False
            if future.exception() is not None:
                self._down = f"could not start another: {future.exception()}"
                log.error(
                    "the message log writer process could not be restarted", extra={"reason": self._down}
                )
                self._restart_soon()
                return
            child = future.result()
            if self._closed:
                child.close_pipes()
                child.process.wait()
                return
            self._child, self._down = child, None
            self._tip = child.tip
            loop.add_reader(child.from_child, self._on_answers)
            log.warning("the message log writer process was restarted", extra={"tip": child.tip.sequence})

        loop.run_in_executor(None, _Child, self._url).add_done_callback(started)

    # ------------------------------------------------------------------ shutdown

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking records; send what is queued, wait until the child has stored and answered
        everything, and let it exit."""
        if self._closed:
            return
        self._closed = True
        if self._monitoring_timer is not None:
            self._monitoring_timer.cancel()
        child = self._child
        if child is None:
            return
        if self._loop is not None:
            self._loop.remove_reader(child.from_child)
            self._loop.remove_writer(child.to_child)
        os.set_blocking(child.to_child, True)
        os.set_blocking(child.from_child, True)
        with contextlib.suppress(OSError):
            rest = _frame((self._outbox, self._monitoring)) if self._outbox or self._monitoring else b""
            _write_all(child.to_child, bytes(self._unsent) + rest)
        self._outbox, self._monitoring, self._unsent = [], [], bytearray()
        with contextlib.suppress(OSError):
            child.process.stdin.close()  # type: ignore[union-attr]  # end of input: the child finishes
        deadline = time.monotonic() + timeout
        while self._waiters and time.monotonic() < deadline:
            if not select.select([child.from_child], [], [], deadline - time.monotonic())[0]:
                break
            chunk = os.read(child.from_child, _READ)
            if not chunk:
                break
            self._received += chunk
            for _frames_done, seconds, acks in _frames(self._received):
                self._settle(seconds, acks)
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_exception(LogClosed("the message log closed before this record was stored"))
        self._waiters.clear()
        try:
            child.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
        child.close_pipes()
        self._child = None


class ProcessMonitoring:
    """The gateway's operational monitoring when its log has a writer process: `OpmonWriter`'s face,
    the records travelling with the log's (no thread of the gateway writes them)."""

    def __init__(self, log: ProcessLog) -> None:
        self._log = log

    def record(self, row: tuple[Any, ...]) -> None:
        self._log.monitor(row)

    @property
    def dropped(self) -> int:
        return self._log.monitoring_dropped

    def close(self) -> None:
        """Nothing of its own: closing the log stores what was sent."""


# ---------------------------------------------------------------------- the child process


def _store(persist: Any, items: list[tuple[int, tuple[Any, ...], Any]]) -> list[Ack]:
    """Chain and store one batch (after the stored tip, as `GroupCommitLog` does); each record's
    answer."""
    acks: list[Ack] = []

    def chain(tip: ChainTip) -> list[tuple[LinkedRecord, Any]]:
        acks.clear()  # a retried transaction chains again from the tip it then reads
        chained = []
        for record_id, values, attachment in items:
            try:
                entry = link_record(tip, values)
            except (TypeError, ValueError) as exc:
                acks.append((record_id, 0, f"the record is not valid: {exc}"))
                continue
            acks.append((record_id, entry.sequence, entry.hash))
            chained.append((entry, attachment))
            tip = entry.tip
        return chained

    try:
        persist(chain)
    except Exception as exc:  # the batch is not stored: every record of it fails, the writer goes on
        log.exception("message log records were not stored", extra={"count": len(items)})
        return [(record_id, 0, f"the message log could not store it: {exc}") for record_id, _f, _a in items]
    return acks


class _HeldMonitoring:
    """Monitoring rows the writer process keeps back, to store them many at a time, after the log.

    Stored in every log batch's transaction (6–10 records under load), they cost more than the
    records: on PostgreSQL, the batch's statement took as many shapes as there are pairs of record
    and row counts, too many for the driver's prepared statements, so the server parsed and planned
    nearly every one (its CPU per record ≈ 60 µs against ≈ 18 µs for the records alone, isolated
    writer, batches of 3–17); on SQLite they were a third of the pages each commit writes. Held, they
    are stored in their own transactions of `MONITORING_ROWS` (one statement shape), and what is left
    after `MONITORING_HOLD_S`. They are never durable before an answer (`opmon`): a crash may lose
    what is held, as it may lose what the gateway holds."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.since = 0.0

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        if not self.rows:
            self.since = time.monotonic()
        self.rows += rows

    def wait(self) -> float | None:
        """How long the writer may wait for the gateway before the held rows are due (None: no limit)."""
        return max(0.0, self.since + MONITORING_HOLD_S - time.monotonic()) if self.rows else None

    def take(self, *, flush: bool = False) -> list[list[tuple[Any, ...]]]:
        """The rows due, in chunks of at most `MONITORING_ROWS`: the full chunks, or all of them once
        the oldest has waited `MONITORING_HOLD_S` (or `flush`)."""
        rows = self.rows
        if flush or (rows and time.monotonic() - self.since >= MONITORING_HOLD_S):
            cut = len(rows)
        else:
            cut = len(rows) - len(rows) % MONITORING_ROWS
        if not cut:
            return []
        self.rows = rows[cut:]
        return [rows[i : i + MONITORING_ROWS] for i in range(0, cut, MONITORING_ROWS)]


def _serve(source: int, sink: int) -> None:
    from vnegov.exchange import logstore, opmon
    from vnegov.exchange.models import OpmonRecord
    from vnegov.kernel.db import Database, MultiRowInsert

    buffer = bytearray()
    url = _read_frame(source, _START_TIMEOUT_S)
    try:
        db = Database(url)
        writer = logstore._Writer(db)
        monitoring_insert = MultiRowInsert(
            db, OpmonRecord.__tablename__, MONITORING_FIELDS, rollback_on_conflict=True
        )
    except Exception as exc:
        _write_all(sink, _frame(("error", f"{exc.__class__.__name__}: {exc}")))
        raise
    _write_all(sink, _frame(("ready", writer.tip.sequence, writer.tip.hash)))
    held = _HeldMonitoring()
    ended = False
    while not ended:
        if select.select([source], [], [], held.wait())[0]:  # the gateway, or a monitoring deadline
            chunk = os.read(source, _READ)
            ended = not chunk
            buffer += chunk
            while not ended and select.select([source], [], [], 0)[0]:  # and takes all that has come
                more = os.read(source, _READ)
                ended = not more
                buffer += more
        frames = _frames(buffer)
        items: list[tuple[int, tuple[Any, ...], Any]] = []
        for records, rows in frames:
            items += records
            if rows:
                held.add(opmon.stored(rows))
        started = time.perf_counter()
        acks = _store(writer.persist, items) if items else []
        if frames:  # the calls go on before any monitoring row is stored
            _write_all(sink, _frame((len(frames), time.perf_counter() - started, acks)))
        for rows in held.take(flush=ended):
            try:
                writer.store_also([(monitoring_insert, rows)])
            except Exception:
                log.exception("operational monitoring records were lost", extra={"count": len(rows)})
    db.dispose()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopped by the end of its input, never halfway
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="vnegov log writer: %(levelname)s %(message)s")
    sink = os.dup(sys.stdout.fileno())  # the answers' own descriptor; a stray print goes to stderr
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.fileno(), sink)


if __name__ == "__main__":
    main()
