"""Periodic jobs (tác vụ định kỳ): a thread per job that runs it every N seconds until stopped.

A job's failure is logged and retried at the next interval; it never stops the process. Jobs must be
safe to run in several processes at once (they are, when they only do idempotent database work).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]
    at_start: bool = False  # also once as soon as the runner starts, not only after the first interval


class JobRunner:
    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stop.clear()
        for job in self.jobs:
            thread = threading.Thread(target=self._loop, args=(job,), name=f"job-{job.name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()

    def _loop(self, job: Job) -> None:
        if job.at_start:
            self._run(job)
        while not self._stop.wait(job.every_seconds):
            self._run(job)

    @staticmethod
    def _run(job: Job) -> None:
        try:
            job.run()
        except Exception:
            log.exception("periodic job failed", extra={"job": job.name})
