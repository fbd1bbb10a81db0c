"""Catalogue benchmarks: lookups in-process and over HTTP, a folded search, a change-feed sync.

Targets (issue 2): lookup p99 ≤ 1 ms in-process and ≤ 5 ms over HTTP on a 2-core machine. The HTTP
lookup returns an item's full detail (history, parent, children count, crosswalk links).
"""

from __future__ import annotations

import random
import time
from datetime import date

import httpx
import sqlalchemy as sa
from common import percentiles, server, timed

from vnegov.catalogs import service
from vnegov.catalogs.sources.admin_units import ADMIN_UNITS
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database

REFORM = date(2025, 7, 1)


def prepare(db: Database) -> float:
    start = time.perf_counter()
    with db.transaction() as session:
        service.import_source(session, actor=SYSTEM, source=ADMIN_UNITS)
    return round(time.perf_counter() - start, 2)


def codes(db: Database) -> list[str]:
    with db.read() as session:
        return [
            i.code
            for i in service.list_items(session, "admin-units", valid_on=REFORM, page_size=10_000).items
        ]


def in_process(db: Database, codes: list[str], rounds: int) -> dict[str, object]:
    rng = random.Random(1)
    with db.read() as session:
        lookup = timed(
            lambda: service.get_item(session, "admin-units", rng.choice(codes), valid_on=REFORM), rounds
        )
        baseline = timed(lambda: session.execute(sa.text("SELECT 1")).scalar(), rounds)
        search = timed(
            lambda: service.list_items(
                session, "admin-units", q="xa thanh", level="commune", valid_on=REFORM, page_size=50
            ),
            max(50, rounds // 30),
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


def over_http(url: str, codes: list[str], rounds: int, env: dict[str, str]) -> dict[str, object]:
    with server(url, ["catalogs"], env) as base, httpx.Client(base_url=base, timeout=30) as client:
        rng = random.Random(2)
        lookup = timed(
            lambda: client.get(
                f"/api/v1/catalogs/admin-units/items/{rng.choice(codes)}", params={"valid_on": "2025-07-01"}
            ).raise_for_status(),
            rounds,
        )
        baseline = timed(lambda: client.get("/healthz").raise_for_status(), rounds)
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
