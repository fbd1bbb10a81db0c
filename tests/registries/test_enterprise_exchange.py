"""The enterprise registry through the data exchange: public fields for any allowed system, the
representative only under a grant (and then logged under that person), folded name search."""

from __future__ import annotations

from tests.exchange.conftest import GatewayEnv
from tests.registries.conftest import AN, ENTERPRISE, HCMC, POPULATION, PORTAL

DEMO = "9900000016"


def test_public_fields_for_a_system_without_a_grant(reg: GatewayEnv) -> None:
    r = reg.client.get(f"{ENTERPRISE}/enterprises/{DEMO}", headers=reg.headers(HCMC))
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["names"]["vi"] == "Công ty Cổ phần Dịch vụ An Phát"
    assert record["type"]["code"] == "CP"
    assert "representative" not in record
    r = reg.client.get(f"{ENTERPRISE}/enterprises/{DEMO}?fields=representative", headers=reg.headers(HCMC))
    assert (r.status_code, r.json()["code"]) == (403, "fields_not_granted")


def test_the_representative_under_a_grant_is_logged_under_that_person(reg: GatewayEnv) -> None:
    headers = reg.headers(PORTAL, **{"X-Road-Issue": "enterprise-rep-test", "X-Road-UserId": "canbo-7"})
    r = reg.client.get(f"{ENTERPRISE}/enterprises/{DEMO}", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["representative"] == {"personal_id": AN}
    r = reg.client.get(
        f"{POPULATION}/citizens/{AN}/accesses", headers=reg.headers(PORTAL, **{"X-Road-UserId": AN})
    )
    assert any(e["purpose"] == "enterprise-rep-test" and e["operation"] == "enterprise" for e in r.json())


def test_bad_codes_name_the_field_and_the_reason(reg: GatewayEnv) -> None:
    for code, reason in (("990000001", "length"), ("9900000017", "checksum"), ("9900000016-000", "branch")):
        r = reg.client.get(f"{ENTERPRISE}/enterprises/{code}", headers=reg.headers(HCMC))
        assert r.status_code == 422, r.text
        assert (r.json()["field"], r.json()["reason"]) == ("code", reason)
    r = reg.client.get(f"{ENTERPRISE}/enterprises/9900000023", headers=reg.headers(HCMC))
    assert (r.status_code, r.json()["code"]) == (404, "enterprise_not_found")


def test_search_folds_diacritics(reg: GatewayEnv) -> None:
    r = reg.client.get(
        f"{ENTERPRISE}/enterprises", params={"q": "dich vu AN PHAT"}, headers=reg.headers(HCMC)
    )
    assert r.status_code == 200, r.text
    assert [e["code"] for e in r.json()["items"]] == [DEMO]
    r = reg.client.get(f"{ENTERPRISE}/enterprises", params={"q": "an"}, headers=reg.headers(HCMC))
    assert (r.status_code, r.json()["field"]) == (422, "q")


def test_openapi_descriptions_are_registered_on_the_exchange(reg: GatewayEnv) -> None:
    r = reg.client.get("/r1/VN/GOV/G12/DKDN/getOpenAPI", params={"serviceCode": "doanhNghiep"},
                       headers=reg.headers(HCMC))  # fmt: skip
    assert r.status_code == 200, r.text
    paths = r.json()["paths"]
    assert "/enterprises/{code}" in paths
    assert any(p.startswith("/govstack/data/") for p in paths)  # the GovStack shape is described too
