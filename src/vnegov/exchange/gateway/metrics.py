"""Prometheus figures per service: calls by outcome and their duration (`/metrics`).

One process (`vnegov serve` with one worker, `vnegov up`): the event loop counts each call in plain
dicts and a collector turns them into the two metrics when `/metrics` is read. prometheus-client's
own metric objects cost the loop ≈ 18,000 instructions per call (a lock per increment, a Python loop
over the buckets) — 2.7 % of a gateway's call, counted by callgrind. With several worker processes
(`PROMETHEUS_MULTIPROC_DIR`), whose figures prometheus-client adds up from files, its metric objects
are used as they are.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

CALLS_NAME = "vnegov_exchange_calls"
CALLS_HELP = "Calls through the exchange gateway, by service and outcome (HTTP status or refusal code)"
DURATION_NAME = "vnegov_exchange_call_duration_seconds"
DURATION_HELP = "Time from a call's arrival at the gateway to its logged answer"
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

# Counted by the event loop: calls per (service, outcome); per service [sum of seconds, then the
# calls in each bucket (not cumulative), the last for those above the largest bound].
_calls: dict[tuple[str, str], int] = {}
_durations: dict[str, list[float]] = {}


class _Collector:
    """Reads the counts when `/metrics` is read (from another thread: it copies before it reads)."""

    def collect(self) -> Iterator[Metric]:
        calls = CounterMetricFamily(CALLS_NAME, CALLS_HELP, labels=["service", "outcome"])
        for (service, outcome), count in dict(_calls).items():
            calls.add_metric([service, outcome], count)
        yield calls
        durations = HistogramMetricFamily(DURATION_NAME, DURATION_HELP, labels=["service"])
        for service, counting in dict(_durations).items():
            counted = list(counting)  # sum and buckets of one moment
            running = 0.0
            buckets: list[tuple[str, float]] = []
            for bound, in_bucket in zip((*BUCKETS, float("inf")), counted[1:], strict=True):
                running += in_bucket
                buckets.append((_bound_text(bound), running))
            durations.add_metric([service], buckets, sum_value=counted[0])
        yield durations


def _bound_text(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))


def _observe_here(service: str, outcome: str, seconds: float) -> None:
    key = (service, outcome)
    _calls[key] = _calls.get(key, 0) + 1
    counted = _durations.get(service)
    if counted is None:
        counted = _durations[service] = [0.0] * (len(BUCKETS) + 2)
    counted[0] += seconds
    counted[1 + bisect_left(BUCKETS, seconds)] += 1  # a bucket counts what is <= its bound


_children: dict[tuple[str, ...], Any] = {}


def _observe_shared(service: str, outcome: str, seconds: float) -> None:
    # The labelled children, kept: `labels()` takes a lock and checks its arguments on every call.
    calls = _children.get((service, outcome))
    if calls is None:
        calls = _children[(service, outcome)] = _CALLS.labels(service, outcome)
    duration = _children.get((service,))
    if duration is None:
        duration = _children[(service,)] = _DURATION.labels(service)
    calls.inc()
    duration.observe(seconds)


if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # as prometheus-client decides it, at import
    _CALLS = Counter(CALLS_NAME, CALLS_HELP, ["service", "outcome"])
    _DURATION = Histogram(DURATION_NAME, DURATION_HELP, ["service"], buckets=BUCKETS)
    observe = _observe_shared
else:
    REGISTRY.register(_Collector())
    observe = _observe_here
