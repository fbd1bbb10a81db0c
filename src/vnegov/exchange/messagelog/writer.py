"""Group-committed message log writer (ghi nhật ký theo nhóm): one thread owns the chain tip.

Callers (the gateway's request handlers, on any thread) `append` the fields of a log record and get a
`Future`. A single writer thread takes whatever has queued, numbers and chains it from the tip, and hands
the batch to `persist` (the real one writes it in one database transaction). As soon as that returns, the
futures of the batch resolve and the writer takes the next batch: no timer, so a lone request waits for
one commit and a busy gateway gets large batches (`stack.md`, "group commit"). The gateway answers its
client only after its record's future resolved, i.e. after the record is durable.

If `persist` raises, every record of that batch fails (`LogWriteFailed`) and the tip stays where it was:
the next batch reuses those sequence numbers and links to the last persisted hash, so what was stored
still verifies. `persist` must be all-or-nothing; if it cannot tell whether a batch was stored (a lost
commit acknowledgement), the owner should close the log and reopen it from the stored tip.

The queue is bounded: `append` blocks while it is full (back-pressure) or raises `LogOverloaded` after
`timeout` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from vnegov.exchange.messagelog.records import GENESIS, ChainTip, MessageLogEntry, next_entry
from vnegov.kernel.loops import running_loop

Chain = Callable[[ChainTip], list[tuple[MessageLogEntry, Any]]]
"""Given the stored tip, chain the batch's records after it: (entry, attachment) pairs."""

ChainingPersist = Callable[[Chain], None]
"""Store a batch whose place in the chain is decided inside the storing transaction: read the stored
tip under a lock, call `chain(tip)`, store the entries. Lets several writers (processes) share one chain.
"""

Persist = Callable[..., None]
"""Store a batch of chained entries durably, all or nothing; raise if it was not stored.

Called as `persist(entries)`, or `persist(entries, attachments)` when some record came with an
attachment (e.g. the bodies to keep with it): a list parallel to `entries`, None where there is none.
"""


class LogClosed(RuntimeError):
    """The log is closed (or its writer stopped): nothing more can be appended."""


class LogOverloaded(RuntimeError):
    """The log's queue stayed full for the whole timeout."""


class LogWriteFailed(RuntimeError):
    """The batch holding this record could not be persisted (the cause is chained)."""


@dataclass(frozen=True)
class WriterStats:
    """Counters of a `GroupCommitLog` (thống kê ghi nhật ký)."""

    batches: int
    entries: int
    failed_batches: int
    failed_entries: int
    max_batch_size: int
    persist_seconds: float

    @property
    def mean_batch_size(self) -> float:
        return self.entries / self.batches if self.batches else 0.0


@dataclass(frozen=True, slots=True)
class _Item:
    fields: dict[str, Any]
    future: Future[MessageLogEntry] | None = None
    waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[MessageLogEntry]] | None = None
    attachment: Any = None


def _settle(outcomes: list[tuple[asyncio.Future[MessageLogEntry], MessageLogEntry | BaseException]]) -> None:
    """Resolve a batch's asyncio waiters (runs on their event loop)."""
    for waiter, outcome in outcomes:
        if waiter.done():
            continue  # the caller gave up waiting
        if isinstance(outcome, BaseException):
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)


_STOP = object()


class GroupCommitLog:
    """The message log's single writer (see the module docstring).

    `tip` is the last persisted entry (or its `ChainTip`); None starts a new log at sequence 1.
    `max_queue` bounds the records waiting; `max_batch` bounds one transaction. With `chaining`
    instead of `persist`, the storage decides each batch's place in the chain (`ChainingPersist`), so
    several writers in several processes may share one log.
    """

    def __init__(
        self,
        persist: Persist | None = None,
        *,
        chaining: ChainingPersist | None = None,
        tip: ChainTip | MessageLogEntry | None = None,
        max_queue: int = 10_000,
        max_batch: int = 1_000,
        name: str = "messagelog-writer",
    ) -> None:
        if max_queue < 1 or max_batch < 1:
            raise ValueError("max_queue and max_batch must be positive")
        if (persist is None) == (chaining is None):
            raise ValueError("give either persist or chaining")
        self._persist = persist
        self._chaining = chaining
        self._tip = GENESIS if tip is None else tip if isinstance(tip, ChainTip) else tip.tip
        if not self._tip.hash:
            raise ValueError("the tip entry has no hash")
        self._max_batch = max_batch
        self._queue: queue.Queue[_Item | object] = queue.Queue(maxsize=max_queue)
        self._state = threading.Condition()
        self._closed = False
        self._in_flight = 0
        self._stats_lock = threading.Lock()
        self._batches = self._entries = self._failed_batches = self._failed_entries = self._max_size = 0
        self._persist_seconds = 0.0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # ----------------------------------------------------------------------------- callers

    def append(
        self, *, timeout: float | None = None, attachment: Any = None, **fields: Any
    ) -> Future[MessageLogEntry]:
        """Queue a record (every `MessageLogEntry` field but `sequence`, `previous_hash`, `hash`).

        The future resolves to the chained entry once its batch is persisted, or fails with
        `LogWriteFailed` (or the `ValueError`/`TypeError` of bad fields). Blocks while the queue is full;
        `LogOverloaded` after `timeout` seconds; `LogClosed` once `close` was called.
        """
        future: Future[MessageLogEntry] = Future()
        with self._state:
            if self._closed:
                raise LogClosed("the message log is closed")
            self._in_flight += 1
        try:
            self._queue.put(_Item(fields, future=future, attachment=attachment), timeout=timeout)
        except queue.Full:
            raise LogOverloaded(f"the message log queue stayed full for {timeout} s") from None
        finally:
            with self._state:
                self._in_flight -= 1
                if not self._in_flight:
                    self._state.notify_all()
        return future

    async def write(self, *, attachment: Any = None, **fields: Any) -> MessageLogEntry:
        """`append` for a coroutine: wait (without blocking the event loop) until the record is durable.

        A whole batch's waiters on one event loop are woken by one cross-thread call, not one each.
        Never blocks: a full queue raises `LogOverloaded` at once (the caller refuses the call).
        """
        loop = running_loop()
        waiter: asyncio.Future[MessageLogEntry] = loop.create_future()
        with self._state:
            if self._closed:
                raise LogClosed("the message log is closed")
            try:
                self._queue.put_nowait(_Item(fields, waiter=(loop, waiter), attachment=attachment))
            except queue.Full:
                raise LogOverloaded("the message log queue is full") from None
        return await waiter

    def close(self, timeout: float | None = None) -> None:
        """Stop accepting records, persist everything queued, stop the writer thread."""
        with self._state:
            already = self._closed
            self._closed = True
            self._state.wait_for(lambda: self._in_flight == 0)
        if not already:
            self._queue.put(_STOP)
        self._thread.join(timeout)

    def __enter__(self) -> GroupCommitLog:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def tip(self) -> ChainTip:
        """The last persisted entry's sequence number and hash."""
        return self._tip

    @property
    def stats(self) -> WriterStats:
        with self._stats_lock:
            return WriterStats(
                batches=self._batches,
                entries=self._entries,
                failed_batches=self._failed_batches,
                failed_entries=self._failed_entries,
                max_batch_size=self._max_size,
                persist_seconds=self._persist_seconds,
            )

    # ----------------------------------------------------------------------------- writer thread

    def _run(self) -> None:
        try:
            stop = False
            while not stop:
                items: list[_Item] = []
                item = self._queue.get()
                while True:
                    if item is _STOP:
                        stop = True
                        break
                    assert isinstance(item, _Item)
                    items.append(item)
                    if len(items) >= self._max_batch:
                        break
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                if items:
                    self._commit(items)
        except BaseException as exc:  # pragma: no cover - a bug in the writer itself: fail what is left
            with self._state:
                self._closed = True
            self._fail_queued(exc)
            raise

    def _fail_queued(self, exc: BaseException) -> None:  # pragma: no cover - see _run
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Item):
                item_failed(item, LogClosed(f"the message log writer stopped: {exc!r}"))

    def _commit(self, items: list[_Item]) -> None:
        if self._chaining is not None:
            self._commit_chaining(items)
            return
        tip = self._tip
        entries: list[MessageLogEntry] = []
        owners: list[_Item] = []
        for item in items:
            if item.future is not None and not item.future.set_running_or_notify_cancel():
                continue  # cancelled by the caller before it was written
            try:
                entry = next_entry(tip, **item.fields)
            except (TypeError, ValueError) as exc:
                _finish([(item, exc)])
                continue
            entries.append(entry)
            owners.append(item)
            tip = entry.tip
        if not entries:
            return
        started = time.perf_counter()
        attachments = [item.attachment for item in owners]
        try:
            assert self._persist is not None
            if any(a is not None for a in attachments):
                self._persist(entries, attachments)
            else:
                self._persist(entries)
        except Exception as exc:
            elapsed = time.perf_counter() - started
            with self._stats_lock:
                self._failed_batches += 1
                self._failed_entries += len(entries)
                self._persist_seconds += elapsed
            failure = LogWriteFailed(
                f"message log records {entries[0].sequence}–{entries[-1].sequence} were not persisted: {exc}"
            )
            failure.__cause__ = exc
            _finish([(item, failure) for item in owners])
            return
        elapsed = time.perf_counter() - started
        self._tip = tip
        with self._stats_lock:
            self._batches += 1
            self._entries += len(entries)
            self._max_size = max(self._max_size, len(entries))
            self._persist_seconds += elapsed
        _finish(list(zip(owners, entries, strict=True)))

    def _commit_chaining(self, items: list[_Item]) -> None:
        live = [i for i in items if i.future is None or i.future.set_running_or_notify_cancel()]
        if not live:
            return
        outcomes: list[tuple[_Item, MessageLogEntry | BaseException]] = []

        def chain(tip: ChainTip) -> list[tuple[MessageLogEntry, Any]]:
            outcomes.clear()  # a retried transaction chains again from the tip it then reads
            chained = []
            for item in live:
                try:
                    entry = next_entry(tip, **item.fields)
                except (TypeError, ValueError) as exc:
                    outcomes.append((item, exc))
                    continue
                outcomes.append((item, entry))
                chained.append((entry, item.attachment))
                tip = entry.tip
            return chained

        started = time.perf_counter()
        assert self._chaining is not None
        try:
            self._chaining(chain)
        except Exception as exc:
            with self._stats_lock:
                self._failed_batches += 1
                self._failed_entries += len(live)
                self._persist_seconds += time.perf_counter() - started
            failure = LogWriteFailed(f"{len(live)} message log records were not persisted: {exc}")
            failure.__cause__ = exc
            _finish([(item, failure) for item in live])
            return
        stored = [e for _i, e in outcomes if isinstance(e, MessageLogEntry)]
        with self._stats_lock:
            self._batches += 1 if stored else 0
            self._entries += len(stored)
            self._max_size = max(self._max_size, len(stored))
            self._persist_seconds += time.perf_counter() - started
        if stored:
            self._tip = stored[-1].tip
        _finish(outcomes)


def item_failed(item: _Item, exc: BaseException) -> None:
    _finish([(item, exc)])


def _finish(outcomes: list[tuple[_Item, MessageLogEntry | BaseException]]) -> None:
    """Resolve thread futures directly and asyncio waiters with one call per event loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[MessageLogEntry], Any]]] = {}
    for item, outcome in outcomes:
        if item.future is not None:
            if isinstance(outcome, BaseException):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)
        elif item.waiter is not None:
            loop, waiter = item.waiter
            by_loop.setdefault(loop, []).append((waiter, outcome))
    for loop, batch in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that event loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_settle, batch)
