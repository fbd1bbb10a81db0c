"""Prometheus figures per service: calls by outcome and their duration (`/metrics`)."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

CALLS = Counter(
    "vnegov_exchange_calls_total",
    "Calls through the exchange gateway, by service and outcome (HTTP status or refusal code)",
    ["service", "outcome"],
)
DURATION = Histogram(
    "vnegov_exchange_call_duration_seconds",
    "Time from a call's arrival at the gateway to its logged answer",
    ["service"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


_calls: dict[tuple[str, str], Any] = {}
_durations: dict[str, Any] = {}


def observe(service: str, outcome: str, seconds: float) -> None:
    # The labelled children, kept: `labels()` takes a lock and checks its arguments on every call.
    calls = _calls.get((service, outcome))
    if calls is None:
        calls = _calls[(service, outcome)] = CALLS.labels(service, outcome)
    duration = _durations.get(service)
    if duration is None:
        duration = _durations[service] = DURATION.labels(service)
    calls.inc()
    duration.observe(seconds)
