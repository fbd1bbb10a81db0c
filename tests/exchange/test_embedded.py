"""`vnegov up`'s embedded tiers: provinces' LGSPs (Hà Nội's, and here Hồ Chí Minh City's) in the same
process as the NDXP, each with its own database and log, talking over the in-process transport."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.exchange.conftest import BASE, fresh_database, gateway_settings
from vnegov.app import create_app
from vnegov.exchange import embedded
from vnegov.exchange.embedded import CLIENT, LGSP, PREFIX, Tier
from vnegov.exchange.models import LogRecord
from vnegov.exchange.seed import seed
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Database, Path]]:
    tmp = tmp_path_factory.mktemp("embedded")
    db, url, drop = fresh_database(tmp)
    settings = gateway_settings(
        url, tmp / "data", embedded_tiers=True, embedded_provinces=["H24", "h29", "H99"]
    )
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


def _lgsp_headers(client: TestClient, data: Path, key: str = "exchange_lgsp_h24") -> dict[str, str]:
    """A token of a province's one-stop system from its embedded LGSP, and its X-Road-Client."""
    secrets = json.loads((data / "demo-credentials.json").read_text())[key][0]
    r = client.post(
        secrets["token_url"],
        data={"grant_type": "client_credentials"},
        auth=(secrets["client_id"], secrets["client_secret"]),
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}", "X-Road-Client": secrets["subsystem"]}


def test_a_provincial_call_travels_the_embedded_lgsp_and_the_ndxp(
    up: tuple[TestClient, Database, Path],
) -> None:
    client, db, data = up
    headers = {**_lgsp_headers(client, data), "X-Road-Id": "embedded-1"}
    r = client.post(f"{PREFIX}/r1/VN/GOV/G22/DVCQG/echo/v1/x", content=b"two gateways", headers=headers)
    assert r.status_code == 200, r.text
    assert r.content == b"two gateways" and r.headers["x-echo-road-client"] == CLIENT
    assert _records(db, "embedded-1") == [("VN/GOV/G22/NDXP", CLIENT, 200)]
    lgsp_db = client.app.state.embedded_gateways[LGSP].db  # type: ignore[attr-defined]
    assert _records(lgsp_db, "embedded-1") == [(LGSP, CLIENT, 200)]
    # the NDXP's token does not open the LGSP, nor the other way round
    r = client.post("/r1/VN/GOV/G22/DVCQG/echo/v1", content=b"x", headers=headers)
    assert r.status_code == 401


def test_each_configured_province_has_its_own_lgsp(up: tuple[TestClient, Database, Path]) -> None:
    """Hồ Chí Minh City's LGSP beside Hà Nội's: its own prefix, credentials, database and log; a
    province the registry does not know (H99) is skipped."""
    client, db, data = up
    gateways = client.app.state.embedded_gateways  # type: ignore[attr-defined]
    assert sorted(gateways) == ["VN/GOV/H24/LGSP", "VN/GOV/H29/LGSP"]
    hcmc = Tier("H29", "")
    headers = {**_lgsp_headers(client, data, hcmc.secrets_key), "X-Road-Id": "embedded-hcmc"}
    assert headers["X-Road-Client"] == "VN/GOV/H29/MCDT"
    r = client.post(f"{hcmc.prefix}/r1/VN/GOV/G22/DVCQG/echo/v1", content=b"from the south", headers=headers)
    assert r.status_code == 200 and r.content == b"from the south", r.text
    assert _records(gateways[hcmc.lgsp].db, "embedded-hcmc") == [(hcmc.lgsp, hcmc.client, 200)]
    assert _records(gateways[LGSP].db, "embedded-hcmc") == []  # not Hà Nội's LGSP
    assert _records(db, "embedded-hcmc") == [("VN/GOV/G22/NDXP", hcmc.client, 200)]
    # Hà Nội's token does not open Hồ Chí Minh City's LGSP
    r = client.post(
        f"{hcmc.prefix}/r1/VN/GOV/G22/DVCQG/echo/v1", content=b"x", headers=_lgsp_headers(client, data)
    )
    assert r.status_code == 401
    assert gateways[hcmc.lgsp].db.url != gateways[LGSP].db.url


def test_provinces_are_named_as_the_registry_names_them(up: tuple[TestClient, Database, Path]) -> None:
    client, db, _data = up
    settings = client.app.state.settings  # type: ignore[attr-defined]
    found = embedded.tiers(settings, db)
    assert [(t.province, t.prefix, t.lgsp) for t in found] == [
        ("H24", "/lgsp/h24", "VN/GOV/H24/LGSP"),
        ("H29", "/lgsp/h29", "VN/GOV/H29/LGSP"),
    ]
    assert found[1].name == "Ủy ban nhân dân Thành phố Hồ Chí Minh"


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


def test_only_services_a_registry_knows_become_prometheus_series(
    up: tuple[TestClient, Database, Path],
) -> None:
    """A client may put any name in a path; the gateways count calls under a service only when a
    registry knows it (theirs, or the next gateway's, which names it in X-Road-Service). Each label
    value is a series kept for the process's life: made-up names would grow it without end."""
    from prometheus_client import REGISTRY, generate_latest

    client, _db, data = up
    headers = _lgsp_headers(client, data)
    for i in range(3):  # relayed by the LGSP, refused by the NDXP
        r = client.post(f"{PREFIX}/r1/VN/GOV/G22/DVCQG/madeUp{i}", content=b"x", headers=headers)
        assert r.status_code == 404 and r.headers["x-road-error"] == "Server.ServerProxy.UnknownService"
        r = client.post(f"{PREFIX}/r1/VN/GOV/G99/NOBODY/guess{i}", content=b"x", headers=headers)
        assert r.status_code >= 400
    assert (
        client.post(f"{PREFIX}/r1/VN/GOV/G22/DVCQG/echo/v1", content=b"x", headers=headers).status_code == 200
    )

    exposed = generate_latest(REGISTRY).decode()
    calls = [line for line in exposed.splitlines() if line.startswith("vnegov_exchange_calls_total{")]
    assert not any("madeUp" in line or "NOBODY" in line for line in exposed.splitlines())
    assert any('service="unknown"' in line and 'outcome="unknown_service"' in line for line in calls)
    echo = [line for line in calls if 'service="VN/GOV/G22/DVCQG/echo' in line and 'outcome="200"' in line]
    assert echo, calls  # the relayed call, counted under the service the NDXP resolved
