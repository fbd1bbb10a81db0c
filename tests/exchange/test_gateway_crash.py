"""Kill -9 the gateway under load: every answer a client received has a committed log record, and the
log still verifies. The gateway runs as its own `vnegov up` process on a real socket."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import PG_ENV, ROOT, _free_port, _fresh_postgres
from vnegov.exchange.models import LogRecord
from vnegov.kernel.db import Database

pytestmark = pytest.mark.slow

CLIENT = "VN/GOV/H24/LGSP"
ECHO = "/r1/VN/GOV/G22/DVCQG/echo/v1/ho-so"


def _env(url: str, data_dir: Path, port: int) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("VNEGOV_")},
        "VNEGOV_DATABASE_URL": url,
        "VNEGOV_DATA_DIR": str(data_dir),
        "VNEGOV_SIGNING__PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "VNEGOV_LOG_JSON": "false",
        "VNEGOV_LOG_LEVEL": "WARNING",
    }


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "vnegov.cli.main", "up", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"vnegov up exited: {err}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code < 500:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("vnegov up did not start")


@pytest.fixture()
def database(tmp_path: Path) -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    url, drop = _fresh_postgres(base) if base else (f"sqlite:///{tmp_path / 'crash.db'}", lambda: None)
    yield url
    drop()


def _children(pid: int) -> list[int]:
    """The processes `pid` started, from any of its threads."""
    return [int(c) for t in Path(f"/proc/{pid}/task").iterdir() for c in (t / "children").read_text().split()]


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited; its parent (this test's child, now gone) never reaped it


@pytest.mark.parametrize("log_writer", ["thread", "process"])
def test_kill_9_under_load_loses_no_answered_call(tmp_path: Path, database: str, log_writer: str) -> None:
    """With the log written by a thread, the whole gateway is killed; with a writer process
    (`vnegov serve`), only the gateway: its writer stores what it was sent, and exits."""
    port = _free_port()
    env = {**_env(database, tmp_path / "data", port), "VNEGOV_EXCHANGE__LOG_WRITER": log_writer}
    process = _start(env, port)
    writers: list[int] = []
    try:
        secrets = json.loads((tmp_path / "data" / "demo-credentials.json").read_text())["exchange"]
        mine = next(s for s in secrets if s["subsystem"] == CLIENT)
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/token",
            data={"grant_type": "client_credentials"},
            auth=(mine["client_id"], mine["client_secret"]),
        ).json()["access_token"]
        answered: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def load(k: int) -> None:
            headers = {"Authorization": f"Bearer {token}", "X-Road-Client": CLIENT}
            with httpx.Client(base_url=base, timeout=5) as http:
                i = 0
                while not stop.is_set():
                    i += 1
                    try:
                        r = http.post(ECHO, content=f'{{"k":{k},"i":{i}}}'.encode(), headers=headers)
                    except httpx.HTTPError:
                        return  # the gateway is gone
                    if r.status_code == 200:
                        with lock:
                            answered.append(r.headers["x-road-request-id"])

        workers = [threading.Thread(target=load, args=(k,)) for k in range(8)]
        for w in workers:
            w.start()
        deadline = time.monotonic() + 30
        while len(answered) < 400 and time.monotonic() < deadline:
            time.sleep(0.05)
        if log_writer == "process":
            writers = _children(process.pid)
            assert writers, "no log writer process"
            os.kill(process.pid, signal.SIGKILL)  # mid-flight: requests are still arriving
        else:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        deadline = time.monotonic() + 30
        while not all(_gone(w) for w in writers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(_gone(w) for w in writers), "the log writer outlived its gateway"
        stop.set()
        for w in workers:
            w.join(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    assert len(answered) >= 400, "the load never got going"
    db = Database(database)
    try:
        with db.read() as session:
            logged = set(session.scalars(sa.select(LogRecord.query_id)))
    finally:
        db.dispose()
    missing = [a for a in answered if a not in logged]
    assert not missing, f"{len(missing)} answered calls have no log record, e.g. {missing[:3]}"
    r = subprocess.run(
        [sys.executable, "-m", "vnegov.cli.main", "exchange", "verify-log"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
