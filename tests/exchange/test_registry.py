"""The exchange registry through its HTTP API: members, subsystems, services, access rights, audit."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import Caller, unique
from vnegov.exchange import service as exchange_service
from vnegov.kernel.db import Database
from vnegov.kernel.models import AuditLogEntry, OutboxMessage

API = "/api/v1/exchange"
OPENAPI = {"openapi": "3.0.3", "info": {"title": "Tra cứu hồ sơ", "version": "1"}, "paths": {}}


def _instance() -> str:
    """A fresh X-Road instance per test, so that tests never share members."""
    return unique("VNT")


def _member(client: TestClient, operator: Caller, instance: str, code: str, cls: str = "GOV") -> str:
    r = client.post(
        f"{API}/members",
        json={"instance": instance, "member_class": cls, "member_code": code, "name": f"Member {code}"},
        headers=operator.headers,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _subsystem(client: TestClient, owner: Caller, subsystem: str) -> None:
    r = client.post(f"{API}/subsystems", json={"subsystem": subsystem, "name": "HTTT"}, headers=owner.headers)
    assert r.status_code == 201, r.text


def _service(client: TestClient, owner: Caller, service: str) -> int:
    r = client.post(
        f"{API}/services",
        json={
            "service": service,
            "title": "Tra cứu hồ sơ",
            "upstream_url": "https://dvc.example.gov.vn/api",
            "openapi": OPENAPI,
        },
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _provider_and_client(
    client: TestClient, operator: Caller, ministry_finance: Caller, province_hanoi: Caller
) -> tuple[str, str, int]:
    """G12 provides `<i>/GOV/G12/DVC/traCuu/v1`; H24's subsystem `<i>/GOV/H24/LGSP` is the client."""
    inst = _instance()
    _member(client, operator, inst, "G12")
    _member(client, operator, inst, "H24")
    _subsystem(client, ministry_finance, f"{inst}/GOV/G12/DVC")
    _subsystem(client, province_hanoi, f"{inst}/GOV/H24/LGSP")
    service = f"{inst}/GOV/G12/DVC/traCuu/v1"
    return service, f"{inst}/GOV/H24/LGSP", _service(client, ministry_finance, service)


def _check(client: TestClient, who: Caller, cl: str, service: str, method: str, path: str):  # type: ignore[no-untyped-def]
    return client.get(
        f"{API}/access-check",
        params={"client": cl, "service": service, "method": method, "path": path},
        headers=who.headers,
    )


def test_operator_registers_members_others_may_not(
    client: TestClient, operator: Caller, ministry_finance: Caller, reference_data: Database
) -> None:
    inst = _instance()
    assert _member(client, operator, inst, "G12") == f"{inst}/GOV/G12"
    refused = client.post(
        f"{API}/members",
        json={"instance": inst, "member_class": "GOV", "member_code": "H24", "name": "Hà Nội"},
        headers=ministry_finance.headers,
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_platform_admin"
    anonymous = client.post(
        f"{API}/members", json={"instance": inst, "member_class": "GOV", "member_code": "H24", "name": "X"}
    )
    assert anonymous.status_code == 401
    again = client.post(
        f"{API}/members",
        json={"instance": inst, "member_class": "GOV", "member_code": "G12", "name": "Bộ Tài chính"},
        headers=operator.headers,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "member_exists"
    # enterprises are not in the agencies catalogue, and need not be
    assert _member(client, operator, inst, "0101234567", "COM") == f"{inst}/COM/0101234567"
    listed = client.get(f"{API}/members", params={"instance": inst}).json()
    assert [m["id"] for m in listed] == [f"{inst}/COM/0101234567", f"{inst}/GOV/G12"]


def test_unknown_or_closed_agency_code_is_refused_naming_the_field(
    client: TestClient, operator: Caller, reference_data: Database
) -> None:
    for code in ("G99", "G13"):  # never existed; closed on 13/04/2025
        r = client.post(
            f"{API}/members",
            json={"instance": _instance(), "member_class": "GOV", "member_code": code, "name": "X"},
            headers=operator.headers,
        )
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "unknown_agency"
        assert r.json()["field"] == "member_code"


def test_bad_identifiers_are_422_naming_the_field(
    client: TestClient, operator: Caller, ministry_finance: Caller, reference_data: Database
) -> None:
    inst = _instance()
    r = client.post(
        f"{API}/members",
        json={"instance": "V N", "member_class": "GOV", "member_code": "G12", "name": "X"},
        headers=operator.headers,
    )
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "invalid_identifier", "instance")
    _member(client, operator, inst, "G12")
    r = client.post(
        f"{API}/subsystems",
        json={"subsystem": f"{inst}/GOV/G12/DV C", "name": "X"},
        headers=ministry_finance.headers,
    )
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "invalid_identifier", "subsystem")
    r = client.post(
        f"{API}/subsystems", json={"subsystem": f"{inst}/XYZ/G12/DVC", "name": "X"}, headers=operator.headers
    )
    assert (r.status_code, r.json()["field"]) == (422, "subsystem")
    _subsystem(client, ministry_finance, f"{inst}/GOV/G12/DVC")
    r = client.post(
        f"{API}/services",
        json={"service": f"{inst}/GOV/G12/DVC/tra*cuu", "title": "X", "upstream_url": "https://x.vn"},
        headers=ministry_finance.headers,
    )
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "invalid_identifier", "service")
    r = client.post(
        f"{API}/services",
        json={"service": f"{inst}/GOV/G12/DVC/traCuu", "title": "X", "upstream_url": "ftp://x.vn/a"},
        headers=ministry_finance.headers,
    )
    assert (r.status_code, r.json()["field"]) == (422, "upstream_url")


def test_only_the_owner_agency_registers_subsystems_and_services(
    client: TestClient,
    operator: Caller,
    ministry_finance: Caller,
    province_hanoi: Caller,
    reference_data: Database,
) -> None:
    inst = _instance()
    _member(client, operator, inst, "G12")
    r = client.post(
        f"{API}/subsystems",
        json={"subsystem": f"{inst}/GOV/G12/DVC", "name": "X"},
        headers=province_hanoi.headers,
    )
    assert r.status_code == 403
    assert r.json()["code"] == "not_member_owner"
    _subsystem(client, ministry_finance, f"{inst}/GOV/G12/DVC")
    _subsystem(client, operator, f"{inst}/GOV/G12/KHO")  # a platform administrator may too
    unknown = client.post(
        f"{API}/subsystems",
        json={"subsystem": f"{inst}/GOV/H24/LGSP", "name": "X"},
        headers=province_hanoi.headers,
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "member_not_found"
    body = {"service": f"{inst}/GOV/G12/DVC/traCuu/v1", "title": "X", "upstream_url": "http://upstream:8080"}
    r = client.post(f"{API}/services", json=body, headers=province_hanoi.headers)
    assert r.status_code == 403
    r = client.post(f"{API}/services", json=body, headers=ministry_finance.headers)
    assert r.status_code == 201, r.text
    assert r.json()["upstream_url"] == "http://upstream:8080"
    assert client.post(f"{API}/services", json=body, headers=ministry_finance.headers).status_code == 409


def test_directory_is_readable_without_a_key(
    client: TestClient,
    operator: Caller,
    ministry_finance: Caller,
    province_hanoi: Caller,
    reference_data: Database,
) -> None:
    service, _, service_id = _provider_and_client(client, operator, ministry_finance, province_hanoi)
    inst = service.split("/")[0]
    members = client.get(f"{API}/members", params={"instance": inst})
    assert members.status_code == 200
    g12 = next(m for m in members.json() if m["member_code"] == "G12")
    assert g12["subsystems"] == [f"{inst}/GOV/G12/DVC"]
    subsystems = client.get(f"{API}/subsystems", params={"member": f"{inst}/GOV/H24"}).json()
    assert [s["id"] for s in subsystems] == [f"{inst}/GOV/H24/LGSP"]
    services = client.get(f"{API}/services", params={"provider": f"{inst}/GOV/G12/DVC"}).json()
    assert [(s["service"], s["has_openapi"]) for s in services] == [(service, True)]
    assert "upstream_url" not in services[0]
    assert client.get(f"{API}/services", params={"provider": f"{inst}/GOV/H24"}).json() == []
    openapi = client.get(f"{API}/services/{service_id}/openapi")
    assert openapi.status_code == 200
    assert openapi.json() == OPENAPI
    assert client.get(f"{API}/services/999999999/openapi").json()["code"] == "service_not_found"


def test_access_rights_at_service_and_endpoint_level(
    client: TestClient,
    db: Database,
    operator: Caller,
    ministry_finance: Caller,
    province_hanoi: Caller,
    reference_data: Database,
) -> None:
    service, cl, _ = _provider_and_client(client, operator, ministry_finance, province_hanoi)

    def allowed(method: str, path: str) -> bool:
        r = _check(client, ministry_finance, cl, service, method, path)
        assert r.status_code == 200, r.text
        return bool(r.json()["allowed"])

    assert not allowed("GET", "/hoso/1")
    # endpoint level: GET under /hoso only
    r = client.post(
        f"{API}/access-rights",
        json={"service": service, "client": cl, "method": "GET", "path": "/hoso"},
        headers=ministry_finance.headers,
    )
    assert r.status_code == 201, r.text
    endpoint_right = r.json()["id"]
    assert allowed("GET", "/hoso/1") and allowed("GET", "/hoso")
    assert not allowed("POST", "/hoso/1")
    assert not allowed("GET", "/hosoX")
    assert not allowed("GET", "/hoso/../admin")
    # service level: everything
    r = client.post(
        f"{API}/access-rights", json={"service": service, "client": cl}, headers=ministry_finance.headers
    )
    assert r.status_code == 201
    service_right = r.json()["id"]
    assert allowed("DELETE", "/anything")
    rights = client.get(f"{API}/access-rights", params={"service": service}, headers=ministry_finance.headers)
    assert sorted(x["id"] for x in rights.json()) == sorted([endpoint_right, service_right])
    # revoke the service-level right: only the endpoint right is left
    r = client.delete(f"{API}/access-rights/{service_right}", headers=ministry_finance.headers)
    assert r.status_code == 200
    assert r.json()["revoked_at"] is not None
    assert not allowed("DELETE", "/anything")
    assert allowed("GET", "/hoso/2")
    assert (
        client.delete(f"{API}/access-rights/{service_right}", headers=ministry_finance.headers).status_code
        == 409
    )
    with db.read() as session:
        assert exchange_service.access_check(session, cl, service, "GET", "/hoso/3") is True
        assert exchange_service.access_check(session, cl, service, "PUT", "/hoso/3") is False
        assert exchange_service.access_check(session, cl + "X", service, "GET", "/hoso/3") is False
        events = session.scalars(
            sa.select(OutboxMessage.topic).where(OutboxMessage.topic.startswith("exchange.access_right."))
        ).all()
        assert {"exchange.access_right.granted", "exchange.access_right.revoked"} <= set(events)
        actions = session.scalars(
            sa.select(AuditLogEntry.action).where(
                AuditLogEntry.object_type == "exchange_access_right",
                AuditLogEntry.object_id.in_([str(endpoint_right), str(service_right)]),
            )
        ).all()
        assert sorted(actions) == [
            "exchange.access_right.grant",
            "exchange.access_right.grant",
            "exchange.access_right.revoke",
        ]


def test_access_rights_are_the_providers_business(
    client: TestClient,
    operator: Caller,
    ministry_finance: Caller,
    province_hanoi: Caller,
    reference_data: Database,
) -> None:
    service, cl, _ = _provider_and_client(client, operator, ministry_finance, province_hanoi)
    body = {"service": service, "client": cl, "method": "GET", "path": "/hoso"}
    r = client.post(f"{API}/access-rights", json=body, headers=province_hanoi.headers)
    assert (r.status_code, r.json()["code"]) == (403, "not_service_provider")
    right = client.post(f"{API}/access-rights", json=body, headers=ministry_finance.headers).json()["id"]
    # another agency: the same answer for its rights as for rights that do not exist
    assert client.delete(f"{API}/access-rights/{right}", headers=province_hanoi.headers).json()["code"] == (
        "access_right_not_found"
    )
    assert client.delete(f"{API}/access-rights/999999999", headers=province_hanoi.headers).json()["code"] == (
        "access_right_not_found"
    )
    missing = service.replace("traCuu", "khongCo")
    for svc in (service, missing):
        assert _check(client, province_hanoi, cl, svc, "GET", "/hoso").status_code == 403
        r = client.get(f"{API}/access-rights", params={"service": svc}, headers=province_hanoi.headers)
        assert r.status_code == 403
    assert client.get(f"{API}/access-rights", params={"service": service}).status_code == 401
    assert _check(client, operator, cl, service, "GET", "/hoso/1").json()["allowed"] is True


def test_grant_validation(
    client: TestClient,
    operator: Caller,
    ministry_finance: Caller,
    province_hanoi: Caller,
    reference_data: Database,
) -> None:
    service, cl, _ = _provider_and_client(client, operator, ministry_finance, province_hanoi)
    cases = [
        ({"method": "TRACE"}, "method"),
        ({"path": "hoso"}, "path"),
        ({"path": "/hoso/../x"}, "path"),
        ({"client": cl.replace("LGSP", "KHONGCO")}, "client"),
        ({"client": "VN/GOV/H24"}, "client"),
    ]
    for extra, field in cases:
        body = {"service": service, "client": cl, **extra}
        r = client.post(f"{API}/access-rights", json=body, headers=ministry_finance.headers)
        assert r.status_code in (404, 422), r.text
        assert r.json()["field"] == field
    body = {"service": service, "client": cl, "method": "get", "path": "/hoso"}
    first = client.post(f"{API}/access-rights", json=body, headers=ministry_finance.headers)
    assert first.status_code == 201 and first.json()["method"] == "GET"
    again = client.post(f"{API}/access-rights", json=body, headers=ministry_finance.headers)
    assert (again.status_code, again.json()["code"]) == (409, "access_right_exists")


def test_registrations_are_audited(
    client: TestClient,
    db: Database,
    operator: Caller,
    ministry_finance: Caller,
    province_hanoi: Caller,
    reference_data: Database,
) -> None:
    service, _, _ = _provider_and_client(client, operator, ministry_finance, province_hanoi)
    inst = service.split("/")[0]
    with db.read() as session:
        rows = session.execute(
            sa.select(AuditLogEntry.action, AuditLogEntry.object_id, AuditLogEntry.agency_code).where(
                AuditLogEntry.object_id.startswith(f"{inst}/")
            )
        ).all()
    assert set(rows) == {
        ("exchange.member.register", f"{inst}/GOV/G12", "G22"),
        ("exchange.member.register", f"{inst}/GOV/H24", "G22"),
        ("exchange.subsystem.register", f"{inst}/GOV/G12/DVC", "G12"),
        ("exchange.subsystem.register", f"{inst}/GOV/H24/LGSP", "H24"),
        ("exchange.service.register", service, "G12"),
    }


def test_an_unversioned_service_code_is_unique_in_the_database(
    client: TestClient,
    db,
    operator: Caller,
    ministry_finance: Caller,  # type: ignore[no-untyped-def]
) -> None:
    import pytest
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError

    columns = "subsystem_id, service_code, version, title, kind, upstream_url, openapi, status, created_at"
    inst = _instance()
    _member(client, operator, inst, "G12")
    _subsystem(client, ministry_finance, f"{inst}/GOV/G12/DVC")
    service_id = _service(client, ministry_finance, f"{inst}/GOV/G12/DVC/traCuuHoSo")
    # Even past the service layer (two registrations racing), the database refuses a second one.
    with pytest.raises(IntegrityError), db.transaction() as session:
        copy = f"INSERT INTO exchange_service ({columns}) SELECT {columns} FROM exchange_service"
        session.execute(sa.text(copy + " WHERE id = :i"), {"i": service_id})
