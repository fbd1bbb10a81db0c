"""The gateway's Prometheus figures: counted in plain dicts by the event loop, exposed exactly as
prometheus-client's own Counter and Histogram would expose the same calls."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from vnegov.exchange.gateway import metrics


def _lines(text: bytes, name: str, service: str) -> set[str]:
    """The exposition lines of `name` for `service`, without the `_created` timestamps."""
    return {
        line
        for line in text.decode().splitlines()
        if line.startswith(name) and f'service="{service}"' in line and "_created" not in line
    }


def test_the_figures_are_prometheus_clients_own() -> None:
    service = "VN/GOV/G99/METRICS/test"
    calls = [("200", 0.0004), ("200", 0.0005), ("200", 0.003), ("403", 0.07), ("200", 31.0), ("500", 1.0)]
    reference = CollectorRegistry()
    counter = Counter(metrics.CALLS_NAME, metrics.CALLS_HELP, ["service", "outcome"], registry=reference)
    histogram = Histogram(
        metrics.DURATION_NAME, metrics.DURATION_HELP, ["service"], buckets=metrics.BUCKETS, registry=reference
    )
    for outcome, seconds in calls:
        metrics.observe(service, outcome, seconds)
        counter.labels(service, outcome).inc()
        histogram.labels(service).observe(seconds)

    ours, theirs = generate_latest(), generate_latest(reference)
    for name in (f"{metrics.CALLS_NAME}_total", metrics.DURATION_NAME):
        expected = _lines(theirs, name, service)
        assert expected and _lines(ours, name, service) == expected
    (everything,) = [line for line in _lines(ours, metrics.DURATION_NAME, service) if 'le="+Inf"' in line]
    assert everything.endswith(" 6.0")  # 31 s, beyond the largest bound, is counted too
