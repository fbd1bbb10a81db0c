"""Security events of the gateway (sự kiện an toàn thông tin), written to the outbox in batches.

Every refusal (no or bad credentials, unknown client or service, no access right, malformed identifier,
oversized body, rate limit) is an event on topic `security.exchange.denied`, for the SOC component to
consume. A refusal is answered only after its event is committed, so a crash loses none of them; a
single writer thread commits whatever queued while the previous commit ran (group commit).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from concurrent.futures import Future
from typing import Any

from vnegov.kernel import outbox
from vnegov.kernel.db import Database

TOPIC_DENIED = "security.exchange.denied"
_STOP = object()


class SecurityEvents:
    def __init__(self, db: Database, *, max_batch: int = 500) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queue: queue.Queue[tuple[str, dict[str, Any], Future[None]] | object] = queue.Queue(10_000)
        self._thread = threading.Thread(target=self._run, name="exchange-security-events", daemon=True)
        self._thread.start()

    async def record(self, payload: dict[str, Any], topic: str = TOPIC_DENIED) -> None:
        future: Future[None] = Future()
        try:
            self._queue.put_nowait((topic, payload, future))
        except queue.Full:
            return  # a flood: refusing fast matters more than recording each one (the counter still rises)
        await asyncio.wrap_future(future)

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.append(more)
            self._commit(batch)  # type: ignore[arg-type]
            if stop:
                return

    def _commit(self, batch: list[tuple[str, dict[str, Any], Future[None]]]) -> None:
        try:
            with self.db.transaction() as session:
                for topic, payload, _future in batch:
                    outbox.emit(session, topic, payload)
        except Exception as exc:
            for *_rest, future in batch:
                future.set_exception(exc)
            return
        for *_rest, future in batch:
            future.set_result(None)
