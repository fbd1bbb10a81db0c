"""Synthetic population and enterprises (dữ liệu dân cư và doanh nghiệp giả lập) for demos and load tests.

`generate(db, citizens=N, enterprises=M, communes=…)` adds N citizens in households and M enterprises
(branches and representative offices included) to the registries' tables, in batches, and writes one
audit row for the run. The same seed on the same database gives the same rows.

What is realistic
-----------------
* Names: family names with Viet Nam's published frequencies (`names.py`), Huỳnh/Võ rather than
  Hoàng/Vũ for lineages from Quảng Nam southwards, family names of their own for eight minorities;
  middle and given names by sex and by generation (Văn/Thị for the old, Gia/Khánh/Bảo for the young).
  Children take their father's family name; a wife keeps hers.
* Families: households of 1–6 people of five kinds (single, couple, parents with children, lone parent,
  three generations), whose members' relation to the head is in Vietnamese ("Chủ hộ", "Vợ", "Con",
  "Con dâu", "Cháu", "Mẹ" …). Spouses point at each other; children at both parents, who are at least
  19 years older (mothers at most 44). Grown children who moved out have households of their own,
  still pointing at their parents, so kinship across households can be checked. A few widowed
  people's late spouse or parent is on the register as deceased (died since the population database
  opened on 1/7/2021, and after their children's births).
* Personal IDs: province of birth registration (the pre-2025 province of the birth commune, found
  through the commune's code before the reform; the new province for births from 1/7/2025), century
  and sex digit, year; a few of the oldest have a year of birth only, or the "01/01" of old records.
* Places: residences spread over the communes given, weighted by each province's population (about
  101 million in 2024, `PROVINCE_POPULATION`); hometowns mostly in the province of residence;
  about 5 % live elsewhere than their permanent residence, mostly in the big cities. Addresses look
  like "Số 12 phố Lê Lợi" in wards and "Thôn Đông" / "Ấp 3" / "Bản Nà Pan" in communes.
* Ethnicity and religion by region: minorities in the northern mountains, the central highlands,
  Khmer in the Mekong delta, Hoa in the cities; Catholics in Nam Định/Ninh Bình/Đồng Nai, Cao Đài in
  Tây Ninh, Hòa Hảo in An Giang … (about 86 % Kinh and 86 % without religion overall).
* Enterprises: the service's types (`enterprises.TYPES`), names like "Công ty TNHH Thương mại và
  Dịch vụ Minh Phát" with English and short names for some, most in Hồ Chí Minh City and Hà Nội,
  charter capital log-normal by type (round figures, whole millions of đồng), VSIC lines with one
  main, more registrations in recent years, older ones more often dissolved; branches (`-001` …) in
  other provinces. Representatives are living adults of this run (or of the registry, when the run
  adds no citizens), mostly from the head office's province.

What is simplified
------------------
Minorities other than the eight have Kinh-style names, and given names of all are from the Kinh
table; `birth_place` (free text) is empty; the birth-registration province of someone born in
a commune that has no code from before the reform is today's province; tax-code prefixes per
province are plausible, not the tax office's table; VSIC codes come from a small built-in list of
real VSIC 2018 classes (`BUSINESS_LINES`), not from the `business-lines` catalogue; enterprise names
are not guaranteed unique across runs.

Identifier spaces
-----------------
Hand-made and demo records use small serials (the demo seed's personal IDs end in 000101…), so the
generator draws the six-digit random part of personal IDs from 500000–999999 and the seven-digit
serial of enterprise codes from 5000000–9999999; household codes are the commune code and the
household's id. Each batch's identifiers are checked against the tables with one query per
identifier kind, and the few that exist are drawn again (from a separate generator, so the rest of
the run stays as the seed says). Ids are taken above the tables' current maximum; the run assumes
it is the only writer to these tables while it runs.

Loading
-------
Rows are made as tuples, a batch at a time, and written with COPY on PostgreSQL and executemany on
SQLite, households before their members. The whole run is one transaction (with its audit row): an
interrupted run leaves nothing behind. PostgreSQL's id sequences are moved past the new ids and the
tables analysed afterwards.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.catalogs import service as catalogs
from vnegov.catalogs.errors import CatalogNotFound
from vnegov.kernel import audit
from vnegov.kernel.clock import now, today_vn
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.text import fold, nfc
from vnegov.registries import enterprises as enterprise_service
from vnegov.registries import names
from vnegov.registries.identifiers import (
    FEMALE,
    ID_PROVINCES,
    MALE,
    make_enterprise_code,
    make_personal_id,
)

ENTERPRISE_TYPES: dict[str, str] = enterprise_service.TYPES
"""Enterprise type codes and their Vietnamese names (the enterprise service's table)."""

ADMIN_UNITS, COMMUNE, PROVINCE = "admin-units", "commune", "province"
LAST_OLD_DAY = date(2025, 6, 30)  # the last day of the 63 provinces
REGISTER_OPENED = date(2021, 7, 1)  # the national population database went live
PID_SERIAL_FROM, PID_SERIALS = 500_000, 500_000
ENTERPRISE_SERIAL_FROM, ENTERPRISE_SERIALS = 5_000_000, 5_000_000
OLDEST_BIRTH_YEAR = 1925

# Population at the end of 2024 (millions) of the 34 provinces of 1/7/2025, from the figures published
# with Nghị quyết 202/2025/QH15 (rounded): residences are spread over provinces in these proportions.
PROVINCE_POPULATION: dict[str, float] = {
    "01": 8.72, "04": 0.57, "08": 1.87, "11": 0.65, "12": 0.49, "14": 1.30, "15": 1.78, "19": 1.80,
    "20": 0.88, "22": 1.43, "24": 3.62, "25": 4.02, "31": 4.66, "33": 3.57, "37": 4.41, "38": 4.32,
    "40": 3.83, "42": 1.62, "44": 1.87, "46": 1.43, "48": 3.07, "51": 2.16, "52": 3.58, "56": 2.24,
    "66": 3.35, "68": 3.87, "75": 4.49, "79": 14.0, "80": 3.25, "82": 4.37, "86": 4.26, "91": 4.95,
    "92": 4.20, "96": 2.61,
}  # fmt: skip

# Where people who live away from their permanent residence go (today's provinces), and how many
# times more enterprises than people a province has.
MIGRATION_TARGETS: dict[str, float] = {"79": 40, "01": 25, "75": 10, "24": 10, "48": 8, "31": 7}
BUSINESS_WEIGHT: dict[str, float] = {"79": 3.5, "01": 3.7, "48": 1.5, "31": 1.3, "75": 1.3, "24": 1.3}

# First two digits of enterprise codes (the tax office's province) by pre-2025 province, as commonly
# seen on tax codes (0100… Hà Nội, 0300… Hồ Chí Minh City, 3700… Bình Dương). Plausible, not the tax
# authority's table: nothing checks them.
TAX_PREFIXES: dict[str, tuple[str, ...]] = {
    "01": ("01", "01", "01", "05"), "02": ("51",), "04": ("48",), "06": ("47",), "08": ("50",),
    "10": ("53",), "11": ("56",), "12": ("62",), "14": ("55",), "15": ("52",), "17": ("54",),
    "19": ("46",), "20": ("49",), "22": ("57",), "24": ("24",), "25": ("26",), "26": ("25",),
    "27": ("23",), "30": ("08",), "31": ("02",), "33": ("09",), "34": ("10",), "35": ("07",),
    "36": ("06",), "37": ("27",), "38": ("28",), "40": ("29",), "42": ("30",), "44": ("31",),
    "45": ("32",), "46": ("33",), "48": ("04",), "49": ("40",), "51": ("43",), "52": ("41",),
    "54": ("44",), "56": ("42",), "58": ("45",), "60": ("34",), "62": ("61",), "64": ("59",),
    "66": ("60",), "67": ("64",), "68": ("58",), "70": ("38",), "72": ("39",), "74": ("37",),
    "75": ("36",), "77": ("35",), "79": ("03",), "80": ("11",), "82": ("12",), "83": ("13",),
    "84": ("21",), "86": ("15",), "87": ("14",), "89": ("16",), "91": ("17",), "92": ("18",),
    "93": ("63",), "94": ("22",), "95": ("19",), "96": ("20",),
}  # fmt: skip

# Real VSIC 2018 classes (Quyết định 27/2018/QĐ-TTg): code → (trade words for a name, in English,
# weight as an enterprise's main line). A built-in list: the `business-lines` catalogue is not read.
BUSINESS_LINES: dict[str, tuple[str, str, float]] = {
    "0111": ("Nông nghiệp", "Agriculture", 0.5),
    "1010": ("Chế biến Thực phẩm", "Food Processing", 1),
    "1071": ("Thực phẩm", "Food", 1),
    "1410": ("May mặc", "Garment", 2),
    "4101": ("Xây dựng", "Construction", 5),
    "4102": ("Xây dựng", "Construction", 3),
    "4311": ("Xây dựng", "Construction", 0.5),
    "4312": ("Xây dựng", "Construction", 1),
    "4321": ("Cơ điện", "Mechanical and Electrical", 2),
    "4322": ("Cơ điện lạnh", "Mechanical and Electrical", 1),
    "4330": ("Trang trí Nội thất", "Interior Decoration", 3),
    "4511": ("Ô tô", "Automobile", 1),
    "4520": ("Dịch vụ Ô tô", "Auto Services", 1.5),
    "4530": ("Phụ tùng Ô tô", "Auto Parts", 1),
    "4610": ("Thương mại", "Trading", 3),
    "4620": ("Nông sản", "Agricultural Products", 2),
    "4632": ("Thực phẩm", "Food", 3),
    "4641": ("Thời trang", "Fashion", 2),
    "4649": ("Thương mại và Dịch vụ", "Trading and Services", 4),
    "4659": ("Thiết bị Công nghiệp", "Industrial Equipment", 3),
    "4663": ("Vật liệu Xây dựng", "Building Materials", 3),
    "4690": ("Thương mại Tổng hợp", "General Trading", 3),
    "4711": ("Siêu thị", "Supermarket", 1),
    "4719": ("Thương mại", "Trading", 1),
    "4722": ("Thực phẩm", "Food", 1),
    "4752": ("Vật liệu Xây dựng", "Building Materials", 1),
    "4771": ("Thời trang", "Fashion", 1),
    "4933": ("Vận tải", "Transport", 4),
    "5210": ("Logistics", "Logistics", 2),
    "5510": ("Khách sạn", "Hotel", 1.5),
    "5610": ("Dịch vụ Ăn uống", "Food and Beverage", 3),
    "5630": ("Cà phê", "Coffee", 1),
    "6201": ("Công nghệ", "Technology", 3),
    "6202": ("Giải pháp Phần mềm", "Software Solutions", 1.5),
    "6311": ("Dữ liệu", "Data", 0.5),
    "6810": ("Bất động sản", "Real Estate", 3),
    "6920": ("Tư vấn Thuế", "Tax Consulting", 1),
    "7020": ("Tư vấn Quản lý", "Management Consulting", 1.5),
    "7110": ("Tư vấn Thiết kế", "Design Consulting", 2),
    "7310": ("Truyền thông và Quảng cáo", "Media and Advertising", 2),
    "7410": ("Thiết kế", "Design", 1),
    "7912": ("Du lịch", "Travel", 1.5),
    "8299": ("Dịch vụ", "Services", 1),
    "8559": ("Giáo dục", "Education", 2),
    "9610": ("Chăm sóc Sắc đẹp", "Beauty Care", 1),
}

# Ethnic regions by province code (pre-2025 codes; today's codes are a subset): the minorities' share
# and their mix (`ethnic-groups` codes).
_REGION_OF: dict[str, str] = {
    **dict.fromkeys(("02", "04", "06", "08", "10", "11", "12", "14", "15", "17", "20"), "mountains"),
    **dict.fromkeys(("19", "22", "24", "25"), "midlands"),
    **dict.fromkeys(("38", "40"), "north_central"),
    **dict.fromkeys(("42", "44", "45", "46", "48", "49", "51", "52", "54", "56", "58", "60"), "coast"),
    **dict.fromkeys(("62", "64", "66", "67", "68"), "highlands"),
    **dict.fromkeys(("70", "72", "74", "75", "77"), "southeast"),
    "79": "saigon",
    **dict.fromkeys(("84", "89", "91", "94", "95"), "khmer"),
}
_MINORITIES: dict[str, tuple[float, tuple[tuple[str, float], ...]]] = {
    "mountains": (0.65, (("03", 22), ("02", 20), ("08", 18), ("07", 10), ("09", 10), ("06", 8),
                        ("25", 1.5), ("15", 1.5), ("35", 1.2), ("29", 1), ("43", 0.3), ("40", 0.3),
                        ("38", 0.2), ("42", 0.1), ("33", 0.2), ("34", 0.3), ("37", 0.2), ("48", 0.05),
                        ("50", 0.02), ("51", 0.02), ("49", 0.03), ("41", 0.1), ("45", 0.05), ("46", 0.1),
                        ("47", 0.05))),
    "midlands": (0.15, (("02", 30), ("07", 25), ("18", 15), ("09", 15), ("15", 10), ("04", 5), ("11", 1))),
    "north_central": (0.18, (("03", 45), ("06", 40), ("08", 7), ("29", 5), ("24", 3), ("53", 0.1))),
    "coast": (0.05, (("23", 15), ("26", 15), ("19", 15), ("14", 8), ("13", 10), ("21", 10), ("17", 12),
                     ("30", 5), ("31", 5), ("27", 2), ("44", 1), ("12", 2))),
    "highlands": (0.4, (("10", 28), ("12", 22), ("13", 10), ("14", 10), ("16", 12), ("20", 7), ("28", 2),
                         ("36", 1.5), ("02", 3), ("07", 3), ("08", 1), ("09", 1), ("52", 0.1), ("54", 0.1),
                         ("27", 1))),
    "southeast": (0.05, (("22", 35), ("32", 10), ("04", 25), ("05", 15), ("28", 5), ("07", 5), ("02", 3),
                         ("17", 2))),
    "saigon": (0.05, (("04", 80), ("05", 10), ("17", 5), ("02", 2), ("07", 2), ("06", 1))),
    "khmer": (0.25, (("05", 85), ("04", 10), ("17", 5))),
    "delta": (0.01, (("06", 30), ("02", 20), ("04", 15), ("07", 10), ("18", 10), ("03", 5), ("09", 5),
                     ("05", 5))),
}  # fmt: skip

# Religions (`religions` codes) of the Kinh: nationwide, then provinces where a faith is strong.
_KINH_RELIGIONS: tuple[tuple[str, float], ...] = (("00", 90.0), ("02", 4.5), ("01", 5.0), ("03", 0.3))
_LOCAL_RELIGIONS: dict[str, tuple[tuple[str, float], ...]] = {
    "36": (("02", 18),), "37": (("02", 15),), "35": (("02", 6),), "75": (("02", 30),),
    "79": (("02", 10), ("01", 10), ("04", 1)), "72": (("04", 15),), "89": (("05", 25),),
    "87": (("05", 8), ("04", 2)), "92": (("05", 5),), "93": (("05", 4),), "86": (("04", 3),),
    "46": (("01", 15),), "77": (("02", 8),), "74": (("02", 5),),
}  # fmt: skip
_MINORITY_RELIGIONS: dict[str, tuple[tuple[str, float], ...]] = {
    "05": (("01", 90), ("00", 10)),  # Khmer: Theravada Buddhism
    "17": (("06", 40), ("13", 40), ("00", 20)),  # Chăm: Islam, Bà-la-môn
    "04": (("00", 62), ("01", 30), ("02", 5), ("03", 3)),  # Hoa
    "08": (("00", 75), ("03", 25)),  # HMông
    **dict.fromkeys(
        ("10", "12", "13", "14", "16", "20", "28", "36", "52", "54", "27"),
        (("00", 55), ("03", 27), ("02", 18)),
    ),  # the central highlands' peoples
}
_OTHER_RELIGIONS: tuple[tuple[str, float], ...] = (("00", 95), ("03", 3), ("02", 2))

# Relation to the household head, in the words of the residence registration forms.
HEAD, WIFE, HUSBAND, CHILD = "Chủ hộ", "Vợ", "Chồng", "Con"
FATHER, MOTHER, GRANDCHILD, OTHER = "Cha", "Mẹ", "Cháu", "Khác"
DAUGHTER_IN_LAW, SON_IN_LAW = "Con dâu", "Con rể"

CITIZEN_COLUMNS = (
    "id", "personal_id", "family_name", "middle_name", "given_name", "name_folded", "birth_year",
    "birth_month", "birth_day", "sex", "ethnicity", "religion", "nationality", "birth_place_commune",
    "birth_place", "hometown_commune", "permanent_commune", "permanent_address", "current_commune",
    "current_address", "father_personal_id", "mother_personal_id", "spouse_personal_id", "household_id",
    "household_relation", "status", "death_date", "version", "created_at", "updated_at",
)  # fmt: skip
HOUSEHOLD_COLUMNS = ("id", "code", "head_personal_id", "commune", "address", "created_at")
ENTERPRISE_COLUMNS = (
    "id", "code", "parent_code", "name_vi", "name_en", "short_name", "name_folded", "enterprise_type",
    "head_office_commune", "head_office_address", "representative_personal_id", "charter_capital",
    "business_lines", "registered_on", "status", "status_since", "version", "created_at", "updated_at",
)  # fmt: skip
CITIZENS, HOUSEHOLDS, ENTERPRISES = "registries_citizen", "registries_household", "registries_enterprise"


@dataclass(frozen=True)
class Generated:
    """What a run added, and how long it took."""

    citizens: int
    households: int
    enterprises: int
    seconds: float


def current_communes(session: Session, *, on: date | None = None) -> list[str]:
    """The codes of the communes (xã, phường, đặc khu) of the `admin-units` catalogue valid on `on`
    (today by default), in code order."""
    versions = catalogs.iter_versions(session, ADMIN_UNITS, valid_on=on or today_vn())
    return [item.code for item in versions if item.level == COMMUNE]


# ----------------------------------------------------------------------------------- choosing

T = TypeVar("T")


class _Choice(Generic[T]):
    """A weighted choice: a bisection over cumulative weights."""

    __slots__ = ("cumulative", "items", "total")

    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        self.items: list[T] = []
        self.cumulative: list[float] = []
        total = 0.0
        for item, weight in pairs:
            if weight > 0:
                total += weight
                self.items.append(item)
                self.cumulative.append(total)
        if not self.items:
            raise ValueError("nothing to choose from")
        self.total = total

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def _era_choice(table: Iterable[tuple[str, float, float]], column: int) -> _Choice[str]:
    return _Choice((nfc(row[0]), float(row[column])) for row in table)


_FAMILY = _Choice((nfc(n), w) for n, w in names.FAMILY_NAMES)
_MINORITY_FAMILY = {
    eth: _Choice((nfc(n), float(w)) for n, w in table) for eth, table in names.MINORITY_FAMILY_NAMES.items()
}
_SOUTHERN = {nfc(k): nfc(v) for k, v in names.SOUTHERN_VARIANTS.items()}
_MIDDLE = {
    (MALE, 0): _era_choice(names.MIDDLE_MALE, 1),
    (MALE, 1): _era_choice(names.MIDDLE_MALE, 2),
    (FEMALE, 0): _era_choice(names.MIDDLE_FEMALE, 1),
    (FEMALE, 1): _era_choice(names.MIDDLE_FEMALE, 2),
}
_GIVEN = {
    (MALE, 0): _era_choice(names.GIVEN_MALE, 1),
    (MALE, 1): _era_choice(names.GIVEN_MALE, 2),
    (FEMALE, 0): _era_choice(names.GIVEN_FEMALE, 1),
    (FEMALE, 1): _era_choice(names.GIVEN_FEMALE, 2),
}
_HMONG_MIDDLE_MALE = _Choice((("A", 4.0), ("Seo", 2.0), ("Mí", 2.0), ("Văn", 2.0)))
_MINORITY_MIX = {region: (share, _Choice(mix)) for region, (share, mix) in _MINORITIES.items()}
_KINH_RELIGION = {
    province: _Choice((*_KINH_RELIGIONS, *extra)) for province, extra in _LOCAL_RELIGIONS.items()
}
_DEFAULT_KINH_RELIGION = _Choice(_KINH_RELIGIONS)
_MINORITY_RELIGION = {eth: _Choice(table) for eth, table in _MINORITY_RELIGIONS.items()}
_OTHER_RELIGION = _Choice(_OTHER_RELIGIONS)
_STREETS = tuple(nfc(s) for s in names.STREETS)
_VILLAGES = tuple(nfc(s) for s in names.VILLAGES)
_HAMLETS = tuple(nfc(s) for s in names.VILLAGES_MOUNTAIN)
_MAIN_LINE = _Choice((code, weight) for code, (_vi, _en, weight) in BUSINESS_LINES.items())
_LINE_CODES = tuple(BUSINESS_LINES)
_GENERIC_TRADES = _Choice(((nfc(vi), en), w) for vi, en, w in names.GENERIC_TRADES)
_TYPES = _Choice((("TNHH1", 42.0), ("TNHH2", 22.0), ("CP", 24.0), ("DNTN", 6.0), ("HD", 0.3)))
# Charter capital: median (đồng) and spread (sigma of the logarithm) by type.
_CAPITAL = {
    "TNHH1": (1.5e9, 1.2),
    "TNHH2": (3e9, 1.2),
    "CP": (1e10, 1.5),
    "DNTN": (5e8, 1.0),
    "HD": (2e9, 1.0),
}
_REGISTRATION_YEARS: dict[tuple[int, int], _Choice[int]] = {}


@lru_cache(maxsize=4096)
def _folded(text: str) -> str:
    return fold(text)


def _full_name_folded(p: _Person) -> str:
    """`fold` of the full name, made of the parts' folds (few, so cached; full names mostly differ)."""
    return " ".join(part for part in (_folded(p.family), _folded(p.middle), _folded(p.given)) if part)


def _ascii(text: str) -> str:
    """ASCII for English names, capitalised: "Minh Phát" → "Minh Phat", "Hồ Chí Minh" → "Ho Chi Minh"."""
    return " ".join(word[:1].upper() + word[1:] for word in fold(text).split())


# ------------------------------------------------------------------------------------- places


@dataclass
class _Places:
    """The communes a run may use, with what the generator needs to know of each (by index)."""

    codes: list[str]
    province: list[str]  # today's province, "" when unknown
    id_before: list[str]  # personal-ID province part for births before 1/7/2025
    id_after: list[str]
    old_province: list[str]  # the pre-2025 province (ethnicity, religion, surname variants)
    urban: list[bool]
    province_names: dict[str, str]
    home: _Choice[int]
    business: _Choice[int]
    migration: _Choice[int]
    in_province: dict[str, _Choice[int]]
    business_in_province: dict[str, _Choice[int]]

    def region(self, index: int) -> str:
        return _REGION_OF.get(self.old_province[index], "delta")

    def southern(self, index: int) -> bool:
        return self.old_province[index] >= "49"


def _fallback_id_province(code: str) -> str:
    ordered = sorted(ID_PROVINCES)
    return ordered[zlib.crc32(code.encode()) % len(ordered)]


def _id_province(province: str, code: str) -> str:
    padded = f"0{province}" if len(province) == 2 else ""
    # Today's provinces kept codes of the 63 before them, so this holds for the real catalogue.
    return padded if padded in ID_PROVINCES else _fallback_id_province(code)


def _load_places(db: Database, communes: Sequence[str]) -> _Places:
    """What the catalogue says of each commune: today's province, the province before the reform
    (through the district of the commune's pre-reform version), whether it is a ward. Communes the
    catalogue does not know (or a database without it) get a province part derived from their code."""
    today, current, before = today_vn(), {}, {}
    with db.read() as session:
        try:
            current = {i.code: i for i in catalogs.iter_versions(session, ADMIN_UNITS, valid_on=today)}
            before = {i.code: i for i in catalogs.iter_versions(session, ADMIN_UNITS, valid_on=LAST_OLD_DAY)}
        except CatalogNotFound:
            pass
    codes = list(dict.fromkeys(communes))
    province, id_before, id_after, old_province, urban = [], [], [], [], []
    for code in codes:
        now_item = current.get(code)
        new = now_item.parent_code or "" if now_item is not None and now_item.level == COMMUNE else ""
        old = ""
        old_item = before.get(code)
        if old_item is not None and old_item.level == COMMUNE and old_item.parent_code:
            district = before.get(old_item.parent_code)
            old = (district.parent_code or "") if district is not None else ""
        known = now_item if now_item is not None else old_item
        kind = str(known.attributes.get("division_type", "")) if known is not None else ""
        province.append(new)
        id_after.append(_id_province(new, code) if new else _fallback_id_province(code))
        id_before.append(_id_province(old, code) if old else id_after[-1])
        old_province.append(old or new or id_before[-1][1:])
        urban.append(kind == "phường" if kind else zlib.crc32(code.encode()) % 4 == 0)
    by_province: dict[str, list[int]] = {}
    for index, p in enumerate(province):
        by_province.setdefault(p, []).append(index)

    def people(index: int) -> float:
        p = province[index]
        share = PROVINCE_POPULATION.get(p, 1.0) / len(by_province[p]) if p else 1.0
        return share * (1.3 if urban[index] else 1.0)

    def business(index: int) -> float:
        return people(index) * BUSINESS_WEIGHT.get(province[index], 1.0) * (4.0 if urban[index] else 1.0)

    migration = [
        (i, people(i) * MIGRATION_TARGETS[p]) for i, p in enumerate(province) if p in MIGRATION_TARGETS
    ]
    names_by_province = {
        code: item.name_vi.removeprefix("Thành phố ").removeprefix("Tỉnh ")
        for code, item in current.items()
        if item.level == PROVINCE
    }
    home = _Choice((i, people(i)) for i in range(len(codes)))
    return _Places(
        codes=codes,
        province=province,
        id_before=id_before,
        id_after=id_after,
        old_province=old_province,
        urban=urban,
        province_names=names_by_province,
        home=home,
        business=_Choice((i, business(i)) for i in range(len(codes))),
        migration=_Choice(migration) if migration else home,
        in_province={p: _Choice((i, people(i)) for i in members) for p, members in by_province.items()},
        business_in_province={
            p: _Choice((i, business(i)) for i in members) for p, members in by_province.items()
        },
    )


# ------------------------------------------------------------------------------------- people


class _Person:
    __slots__ = (
        "address", "birth_day", "birth_month", "birth_year", "born", "current", "current_address",
        "death", "ethnicity", "family", "father", "given", "home", "hometown", "household", "middle",
        "mother", "pid", "relation", "religion", "sex", "spouse", "status",
    )  # fmt: skip

    def __init__(self) -> None:
        self.father: str | None = None
        self.mother: str | None = None
        self.spouse: str | None = None
        self.household: int | None = None
        self.relation = ""
        self.status = "living"
        self.death: date | None = None
        self.address = ""
        self.current_address = ""
        self.pid = ""
        self.family = self.middle = self.given = self.sex = self.ethnicity = self.religion = ""
        self.birth_year = 0
        self.birth_month: int | None = None
        self.birth_day: int | None = None
        self.born = self.hometown = self.home = self.current = 0


@dataclass
class _Household:
    id: int
    code: str
    head: _Person
    commune: int
    address: str


@dataclass
class _Lineage:
    """What a child takes from the father's side: family name, hometown, ethnicity, religion."""

    family: str
    hometown: int
    ethnicity: str
    religion: str


class _Population:
    """Makes families into `people` and `households`; the caller takes them a batch at a time."""

    def __init__(self, rng: random.Random, places: _Places, today: date, next_household: int) -> None:
        self.rng = rng
        self.places = places
        self.today = today
        self.next_household = next_household
        self.used: set[int] = set()  # personal IDs of this run, as numbers
        self.people: list[_Person] = []
        self.households: list[_Household] = []
        self.cap = 0
        self.kinds = _Choice(
            (("single", 11.0), ("couple", 13.0), ("nuclear", 44.0), ("lone_parent", 8.0), ("three", 24.0))
        )

    # --------------------------------------------------------------------------- identifiers

    def personal_id(self, born: int, sex: str, year: int, month: int | None) -> str:
        places = self.places
        before = year < 2025 or (year == 2025 and (month or 1) < 7)
        province = places.id_before[born] if before else places.id_after[born]
        rng = self.rng
        while True:
            pid = make_personal_id(province, sex, year, PID_SERIAL_FROM + rng.randrange(PID_SERIALS))
            number = int(pid)
            if number not in self.used:
                self.used.add(number)
                return pid

    def redraw(self, pid: str, rng: random.Random) -> str:
        """Another free personal ID with the same province, century, sex and year."""
        while True:
            new = f"{pid[:6]}{PID_SERIAL_FROM + rng.randrange(PID_SERIALS):06d}"
            if int(new) not in self.used:
                self.used.add(int(new))
                return new

    # -------------------------------------------------------------------------------- people

    def free(self) -> int:
        return self.cap - len(self.people)

    def hometown(self, home: int) -> int:
        r = self.rng.random()
        if r < 0.4:
            return home
        if r < 0.72:
            return self.places.in_province[self.places.province[home]].pick(self.rng)
        return self.places.home.pick(self.rng)

    def lineage(self, home: int, ethnicity: str | None = None) -> _Lineage:
        """A paternal line: its hometown, and from it (unless given) an ethnicity, then a family name
        and a religion."""
        hometown = self.hometown(home)
        ethnicity = ethnicity or self.ethnicity(hometown)
        return _Lineage(
            self.family_name(ethnicity, hometown), hometown, ethnicity, self.religion(ethnicity, hometown)
        )

    def ethnicity(self, hometown: int) -> str:
        share, mix = _MINORITY_MIX[self.places.region(hometown)]
        return mix.pick(self.rng) if self.rng.random() < share else "01"

    def family_name(self, ethnicity: str, hometown: int) -> str:
        table = _MINORITY_FAMILY.get(ethnicity)
        if table is not None and self.rng.random() < 0.85:
            return table.pick(self.rng)
        family = _FAMILY.pick(self.rng)
        variant = _SOUTHERN.get(family)
        if variant is not None and (self.rng.random() < 0.85) == self.places.southern(hometown):
            return variant
        return family

    def religion(self, ethnicity: str, hometown: int) -> str:
        if ethnicity == "01":
            table = _KINH_RELIGION.get(self.places.old_province[hometown], _DEFAULT_KINH_RELIGION)
        else:
            table = _MINORITY_RELIGION.get(ethnicity, _OTHER_RELIGION)
        return table.pick(self.rng)

    def person(self, sex: str, year: int, line: _Lineage, born: int) -> _Person:
        rng, today = self.rng, self.today
        p = _Person()
        p.sex, p.birth_year, p.family = sex, year, line.family
        p.ethnicity, p.religion, p.hometown, p.born = line.ethnicity, line.religion, line.hometown, born
        r = rng.random()
        if year < 1960 and r < 0.14:
            pass  # the year only, as some old records have it
        elif year < 1960 and r < 0.2:
            p.birth_month, p.birth_day = 1, 1  # the "01/01" of old records
        else:
            start = date(year, 1, 1)
            last = today if year == today.year else date(year, 12, 31)
            day = start + timedelta(days=rng.randrange((last - start).days + 1))
            p.birth_month, p.birth_day = day.month, day.day
        era = 0 if year < 1980 else 1
        if line.ethnicity == "08" and sex == MALE:
            p.middle = _HMONG_MIDDLE_MALE.pick(rng)
        else:
            p.middle = _MIDDLE[sex, era].pick(rng)
        given = _GIVEN[sex, era].pick(rng)
        if given == p.middle or p.middle.endswith(f" {given}"):
            given = _GIVEN[sex, era].pick(rng)
        p.given = given
        p.pid = self.personal_id(born, sex, year, p.birth_month)
        self.people.append(p)
        return p

    def birthplace(self, line: _Lineage, home: int) -> int:
        """Where an adult who set up this household was born: the hometown, here, or elsewhere."""
        r = self.rng.random()
        return line.hometown if r < 0.55 else home if r < 0.8 else self.hometown(home)

    def adult(self, sex: str, year: int, home: int) -> _Person:
        line = self.lineage(home)
        return self.person(sex, year, line, self.birthplace(line, home))

    def spouse_for(self, p: _Person, year: int, home: int) -> _Person:
        """A husband or wife for `p`, born in `year` (most marry within their ethnicity and faith)."""
        rng = self.rng
        line = self.lineage(home, p.ethnicity if rng.random() < 0.8 else None)
        if rng.random() < 0.85:
            line.religion = p.religion
        q = self.person(FEMALE if p.sex == MALE else MALE, year, line, self.birthplace(line, home))
        p.spouse, q.spouse = q.pid, p.pid
        return q

    def wife_year(self, husband_year: int, latest: int | None = None) -> int:
        year = husband_year + round(self.rng.triangular(-3, 12, 2))
        return max(OLDEST_BIRTH_YEAR, min(year, self.today.year - 18, latest or year))

    def couple(self, husband_year: int, home: int, wife_latest: int | None = None) -> tuple[_Person, _Person]:
        husband = self.adult(MALE, husband_year, home)
        return husband, self.spouse_for(husband, self.wife_year(husband_year, wife_latest), home)

    def children(
        self,
        father: _Person | None,
        mother: _Person | None,
        count: int,
        home: int,
        *,
        ages: tuple[int, int] = (0, 200),
        line: _Lineage | None = None,
        first: int | None = None,
        sex: str | None = None,
    ) -> list[_Person]:
        """Up to `count` children of these parents, born two to six years apart from `first` (by default
        when the mother was 19–36; none after she is 44), at least 19 years after each parent; those whose
        age is outside
        `ages` (grown up and gone, or not yet born) are not made."""
        rng, today = self.rng, self.today
        parents = [p for p in (father, mother) if p is not None]
        if line is None:
            line = self.own_line(father or parents[0])
            if father is not None and mother is not None and rng.random() < 0.1:
                line.ethnicity = mother.ethnicity
        if first is None:
            first = (mother or parents[0]).birth_year + round(rng.triangular(19, 36, 24))
        year = max(first, *(p.birth_year + 19 for p in parents))
        made: list[_Person] = []
        for _ in range(count):
            if (
                year > today.year
                or self.free() <= 0
                or (mother is not None and year - mother.birth_year > 44)
            ):
                break
            if ages[0] <= today.year - year <= ages[1]:
                r = rng.random()
                if r < 0.85:
                    born = home
                elif r < 0.95:
                    born = self.places.in_province[self.places.province[home]].pick(rng)
                else:
                    born = line.hometown
                kid_sex = sex or (MALE if rng.random() < 0.512 else FEMALE)
                child = self.person(kid_sex, year, line, born)
                child.father = father.pid if father else None
                child.mother = mother.pid if mother else None
                made.append(child)
            year += rng.randint(2, 6)
        return made

    def own_line(self, p: _Person) -> _Lineage:
        return _Lineage(p.family, p.hometown, p.ethnicity, p.religion)

    def late_spouse(self, p: _Person, home: int) -> _Person | None:
        """The husband or wife a widowed person had (the caller has them `die`), if there is room."""
        if self.free() <= 0:
            return None
        gap = round(self.rng.triangular(-3, 10, 3))
        year = p.birth_year - gap if p.sex == FEMALE else p.birth_year + gap
        return self.spouse_for(p, max(OLDEST_BIRTH_YEAR, min(year, self.today.year - 25)), home)

    def die(self, p: _Person, home: int, after: date = REGISTER_OPENED) -> None:
        """Dead since the population database opened (and after `after`, say a child's birth)."""
        start = max(after, REGISTER_OPENED)
        p.status = "deceased"
        p.death = start + timedelta(days=self.rng.randrange(max(1, (self.today - start).days)))
        p.home = p.current = home
        p.address = p.current_address = self.address(home)

    # -------------------------------------------------------------------------------- places

    def address(self, commune: int) -> str:
        rng, places = self.rng, self.places
        number = rng.randint(1, 320)
        if places.urban[commune]:
            street = _STREETS[rng.randrange(len(_STREETS))]
            if places.southern(commune):
                if rng.random() < 0.3:
                    return f"Số {number}/{rng.randint(1, 60)} đường {street}, khu phố {rng.randint(1, 12)}"
                return f"Số {number} đường {street}, khu phố {rng.randint(1, 12)}"
            if rng.random() < 0.4:
                return f"Số {rng.randint(1, 80)}, ngõ {number} phố {street}, tổ {rng.randint(1, 40)}"
            return f"Số {number} phố {street}"
        if places.region(commune) == "mountains" and rng.random() < 0.5:
            return f"Bản {_HAMLETS[rng.randrange(len(_HAMLETS))]}"
        village = _VILLAGES[rng.randrange(len(_VILLAGES))] if rng.random() < 0.6 else str(rng.randint(1, 15))
        if places.southern(commune):
            return f"Ấp {village}"
        if rng.random() < 0.3:
            return f"Số {number}, thôn {village}"
        return f"Xóm {village}" if village.isdigit() else f"Thôn {village}"

    def house(self, home: int, members: list[_Person], head: _Person) -> None:
        rng, places = self.rng, self.places
        hid = self.next_household
        self.next_household += 1
        address = self.address(home)
        by_pid = {p.pid: p for p in members}
        for p in members:
            p.household, p.home, p.address = hid, home, address
            p.relation = _relation(head, p, by_pid)
            if rng.random() < 0.07 and self.today.year - p.birth_year >= 15:
                p.current = places.migration.pick(rng)
                p.current_address = self.address(p.current)
            else:
                p.current, p.current_address = home, address
        self.households.append(_Household(hid, f"{places.codes[home]}{hid:08d}", head, home, address))

    def moved_away(self, home: int) -> int:
        r = self.rng.random()
        if r < 0.35:
            return home
        if r < 0.7:
            return self.places.in_province[self.places.province[home]].pick(self.rng)
        return self.places.migration.pick(self.rng) if r < 0.85 else self.places.home.pick(self.rng)

    # ------------------------------------------------------------------------------ families

    def family(self, room: int) -> None:
        """One family: a household, and sometimes the households of grown children or a late spouse."""
        rng = self.rng
        self.cap = len(self.people) + room
        home = self.places.home.pick(rng)
        kind = self.kinds.pick(rng)
        if room < 2:
            kind = "single"
        elif room < 4 and kind == "three":
            kind = "couple"
        if kind == "single":
            self.single(home)
        elif kind == "couple":
            self.empty_nest(home) if rng.random() < 0.7 else self.young_couple(home)
        elif kind == "nuclear":
            self.nuclear(home, self.today.year - round(rng.triangular(24, 64, 36)))
        elif kind == "lone_parent":
            self.lone_parent(home)
        else:
            self.three_generations(home)

    def single(self, home: int) -> None:
        rng, year = self.rng, self.today.year
        r = rng.random()
        if r < 0.45:
            p = self.adult(MALE if rng.random() < 0.55 else FEMALE, year - rng.randint(19, 34), home)
            self.house(home, [p], p)
            return
        if r < 0.65:
            p = self.adult(MALE if rng.random() < 0.5 else FEMALE, year - rng.randint(35, 59), home)
            self.house(home, [p], p)
            return
        p = self.adult(FEMALE if rng.random() < 0.7 else MALE, year - round(rng.triangular(60, 99, 72)), home)
        self.house(home, [p], p)
        late = self.late_spouse(p, home) if rng.random() < 0.06 else None
        if late is not None:
            self.die(late, home)
        father, mother = (p, late) if p.sex == MALE else (late, p)
        self.grown_children(father, mother, home)

    def young_couple(self, home: int) -> None:
        h, w = self.couple(self.today.year - self.rng.randint(22, 34), home)
        self.house(home, [h, w], h if self.rng.random() < 0.8 else w)

    def empty_nest(self, home: int) -> None:
        h, w = self.couple(self.today.year - round(self.rng.triangular(50, 92, 62)), home)
        self.house(home, [h, w], h if self.rng.random() < 0.85 else w)
        self.grown_children(h, w, home)

    def nuclear(self, home: int, husband_year: int) -> None:
        rng = self.rng
        h, w = self.couple(husband_year, home)
        shares = (0.2, 0.6, 0.85) if w.birth_year < 1965 else (0.3, 0.82, 0.97)  # 1, 2, 3 or 4 children
        count = 1 + bisect.bisect_right(shares, rng.random())
        kids = self.children(h, w, count, home, ages=(0, rng.randint(22, 34)))
        self.house(home, [h, w, *kids], h if rng.random() < 0.85 else w)

    def lone_parent(self, home: int) -> None:
        rng = self.rng
        sex = FEMALE if rng.random() < 0.85 else MALE
        p = self.adult(sex, self.today.year - round(rng.triangular(25, 62, 38)), home)
        late = self.late_spouse(p, home) if rng.random() < 0.06 else None
        if late is None and sex == FEMALE and rng.random() < 0.7:
            # the father is not on the register (abroad, unknown): the children have his family name
            absent = self.lineage(home, p.ethnicity)
            absent.religion = p.religion
            kids = self.children(None, p, rng.randint(1, 3), home, ages=(0, 30), line=absent)
        else:
            father, mother = (p, late) if sex == MALE else (late, p)
            kids = self.children(father, mother, rng.randint(1, 3), home, ages=(0, 30))
        if late is not None:  # died after the youngest child was born
            youngest = (
                max((k.birth_year, k.birth_month or 1, k.birth_day or 1) for k in kids) if kids else None
            )
            self.die(late, home, date(*youngest) if youngest else REGISTER_OPENED)
        self.house(home, [p, *kids], p)

    def three_generations(self, home: int) -> None:
        """Grandparents, a married son (mostly) or daughter with their spouse, and grandchildren."""
        rng, year = self.rng, self.today.year
        son = rng.random() < 0.8
        middle_year = year - round(rng.triangular(24, 52, 32))
        grandfather_year = middle_year - round(rng.triangular(20, 40, 27))
        elders: list[_Person] = []
        grandfather = grandmother = None
        line: _Lineage | None = None
        if grandfather_year >= OLDEST_BIRTH_YEAR:
            widowed = rng.random() < 0.45
            if widowed and rng.random() < 0.93:  # the one who died is not on the register
                if rng.random() < 0.7:
                    year_ = self.wife_year(grandfather_year, middle_year - 19)
                    grandmother = self.adult(FEMALE, year_, home)
                    line = self.lineage(home, grandmother.ethnicity)
                else:
                    grandfather = self.adult(MALE, grandfather_year, home)
                elders = [p for p in (grandfather, grandmother) if p is not None]
            else:
                grandfather, grandmother = self.couple(grandfather_year, home, middle_year - 19)
                elders = [grandfather, grandmother]
                if widowed:
                    late = grandfather if rng.random() < 0.7 else grandmother
                    elders.remove(late)
                    self.die(late, home)
        sex = MALE if son else FEMALE
        kids = (
            self.children(grandfather, grandmother, 1, home, line=line, first=middle_year, sex=sex)
            if elders
            else []
        )
        middle = kids[0] if kids else self.adult(sex, middle_year, home)
        gap = round(rng.triangular(-3, 10, 2))
        partner_year = min(year - 18, max(OLDEST_BIRTH_YEAR, middle.birth_year + (gap if son else -gap)))
        partner = self.spouse_for(middle, partner_year, home)
        husband, wife = (middle, partner) if son else (partner, middle)
        room = 6 - len(elders) - 2  # households of six at most
        kids = self.children(husband, wife, min(room, rng.randint(1, 3)), home, ages=(0, 24))
        patriarch = bool(elders) and elders[0].sex == MALE and year - elders[0].birth_year < 80
        head = elders[0] if patriarch and rng.random() < 0.5 else husband
        self.house(home, [*elders, middle, partner, *kids], head)

    def grown_children(self, father: _Person | None, mother: _Person | None, home: int) -> None:
        """Households of up to two children who moved out (each with probability one half)."""
        rng, year = self.rng, self.today.year
        for _ in range(2):
            if rng.random() >= 0.5 or self.free() <= 0:
                return
            kids = self.children(father, mother, 1, home, ages=(22, 200))
            if not kids:
                return
            child = kids[0]
            child_home = self.moved_away(home)
            members = [child]
            head = child
            if year - child.birth_year >= 25 and rng.random() < 0.75 and self.free() > 0:
                gap = round(rng.triangular(-3, 10, 2))
                spouse_year = child.birth_year + (gap if child.sex == MALE else -gap)
                spouse = self.spouse_for(
                    child, min(year - 18, max(OLDEST_BIRTH_YEAR, spouse_year)), child_home
                )
                husband, wife = (child, spouse) if child.sex == MALE else (spouse, child)
                members.append(spouse)
                members += self.children(husband, wife, rng.randint(0, 3), child_home, ages=(0, 24))
                head = husband if rng.random() < 0.85 else wife
            self.house(child_home, members, head)


def _relation(head: _Person, p: _Person, members: dict[str, _Person]) -> str:
    """What `p` is to the household head, from the kinship links."""
    if p is head:
        return HEAD
    if p.pid == head.spouse:
        return WIFE if p.sex == FEMALE else HUSBAND
    if head.pid in (p.father, p.mother):
        return CHILD
    if p.pid in (head.father, head.mother):
        return FATHER if p.sex == MALE else MOTHER
    spouse = members.get(head.spouse or "")
    if spouse is not None:
        if spouse.pid in (p.father, p.mother):
            return CHILD
        if p.pid in (spouse.father, spouse.mother):
            return (FATHER if p.sex == MALE else MOTHER) + (" vợ" if spouse.sex == FEMALE else " chồng")
    partner = members.get(p.spouse or "")
    if partner is not None and head.pid in (partner.father, partner.mother):
        return DAUGHTER_IN_LAW if p.sex == FEMALE else SON_IN_LAW
    for parent in (p.father, p.mother):
        up = members.get(parent or "")
        if up is not None and head.pid in (up.father, up.mother):
            return GRANDCHILD
    return OTHER


# -------------------------------------------------------------------------------- enterprises


@dataclass
class _Enterprise:
    id: int
    code: str
    parent: _Enterprise | None
    type: str
    name_vi: str
    name_en: str
    short_name: str
    commune: int
    address: str
    representative: str | None
    capital: int
    lines: list[dict[str, Any]]
    registered_on: date
    status: str
    status_since: date
    branches: int = 0


class _Representatives:
    """Living adults to choose legal representatives from: a sample per province of residence."""

    PER_PROVINCE = 4000

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.by_province: dict[str, list[tuple[str, int]]] = {}
        self.seen: dict[str, int] = {}
        self.all: list[tuple[str, int]] = []
        self.seen_all = 0

    def offer(self, province: str, pid: str, birth_year: int) -> None:
        self._sample(self.by_province.setdefault(province, []), province, (pid, birth_year))
        self.seen_all += 1
        if len(self.all) < self.PER_PROVINCE * 4:
            self.all.append((pid, birth_year))
        else:
            j = self.rng.randrange(self.seen_all)
            if j < len(self.all):
                self.all[j] = (pid, birth_year)

    def _sample(self, pool: list[tuple[str, int]], province: str, entry: tuple[str, int]) -> None:
        seen = self.seen.get(province, 0) + 1
        self.seen[province] = seen
        if len(pool) < self.PER_PROVINCE:
            pool.append(entry)
        else:
            j = self.rng.randrange(seen)
            if j < self.PER_PROVINCE:
                pool[j] = entry

    def pick(self, province: str) -> tuple[str, int] | None:
        pool = self.by_province.get(province)
        if not pool or self.rng.random() < 0.25:
            pool = self.all
        return pool[self.rng.randrange(len(pool))] if pool else None


class _Enterprises:
    def __init__(
        self, rng: random.Random, places: _Places, today: date, next_id: int, people: _Representatives
    ) -> None:
        self.rng = rng
        self.places = places
        self.today = today
        self.next_id = next_id
        self.people = people
        self.codes: set[str] = set()
        self.names: set[str] = set()
        self.parents: list[_Enterprise] = []
        self.provinces = sorted(p for p in set(places.province) if p)

    def code(self, commune: int) -> str:
        old = self.places.old_province[commune]
        prefixes = TAX_PREFIXES.get(old) or (f"{zlib.crc32(old.encode()) % 60 + 10:02d}",)
        rng = self.rng
        while True:
            prefix = prefixes[rng.randrange(len(prefixes))]
            code = make_enterprise_code(prefix, ENTERPRISE_SERIAL_FROM + rng.randrange(ENTERPRISE_SERIALS))
            if code is not None and code not in self.codes:
                self.codes.add(code)
                return code

    def redraw(self, code: str, rng: random.Random) -> str:
        while True:
            new = make_enterprise_code(code[:2], ENTERPRISE_SERIAL_FROM + rng.randrange(ENTERPRISE_SERIALS))
            if new is not None and new not in self.codes:
                self.codes.add(new)
                return new

    def registered(self, earliest: date) -> date:
        rng, today = self.rng, self.today
        years = _REGISTRATION_YEARS.get((earliest.year, today.year))
        if years is None:
            years = _Choice((y, 1 + max(0, y - 1999) * 0.6) for y in range(earliest.year, today.year + 1))
            _REGISTRATION_YEARS[earliest.year, today.year] = years
        year = years.pick(rng)
        start = max(earliest, date(year, 1, 1))
        end = min(today, date(year, 12, 31))
        return start + timedelta(days=rng.randrange(max(1, (end - start).days + 1)))

    def status(self, registered_on: date) -> tuple[str, date]:
        rng, today = self.rng, self.today
        if (today - registered_on).days < 400:
            return "active", registered_on
        age = (today - registered_on).days / 365
        r = rng.random()
        since = registered_on + timedelta(days=rng.randrange(365, (today - registered_on).days + 1))
        if r < min(0.3, 0.012 * age):
            return "dissolved", since
        if r < min(0.3, 0.012 * age) + 0.08:
            return "suspended", since
        if r < min(0.3, 0.012 * age) + 0.083:
            return "bankrupt", since
        return "active", registered_on

    def representative(self, province: str) -> tuple[str, int] | None:
        return self.people.pick(province)

    def make(self) -> _Enterprise:
        rng = self.rng
        r = rng.random()
        if self.parents and r < 0.06:
            return self.branch("CN" if r < 0.05 else "VPDD")
        kind = _TYPES.pick(rng)
        main = _MAIN_LINE.pick(rng)
        commune = self.places.business.pick(rng)
        province = self.places.province[commune]
        name_vi, name_en, short = self.names_for(kind, main)
        rep = self.representative(province)
        earliest = date(1991, 1, 1) if rep is None else max(date(1991, 1, 1), date(rep[1] + 19, 1, 1))
        registered_on = self.registered(min(earliest, self.today))
        status, since = self.status(registered_on)
        median, sigma = _CAPITAL[kind]
        capital = _round_capital(rng.lognormvariate(math.log(median), sigma))
        extra = rng.sample([c for c in _LINE_CODES if c != main], rng.randint(0, 8))
        lines = [{"code": c, "main": c == main} for c in sorted([main, *extra])]
        e = _Enterprise(
            id=self.take_id(),
            code=self.code(commune),
            parent=None,
            type=kind,
            name_vi=name_vi,
            name_en=name_en,
            short_name=short,
            commune=commune,
            address=self.address(commune),
            representative=rep[0] if rep else None,
            capital=capital,
            lines=lines,
            registered_on=registered_on,
            status=status,
            status_since=since,
        )
        if status == "active" and kind != "DNTN":
            self.parents.append(e)
        return e

    def take_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def names_for(self, kind: str, main: str) -> tuple[str, str, str]:
        rng = self.rng
        for _attempt in range(8):
            brand = _brand(rng)
            r = rng.random()
            if r < 0.6:
                trade_vi, trade_en = BUSINESS_LINES[main][:2]
            elif r < 0.85:
                trade_vi, trade_en = _GENERIC_TRADES.pick(rng)
            else:
                trade_vi = trade_en = ""
            prefix = {
                "TNHH1": "Công ty TNHH" if rng.random() < 0.8 else "Công ty TNHH Một thành viên",
                "TNHH2": "Công ty TNHH",
                "CP": "Công ty Cổ phần",
                "HD": "Công ty Hợp danh",
                "DNTN": "Doanh nghiệp tư nhân",
            }[kind]
            name_vi = nfc(" ".join(w for w in (prefix, trade_vi, brand) if w))
            if fold(name_vi) not in self.names or _attempt == 7:
                break
        self.names.add(fold(name_vi))
        name_en = short = ""
        if kind != "DNTN" and rng.random() < 0.55:
            suffix = {"CP": "Joint Stock Company", "HD": "Partnership"}.get(kind, "Company Limited")
            name_en = " ".join(w for w in (_ascii(brand), trade_en, suffix) if w)
            if rng.random() < 0.7:
                ending = {"CP": " JSC", "HD": ""}.get(kind, " CO., LTD")
                short = f"{_ascii(brand).upper()}{ending}"
        return name_vi, name_en, short

    def branch(self, kind: str) -> _Enterprise:
        rng = self.rng
        parent = self.parents[rng.randrange(len(self.parents))]
        parent.branches += 1
        province = self.places.province[parent.commune]
        others = [p for p in self.provinces if p != province]
        if others and rng.random() < 0.8:
            province = others[rng.randrange(len(others))]
        commune = self.places.business_in_province[province].pick(rng)
        place = self.places.province_names.get(province)
        word_vi, word_en = (
            ("Chi nhánh", "Branch") if kind == "CN" else ("Văn phòng đại diện", "Representative Office")
        )
        if place:
            name_vi = f"{word_vi} {parent.name_vi} tại {place}"
            name_en = f"{parent.name_en} - {_ascii(place)} {word_en}" if parent.name_en else ""
        else:
            name_vi = f"{word_vi} {parent.branches} - {parent.name_vi}"
            name_en = f"{parent.name_en} - {word_en} {parent.branches}" if parent.name_en else ""
        rep = self.representative(province)
        registered_on = self.registered(parent.registered_on)
        if parent.branches > 999:
            raise RuntimeError("a parent has run out of branch numbers")
        return _Enterprise(
            id=self.take_id(),
            code=f"{parent.code}{parent.branches:03d}",
            parent=parent,
            type=kind,
            name_vi=nfc(name_vi),
            name_en=name_en,
            short_name="",
            commune=commune,
            address=self.address(commune),
            representative=rep[0] if rep else None,
            capital=0,
            lines=parent.lines,
            registered_on=registered_on,
            status="active",
            status_since=registered_on,
        )

    def address(self, commune: int) -> str:
        rng = self.rng
        street = _STREETS[rng.randrange(len(_STREETS))]
        if self.places.urban[commune]:
            word = "đường" if self.places.southern(commune) else "phố"
            return f"Số {rng.randint(1, 500)} {word} {street}"
        return f"Số {rng.randint(1, 200)} đường {street}, thôn {_VILLAGES[rng.randrange(len(_VILLAGES))]}"


def _brand(rng: random.Random) -> str:
    first = names.BRAND_FIRST[rng.randrange(len(names.BRAND_FIRST))]
    second = names.BRAND_SECOND[rng.randrange(len(names.BRAND_SECOND))]
    while second == first:
        second = names.BRAND_SECOND[rng.randrange(len(names.BRAND_SECOND))]
    return nfc(f"{first} {second}")


def _round_capital(value: float) -> int:
    """Two significant figures, whole millions, between 10 million and 100,000 billion đồng."""
    value = min(max(value, 1e7), 1e14)
    magnitude = 10 ** (int(math.log10(value)) - 1)
    return int(round(value / magnitude) * magnitude) // 1_000_000 * 1_000_000


# ------------------------------------------------------------------------------------ loading


class _Loader:
    """Writes rows on the run's one connection: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.raw: Any = connection.connection.dbapi_connection

    def max_id(self, table: str) -> int:
        return int(self.connection.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one())

    def existing(self, table: str, column: str, values: Sequence[str]) -> set[str]:
        """Which of `values` the table already holds (one query per 10,000 on SQLite)."""
        if not values:
            return set()
        if self.postgres:
            query = sa.text(f"SELECT {column} FROM {table} WHERE {column} = ANY(:values)")
            return set(self.connection.execute(query, {"values": list(values)}).scalars())
        query = sa.text(f"SELECT {column} FROM {table} WHERE {column} IN :values").bindparams(
            sa.bindparam("values", expanding=True)
        )
        found: set[str] = set()
        for start in range(0, len(values), 10_000):
            chunk = list(values[start : start + 10_000])
            found.update(self.connection.execute(query, {"values": chunk}).scalars())
        return found

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        cursor = self.raw.cursor()
        try:
            if self.postgres:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        finally:
            cursor.close()

    def move_sequences(self) -> None:
        if self.postgres:
            for table in (HOUSEHOLDS, CITIZENS, ENTERPRISES):
                self.connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} "
                        "HAVING max(id) IS NOT NULL"
                    )
                )


def generate(
    db: Database,
    *,
    citizens: int,
    enterprises: int,
    communes: Sequence[str],
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    batch: int = 20_000,
) -> Generated:
    """Add `citizens` citizens (in households) and `enterprises` enterprises, in one transaction.

    `communes` are the commune codes to place people and enterprises in (`current_communes`);
    `progress(n)` is told of every batch of citizens, then of enterprises, as they are written.
    """
    if citizens < 0 or enterprises < 0 or batch < 1:
        raise ValueError("citizens, enterprises and batch cannot be negative (nor batch zero)")
    if (citizens or enterprises) and not communes:
        raise ValueError("no communes to place anyone in")
    started = time.perf_counter()
    places = _load_places(db, communes) if communes else None
    rng, redraws = random.Random(seed), random.Random(f"redraw-{seed}")
    today, stamp = today_vn(), now()
    households_made = 0
    with db.engine.begin() as connection:
        loader = _Loader(connection)
        created: Any = (
            stamp if loader.postgres else stamp.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        )
        day: Callable[[date], Any] = (lambda d: d) if loader.postgres else date.isoformat
        representatives = _Representatives(rng)
        if places is not None and citizens:
            population = _Population(rng, places, today, loader.max_id(HOUSEHOLDS) + 1)
            next_citizen = loader.max_id(CITIZENS) + 1
            made = 0
            while made < citizens:
                population.people, population.households = [], []
                while len(population.people) < batch and made + len(population.people) < citizens:
                    population.family(min(citizens - made - len(population.people), 40))
                people, households = population.people, population.households
                _redraw_taken(loader, population, people, households, redraws)
                loader.insert(
                    HOUSEHOLDS,
                    HOUSEHOLD_COLUMNS,
                    [
                        (h.id, h.code, h.head.pid, places.codes[h.commune], h.address, created)
                        for h in households
                    ],
                )
                rows = []
                for p in people:
                    rows.append(_citizen_row(next_citizen, p, places, day, created))
                    next_citizen += 1
                    if p.status == "living" and 20 <= today.year - p.birth_year <= 75:
                        representatives.offer(places.province[p.home], p.pid, p.birth_year)
                loader.insert(CITIZENS, CITIZEN_COLUMNS, rows)
                made += len(people)
                households_made += len(households)
                if progress is not None:
                    progress(len(people))
        if places is not None and enterprises:
            if not representatives.all:
                _existing_adults(connection, representatives, places, today)
            firms = _Enterprises(rng, places, today, loader.max_id(ENTERPRISES) + 1, representatives)
            made = 0
            while made < enterprises:
                chunk = [firms.make() for _ in range(min(batch, enterprises - made))]
                _redraw_codes(loader, firms, chunk, redraws)
                loader.insert(
                    ENTERPRISES, ENTERPRISE_COLUMNS, [_enterprise_row(e, places, day, created) for e in chunk]
                )
                made += len(chunk)
                if progress is not None:
                    progress(len(chunk))
        loader.move_sequences()
        with Session(bind=connection) as session:
            audit.record(
                session,
                actor=SYSTEM,
                action="registries.generate",
                object_type="registry",
                object_id="population",
                after={"citizens": citizens, "households": households_made, "enterprises": enterprises,
                       "seed": seed},
            )  # fmt: skip
            session.flush()
    if db.dialect == "postgresql":
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"ANALYZE {HOUSEHOLDS}, {CITIZENS}, {ENTERPRISES}")
    return Generated(citizens, households_made, enterprises, time.perf_counter() - started)


def _citizen_row(
    row_id: int, p: _Person, places: _Places, day: Callable[[date], Any], created: Any
) -> tuple[Any, ...]:
    codes = places.codes
    return (
        row_id, p.pid, p.family, p.middle, p.given, _full_name_folded(p), p.birth_year,
        p.birth_month, p.birth_day, p.sex, p.ethnicity, p.religion, "VN", codes[p.born], "",
        codes[p.hometown], codes[p.home], p.address, codes[p.current], p.current_address, p.father,
        p.mother, p.spouse, p.household, p.relation, p.status, day(p.death) if p.death else None, 1,
        created, created,
    )  # fmt: skip


def _enterprise_row(
    e: _Enterprise, places: _Places, day: Callable[[date], Any], created: Any
) -> tuple[Any, ...]:
    folded = fold(" ".join(v for v in (e.name_vi, e.name_en, e.short_name) if v))
    return (
        e.id, e.code, e.parent.code if e.parent else None, e.name_vi, e.name_en, e.short_name, folded, e.type,
        places.codes[e.commune], e.address, e.representative, e.capital, json.dumps(e.lines),
        day(e.registered_on), e.status, day(e.status_since), 1, created, created,
    )  # fmt: skip


def _redraw_taken(
    loader: _Loader,
    population: _Population,
    people: list[_Person],
    households: list[_Household],
    rng: random.Random,
) -> None:
    """Give new personal IDs (and household codes) to the few of a batch that the tables already hold,
    and repoint the batch's relatives at them."""
    renamed: dict[str, str] = {}  # first drawn -> now
    first_of: dict[str, str] = {}  # now -> first drawn
    pending = [p.pid for p in people]
    while True:
        taken = loader.existing(CITIZENS, "personal_id", pending)
        if not taken:
            break
        pending = []
        for old in sorted(taken):
            new = population.redraw(old, rng)
            original = first_of.pop(old, old)
            renamed[original] = new
            first_of[new] = original
            pending.append(new)
    if renamed:
        for p in people:
            p.pid = renamed.get(p.pid, p.pid)
            p.father = renamed.get(p.father, p.father) if p.father else None
            p.mother = renamed.get(p.mother, p.mother) if p.mother else None
            p.spouse = renamed.get(p.spouse, p.spouse) if p.spouse else None
    taken = loader.existing(HOUSEHOLDS, "code", [h.code for h in households])
    for h in households:
        while h.code in taken:
            h.code = f"{h.code[:-8]}{rng.randrange(10**8):08d}"
            taken |= loader.existing(HOUSEHOLDS, "code", [h.code])


def _redraw_codes(loader: _Loader, firms: _Enterprises, chunk: list[_Enterprise], rng: random.Random) -> None:
    """New codes for the enterprises of a batch whose codes the table already holds (a branch follows
    its parent's code)."""
    while True:
        taken = loader.existing(ENTERPRISES, "code", [e.code for e in chunk])
        if not taken:
            return
        for e in chunk:
            if e.code not in taken:
                continue
            if e.parent is None:
                e.code = firms.redraw(e.code, rng)
                for branch in chunk:
                    if branch.parent is e:
                        branch.code = f"{e.code}{branch.code[10:]}"
            else:
                e.parent.branches += 1
                e.code = f"{e.parent.code}{e.parent.branches:03d}"


def _existing_adults(connection: sa.Connection, pool: _Representatives, places: _Places, today: date) -> None:
    """When a run adds enterprises but no citizens: representatives from the registry's living adults."""
    province = dict(zip(places.codes, places.province, strict=True))
    rows = connection.execute(
        sa.text(
            f"SELECT personal_id, birth_year, permanent_commune FROM {CITIZENS} "
            "WHERE status = 'living' AND birth_year BETWEEN :oldest AND :youngest ORDER BY id LIMIT 50000"
        ),
        {"oldest": today.year - 75, "youngest": today.year - 20},
    )
    for pid, birth_year, commune in rows:
        pool.offer(province.get(commune or "", ""), pid, int(birth_year))
