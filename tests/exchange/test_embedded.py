"""`vnegov up`'s embedded tiers: Hà Nội's LGSP in the same process as the NDXP, each with its own
database and log, talking over the in-process transport."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.exchange.conftest import BASE, fresh_database, gateway_settings
from vnegov.app import create_app
from vnegov.exchange.embedded import CLIENT, LGSP, PREFIX
from vnegov.exchange.models import LogRecord
from vnegov.exchange.seed import seed
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Database, Path]]:
    tmp = tmp_path_factory.mktemp("embedded")
    db, url, drop = fresh_database(tmp)
    settings = gateway_settings(url, tmp / "data", embedded_tiers=True)
    with db.transaction() as session:
        seed(session, SYSTEM, None, settings)
    app = create_app(settings, db=db, background=False)
    with TestClient(app, base_url=BASE) as client:
        yield client, db, tmp / "data"
    db.dispose()
    drop()


def _records(db: Database, message_id: str) -> list[tuple[str, str, int]]:
    with db.read() as session:
        return [
            tuple(r)  # type: ignore[misc]
            for r in session.execute(
                sa.select(LogRecord.gateway_id, LogRecord.client, LogRecord.status).where(
                    LogRecord.message_id == message_id
                )
            )
        ]


def test_a_provincial_call_travels_the_embedded_lgsp_and_the_ndxp(
    up: tuple[TestClient, Database, Path],
) -> None:
    client, db, data = up
    secrets = json.loads((data / "demo-credentials.json").read_text())["exchange_lgsp_h24"][0]
    r = client.post(
        f"{PREFIX}/token",
        data={"grant_type": "client_credentials"},
        auth=(secrets["client_id"], secrets["client_secret"]),
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "X-Road-Client": CLIENT, "X-Road-Id": "embedded-1"}
    r = client.post(f"{PREFIX}/r1/VN/GOV/G22/DVCQG/echo/v1/x", content=b"two gateways", headers=headers)
    assert r.status_code == 200, r.text
    assert r.content == b"two gateways" and r.headers["x-echo-road-client"] == CLIENT
    assert _records(db, "embedded-1") == [("VN/GOV/G22/NDXP", CLIENT, 200)]
    lgsp_db = client.app.state.embedded_gateways[LGSP].db  # type: ignore[attr-defined]
    assert _records(lgsp_db, "embedded-1") == [(LGSP, CLIENT, 200)]
    # the NDXP's token does not open the LGSP, nor the other way round
    r = client.post("/r1/VN/GOV/G22/DVCQG/echo/v1", content=b"x", headers=headers)
    assert r.status_code == 401


def test_an_outside_caller_cannot_pose_as_the_embedded_gateway(up: tuple[TestClient, Database, Path]) -> None:
    client, _db, _data = up
    r = client.post(
        "/r1/VN/GOV/G22/DVCQG/echo/v1",
        content=b"x",
        headers={"X-Road-Client": CLIENT, "vnegov.gateway": LGSP, "X-Vnegov-Gateway": LGSP},
    )
    assert r.status_code == 401


def test_the_log_page_shows_either_gateways_log(up: tuple[TestClient, Database, Path]) -> None:
    from tests.conftest import sign_in_official

    client, _db, _data = up
    sign_in_official(client, client.app, "H24", next_url="/exchange/log")
    page = client.get("/exchange/log", params={"gateway": LGSP, "message_id": "embedded-1"})
    assert (
        page.status_code == 200
        and "embedded-1" in page.text
        and f"<option selected>{LGSP}</option>" in page.text
    )
    client.post("/logout")
