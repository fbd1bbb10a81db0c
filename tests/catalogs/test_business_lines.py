"""VSIC 2018 (Hệ thống ngành kinh tế Việt Nam, QĐ 27/2018/QĐ-TTg) as the `business-lines` catalogue.

Counts and names are those of the transcription the catalogue ships (see `reference.py`). The decision
announces 21/88/242/486/734 items per level; the source has 464 classes, so that one count differs.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from fastapi.testclient import TestClient

from vnegov.catalogs.sources import ItemRecord
from vnegov.catalogs.sources.reference import BUSINESS_LINES, VSIC_LEVELS
from vnegov.catalogs.sources.registry import ALL_SOURCES

API = "/api/v1/catalogs/business-lines"

# Items per level in the shipped source; the decision's own Điều 1 says 486 classes (see module doc).
SHIPPED = {"section": 21, "division": 88, "group": 242, "class": 464, "subclass": 734}
ANNOUNCED = {"section": 21, "division": 88, "group": 242, "class": 486, "subclass": 734}


@pytest.fixture(scope="module")
def lines() -> list[ItemRecord]:
    return list(BUSINESS_LINES.items())


def test_counts_per_level(lines: list[ItemRecord]) -> None:
    assert Counter(r.level for r in lines) == SHIPPED
    # Every level but the classes matches the count the decision announces.
    assert {lv: n for lv, n in SHIPPED.items() if ANNOUNCED[lv] != n} == {"class": 464}


def test_codes_are_unique_and_shaped_per_level(lines: list[ItemRecord]) -> None:
    assert len({r.code for r in lines}) == len(lines)
    sections = [r.code for r in lines if r.level == "section"]
    assert sections == [chr(c) for c in range(ord("A"), ord("U") + 1)]
    for r in lines:
        if r.level != "section":
            assert r.code.isdigit() and len(r.code) == VSIC_LEVELS.index(r.level or "") + 1, r


def test_every_parent_exists_one_level_up(lines: list[ItemRecord]) -> None:
    by_code = {r.code: r for r in lines}
    for r in lines:
        depth = VSIC_LEVELS.index(r.level or "")
        if depth == 0:
            assert r.parent_code is None, r
            continue
        parent = by_code.get(r.parent_code or "")
        assert parent is not None, r
        assert parent.level == VSIC_LEVELS[depth - 1], r
        if depth >= 2:  # groups, classes and subclasses extend their parent's digits
            assert r.code.startswith(parent.code), r


def test_every_branch_reaches_a_subclass(lines: list[ItemRecord]) -> None:
    parents = {r.parent_code for r in lines}
    assert [r.code for r in lines if r.level != "subclass" and r.code not in parents] == []


def test_known_codes_and_names(lines: list[ItemRecord]) -> None:
    names = {r.code: r.name_vi for r in lines}
    assert names["A"] == "NÔNG NGHIỆP, LÂM NGHIỆP VÀ THUỶ SẢN"
    assert names["05"] == "Khai thác than cứng và than non"
    assert names["58"] == "Hoạt động xuất bản"
    assert names["0111"] == names["01110"] == "Trồng lúa"
    assert names["6201"] == names["62010"] == "Lập trình máy vi tính"
    assert names["4711"] == (
        "Bán lẻ lương thực, thực phẩm, đồ uống, thuốc lá, thuốc lào chiếm tỷ trọng lớn "
        "trong các cửa hàng kinh doanh tổng hợp"
    )
    assert names["47111"] == "Bán lẻ trong siêu thị (Supermarket)"
    assert names["35116"] == "Điện mặt trời"
    assert names["99000"] == "Hoạt động của các tổ chức và cơ quan quốc tế"
    parents = {r.code: r.parent_code for r in lines}
    assert (parents["01"], parents["011"], parents["0111"], parents["01110"]) == ("A", "01", "011", "0111")
    assert parents["62"] == "J" and parents["47"] == "G"


def test_valid_from_the_decisions_entry_into_force(lines: list[ItemRecord]) -> None:
    assert {(r.valid_from, r.valid_to) for r in lines} == {(date(2018, 8, 20), None)}


def test_registered_with_its_owner_and_sources() -> None:
    assert BUSINESS_LINES in ALL_SOURCES
    assert BUSINESS_LINES.owner_agency == "G12"
    assert "27/2018/QĐ-TTg" in BUSINESS_LINES.decision
    assert "tienphuocgroup/manganhnghe" in BUSINESS_LINES.source


# ------------------------------------------------------------------ through the seed `vnegov up` runs


def _total(client: TestClient, **params: str) -> int:
    r = client.get(f"{API}/items", params=params)
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


def test_seeded_catalogue_has_every_level(client: TestClient, reference_data) -> None:  # type: ignore[no-untyped-def]
    meta = client.get(API).json()
    assert meta["owner_agency"] == "G12"
    assert list(meta["levels"]) == ["section", "division", "group", "class", "subclass"]  # top-down
    for level, n in SHIPPED.items():
        assert _total(client, level=level, valid_on="2025-01-01") == n, level
    assert _total(client, level="class", valid_on="2018-08-19") == 0


def test_seeded_item_detail_and_children(client: TestClient, reference_data) -> None:  # type: ignore[no-untyped-def]
    detail = client.get(f"{API}/items/6201").json()
    assert detail["current"]["name_vi"] == "Lập trình máy vi tính"
    assert detail["parent"]["code"] == "620"
    assert detail["children_count"] == 1
    assert _total(client, parent="J", valid_on="2025-01-01") == 6  # divisions 58–63


def test_folded_search_finds_a_business_line(client: TestClient, reference_data) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"{API}/items", params={"q": "lap trinh may vi tinh", "level": "class"})
    assert [i["code"] for i in r.json()["items"]] == ["6201"]
