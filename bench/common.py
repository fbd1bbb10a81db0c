"""Shared pieces of the benchmarks: timing, percentiles, a server process, a load generator."""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "p50_ms": round(pick(0.50) * 1000, 4),
        "p99_ms": round(pick(0.99) * 1000, 4),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 4),
    }


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    for _ in range(min(200, rounds)):  # warm caches and pools
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def rate(fn: Callable[[], object], rounds: int) -> float:
    """Operations per second of `fn` called `rounds` times in a row (after a short warm-up)."""
    for _ in range(min(20, rounds)):
        fn()
    start = time.perf_counter()
    for _ in range(rounds):
        fn()
    return round(rounds / (time.perf_counter() - start), 1)


def host_probe_ms() -> float:
    """Milliseconds a fixed piece of pure Python takes now, alone: how fast the host is running at
    this moment. On a shared VM it moves by ±20 % from minute to minute (7 December 2026: 240–370
    ms), more than some margins between a figure and its target, so figures print it beside them."""
    started = time.perf_counter()
    total = 0
    for i in range(1_000_000):
        total += i * i % 7
    return round((time.perf_counter() - started) * 1000, 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(
    database_url: str, components: list[str], env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[str]:
    """`vnegov serve COMPONENT...` in its own process on loopback; yields its base URL."""
    port = free_port()
    full_env = {
        **os.environ,
        "VNEGOV_DATABASE_URL": database_url,
        "VNEGOV_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vnegov.cli.main",
            "serve",
            *components,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


LUA_POST = """
wrk.method = "POST"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "{content_type}"
"""


def load(
    url: str,
    *,
    seconds: int = 5,
    connections: int = 16,
    body: bytes | None = None,
    content_type: str = "application/octet-stream",
    headers: dict[str, str] | None = None,
) -> dict[str, float | str]:
    """Requests/s against `url` with wrk (Debian's `wrk`), GET or POST of a fixed body.

    Falls back to a Python thread pool (slower, it shares the CPU) when wrk is not installed; the
    result says which generator ran, so figures from the two are never compared by mistake.
    """
    if shutil.which("wrk"):
        return _wrk(url, seconds, connections, body, content_type, headers or {})
    return _python_load(url, seconds, min(connections, 8), body, content_type, headers or {})


def _wrk(
    url: str, seconds: int, connections: int, body: bytes | None, content_type: str, headers: dict[str, str]
) -> dict[str, float | str]:
    args = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    with tempfile.TemporaryDirectory() as tmp:
        if body is not None:
            path = Path(tmp) / "body.bin"
            path.write_bytes(body)
            script = Path(tmp) / "post.lua"
            script.write_text(LUA_POST.format(body=path, content_type=content_type))
            args += ["-s", str(script)]
        out = subprocess.run([*args, url], capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = _to_ms(float(p99.group(1)), p99.group(2)) if p99 else -1.0
    return {
        "requests_per_s": round(rps, 1),
        "p99_ms": p99_ms,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "generator": "wrk",
        "connections": connections,
        "seconds": seconds,
    }


def _to_ms(value: float, unit: str) -> float:
    return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 3)


def _python_load(
    url: str, seconds: int, workers: int, body: bytes | None, content_type: str, headers: dict[str, str]
) -> dict[str, float | str]:
    from concurrent.futures import ThreadPoolExecutor

    deadline = time.monotonic() + seconds

    def worker() -> int:
        n = 0
        with httpx.Client() as c:
            while time.monotonic() < deadline:
                if body is None:
                    c.get(url, headers=headers)
                else:
                    c.post(url, content=body, headers={"Content-Type": content_type, **headers})
                n += 1
        return n

    with ThreadPoolExecutor(workers) as pool:
        total = sum(pool.map(lambda _: worker(), range(workers)))
    return {
        "requests_per_s": round(total / seconds, 1),
        "generator": "python-threads",
        "connections": workers,
        "seconds": seconds,
    }
