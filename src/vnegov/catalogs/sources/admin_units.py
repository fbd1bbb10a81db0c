"""Danh mục đơn vị hành chính (administrative units) before and after the 1 July 2025 reform.

Sources
-------
* **Before the reform** (63 provinces, 696 districts, 10,035 communes, valid until 30/06/2025):
  the `admin_units_legacy` table of `vietnamadminunits` 1.0.4 (``data/dataset.db``, GSO codes as
  published at https://danhmuchanhchinh.gso.gov.vn). Licence: MIT (package by Tran Ngoc Minh Hieu,
  https://github.com/tranngocminhhieu/vietnamadminunits); the codes themselves are public data of
  the statistics office (Decision 124/2004/QĐ-TTg).
* **After the reform** (34 provinces, 3,321 communes/wards/special zones, two tiers, from
  01/07/2025): the `admin_units` table of the same package. Its codes match the official list the
  statistics office published with Công văn 1027/CTK-CSCL of 25/06/2025 (e.g. 00082 Phường Cửa Nam,
  00229 Phường Kim Liên). We do not use `vietnam-provinces` 2025.10.1 (the newest on PyPI when
  this was written): it still carries the *draft* codes (114 ward codes differ, e.g. 00073 for
  Cửa Nam) and it is GPL-3.0, which does not fit this Apache-2.0 project.
* **Telephone area codes** of the 34 new provinces (``data/province_phone_codes.csv``): facts of
  the national numbering plan (mã vùng điện thoại cố định), listed by hand.
* **Crosswalk** old → new (Nghị quyết 202/2025/QH15 for provinces, the 2025 UBTVQH resolutions
  for communes): ``converter_2025.json`` of `vietnamadminunits` (MIT). A commune that went whole
  into a new one is a "merge" (or a "rename" when it alone became a unit with another code); a
  commune divided among several new units is a "split", one edge per successor, the main one noted.
  The five island districts that had no communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn,
  Côn Đảo) crosswalk from their district code to the special zone (đặc khu) that replaced them.

Codes follow Decision 124/2004/QĐ-TTg: province 2 digits, district 3, commune 5. A code kept
across the reform (a province or the seat commune) yields two versions: the old one ending on
30/06/2025 and the new one starting on 01/07/2025. Names are NFC; the legacy table's "Thành Phố" /
"Thị Xã" / "Thị Trấn" capitalisation is normalised, and division types come from the
name prefix (the 2025 table gives four wards the wrong type).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path

from vnegov.catalogs.sources import CatalogSource, CrosswalkRecord, FieldSpec, ItemRecord

LAST_OLD_DAY = date(2025, 6, 30)
REFORM_DAY = date(2025, 7, 1)

LEVELS = ("province", "district", "commune")
CODE_LENGTH = {"province": 2, "district": 3, "commune": 5}

_TypeTable = tuple[tuple[str, str, str], ...]

# Name prefix → (division type as the sources write it, English suffix). Longest prefixes first.
_COMMUNE_TYPES = (
    ("Thị trấn ", "thị trấn", "Township"),
    ("Đặc khu ", "đặc khu", "Special Zone"),
    ("Phường ", "phường", "Ward"),
    ("Xã ", "xã", "Commune"),
)
_DISTRICT_TYPES = (
    ("Thành phố ", "thành phố", "City"),
    ("Thị xã ", "thị xã", "Town"),
    ("Huyện ", "huyện", "District"),
    ("Quận ", "quận", "District"),
)
_PROVINCE_TYPES = (
    ("Thành phố ", "thành phố trung ương", "City"),
    ("Tỉnh ", "tỉnh", "Province"),
)


def ascii_fold(text: str) -> str:
    """Vietnamese text without diacritics ("Đà Nẵng" → "Da Nang"), for English names and slugs."""
    text = text.replace("Đ", "D").replace("đ", "d").replace("’", "'")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def codename(name: str) -> str:
    """snake_case ASCII code name of a full unit name ("Phường Cửa Nam" → "phuong_cua_nam")."""
    return re.sub(r"[^a-z0-9]+", "_", ascii_fold(name).lower()).strip("_")


_CAPITALISED = (("Thành Phố ", "Thành phố "), ("Thị Xã ", "Thị xã "), ("Thị Trấn ", "Thị trấn "))


def _clean(name: str) -> str:
    name = unicodedata.normalize("NFC", " ".join(name.split()))
    for wrong, right in _CAPITALISED:
        if name.startswith(wrong):
            return right + name[len(wrong) :]
    return name


def _split_type(name: str, table: _TypeTable) -> tuple[str, str, str]:
    """(division type, short name, English suffix) read from the name's prefix."""
    for prefix, division_type, suffix in table:
        if name.startswith(prefix):
            return division_type, name[len(prefix) :], suffix
    raise ValueError(f"unknown administrative-unit type in {name!r}")


def _english(short: str, suffix: str) -> str:
    short = ascii_fold(short)
    return f"{suffix} {short}" if short.isdigit() else f"{short} {suffix}"


def _package_data_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the '{package}' package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _vau_data() -> Path:
    return _package_data_dir("vietnamadminunits") / "data"


@lru_cache(maxsize=1)
def _rows() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """(legacy rows, 2025 rows) of vietnamadminunits' SQLite dataset, read-only."""
    uri = f"file:{_vau_data() / 'dataset.db'}?mode=ro&immutable=1"
    con = sqlite3.connect(uri, uri=True)
    try:
        legacy = con.execute(
            "SELECT provinceCode, province, provinceKey, districtCode, district, districtKey,"
            " wardCode, ward, wardKey FROM admin_units_legacy"
        ).fetchall()
        current = con.execute(
            "SELECT provinceCode, province, provinceKey, wardCode, ward, wardKey FROM admin_units"
        ).fetchall()
    finally:
        con.close()
    return legacy, current


@lru_cache(maxsize=1)
def _phone_codes() -> dict[str, int]:
    """Telephone area code of each post-reform province (national numbering plan)."""
    path = Path(__file__).parent / "data" / "province_phone_codes.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["code"]: int(row["phone_code"]) for row in csv.DictReader(fh)}


def _record(
    code: str, name: str, level: str, parent: str | None, table: _TypeTable, old: bool, **extra: int
) -> ItemRecord:
    division_type, short, suffix = _split_type(name, table)
    attributes: dict[str, str | int] = {"division_type": division_type, "codename": codename(name), **extra}
    return ItemRecord(
        code=code,
        name_vi=name,
        name_en=_english(short, suffix),
        parent_code=parent,
        level=level,
        attributes=attributes,
        valid_from=None if old else REFORM_DAY,
        valid_to=LAST_OLD_DAY if old else None,
    )


@lru_cache(maxsize=1)
def _items() -> tuple[ItemRecord, ...]:
    legacy, current = _rows()
    out: list[ItemRecord] = []
    seen: set[tuple[str, str]] = set()
    for p_code, p_name, _pk, d_code, d_name, _dk, w_code, w_name, _wk in legacy:
        if ("p", p_code) not in seen:
            seen.add(("p", p_code))
            out.append(_record(p_code, _clean(p_name), "province", None, _PROVINCE_TYPES, True))
        if ("d", d_code) not in seen:
            seen.add(("d", d_code))
            out.append(_record(d_code, _clean(d_name), "district", p_code, _DISTRICT_TYPES, True))
        if w_code:
            out.append(_record(w_code, _clean(w_name), "commune", d_code, _COMMUNE_TYPES, True))
    phones = _phone_codes()
    for p_code, p_name, _pk, w_code, w_name, _wk in current:
        if ("P", p_code) not in seen:
            seen.add(("P", p_code))
            extra = {"phone_code": phones[p_code]} if p_code in phones else {}
            out.append(_record(p_code, _clean(p_name), "province", None, _PROVINCE_TYPES, False, **extra))
        out.append(_record(w_code, _clean(w_name), "commune", p_code, _COMMUNE_TYPES, False))
    order = {level: i for i, level in enumerate(LEVELS)}
    out.sort(key=lambda r: (r.valid_from or date.min, order[r.level or ""], r.code))
    return tuple(out)


@lru_cache(maxsize=1)
def _crosswalks() -> tuple[CrosswalkRecord, ...]:
    legacy, current = _rows()
    old_province = {pk: pc for pc, _pn, pk, *_ in legacy}
    # "province_district_ward" keys of the converter; island districts without communes end in "_".
    old_unit = {f"{pk}_{dk}_{wk or ''}": (wc or dc) for _pc, _pn, pk, dc, _dn, dk, wc, _wn, wk in legacy}
    new_province = {pk: pc for pc, _pn, pk, *_ in current}
    new_unit = {(pk, wk): wc for _pc, _pn, pk, wc, _wn, wk in current}

    converter = json.loads((_vau_data() / "converter_2025.json").read_text(encoding="utf-8"))
    out: list[CrosswalkRecord] = []

    for new_key, old_keys in sorted(converter["DICT_PROVINCE"].items()):
        if len(old_keys) < 2:
            continue  # 11 provinces kept their territory and code: nothing to map
        to_code = new_province[new_key]
        for old_key in old_keys:
            out.append(
                CrosswalkRecord(
                    old_province[old_key], to_code, REFORM_DAY, "merge", "Nghị quyết 202/2025/QH15"
                )
            )

    whole: dict[str, list[str]] = defaultdict(list)  # new code → old codes that went in whole
    parts: dict[str, list[str]] = defaultdict(list)  # new code → old codes that went in partly
    for p_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for w_key, old_keys in wards.items():
            whole[new_unit[(p_key, w_key)]].extend(old_unit[k] for k in old_keys)
    splits: dict[str, list[tuple[str, bool]]] = {}
    for p_key, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in olds.items():
            old_code = old_unit[old_key]
            splits[old_code] = [
                (new_unit[(p_key, t["newWardKey"])], bool(t.get("isDefaultNewWard"))) for t in targets
            ]
            for target, _main in splits[old_code]:
                parts[target].append(old_code)

    for to_code, from_codes in sorted(whole.items()):
        sole = len(from_codes) + len(parts.get(to_code, ())) == 1
        for from_code in from_codes:
            if len(from_code) == CODE_LENGTH["district"]:
                note = "huyện đảo không có đơn vị cấp xã → đặc khu"
                out.append(CrosswalkRecord(from_code, to_code, REFORM_DAY, "rename", note))
            elif not sole:
                out.append(CrosswalkRecord(from_code, to_code, REFORM_DAY, "merge"))
            elif from_code != to_code:
                out.append(CrosswalkRecord(from_code, to_code, REFORM_DAY, "rename"))
    for from_code, targets in sorted(splits.items()):
        for to_code, main in targets:
            note = "một phần; đơn vị kế thừa chính" if main else "một phần"
            out.append(CrosswalkRecord(from_code, to_code, REFORM_DAY, "split", note))
    return tuple(out)


def items() -> Iterator[ItemRecord]:
    return iter(_items())


def crosswalks() -> Iterator[CrosswalkRecord]:
    return iter(_crosswalks())


ADMIN_UNITS = CatalogSource(
    code="admin-units",
    name_vi="Danh mục đơn vị hành chính",
    name_en="Administrative units",
    owner_agency="G12",
    decision="Quyết định 124/2004/QĐ-TTg; Nghị quyết 202/2025/QH15",
    description=(
        "Provinces, districts and communes with their GSO codes: the three-tier list in force until "
        "30/06/2025 (63 provinces) and the two-tier list from 01/07/2025 (34 provinces, no districts), "
        "with the old → new crosswalk of the 2025 reform."
    ),
    fields=(
        FieldSpec("division_type", "string", "Loại đơn vị hành chính", "Division type", required=True),
        FieldSpec("codename", "string", "Tên mã (không dấu)", "ASCII code name"),
        FieldSpec("phone_code", "integer", "Mã vùng điện thoại", "Telephone area code"),
    ),
    items=items,
    crosswalks=crosswalks,
    source=(
        "vietnamadminunits 1.0.4 (dataset.db, converter_2025.json); telephone area codes of the "
        "national numbering plan; codes as published by the statistics office "
        "(danhmuchanhchinh.gso.gov.vn, Công văn 1027/CTK-CSCL 25/06/2025)"
    ),
    licence="MIT (vietnamadminunits); public data of the State",
)
