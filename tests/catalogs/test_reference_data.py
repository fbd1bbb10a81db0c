"""The seeded public datasets through the API: the issue's "done when" checks and time travel."""

from __future__ import annotations

from fastapi.testclient import TestClient

API = "/api/v1/catalogs/admin-units"


def _count(client: TestClient, **params: str) -> int:
    r = client.get(f"{API}/items", params=params)
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


def test_34_provinces_after_the_reform_and_63_before(client: TestClient, reference_data) -> None:  # type: ignore[no-untyped-def]
    assert _count(client, level="province", valid_on="2025-07-01") == 34
    assert _count(client, level="province", valid_on="2025-06-30") == 63


def test_districts_exist_only_before_the_reform(client: TestClient, reference_data) -> None:  # type: ignore[no-untyped-def]
    assert _count(client, level="district", valid_on="2025-06-30") > 600
    assert _count(client, level="district", valid_on="2025-07-01") == 0


def test_communes_after_the_reform(client: TestClient, reference_data) -> None:  # type: ignore[no-untyped-def]
    assert _count(client, level="commune", valid_on="2025-07-01") == 3321


def test_folded_search_finds_da_nang(client: TestClient, reference_data) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"{API}/items", params={"q": "da nang", "level": "province", "valid_on": "2025-07-01"})
    names = [i["name_vi"] for i in r.json()["items"]]
    assert any("Đà Nẵng" in n for n in names)


def test_hanoi_has_wards_after_the_reform(client: TestClient, reference_data) -> None:  # type: ignore[no-untyped-def]
    wards = _count(client, parent="01", valid_on="2025-07-01")
    assert wards > 100
    detail = client.get(f"{API}/items/01").json()
    assert len(detail["history"]) == 2
    assert detail["history"][0]["valid_to"] == "2025-06-30"


def test_old_province_crosswalks_to_its_new_province(client: TestClient, reference_data) -> None:  # type: ignore[no-untyped-def]
    # Hà Giang (02) merged into Tuyên Quang (08) on 1/7/2025 (Resolution 202/2025/QH15).
    r = client.get(f"{API}/crosswalk", params={"from": "02", "on": "2025-07-01"})
    assert r.status_code == 200, r.text
    assert r.json()["codes"] == ["08"]
    # Before the reform the code still stands for itself.
    assert client.get(f"{API}/crosswalk", params={"from": "02", "on": "2025-06-30"}).json()["codes"] == ["02"]


def test_dmdc_shape(client: TestClient, reference_data) -> None:  # type: ignore[no-untyped-def]
    meta = client.get("/dmdc/Metadata/ethnic-groups").json()
    assert {"PropertyCode": "Ma", "PropertyName": "Mã", "PropertyType": "string"} in meta
    rows = client.get("/dmdc/Category/ethnic-groups").json()
    assert len(rows) == 54
    assert {"Ma": "01", "Ten": "Kinh"}.items() <= rows[0].items()


def test_reference_catalogues_are_listed(client: TestClient, reference_data) -> None:  # type: ignore[no-untyped-def]
    codes = {c["code"] for c in client.get("/api/v1/catalogs").json()}
    assert {
        "admin-units",
        "agencies",
        "ethnic-groups",
        "nationalities",
        "religions",
        "sexes",
        "document-types",
        "dossier-statuses",
        "business-lines",
    } <= codes


def test_search_folds_d_with_stroke_on_every_engine(client: TestClient, reference_data) -> None:  # type: ignore[no-untyped-def]
    # "đ" is a letter of its own, not d + a mark: Unicode folding alone would miss "Điện Biên".
    for q in ("dien bien", "ĐIỆN BIÊN", "Điện Biên"):
        r = client.get(f"{API}/items", params={"q": q, "level": "province", "valid_on": "2025-07-01"})
        assert [i["code"] for i in r.json()["items"]] == ["11"], q
