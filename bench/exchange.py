"""Exchange gateway benchmark: a direct call to an echo provider against the same call through the
gateway (one hop), same load generator, same run, A/B pairs repeated, medians reported.

Everything the gateway does for a real call is on: token check, registry lookup, access check, rate
limit, body limit, a pooled upstream connection, and the durable, group-committed, hash-chained
message log written before each answer. POST of 1 KiB, 32 connections. The "durably logged messages/s"
figure counts the log records committed during the gateway runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from common import free_port, load, server

from vnegov.components import DEMO_SECRETS
from vnegov.exchange import schemas
from vnegov.exchange import service as registry
from vnegov.exchange.models import LogRecord
from vnegov.exchange.seed import seed
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.settings import Settings

CLIENT = "VN/GOV/H24/LGSP"
SERVICE = "VN/GOV/G22/DVCQG/benchEcho"
BODY = os.urandom(1024)
CONNECTIONS = 32


def prepare(db: Database, provider_url: str) -> dict[str, str]:
    """The demo registry plus a bench service forwarding to `provider_url`; the client's credentials."""
    settings = Settings(database_url=str(db.engine.url))
    with db.transaction() as session:
        report = seed(session, SYSTEM, None, settings)
        registry.register_service(
            session,
            actor=SYSTEM,
            service_in=schemas.ServiceCreate(
                service=SERVICE, title="bench echo", upstream_url=provider_url, rate_per_second=1e6
            ),
        )
        registry.grant_access(
            session, actor=SYSTEM, right_in=schemas.AccessRightCreate(service=SERVICE, client=CLIENT)
        )
    return next(s for s in report[DEMO_SECRETS] if s["subsystem"] == CLIENT)


def _logged(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(LogRecord)) or 0)


def _provider(port: int) -> subprocess.Popen[bytes]:
    script = Path(__file__).with_name("echo_provider.py")
    proc = subprocess.Popen([sys.executable, str(script), str(port)])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.post(f"http://127.0.0.1:{port}/", content=b"ping", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the echo provider did not start")


def over_http(url: str, db: Database, env: dict[str, str], seconds: int, pairs: int = 3) -> dict[str, object]:
    port = free_port()
    provider_url = f"http://127.0.0.1:{port}/echo"
    credentials = prepare(db, provider_url)
    provider = _provider(port)
    try:
        with server(url, ["exchange"], env) as base:
            token = httpx.post(
                f"{base}/token",
                data={"grant_type": "client_credentials"},
                auth=(credentials["client_id"], credentials["client_secret"]),
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "X-Road-Client": CLIENT}
            probe = httpx.post(f"{base}/r1/{SERVICE}", content=BODY, headers=headers)
            if probe.status_code != 200 or probe.content != BODY:
                raise RuntimeError(f"the gateway does not forward: {probe.status_code} {probe.text[:200]}")
            runs = []
            logged_before = _logged(db)
            for _ in range(pairs):
                direct = load(provider_url, seconds=seconds, connections=CONNECTIONS, body=BODY)
                hop = load(
                    f"{base}/r1/{SERVICE}",
                    seconds=seconds,
                    connections=CONNECTIONS,
                    body=BODY,
                    headers=headers,
                )
                runs.append((direct, hop))
            logged = _logged(db) - logged_before
    finally:
        provider.terminate()
        provider.wait(timeout=10)
    ratios = [float(h["requests_per_s"]) / float(d["requests_per_s"]) for d, h in runs]
    return {
        "direct_rps_median": statistics.median(float(d["requests_per_s"]) for d, _ in runs),
        "one_hop_rps_median": statistics.median(float(h["requests_per_s"]) for _, h in runs),
        "one_hop_ratio_median": round(statistics.median(ratios), 3),
        "one_hop_ratio_target": 0.15,
        "one_hop_p99_ms": [h.get("p99_ms") for _, h in runs],
        "one_hop_non_2xx": sum(int(h.get("non_2xx", 0)) for _, h in runs),
        "durably_logged_per_s": round(logged / (pairs * seconds), 1),
        "durably_logged_target": 2000,
        "generator": runs[0][0]["generator"],
        "connections": CONNECTIONS,
        "body_bytes": len(BODY),
        "pairs": pairs,
    }
