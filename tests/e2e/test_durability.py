"""kill -9 under load: every write a client was told succeeded is in the database afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import ROOT, Caller, _free_port
from vnegov.catalogs import service


def _start_server(database_url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "VNEGOV_DATABASE_URL": database_url,
        "VNEGOV_DATA_DIR": str(data_dir),
        "VNEGOV_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "vnegov.cli.main", "serve", "catalogs", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def test_acknowledged_writes_survive_kill_9(
    database_url: str,
    db,
    make_catalog,
    ministry_finance: Caller,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    catalog = make_catalog(ministry_finance, levels=())
    proc, base = _start_server(database_url, tmp_path)
    acknowledged: list[str] = []
    refused: list[int] = []  # concurrent writers must queue, never fail ("database is locked")
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker: int) -> None:
        with httpx.Client(base_url=base, headers=ministry_finance.headers, timeout=5) as client:
            n = 0
            while not stop.is_set():
                code = f"W{worker}-{n}"
                n += 1
                try:
                    r = client.post(f"/api/v1/catalogs/{catalog}/items", json={"code": code, "name_vi": code})
                except httpx.TransportError:
                    return  # the server is gone: this write was never acknowledged
                with lock:
                    if r.status_code == 201:
                        acknowledged.append(code)
                    else:
                        refused.append(r.status_code)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 50 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=10)

    assert len(acknowledged) >= 50
    assert refused == []
    with db.read() as session:
        stored = {i.code for i in service.iter_versions(session, catalog)}
    missing = set(acknowledged) - stored
    assert missing == set(), f"{len(missing)} acknowledged writes lost"
