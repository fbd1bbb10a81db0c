"""Periodic jobs: run every interval, a job marked `at_start` also as soon as the runner starts; a
failing job is retried, never stops the others."""

from __future__ import annotations

import threading

from vnegov.kernel.jobs import Job, JobRunner


def test_a_job_runs_every_interval_and_at_start_when_asked() -> None:
    ran: dict[str, int] = {"later": 0, "now": 0}
    started = threading.Event()

    def now() -> None:
        ran["now"] += 1
        started.set()

    runner = JobRunner(
        [Job("later", 3600, lambda: ran.__setitem__("later", 1)), Job("now", 3600, now, at_start=True)]
    )
    runner.start()
    try:
        assert started.wait(10)
    finally:
        runner.stop()
    assert ran == {"later": 0, "now": 1}  # the hourly job waits its hour; the other ran at once


def test_a_failing_job_is_retried() -> None:
    calls: list[int] = []
    again = threading.Event()

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database is away")
        again.set()

    runner = JobRunner([Job("flaky", 0.05, flaky, at_start=True)])
    runner.start()
    try:
        assert again.wait(10)
    finally:
        runner.stop()
    assert len(calls) >= 2
