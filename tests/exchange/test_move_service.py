"""A provider moves its system: the service's address changes, audited, and the gateway follows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.exchange.conftest import BASE, ECHO, HANOI, GatewayEnv
from vnegov.exchange import service
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import InvalidInput, PermissionDenied
from vnegov.kernel.models import AuditLogEntry

SERVICE = "VN/GOV/G22/DVCQG/echo/v1"
G22 = Principal(subject="apikey:g22-test", agency_code="G22")
H24 = Principal(subject="apikey:h24-test", agency_code="H24")


def test_only_the_provider_moves_its_service_and_the_gateway_follows(gw: GatewayEnv) -> None:
    with pytest.raises(PermissionDenied), gw.db.transaction() as session:
        service.move_service(session, actor=H24, service=SERVICE, upstream_url=f"{BASE}/elsewhere")
    with pytest.raises(InvalidInput), gw.db.transaction() as session:
        service.move_service(session, actor=G22, service=SERVICE, upstream_url="ftp://x")

    with gw.db.transaction() as session:  # to an address where nothing answers: the gateway says so
        service.move_service(session, actor=G22, service=SERVICE, upstream_url="http://127.0.0.1:9/echo")
    r = gw.client.post(ECHO, content=b"x", headers=gw.headers(HANOI))
    assert r.status_code == 502, r.text
    assert r.headers["x-road-error"].startswith("Server.ServerProxy")

    with gw.db.transaction() as session:
        service.move_service(
            session, actor=G22, service=SERVICE, upstream_url=f"{BASE}/api/v1/exchange/demo/echo"
        )
    assert gw.client.post(ECHO, content=b"back", headers=gw.headers(HANOI)).content == b"back"
    with gw.db.read() as session:
        moves = session.scalars(
            sa.select(AuditLogEntry.after).where(AuditLogEntry.action == "exchange.service.move")
        ).all()
    assert [m["upstream_url"] for m in moves] == [
        "http://127.0.0.1:9/echo",
        f"{BASE}/api/v1/exchange/demo/echo",
    ]
