"""Metadata through the gateway: listClients, listMethods, allowedMethods, getOpenAPI in the X-Road
(PR-META, PR-MREST) and GovStack Information Mediator shapes."""

from __future__ import annotations

from tests.conftest import Caller
from tests.exchange.conftest import DVCQG, HANOI, GatewayEnv

API = "/api/v1/exchange"
OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Tra cứu", "version": "1"},
    "paths": {"/ho-so/{id}": {"get": {}}, "/ho-so": {"post": {}}},
}


def test_list_clients_in_the_x_road_shape(gw: GatewayEnv) -> None:
    r = gw.client.get("/listClients", headers={"Accept": "application/json"})
    assert r.status_code == 200
    members = r.json()["member"]
    g22 = {"object_type": "MEMBER", "xroad_instance": "VN", "member_class": "GOV", "member_code": "G22"}
    assert {"id": g22, "name": "Văn phòng Chính phủ"} in members
    assert {
        "id": {**g22, "object_type": "SUBSYSTEM", "subsystem_code": "DVCQG"},
        "name": "Văn phòng Chính phủ",
    } in members
    assert gw.client.get("/r1/listClients").json() == r.json()  # GovStack's prose names this path
    assert gw.client.get("/listClients", params={"xRoadInstance": "XX"}).json() == {"member": []}


def test_list_clients_in_the_govstack_shape(gw: GatewayEnv) -> None:
    members = gw.client.get("/listClients", params={"instanceId": "VN"}).json()["member"]
    assert {
        "name": "Bộ Công an",
        "id": {
            "objectType": "APPLICATION",
            "instanceId": "VN",
            "memberClass": "GOV",
            "memberCode": "G01",
            "applicationCode": "DANCU",
        },
    } in members


def test_list_and_allowed_methods(gw: GatewayEnv) -> None:
    r = gw.client.get("/r1/VN/GOV/G01/DANCU/listMethods", headers=gw.headers(HANOI))
    assert r.status_code == 200, r.text
    (item,) = r.json()["service"]
    assert item == {
        "member_class": "GOV",
        "member_code": "G01",
        "object_type": "SERVICE",
        "service_code": "congDan/v1",
        "service_type": "REST",
        "subsystem_code": "DANCU",
        "xroad_instance": "VN",
        "endpoint_list": [{"method": "*", "path": "**"}],
    }
    r = gw.client.get("/r1/VN/GOV/G01/DANCU/allowedMethods", headers=gw.headers(HANOI))
    (item,) = r.json()["service"]
    assert item["endpoint_list"] == [{"method": "POST", "path": "/verify"}]
    # a subsystem with no right sees nothing allowed
    r = gw.client.get("/r1/VN/GOV/G22/DVCQG/allowedMethods", headers=gw.headers(DVCQG))
    assert r.json() == {"service": []}


def test_get_openapi_and_the_govstack_shapes(gw: GatewayEnv, g22_operator: Caller) -> None:
    service = f"{DVCQG}/traCuuHoSo"
    r = gw.client.post(
        f"{API}/services",
        json={
            "service": service,
            "title": "Tra cứu hồ sơ",
            "upstream_url": "https://dvc.example.vn/api",
            "openapi": OPENAPI,
        },
        headers=g22_operator.headers,
    )
    assert r.status_code == 201, r.text
    r = gw.client.get(
        "/r1/VN/GOV/G22/DVCQG/getOpenAPI", params={"serviceCode": "traCuuHoSo"}, headers=gw.headers(HANOI)
    )
    assert r.status_code == 200 and r.json() == OPENAPI
    r = gw.client.get(
        "/r1/VN/GOV/G22/DVCQG/getOpenAPI", params={"serviceCode": "echo"}, headers=gw.headers(HANOI)
    )
    assert r.status_code == 404 and r.json()["field"] == "serviceCode"
    r = gw.client.get("/r1/VN/GOV/G22/DVCQG/getOpenAPI", headers=gw.headers(HANOI))
    assert r.status_code == 400 and r.json()["field"] == "serviceCode"
    listed = gw.client.get("/r1/VN/GOV/G22/DVCQG/listMethods", headers=gw.headers(HANOI)).json()["service"]
    described = next(s for s in listed if s["service_code"] == "traCuuHoSo")
    assert described["service_type"] == "OPENAPI"
    assert sorted(map(tuple, (e.values() for e in described["endpoint_list"]))) == [
        ("GET", "/ho-so/{id}"),
        ("POST", "/ho-so"),
    ]
    govstack = {"Authorization": f"Bearer {gw.tokens[HANOI]}", "X-GovStack-Client": HANOI}
    body = gw.client.get("/r1/VN/GOV/G22/DVCQG/listMethods", headers=govstack).json()
    item = next(s for s in body["member"] if s["serviceCode"] == "traCuuHoSo")
    assert item["objectType"] == "SERVICE" and item["applicationCode"] == "DVCQG"
    assert {"method": "POST", "path": "/ho-so"} in item["endpointList"]["member"]


def test_metadata_needs_a_client_and_get(gw: GatewayEnv) -> None:
    r = gw.client.get("/r1/VN/GOV/G01/DANCU/listMethods")
    assert r.status_code == 401 and r.headers["x-road-error"] == "Server.ClientProxy.SslAuthenticationFailed"
    r = gw.client.post("/r1/VN/GOV/G01/DANCU/listMethods", headers=gw.headers(HANOI))
    assert r.status_code == 405 and r.headers["x-road-error"] == "Client.InvalidHttpMethod"
