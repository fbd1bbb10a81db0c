"""The demo directory a newcomer sees after `vnegov up`."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Caller
from vnegov.exchange.seed import seed
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database


def test_demo_directory_and_rights(
    client: TestClient,
    db: Database,
    reference_data,
    settings,  # type: ignore[no-untyped-def]
    province_hanoi: Caller,
) -> None:
    with db.transaction() as session:
        seed(session, SYSTEM, None, settings)
    with db.transaction() as session:
        assert seed(session, SYSTEM, None, settings) == {"members": 0}  # idempotent
    members = client.get("/api/v1/exchange/members", params={"instance": "VN"}).json()
    assert {m["member_code"] for m in members} == {"G01", "G12", "G22", "H24", "H29"}
    services = {
        s["service"]
        for s in client.get("/api/v1/exchange/services", params={"provider": "VN/GOV/G12/DMDC"}).json()
    }
    assert services == {"VN/GOV/G12/DMDC/danhMucDungChung/v1"}  # (the registries' seed adds G12/DKDN)

    from vnegov.exchange import service

    with db.read() as session:
        assert service.access_check(
            session, "VN/GOV/H24/LGSP", "VN/GOV/G12/DMDC/danhMucDungChung/v1", "GET", "/admin-units/items"
        )
        assert not service.access_check(
            session, "VN/GOV/H24/LGSP", "VN/GOV/G12/DMDC/danhMucDungChung/v1", "POST", "/admin-units/items"
        )
        assert service.access_check(
            session, "VN/GOV/G22/DVCQG", "VN/GOV/G01/DANCU/congDan/v1", "POST", "/verify"
        )
        assert not service.access_check(
            session, "VN/GOV/G22/DVCQG", "VN/GOV/G01/DANCU/congDan/v1", "POST", "/records"
        )
