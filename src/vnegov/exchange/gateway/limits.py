"""Rate limits (giới hạn tần suất) and daily quotas (hạn mức) per client and service.

Both are the gateway's, whatever its number of processes. Rate limits live in each process's memory,
a token bucket per (client, service), holding the process's share of the rate: the processes of a
gateway count themselves in the database (`exchange.processes`), and each of N allows 1/N of the rate
and of the burst. Daily quotas: each process leases blocks of the day's quota from the database
(`exchange.quota`), so a restart does not hand out a fresh quota either.
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
    """Token buckets: `rate` calls per second on average, up to `burst` at once, for the gateway; this
    process allows its `share` of both (1/N of N processes, `exchange.processes`), at least one call."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()
        self.share = 1.0

    def _own_part(self, rate: float, burst: float) -> tuple[float, float]:
        """This process's share of the gateway's rate and burst (at least one call at once)."""
        if self.share == 1.0:
            return rate, burst
        return rate * self.share, max(1.0, burst * self.share)

    def take(self, key: tuple[str, str], rate: float, burst: float) -> float:
        """Take one call's token: 0.0 if allowed, else the seconds until one is available."""
        now = self._clock()
        rate, burst = self._own_part(rate, burst)
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
        rate, burst = self._own_part(rate, burst)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return 0.0
            tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            return 0.0 if tokens >= 1.0 else (1.0 - tokens) / rate


Lease = Callable[[str, str, date, int, int], int]
"""(client, service, day, limit, want) → calls of the day's quota leased to this process (`quota.lease`)."""


class DailyQuota:
    """Calls per (client, service) per day, shared by the gateway's processes: this process takes them
    from a block it leased (`lease`, blocking) and leases the next block when its own is used up."""

    BLOCK = 64
    """Calls leased at once: one database write per block, not per call."""

    def __init__(self, lease: Lease) -> None:
        self._lease = lease
        self._blocks: dict[tuple[str, str, date], tuple[int, int]] = {}  # → (calls left, limit of the lease)
        self._lock = threading.Lock()

    def take(self, client: str, service: str, day: date, limit: int) -> bool | None:
        """Take a call from this process's block: True; False when the day's quota is known to be used
        up; None when the block is empty (then `lease_and_take`, off the event loop)."""
        key = (client, service, day)
        with self._lock:
            left, under = self._blocks.get(key, (0, limit))
            if under != limit:  # the limit changed: what is left here was leased under the old one
                return None
            if left > 0:
                self._blocks[key] = (left - 1, limit)
                return True
            return False if left < 0 else None

    def lease_and_take(self, client: str, service: str, day: date, limit: int) -> bool:
        """Lease the next block and take a call from it; False when the day's quota is used up."""
        granted = self._lease(client, service, day, limit, self.BLOCK)
        key = (client, service, day)
        with self._lock:
            for stale in [k for k in self._blocks if k[2] != day]:
                del self._blocks[stale]  # yesterday's blocks
            left, under = self._blocks.get(key, (0, limit))
            left = left if under == limit and left > 0 else 0
            if granted <= 0 and left == 0:
                self._blocks[key] = (-1, limit)  # used up: refused here until the limit changes
                return False
            self._blocks[key] = (left + granted - 1, limit)
            return True
