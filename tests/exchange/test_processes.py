"""A gateway's processes count themselves in the database and share its rate limits: N processes each
allow 1/N of a rate, so together they never allow more than the provider set."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import Caller, _free_port
from tests.exchange.conftest import HANOI, GatewayEnv, own_database
from tests.exchange.test_gateway import _assert_refused, _register
from vnegov.exchange import processes
from vnegov.exchange.gateway.limits import RateLimiter
from vnegov.exchange.models import GatewayProcess
from vnegov.kernel.db import Database, utcnow

NDXP, LGSP = "VN/GOV/G22/NDXP", "VN/GOV/H24/LGSP"


@pytest.fixture()
def own_db(tmp_path: Path) -> Iterator[Database]:
    with own_database(tmp_path / "processes.db") as db:
        yield db


def test_processes_of_one_gateway_count_themselves(own_db: Database) -> None:
    assert processes.announce(own_db, NDXP, "a") == 1
    assert processes.announce(own_db, NDXP, "b") == 2
    assert processes.announce(own_db, LGSP, "c") == 1  # another gateway's processes are not counted
    assert processes.announce(own_db, NDXP, "a") == 2  # announcing again is not another process
    assert [p.process_id for p in processes.running(own_db, NDXP)] == ["a", "b"]
    row = processes.running(own_db, NDXP)[0]
    assert row.pid == os.getpid() and row.host

    processes.withdraw(own_db, "b")
    assert processes.announce(own_db, NDXP, "a") == 1


def test_a_process_not_heard_from_is_forgotten(own_db: Database) -> None:
    now = utcnow()
    late = now - timedelta(seconds=processes.STALE_SECONDS + 1)
    processes.announce(own_db, NDXP, "killed", now=late)
    processes.announce(own_db, NDXP, "recent", now=now - timedelta(seconds=processes.STALE_SECONDS - 1))
    assert processes.announce(own_db, NDXP, "a", now=now) == 2  # "killed" dropped, "recent" counted
    with own_db.read() as session:
        assert sorted(session.scalars(sa.select(GatewayProcess.process_id))) == ["a", "recent"]


def test_a_process_allows_its_share_of_the_rate_and_burst() -> None:
    clock = [100.0]
    limiter = RateLimiter(clock=lambda: clock[0])
    limiter.share = 1 / 2
    key = (HANOI, "VN/GOV/G22/DVCQG/rated")
    assert [limiter.take(key, 10.0, 10.0) for _ in range(6)] == [0.0] * 5 + [pytest.approx(0.2)]
    clock[0] += 0.2  # one call's worth at half the rate (5/s)
    assert limiter.take(key, 10.0, 10.0) == 0.0
    assert limiter.take(key, 10.0, 10.0) > 0
    limiter.share = 1 / 4  # a small burst still lets one call through
    other = (HANOI, "VN/GOV/G22/DVCQG/other")
    assert [limiter.take(other, 2.0, 2.0) == 0.0 for _ in range(2)] == [True, False]


def test_a_second_process_halves_what_each_allows(gw: GatewayEnv, g22_operator: Caller) -> None:
    path = _register(
        gw, g22_operator, "shared", "http://vnegov.test/api/v1/exchange/demo/echo", rate_per_second=2
    )
    gateway = gw.gateway
    gateway.announce()
    assert gateway.processes == 1 and gateway.rates.share == 1.0

    processes.announce(gw.db, gateway.gateway_id, "another process")
    try:
        gateway.announce()
        assert gateway.processes == 2 and gateway.rates.share == 0.5
        # a burst of 2 for the gateway is 1 for each of its two processes
        assert gw.client.get(path, headers=gw.headers(HANOI)).status_code == 200
        r = gw.client.get(path, headers=gw.headers(HANOI))
        _assert_refused(gw, r, 429, "Server.ClientProxy.RateLimitExceeded", "rate_limited")
        # the refusal names the gateway's rate, as the provider set it
        assert "more than 2 calls per second" in r.json()["detail"]
        health = gw.client.get("/api/v1/exchange/health").json()
        assert "2 running" in health["checks"]["processes"]["detail"], health
    finally:
        processes.withdraw(gw.db, "another process")
    gateway.announce()
    assert gateway.processes == 1 and gateway.rates.share == 1.0


def test_a_stopped_gateway_withdraws(gw: GatewayEnv) -> None:
    gateway = gw.gateway
    gateway.announce()
    assert gateway.process_id in [p.process_id for p in processes.running(gw.db, gateway.gateway_id)]
    gateway.stop()
    assert gateway.process_id not in [p.process_id for p in processes.running(gw.db, gateway.gateway_id)]


def test_each_worker_of_a_served_gateway_announces_itself(tmp_path: Path) -> None:
    """`vnegov serve exchange --workers 2`: two processes, each counted, each allowing half a rate."""
    env = {
        **os.environ,
        "VNEGOV_DATA_DIR": str(tmp_path),
        "VNEGOV_DATABASE_URL": f"sqlite:///{tmp_path / 'gw.db'}",
        "VNEGOV_SIGNING__KEY_PASSPHRASE": "test passphrase",
    }
    subprocess.run(
        [sys.executable, "-m", "vnegov.cli.main", "db", "upgrade"], env=env, check=True, capture_output=True
    )
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "vnegov.cli.main", "serve", "exchange", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        db = Database(env["VNEGOV_DATABASE_URL"])
        deadline = time.monotonic() + 60
        running: list[GatewayProcess] = []
        while time.monotonic() < deadline and len(running) < 2:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            time.sleep(0.5)
            running = processes.running(db, "VN/GOV/G22/NDXP")
        assert len({p.pid for p in running}) == 2, running
        detail = ""
        while time.monotonic() < deadline and "1/2" not in detail:  # both have counted the other
            detail = httpx.get(f"http://127.0.0.1:{port}/api/v1/exchange/health", timeout=5).json()["checks"][
                "processes"
            ]["detail"]
            time.sleep(0.5)
        assert "2 running" in detail and "1/2" in detail, detail
        db.dispose()
    finally:
        server.terminate()
        server.wait(timeout=30)
    db = Database(env["VNEGOV_DATABASE_URL"])
    assert processes.running(db, "VN/GOV/G22/NDXP") == []  # both withdrew when they stopped
    db.dispose()
