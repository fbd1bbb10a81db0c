"""Rate limits (giới hạn tần suất) and daily quotas (hạn mức) per client and service.

Both live in the gateway process's memory: a token bucket per (client, service) and a counter per
(client, service, day). The day's counter starts from the message log's count for that day the first
time a pair is seen, so a restart does not hand out a fresh quota. Several processes of one gateway
each keep their own buckets (the configured rate is then per process).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets: `rate` calls per second on average, up to `burst` at once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: tuple[str, str], rate: float, burst: float) -> float:
        """Take one call's token: 0.0 if allowed, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=burst, updated=now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / rate

    def waiting(self, key: tuple[str, str], rate: float, burst: float) -> float:
        """Like `take`, without taking: 0.0 if a call would be allowed now."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return 0.0
            tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            return 0.0 if tokens >= 1.0 else (1.0 - tokens) / rate


class DailyQuota:
    """Calls per (client, service) per day; `count_logged(client, service, day)` seeds a new counter."""

    def __init__(self, count_logged: Callable[[str, str, date], int]) -> None:
        self._count_logged = count_logged
        self._counts: dict[tuple[str, str, date], int] = {}
        self._lock = threading.Lock()

    def known(self, client: str, service: str, day: date) -> bool:
        return (client, service, day) in self._counts

    def seed(self, client: str, service: str, day: date) -> None:
        """Read the day's logged calls (blocking: call it off the event loop)."""
        logged = self._count_logged(client, service, day)
        with self._lock:
            self._counts.setdefault((client, service, day), logged)
            for key in [k for k in self._counts if k[2] != day]:
                del self._counts[key]  # yesterday's counters

    def take(self, client: str, service: str, day: date, limit: int) -> bool:
        key = (client, service, day)
        with self._lock:
            used = self._counts.get(key, 0)
            if used >= limit:
                return False
            self._counts[key] = used + 1
            return True
