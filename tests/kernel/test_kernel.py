"""Small kernel pieces: text folding, API keys, error mapping, health and metrics endpoints."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import event as sa_event

from vnegov.kernel import auth
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    exit_code_for,
)
from vnegov.kernel.http import ReadSession, status_for
from vnegov.kernel.text import fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đà Nẵng", "da nang"),
        ("THÀNH PHỐ  HỒ CHÍ MINH", "thanh pho ho chi minh"),
        ("Điện Biên", "dien bien"),
        ("Xã Ea H'leo", "xa ea h'leo"),
        ("Thừa Thiên\u2009Huế", "thua thien hue"),
    ],
)
def test_fold_ignores_case_and_diacritics(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_handles_decomposed_input() -> None:
    decomposed = "Ha\u0300 No\u0323\u0302i"  # "Hà Nội" typed with combining marks
    assert fold(decomposed) == "ha noi"


def test_api_key_round_trip_and_revocation(db: Database) -> None:
    with db.transaction() as session:
        key = auth.create_key(session, actor=SYSTEM, agency_code="H24", name="test")
    with db.read() as session:
        principal = auth.authenticate(session, key.token)
    assert principal.agency_code == "H24"
    with db.transaction() as session:
        auth.revoke_key(session, actor=SYSTEM, key_id=key.key_id)
    with db.read() as session, pytest.raises(Unauthenticated):
        auth.authenticate(session, key.token)
    with db.read() as session, pytest.raises(Unauthenticated):
        auth.authenticate(session, key.token[:-2] + "xx")


def test_errors_map_to_http_status_and_exit_codes() -> None:
    cases = [
        (NotFound("x"), 404, 3),
        (Conflict("x"), 409, 4),
        (InvalidInput("x", field="f"), 422, 2),
        (PermissionDenied("x"), 403, 5),
        (Unauthenticated("x"), 401, 5),
    ]
    for error, status, code in cases:
        assert status_for(error) == status
        assert exit_code_for(error) == code


def test_health_readiness_and_metrics(client: TestClient, operator, ministry_finance) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok"}
    client.get("/api/v1/catalogs")
    # The test client is not on loopback: metrics need a key with the monitoring (or admin) role.
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=ministry_finance.headers).status_code == 403
    metrics = client.get("/metrics", headers=operator.headers).text
    assert 'vnegov_http_requests_total{method="GET",route="/api/v1/catalogs",status="200"}' in metrics


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    r = client.get("/healthz", headers={"X-Request-Id": "abc123"})
    assert r.headers["x-request-id"] == "abc123"
    assert len(client.get("/healthz").headers["x-request-id"]) == 32


def test_unexpected_errors_are_a_generic_500_problem(settings, db: Database) -> None:  # type: ignore[no-untyped-def]
    from fastapi import APIRouter

    from vnegov.app import create_app

    app = create_app(settings, db=db, background=False)
    router = APIRouter()

    @router.get("/_test/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/_test/boom")
    assert r.status_code == 500
    assert r.json()["code"] == "internal_error"
    assert "secret internals" not in r.text


def test_generated_secrets_are_private_and_the_same_for_every_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import stat
    from concurrent.futures import ThreadPoolExecutor

    from vnegov.kernel.secret_files import read_or_create

    path = tmp_path / "secrets" / "x"
    with ThreadPoolExecutor(8) as pool:
        values = set(pool.map(lambda _: read_or_create(path), range(32)))
    assert len(values) == 1
    assert len(values.pop()) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_read_session_ends_after_the_answer_and_gives_its_connection_back(db: Database) -> None:
    """`ReadSession` ends after the answer is sent (scope "request"), in a worker thread: whether the
    endpoint answered or failed, its connection is back in the pool and nothing it read stays open."""
    app = FastAPI()
    app.state.db = db
    ended: list[bool] = []

    @app.get("/read")
    def read(session: ReadSession) -> int:
        sa_event.listen(session, "after_rollback", lambda s: ended.append(True), once=True)
        return int(session.execute(sa.text("SELECT 41 + 1")).scalar_one())

    @app.get("/fail")
    def fail(session: ReadSession) -> int:
        session.execute(sa.text("SELECT 1"))
        raise HTTPException(404, "nothing here")

    with TestClient(app) as client:
        for _ in range(3):
            assert client.get("/read").json() == 42
            assert client.get("/fail").status_code == 404
        assert ended == [True, True, True]  # rolled back, not merely dropped
        assert db.read_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
