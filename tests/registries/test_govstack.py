"""The GovStack Digital Registries data API over the base registries, through the exchange: read only
granted fields, exists, refused query keys, no record found, who read my data, writes and bulk listing
refused, bypassing the exchange refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.exchange.conftest import GatewayEnv
from tests.registries.conftest import AN, ENTERPRISE, HANOI, HCMC, POPULATION, PORTAL
from vnegov.exchange import schemas as exchange_schemas
from vnegov.exchange import service as exchange
from vnegov.kernel.context import SYSTEM
from vnegov.registries import govstack
from vnegov.registries.seed import ENTERPRISE_SERVICE, POPULATION_SERVICE

PEOPLE = f"{POPULATION}/govstack/data/population/1.0"
COMPANIES = f"{ENTERPRISE}/govstack/data/enterprises/1.0"
PURPOSE = {"X-Road-Issue": "H24.22-251201-0042", "X-Road-UserId": "VN/CANBO/0123"}
DEMO = "9900000016"
UNKNOWN_PERSON = "001090999999"

# The access rights these paths need on the exchange (the same as proposed for seed.py).
RIGHTS = (
    (POPULATION_SERVICE, HANOI, None, "/govstack/data/population"),
    (POPULATION_SERVICE, PORTAL, None, "/govstack/data/population"),
    (POPULATION_SERVICE, PORTAL, "GET", "/govstack/data/mypersonalDataUsage"),
    (POPULATION_SERVICE, PORTAL, "GET", "/govstack/data/MyPersonalDataUsage"),
    *((ENTERPRISE_SERVICE, c, None, "/govstack/data/enterprises") for c in (PORTAL, HANOI, HCMC)),
)


@pytest.fixture(scope="module", autouse=True)
def govstack_on_the_exchange(reg: GatewayEnv) -> None:
    """The router mounted (unless the component already does) and the access rights granted; the
    gateway reloads its directory when the grant commits."""
    if not any(
        getattr(r, "path", "").startswith(govstack.router.prefix + govstack.POPULATION_DATA)
        for r in reg.app.routes
    ):
        reg.app.include_router(govstack.router)
    with reg.db.transaction() as session:
        for service, client, method, path in RIGHTS:
            if not exchange.access_check(session, client, service, method or "PUT", path + "/1.0/x"):
                right = exchange_schemas.AccessRightCreate(
                    service=service, client=client, method=method, path=path
                )
                exchange.grant_access(session, actor=SYSTEM, right_in=right)


def _post(reg: GatewayEnv, url: str, content: dict[str, Any], client: str = HANOI, **headers: str) -> Any:
    body = {"query": {"content": content}}
    return reg.client.post(url, json=body, headers=reg.headers(client, **headers))


def test_read_returns_only_the_granted_fields_flat_and_camel_case(reg: GatewayEnv) -> None:
    r = _post(reg, f"{PEOPLE}/read", {"personalId": AN}, **PURPOSE)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    content = r.json()["content"]
    # Hà Nội's LGSP is granted full_name, birth_date, permanent_residence, status: nothing else.
    assert content == {
        "personalId": AN,
        "familyName": "Nguyễn",
        "middleName": "Văn",
        "givenName": "An",
        "fullName": "Nguyễn Văn An",
        "birthDate": "1990-05-20",
        "permanentResidenceCommune": "00004",
        "permanentResidenceAddress": "Số 12 phố Đội Cấn",
        "status": "living",
        "deathDate": None,
    }
    r = _post(reg, f"{PEOPLE}/read", {"personalId": AN}, PORTAL, **PURPOSE)
    assert r.json()["content"]["householdCode"] == "HN-0004-000001"
    assert "status" not in r.json()["content"]


def test_read_value_one_field_within_the_grant(reg: GatewayEnv) -> None:
    r = reg.client.get(f"{PEOPLE}/{AN}/readValue/birthDate.json", headers=reg.headers(HANOI, **PURPOSE))
    assert (r.status_code, r.json()) == (200, "1990-05-20")
    r = reg.client.get(f"{PEOPLE}/{AN}/read-value/givenName.txt", headers=reg.headers(HANOI, **PURPOSE))
    assert (r.status_code, r.text) == (200, "An")
    assert r.headers["content-type"].startswith("text/plain")
    r = reg.client.get(f"{PEOPLE}/{AN}/readValue/religion.json", headers=reg.headers(HANOI, **PURPOSE))
    assert (r.status_code, r.json()["code"]) == (403, "fields_not_granted")
    r = reg.client.get(f"{PEOPLE}/{AN}/readValue/shoeSize.json", headers=reg.headers(HANOI, **PURPOSE))
    assert (r.status_code, r.json()["field"]) == (422, "field")


def test_exists_answers_true_or_false_in_the_spec_shape(reg: GatewayEnv) -> None:
    an = {"personalId": AN, "familyName": "Nguyễn", "middleName": "Văn", "givenName": "An"}
    r = _post(reg, f"{PEOPLE}/exists", {**an, "birthDate": "1990-05-20"}, **PURPOSE)
    assert r.status_code == 200, r.text
    assert r.json() == {"answer": {"status": True, "message": "Object found from database"}}
    assert _post(reg, f"{PEOPLE}/exists", an, **PURPOSE).json()["answer"]["status"] is True
    for wrong in ({"givenName": "Ân"}, {"birthDate": "1990-05-21"}, {"personalId": UNKNOWN_PERSON}):
        r = _post(reg, f"{PEOPLE}/exists", {**an, "birthDate": "1990-05-20", **wrong}, **PURPOSE)
        assert r.status_code == 200, r.text
        assert r.json() == {"answer": {"status": False, "message": "Object not found from database"}}
    # The ID alone is not enough: like the native verify, the registry does not say whether an ID exists.
    r = _post(reg, f"{PEOPLE}/exists", {"personalId": AN}, **PURPOSE)
    assert (r.status_code, r.json()["field"]) == (422, "query.content.familyName")
    r = _post(reg, f"{COMPANIES}/exists", {"code": DEMO}, HCMC)
    assert r.json()["answer"]["status"] is True
    r = _post(reg, f"{COMPANIES}/exists", {"code": "9900000023"}, HCMC)
    assert r.json()["answer"]["status"] is False


def test_a_query_key_that_does_not_identify_a_record_is_refused_naming_it(reg: GatewayEnv) -> None:
    r = _post(reg, f"{PEOPLE}/read", {"personalId": AN, "sex": "1"}, **PURPOSE)
    assert (r.status_code, r.json()["field"]) == (422, "query.content.sex")
    r = _post(reg, f"{PEOPLE}/exists", {"personalId": AN, "familyName": "Nguyễn", "givenName": "An",
                                         "religion": "00"}, **PURPOSE)  # fmt: skip
    assert (r.status_code, r.json()["field"]) == (422, "query.content.religion")
    r = _post(reg, f"{PEOPLE}/read", {"familyName": "Nguyễn"}, **PURPOSE)
    assert (r.status_code, r.json()["field"]) == (422, "query.content.familyName")
    r = _post(reg, f"{PEOPLE}/read", {}, **PURPOSE)
    assert (r.status_code, r.json()["field"]) == (422, "query.content.personalId")
    r = _post(reg, f"{PEOPLE}/read", {"personalId": "00109000010x"}, **PURPOSE)
    assert (r.status_code, r.json()["field"]) == (422, "query.content.personalId")
    r = _post(reg, f"{COMPANIES}/read", {"nameVi": "An Phát"}, HCMC)
    assert (r.status_code, r.json()["field"]) == (422, "query.content.nameVi")


def test_no_match_is_404_no_record_found(reg: GatewayEnv) -> None:
    r = _post(reg, f"{PEOPLE}/read", {"personalId": UNKNOWN_PERSON}, **PURPOSE)
    assert (r.status_code, r.json()) == (404, {"detail": "no record found"})
    r = _post(reg, f"{COMPANIES}/read", {"code": "9900000023"}, HCMC)
    assert (r.status_code, r.json()) == (404, {"detail": "no record found"})
    # A field beyond the grant is refused before the lookup, whether or not the person exists.
    for pid in (AN, UNKNOWN_PERSON):
        r = reg.client.get(f"{PEOPLE}/{pid}/readValue/religion.json", headers=reg.headers(HANOI, **PURPOSE))
        assert (r.status_code, r.json()["code"]) == (403, "fields_not_granted")


def test_personal_data_needs_a_purpose(reg: GatewayEnv) -> None:
    r = _post(reg, f"{PEOPLE}/read", {"personalId": AN})
    assert (r.status_code, r.json()["field"]) == (422, "X-Road-Issue")


def test_unknown_registry_or_version(reg: GatewayEnv) -> None:
    r = _post(reg, f"{POPULATION}/govstack/data/population/2.0/read", {"personalId": AN}, **PURPOSE)
    assert (r.status_code, r.json()["code"]) == (404, "registry_not_found")
    # HCMC may GET anything on the enterprise service, but the population registry is not there.
    r = reg.client.get(f"{ENTERPRISE}/govstack/data/population/1.0/{AN}/readValue/givenName.json",
                       headers=reg.headers(HCMC, **PURPOSE))  # fmt: skip
    assert (r.status_code, r.json()["code"]) == (404, "registry_not_found")
    assert POPULATION_SERVICE in r.json()["detail"]


def test_enterprises_public_fields_and_the_representative_under_a_grant(reg: GatewayEnv) -> None:
    r = _post(reg, f"{COMPANIES}/read", {"code": DEMO}, HCMC)
    assert r.status_code == 200, r.text
    content = r.json()["content"]
    assert content["code"] == DEMO
    assert content["nameVi"] == "Công ty Cổ phần Dịch vụ An Phát"
    assert content["enterpriseType"] == "CP"
    assert content["businessLines"] == [{"code": "6201", "main": True}, {"code": "6202", "main": False}]
    assert "representativePersonalId" not in content
    headers = {"X-Road-Issue": "govstack-rep-test"}
    r = _post(reg, f"{COMPANIES}/read", {"code": DEMO}, PORTAL, **headers)
    assert r.json()["content"]["representativePersonalId"] == AN
    r = reg.client.get(f"{COMPANIES}/{DEMO}/readValue/charterCapital.json", headers=reg.headers(HCMC))
    assert r.json() == {"value": 5_000_000_000}
    usage = _usage(reg, AN, "enterprises")
    assert any(e["refrences"] == [{"ReferenceId": "govstack-rep-test"}] for e in usage)


def test_enterprise_list_searches_names_and_pages(reg: GatewayEnv) -> None:
    r = reg.client.get(
        COMPANIES, params={"search": "dich vu an phat", "pageSize": 5}, headers=reg.headers(HCMC)
    )
    assert r.status_code == 200, r.text
    page = r.json()
    assert (page["count"], page["next"], page["previous"]) == (1, None, None)
    assert [e["code"] for e in page["results"]] == [DEMO]
    assert "charterCapital" not in page["results"][0]
    r = reg.client.get(COMPANIES, params={"query.code": DEMO}, headers=reg.headers(HCMC))
    assert [e["nameVi"] for e in r.json()["results"]] == ["Công ty Cổ phần Dịch vụ An Phát"]
    r = reg.client.get(COMPANIES, params={"search": "an phat", "page": 2}, headers=reg.headers(HCMC))
    assert r.json() == {"count": 0, "next": None, "previous": "?search=an+phat&page=1", "results": []}
    for params, field in (({"query.nameVi": "An"}, "query.nameVi"), ({"filter": "nameVi"}, "filter"),
                          ({}, "search"), ({"search": "an"}, "search")):  # fmt: skip
        r = reg.client.get(COMPANIES, params=params, headers=reg.headers(HCMC))
        assert (r.status_code, r.json()["field"]) == (422, field), params


def test_population_is_not_listed(reg: GatewayEnv) -> None:
    r = reg.client.get(PEOPLE, params={"search": "Nguyễn"}, headers=reg.headers(HANOI, **PURPOSE))
    assert (r.status_code, r.json()["code"]) == (403, "no_bulk_listing")


def _usage(reg: GatewayEnv, person: str, database: str = "population", **headers: str) -> Any:
    r = reg.client.get(
        f"{POPULATION}/govstack/data/mypersonalDataUsage",
        params={"userId": person, "databaseId": database},
        headers=reg.headers(PORTAL, **{"X-Road-UserId": person, **headers}),
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_the_person_sees_who_read_their_data(reg: GatewayEnv) -> None:
    issue = {**PURPOSE, "X-Road-Issue": "govstack-usage-test"}
    r = _post(reg, f"{PEOPLE}/read", {"personalId": AN}, **issue)
    assert r.status_code == 200, r.text
    message_id = r.headers["x-road-id"]
    entry = next(e for e in _usage(reg, AN) if e["refrences"] == [{"ReferenceId": "govstack-usage-test"}])
    assert entry["id"] == message_id
    assert entry["readerId"] == "VN/CANBO/0123"
    assert entry["readerInstitutionId"] == "H24"
    assert entry["readerInstitutionName"] == "Ủy ban nhân dân thành phố Hà Nội"
    assert entry["readerApplicationName"] == HANOI
    assert entry["operation"] == "read"
    assert entry["fields"] == ["full_name", "birth_date", "permanent_residence", "status"]
    # v1.0 spelling and names
    r = reg.client.get(
        f"{POPULATION}/govstack/data/MyPersonalDataUsage/1.0",
        params={"userID": AN, "DatabaseID": "population"},
        headers=reg.headers(PORTAL, **{"X-Road-UserId": AN}),
    )
    assert r.status_code == 200, r.text
    v1 = next(e for e in r.json() if e["ID"] == message_id)
    assert set(v1) >= {"ReaderID", "ReaderInitials", "ReaderInstitutionID", "ReaderInstitutionName",
                       "ReaderApplicationName", "SearchDateTime", "Refrences"}  # fmt: skip
    assert v1["Refrences"] == [{"ReferenceID": "govstack-usage-test"}]
    # Only for the person themselves; and Hà Nội's reads are not among the enterprise registry's.
    r = reg.client.get(
        f"{POPULATION}/govstack/data/mypersonalDataUsage",
        params={"userId": AN, "databaseId": "population"},
        headers=reg.headers(PORTAL, **{"X-Road-UserId": "001060000101"}),
    )
    assert r.status_code == 403, r.text
    assert all(e["operation"] == "enterprise" for e in _usage(reg, AN, "enterprises"))


def test_writes_are_refused_with_a_pointer_to_the_officials_api(reg: GatewayEnv) -> None:
    write = {"write": {"content": {"personalId": "001090000199", "familyName": "Lê"}}}
    for method, url in (
        ("POST", f"{PEOPLE}/create"),
        ("PUT", f"{PEOPLE}/update"),
        ("PUT", f"{PEOPLE}/updateEntries"),
        ("POST", f"{PEOPLE}/update-or-create"),
        ("DELETE", f"{PEOPLE}/{AN}/delete"),
        ("POST", f"{COMPANIES}/create"),
    ):
        r = reg.client.request(method, url, json=write, headers=reg.headers(HANOI, **PURPOSE))
        assert (r.status_code, r.json()["code"]) == (403, "written_by_officials"), (method, url, r.text)
        assert "/api/v1/registries/admin/" in r.json()["detail"]


def test_calls_that_bypass_the_exchange_are_refused(reg: GatewayEnv) -> None:
    direct = "/api/v1/registries/population/govstack/data/population/1.0"
    headers = {"X-Road-Client": HANOI, **PURPOSE}
    r = reg.client.post(f"{direct}/read", json={"query": {"content": {"personalId": AN}}}, headers=headers)
    assert (r.status_code, r.json()["code"]) == (403, "not_through_exchange")
    r = reg.client.post(f"{direct}/create", json={}, headers=headers)
    assert (r.status_code, r.json()["code"]) == (403, "not_through_exchange")
    r = reg.client.get(
        "/api/v1/registries/population/govstack/data/mypersonalDataUsage",
        params={"userId": AN, "databaseId": "population"},
        headers={"X-Road-Client": PORTAL, "X-Road-UserId": AN},
    )
    assert (r.status_code, r.json()["code"]) == (403, "not_through_exchange")


def test_information_mediator_client_must_be_the_authenticated_system(reg: GatewayEnv) -> None:
    r = _post(reg, f"{PEOPLE}/read", {"personalId": AN}, **PURPOSE, **{"Information-Mediator-Client": HANOI})
    assert r.status_code == 200, r.text
    r = _post(reg, f"{PEOPLE}/read", {"personalId": AN}, **PURPOSE, **{"Information-Mediator-Client": PORTAL})
    assert (r.status_code, r.json()["field"]) == (422, "Information-Mediator-Client")
