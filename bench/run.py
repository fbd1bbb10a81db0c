"""vnegov benchmarks. `make bench` runs this; the last line printed is one JSON object of figures.

Every figure comes with a baseline measured in the same run on the same machine, and the ratio
between them, so results from different machines can be compared:
- catalogue lookup by code, in-process: `service.get_item` vs a bare `SELECT 1` on the same session;
- the same lookup over HTTP (a real uvicorn process on loopback, keep-alive client) vs `/healthz`;
- a folded search over the 3,321 communes after the reform;
- a full change-feed sync of the administrative-units catalogue over HTTP.
Targets (issue 2): lookup p99 ≤ 1 ms in-process and ≤ 5 ms over HTTP on a 2-core machine.

Set VNEGOV_BENCH_DATABASE_URL to run against PostgreSQL instead of a temporary SQLite file.
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
import sqlalchemy as sa

from vnegov import migrate
from vnegov.catalogs import service
from vnegov.catalogs.sources.admin_units import ADMIN_UNITS
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database

REFORM = date(2025, 7, 1)
ROUNDS = int(os.environ.get("VNEGOV_BENCH_ROUNDS", "3000"))


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str) -> tuple[Database, float]:
    db = Database(url)
    migrate.upgrade(db)
    start = time.perf_counter()
    with db.transaction() as session:
        service.import_source(session, actor=SYSTEM, source=ADMIN_UNITS)
    return db, time.perf_counter() - start


def bench_in_process(db: Database, codes: list[str]) -> dict[str, object]:
    rng = random.Random(1)
    with db.read() as session:
        lookup = timed(
            lambda: service.get_item(session, "admin-units", rng.choice(codes), valid_on=REFORM), ROUNDS
        )
        baseline = timed(lambda: session.execute(sa.text("SELECT 1")).scalar(), ROUNDS)
        search = timed(
            lambda: service.list_items(
                session, "admin-units", q="xa thanh", level="commune", valid_on=REFORM, page_size=50
            ),
            max(50, ROUNDS // 30),
        )
    lk, bl = percentiles(lookup), percentiles(baseline)
    return {
        "lookup": lk,
        "baseline_select1": bl,
        "lookup_vs_select1_p50": round(lk["p50_ms"] / bl["p50_ms"], 2),
        "folded_search_communes": percentiles(search),
        "target_p99_ms": 1.0,
        "meets_target": lk["p99_ms"] <= 1.0,
    }


def bench_http(url: str, codes: list[str]) -> dict[str, object]:
    port = free_port()
    env = {**os.environ, "VNEGOV_DATABASE_URL": url, "VNEGOV_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "vnegov.cli.main", "serve", "catalogs", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(200):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            rng = random.Random(2)
            lookup = timed(
                lambda: client.get(
                    f"/api/v1/catalogs/admin-units/items/{rng.choice(codes)}",
                    params={"valid_on": "2025-07-01"},
                ).raise_for_status(),
                ROUNDS,
            )
            baseline = timed(lambda: client.get("/healthz").raise_for_status(), ROUNDS)
            start, since, changes = time.perf_counter(), 0, 0
            while True:
                page = (
                    client.get("/api/v1/catalogs/admin-units/changes", params={"since": since, "limit": 5000})
                    .raise_for_status()
                    .json()
                )
                changes += len(page["changes"])
                since = page["next_since"]
                if not page["has_more"]:
                    break
            sync_s = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=20)
    lk, bl = percentiles(lookup), percentiles(baseline)
    return {
        "lookup": lk,
        "baseline_healthz": bl,
        "lookup_vs_healthz_p50": round(lk["p50_ms"] / bl["p50_ms"], 2),
        "target_p99_ms": 5.0,
        "meets_target": lk["p99_ms"] <= 5.0,
        "change_feed_sync": {
            "changes": changes,
            "seconds": round(sync_s, 3),
            "changes_per_s": round(changes / sync_s) if sync_s else None,
        },
    }


def main() -> None:
    url = os.environ.get("VNEGOV_BENCH_DATABASE_URL")
    workdir = Path(tempfile.mkdtemp(prefix="vnegov-bench-"))
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    db, import_s = prepare(url)
    with db.read() as session:
        page = service.list_items(session, "admin-units", valid_on=REFORM, page_size=10_000)
    codes = [i.code for i in page.items]
    print(
        f"engine={db.dialect} items valid on {REFORM}: {len(codes)}; import took {import_s:.2f}s",
        file=sys.stderr,
    )
    in_process = bench_in_process(db, codes)
    print(f"in-process: {json.dumps(in_process)}", file=sys.stderr)
    db.dispose()
    over_http = bench_http(url, codes)
    print(f"over HTTP: {json.dumps(over_http)}", file=sys.stderr)
    figures = {
        "bench": "catalogs",
        "engine": db.dialect,
        "rounds": ROUNDS,
        "cpu_count": os.cpu_count(),
        "import_admin_units_s": round(import_s, 2),
        "in_process": in_process,
        "http": over_http,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
