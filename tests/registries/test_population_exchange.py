"""The population registry through the data exchange: verify, read granted fields, kinship, refusals,
and the person's view of who read their data."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

from tests.exchange.conftest import GatewayEnv
from tests.registries.conftest import AN, HANOI, HCMC, POPULATION, PORTAL

PURPOSE = {"X-Road-Issue": "H24.22-251201-0001", "X-Road-UserId": "VN/CANBO/0123"}


def _verify(reg: GatewayEnv, client: str, body: dict[str, Any], **headers: str) -> Any:
    return reg.client.post(f"{POPULATION}/verify", json=body, headers=reg.headers(client, **headers))


def test_verify_matches_only_the_right_name_and_date(reg: GatewayEnv) -> None:
    good = {"personal_id": AN, "full_name": "NGUYỄN  VĂN AN", "birth_date": "20/05/1990"}
    r = _verify(reg, HANOI, good, **PURPOSE)
    assert r.status_code == 200, r.text
    assert r.json() == {"match": True}
    for wrong in (
        {"full_name": "Nguyễn Văn Ân"},
        {"full_name": "nguyen van an"},
        {"birth_date": "1990-05-21"},
        {"personal_id": "001090999999"},
    ):
        r = _verify(reg, HANOI, {**good, **wrong}, **PURPOSE)
        assert r.json() == {"match": False}, wrong


def test_verify_rejects_a_malformed_id_naming_the_field_and_why(reg: GatewayEnv) -> None:
    for pid, reason in (("00109000010", "length"), ("099090000103", "province"), ("00109000010x", "digits")):
        r = _verify(reg, HANOI, {"personal_id": pid, "full_name": "A", "birth_date": "1990"}, **PURPOSE)
        assert r.status_code == 422, r.text
        problem = r.json()
        assert problem["field"] == "personal_id"
        assert problem["reason"] == reason


def test_a_purpose_is_required(reg: GatewayEnv) -> None:
    r = _verify(reg, HANOI, {"personal_id": AN, "full_name": "Nguyễn Văn An", "birth_date": "1990"})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "X-Road-Issue"
    r = _verify(reg, HANOI, {"personal_id": AN, "full_name": "Nguyễn Văn An", "birth_date": "1990"},
                **{"X-Purpose": quote("kiểm tra hồ sơ")})  # fmt: skip
    assert r.json() == {"match": True}


def test_read_returns_only_the_granted_fields(reg: GatewayEnv) -> None:
    r = reg.client.get(f"{POPULATION}/citizens/{AN}", headers=reg.headers(HANOI, **PURPOSE))
    assert r.status_code == 200, r.text
    record = r.json()
    assert set(record) == {"personal_id", "full_name", "birth_date", "permanent_residence", "status"}
    assert record["full_name"]["text"] == "Nguyễn Văn An"
    assert record["birth_date"] == "1990-05-20"
    r = reg.client.get(f"{POPULATION}/citizens/{AN}?fields=full_name", headers=reg.headers(HANOI, **PURPOSE))
    assert set(r.json()) == {"personal_id", "full_name"}
    r = reg.client.get(f"{POPULATION}/citizens/{AN}?fields=religion", headers=reg.headers(HANOI, **PURPOSE))
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "fields_not_granted"


def test_a_refused_field_does_not_reveal_whether_the_person_exists(reg: GatewayEnv) -> None:
    unknown = "001090999999"
    for pid in (AN, unknown):
        r = reg.client.get(
            f"{POPULATION}/citizens/{pid}?fields=religion", headers=reg.headers(HANOI, **PURPOSE)
        )
        assert (r.status_code, r.json()["code"]) == (403, "fields_not_granted")


def test_a_system_without_an_access_right_is_denied_by_the_exchange(reg: GatewayEnv) -> None:
    r = reg.client.get(f"{POPULATION}/citizens/{AN}", headers=reg.headers(HCMC, **PURPOSE))
    assert r.status_code == 403
    assert r.headers["x-road-error"] == "Server.ServerProxy.AccessDenied"
    r = reg.client.get(f"{POPULATION}/citizens/001090999999", headers=reg.headers(HCMC, **PURPOSE))
    assert r.status_code == 403
    assert r.headers["x-road-error"] == "Server.ServerProxy.AccessDenied"


def test_the_registry_refuses_calls_that_bypass_the_exchange(reg: GatewayEnv) -> None:
    r = reg.client.get(f"/api/v1/registries/population/citizens/{AN}", headers={
        "X-Road-Client": HANOI, **PURPOSE})  # fmt: skip
    assert r.status_code == 403
    assert r.json()["code"] == "not_through_exchange"


def test_kinship(reg: GatewayEnv) -> None:
    def ask(other: str, relation: str) -> bool:
        body = {"personal_id": AN, "relative_personal_id": other, "relation": relation}
        r = reg.client.post(f"{POPULATION}/kinship", json=body, headers=reg.headers(PORTAL, **PURPOSE))
        assert r.status_code == 200, r.text
        return bool(r.json()["match"])

    assert ask("001060000101", "father")
    assert ask("001163000102", "mother")
    assert ask("001195000104", "sibling")
    assert not ask("001163000102", "father")
    assert not ask("001090999999", "sibling")


def test_the_person_sees_who_read_their_data(reg: GatewayEnv) -> None:
    headers = reg.headers(HANOI, **{**PURPOSE, "X-Road-Issue": "who-looked-test"})
    r = reg.client.get(f"{POPULATION}/citizens/{AN}?fields=full_name,birth_date", headers=headers)
    assert r.status_code == 200, r.text
    message_id = r.headers["x-road-id"]
    # The portal (DVCQG) asks for the signed-in person: X-Road-UserId is the person's own ID.
    r = reg.client.get(f"{POPULATION}/citizens/{AN}/accesses", headers=reg.headers(PORTAL, **{
        "X-Road-UserId": AN}))  # fmt: skip
    assert r.status_code == 200, r.text
    entry = next(e for e in r.json() if e["purpose"] == "who-looked-test")
    assert entry["client"] == HANOI
    assert entry["agency_code"] == "H24"
    assert entry["official"] == "VN/CANBO/0123"
    assert entry["fields"] == ["full_name", "birth_date"]
    assert entry["message_id"] == message_id
    r = reg.client.get(f"{POPULATION}/citizens/{AN}/accesses", headers=reg.headers(PORTAL, **{
        "X-Road-UserId": "001060000101"}))  # fmt: skip
    assert r.status_code == 403


SOAP_REQUEST = """<?xml version="1.0" encoding="utf-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:dc="http://dancuquocgia.bca">
  <soapenv:Body><dc:XacThucThongTinCongDanRequest>
    <dc:MaYeuCau>YC-0001</dc:MaYeuCau><dc:MaDichVu>DV01</dc:MaDichVu><dc:MaCanBo>CB-12</dc:MaCanBo>
    <dc:SoDinhDanh>{pid}</dc:SoDinhDanh><dc:SoCMND></dc:SoCMND><dc:HoVaTen>{name}</dc:HoVaTen>
  </dc:XacThucThongTinCongDanRequest></soapenv:Body>
</soapenv:Envelope>"""


def _soap(reg: GatewayEnv, body: str) -> Any:
    headers = reg.headers(PORTAL, **PURPOSE, **{"Content-Type": "text/xml; charset=utf-8"})
    return reg.client.post(
        f"{POPULATION}/soap/XacThucThongTinCongDan", content=body.encode(), headers=headers
    )


def test_verify_in_the_soap_shape(reg: GatewayEnv) -> None:
    r = _soap(reg, SOAP_REQUEST.format(pid=AN, name="Nguyễn Văn An"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/xml")
    assert _answer(r.content) == ("YC-0001", "true")
    r = _soap(reg, SOAP_REQUEST.format(pid=AN, name="Nguyễn Văn Ân"))
    assert _answer(r.content) == ("YC-0001", "false")


def _answer(body: bytes) -> tuple[str | None, str | None]:
    ns = {"s": "http://schemas.xmlsoap.org/soap/envelope/", "dc": "http://dancuquocgia.bca"}
    result = ElementTree.fromstring(body).find("s:Body/dc:KetQuaXacThucResponse", ns)
    assert result is not None
    return result.findtext("dc:MaYeuCau", namespaces=ns), result.findtext("dc:TonTai", namespaces=ns)


def test_soap_refuses_entities_and_names_missing_fields(reg: GatewayEnv) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    r = _soap(reg, bomb)
    assert (r.status_code, r.json()["field"]) == (422, "body")
    r = _soap(reg, SOAP_REQUEST.format(pid="", name="A"))
    assert (r.status_code, r.json()["field"]) == (422, "SoDinhDanh")
