"""The public datasets as plain records: counts, versions, parents, codes and crosswalks."""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

import pytest

from vnegov.catalogs.sources import CatalogSource, CrosswalkRecord, ItemRecord
from vnegov.catalogs.sources import admin_units as au
from vnegov.catalogs.sources.admin_units import ADMIN_UNITS, CODE_LENGTH, LAST_OLD_DAY, REFORM_DAY
from vnegov.catalogs.sources.reference import (
    AGENCIES,
    DOCUMENT_TYPES,
    DOSSIER_STATUSES,
    ETHNIC_GROUPS,
    NATIONALITIES,
    RELIGIONS,
    SEXES,
    qcvn102_form,
)
from vnegov.catalogs.sources.registry import ALL_SOURCES

_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "date": str}


def _valid_on(r: ItemRecord, day: date) -> bool:
    return (r.valid_from is None or r.valid_from <= day) and (r.valid_to is None or day <= r.valid_to)


def _on(records: Iterable[ItemRecord], day: date, level: str | None = None) -> list[ItemRecord]:
    return [r for r in records if _valid_on(r, day) and (level is None or r.level == level)]


@pytest.fixture(scope="module")
def units() -> list[ItemRecord]:
    return list(ADMIN_UNITS.items())


@pytest.fixture(scope="module")
def crosswalks() -> list[CrosswalkRecord]:
    return list(ADMIN_UNITS.crosswalks())


# ------------------------------------------------------------------------ administrative units


def test_63_provinces_before_the_reform_and_34_after(units: list[ItemRecord]) -> None:
    assert len(_on(units, LAST_OLD_DAY, "province")) == 63
    assert len(_on(units, REFORM_DAY, "province")) == 34


def test_districts_and_communes_on_each_side_of_the_reform(units: list[ItemRecord]) -> None:
    # 696 districts and 10,035 communes on 30/06/2025: the official totals the reform started from
    # (10,035 - 3,321 = 6,714 communes fewer). The five island districts without communes (Bạch Long Vĩ,
    # Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo) are districts only.
    assert len(_on(units, LAST_OLD_DAY, "district")) == 696
    assert len(_on(units, LAST_OLD_DAY, "commune")) == 10_035
    # From 01/07/2025: two tiers, 3,321 communes (2,621 xã, 687 phường, 13 đặc khu) — the
    # number announced with the reform; the package has exactly that many.
    assert _on(units, REFORM_DAY, "district") == []
    new_communes = _on(units, REFORM_DAY, "commune")
    assert len(new_communes) == 3_321
    assert Counter(r.attributes["division_type"] for r in new_communes) == {
        "xã": 2_621,
        "phường": 687,
        "đặc khu": 13,
    }


def test_codes_kept_across_the_reform_have_two_consecutive_versions(units: list[ItemRecord]) -> None:
    versions: dict[str, list[ItemRecord]] = defaultdict(list)
    for r in units:
        versions[r.code].append(r)
    assert all(len(v) <= 2 for v in versions.values())
    kept = {code for code, v in versions.items() if len(v) == 2}
    # Every province code of the 34 was an old province code; 3,316 communes kept a code.
    assert Counter(len(c) for c in kept) == {2: 34, 5: 3_316}
    for code in kept:
        old, new = sorted(versions[code], key=lambda r: r.valid_from or date.min)
        assert (old.valid_from, old.valid_to) == (None, LAST_OLD_DAY)
        assert (new.valid_from, new.valid_to) == (REFORM_DAY, None)
    hanoi = sorted(versions["01"], key=lambda r: r.valid_from or date.min)
    assert [r.name_vi for r in hanoi] == ["Thành phố Hà Nội", "Thành phố Hà Nội"]
    # Lào Cai (old 10) and Yên Bái (old 15) became Lào Cai with Yên Bái's code 15.
    assert [r.name_vi for r in sorted(versions["15"], key=lambda r: r.valid_from or date.min)] == [
        "Tỉnh Yên Bái",
        "Tỉnh Lào Cai",
    ]


def test_new_ward_codes_are_the_official_ones(units: list[ItemRecord]) -> None:
    # Công văn 1027/CTK-CSCL (25/06/2025) gives Phường Cửa Nam 00082 and Kim Liên 00229; the draft
    # list still shipped by vietnam-provinces 2025.10.1 had 00073 and 00226 for them.
    new = {r.code: r.name_vi for r in _on(units, REFORM_DAY, "commune")}
    assert new["00082"] == "Phường Cửa Nam"
    assert new["00229"] == "Phường Kim Liên"
    assert new["00226"] == "Phường Văn Miếu - Quốc Tử Giám"
    assert "00073" not in new


def test_no_code_is_used_at_two_levels(units: list[ItemRecord]) -> None:
    levels: dict[str, set[str | None]] = defaultdict(set)
    for r in units:
        levels[r.code].add(r.level)
    assert {code: lv for code, lv in levels.items() if len(lv) > 1} == {}


@pytest.mark.parametrize("level", ["province", "district", "commune"])
def test_codes_are_well_formed_per_level(units: list[ItemRecord], level: str) -> None:
    pattern = re.compile(rf"^\d{{{CODE_LENGTH[level]}}}$")
    bad = [r.code for r in units if r.level == level and not pattern.match(r.code)]
    assert bad == []


def test_every_parent_exists_in_the_same_era(units: list[ItemRecord]) -> None:
    for era_day in (LAST_OLD_DAY, REFORM_DAY):
        live = _on(units, era_day)
        by_code = {r.code: r for r in live}
        for r in live:
            if r.level == "province":
                assert r.parent_code is None
                continue
            parent = by_code.get(r.parent_code or "")
            assert parent is not None, (era_day, r)
            expected = {
                "district": "province",
                "commune": "district" if era_day == LAST_OLD_DAY else "province",
            }
            assert parent.level == expected[r.level or ""], (era_day, r)


def test_names_and_attributes(units: list[ItemRecord]) -> None:
    by_key = {(r.code, r.valid_from): r for r in units}
    hanoi = by_key[("01", REFORM_DAY)]
    assert hanoi.name_en == "Ha Noi City"
    assert hanoi.attributes == {
        "division_type": "thành phố trung ương",
        "codename": "thanh_pho_ha_noi",
        "phone_code": 24,
    }
    assert by_key[("760", None)].name_en == "District 1"
    assert by_key[("00001", None)].name_en == "Phuc Xa Ward"
    assert by_key[("11948", REFORM_DAY)].attributes["division_type"] == "đặc khu"
    assert all(r.name_vi == r.name_vi.strip() and "  " not in r.name_vi for r in units)
    assert not any(r.name_vi.startswith(("Thành Phố ", "Thị Xã ", "Thị Trấn ")) for r in units)


def test_crosswalk_sources_are_old_units_and_targets_new_ones(
    units: list[ItemRecord], crosswalks: list[CrosswalkRecord]
) -> None:
    old = {r.code for r in _on(units, LAST_OLD_DAY)}
    new = {r.code for r in _on(units, REFORM_DAY)}
    assert crosswalks
    for x in crosswalks:
        assert x.effective == REFORM_DAY
        assert x.from_code in old, x
        assert x.to_code in new, x
        assert len(x.to_code) in (2, 5)
    assert len({(x.from_code, x.to_code) for x in crosswalks}) == len(crosswalks)


def test_province_crosswalk(crosswalks: list[CrosswalkRecord]) -> None:
    provinces = [x for x in crosswalks if len(x.from_code) == 2]
    # 63 - 11 provinces that kept their territory = 52 old provinces merged into 23 new ones.
    assert len(provinces) == 52
    assert {x.kind for x in provinces} == {"merge"}
    assert len({x.to_code for x in provinces}) == 23
    targets = {x.from_code: x.to_code for x in provinces}
    assert targets["02"] == "08"  # Hà Giang → Tuyên Quang
    assert targets["08"] == "08"  # Tuyên Quang took Hà Giang in and kept its code
    assert targets["10"] == "15"  # Lào Cai → (new) Lào Cai, which carries Yên Bái's code
    assert "01" not in targets  # Hà Nội: unchanged, nothing to map


def test_commune_crosswalk_merges_and_splits(
    units: list[ItemRecord], crosswalks: list[CrosswalkRecord]
) -> None:
    communes = [x for x in crosswalks if len(x.from_code) == 5]
    kinds = Counter(x.kind for x in communes)
    assert set(kinds) == {"merge", "split"}
    sources: dict[str, set[str]] = defaultdict(set)
    for x in communes:
        sources[x.to_code].add(x.from_code)
    # A merge target received more than one unit.
    assert all(len(sources[x.to_code]) > 1 for x in communes if x.kind == "merge")
    # A split commune went to several new ones, exactly one of them its main successor.
    by_split: dict[str, list[CrosswalkRecord]] = defaultdict(list)
    for x in communes:
        if x.kind == "split":
            by_split[x.from_code].append(x)
    assert by_split
    for edges in by_split.values():
        assert len(edges) >= 2
        assert sum("chính" in e.note for e in edges) == 1
    # Every old commune is accounted for: crosswalked, or unchanged with the same code.
    old_communes = {r.code for r in _on(units, LAST_OLD_DAY, "commune")}
    new_codes = {r.code for r in _on(units, REFORM_DAY, "commune")}
    mapped = {x.from_code for x in communes}
    assert old_communes - mapped <= new_codes
    # An old code kept by a new commune stood for (part of) that commune: codes are never reused.
    for code in old_communes & new_codes:
        assert not sources[code] or code in sources[code]


def test_island_districts_map_to_special_zones(crosswalks: list[CrosswalkRecord]) -> None:
    districts = {x.from_code: x.to_code for x in crosswalks if len(x.from_code) == 3}
    assert districts == {"318": "11948", "471": "19742", "498": "20333", "536": "21548", "755": "26732"}


def test_loading_is_fast() -> None:
    au._rows.cache_clear()
    au._items.cache_clear()
    au._crosswalks.cache_clear()
    start = time.perf_counter()
    n = sum(1 for _ in ADMIN_UNITS.items()) + sum(1 for _ in ADMIN_UNITS.crosswalks())
    assert n > 20_000
    assert time.perf_counter() - start < 2.0


# ------------------------------------------------------------------------------ every source


@pytest.mark.parametrize("source", ALL_SOURCES, ids=lambda s: s.code)
def test_versions_of_a_code_never_overlap(source: CatalogSource) -> None:
    versions: dict[str, list[ItemRecord]] = defaultdict(list)
    for r in source.items():
        assert r.valid_from is None or r.valid_to is None or r.valid_from <= r.valid_to, r
        versions[r.code].append(r)
    for code, vs in versions.items():
        vs.sort(key=lambda v: v.valid_from or date.min)
        for a, b in itertools.pairwise(vs):
            assert a.valid_to is not None and b.valid_from is not None and a.valid_to < b.valid_from, code


@pytest.mark.parametrize("source", ALL_SOURCES, ids=lambda s: s.code)
def test_attributes_follow_the_field_schema(source: CatalogSource) -> None:
    fields = {f.name: f for f in source.fields}
    for r in source.items():
        assert r.code and r.name_vi, r
        assert set(r.attributes) <= set(fields), r
        for name, value in r.attributes.items():
            assert isinstance(value, _TYPES[fields[name].type]) and not isinstance(value, bool), (name, r)
        for f in fields.values():
            if f.required:
                assert r.attributes.get(f.name) is not None, (f.name, r)


def test_registry_lists_every_catalogue_once_agencies_first() -> None:
    codes = [s.code for s in ALL_SOURCES]
    assert codes[0] == "agencies"
    assert len(codes) == len(set(codes))
    assert set(codes) == {
        "agencies",
        "admin-units",
        "ethnic-groups",
        "nationalities",
        "religions",
        "sexes",
        "document-types",
        "dossier-statuses",
        "business-lines",
    }
    for s in ALL_SOURCES:
        assert s.source and s.licence and s.decision, s.code


def test_owner_agencies_are_current_level_1_agencies() -> None:
    today = date(2025, 7, 1)
    current = {r.code for r in _on(AGENCIES.items(), today) if r.level == "1"}
    for s in ALL_SOURCES:
        assert s.owner_agency in current, s.code


# ---------------------------------------------------------------------- smaller catalogues


def test_54_ethnic_groups_in_the_official_order() -> None:
    rows = list(ETHNIC_GROUPS.items())
    assert [r.code for r in rows] == [f"{i:02d}" for i in range(1, 55)]
    names = {r.code: r.name_vi for r in rows}
    assert names["01"] == "Kinh"
    assert (names["02"], names["03"], names["04"], names["05"]) == ("Tày", "Thái", "Hoa", "Khơ-me")
    assert (names["34"], names["53"], names["54"]) == ("Xinh-mun", "Ơ Đu", "Rơ-măm")
    assert rows[0].attributes["other_names"] == "Việt"


def test_dossier_statuses_one_to_ten() -> None:
    rows = {r.code: r for r in DOSSIER_STATUSES.items()}
    assert list(rows) == [str(i) for i in range(1, 11)]
    assert rows["1"].name_vi == "Mới đăng ký"
    assert rows["10"].name_vi == "Đã trả kết quả"
    assert all(r.name_en for r in rows.values())


def test_sexes_and_religions() -> None:
    assert {r.code: r.name_vi for r in SEXES.items()} == {"0": "Chưa có thông tin", "1": "Nam", "2": "Nữ"}
    religions = {r.code: r.name_vi for r in RELIGIONS.items()}
    assert religions["00"] == "Không"
    assert len(religions) == 17  # none + the 16 recognised religions
    assert {"Phật giáo", "Công giáo", "Tin lành", "Cao Đài", "Phật giáo Hòa Hảo", "Hồi giáo"} <= set(
        religions.values()
    )


def test_document_types_of_decree_30() -> None:
    rows = {r.name_vi: r for r in DOCUMENT_TYPES.items()}
    assert len(rows) == 29
    assert rows["Quyết định (cá biệt)"].attributes["abbreviation"] == "QĐ"
    assert rows["Tờ trình"].attributes["abbreviation"] == "TTr"
    assert rows["Quy định"].attributes["abbreviation"] == "QyĐ"
    assert "abbreviation" not in rows["Công văn"].attributes
    assert "abbreviation" not in rows["Thư công"].attributes
    abbreviations = [r.attributes["abbreviation"] for r in rows.values() if r.attributes]
    assert len(abbreviations) == len(set(abbreviations)) == 27


def test_nationalities_from_iso_3166() -> None:
    rows = {r.code: r for r in NATIONALITIES.items()}
    assert len(rows) >= 249
    assert rows["VN"].name_vi == "Việt Nam"
    assert rows["VN"].attributes["alpha_3"] == "VNM"
    assert rows["VN"].attributes["numeric"] == "704"
    assert rows["KR"].name_vi == "Hàn Quốc"
    assert all(re.fullmatch(r"[A-Z]{2}", c) for c in rows)


# ------------------------------------------------------------------------------------ agencies

_QD20 = re.compile(r"^[.0-9A-Z]{1,35}$")


def test_every_agency_code_has_the_decision_20_2020_format() -> None:
    for r in AGENCIES.items():
        assert _QD20.match(r.code), r.code
        assert re.fullmatch(r"[GHK]\d{2}(\.\d{2,3}){0,3}", r.code), r.code
        assert r.level == str(r.code.count(".") + 1)
        assert r.attributes["code_qcvn102"] == qcvn102_form(r.code)
        if r.parent_code:
            assert r.code.startswith(r.parent_code + ".")


def test_qcvn102_form() -> None:
    assert qcvn102_form("G12") == "000.00.00.G12"
    assert qcvn102_form("G03.15") == "000.00.15.G03"
    assert qcvn102_form("G03.15.02") == "000.02.15.G03"


def test_ministry_codes_of_decision_09_2025() -> None:
    current = {r.code: r.name_vi for r in _on(AGENCIES.items(), date(2025, 7, 1)) if r.code.startswith("G")}
    assert current["G01"] == "Bộ Công an"
    assert current["G12"] == "Bộ Tài chính"
    assert current["G22"] == "Văn phòng Chính phủ"
    assert current["G10"] == "Bộ Nông nghiệp và Môi trường"
    # Ministries merged in 2025 lost their codes when QĐ 09/2025 came into force (14/04/2025).
    assert not {"G04", "G05", "G07", "G13", "G14"} & set(current)
    before = {r.code for r in _on(AGENCIES.items(), date(2025, 4, 13))}
    assert {"G04", "G05", "G07", "G14"} <= before


def test_provincial_committees_follow_the_province_merger(units: list[ItemRecord]) -> None:
    def committees(day: date) -> dict[str, str]:
        return {
            r.code: r.attributes["admin_unit_code"]
            for r in _on(AGENCIES.items(), day)
            if r.attributes["kind"] == "province_committee"
        }

    before, after = committees(LAST_OLD_DAY), committees(REFORM_DAY)
    assert len(before) == 63
    assert len(after) == 34
    # Each committee points at a province of its era, one committee per province.
    assert set(before.values()) == {r.code for r in _on(units, LAST_OLD_DAY, "province")}
    assert set(after.values()) == {r.code for r in _on(units, REFORM_DAY, "province")}
    assert after["H29"] == "79"  # TP Hồ Chí Minh (observed in its DVC codes)
    assert after["H38"] == "15"  # Lào Cai kept its own code H38, now over admin unit 15
    assert "H63" in before and "H63" not in after  # Yên Bái's code closed on 30/06/2025
    huế = {r.valid_from: r.name_vi for r in AGENCIES.items() if r.code == "H57"}
    assert huế[date(2025, 1, 1)] == "Ủy ban nhân dân thành phố Huế"
