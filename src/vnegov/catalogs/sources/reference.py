"""The smaller shared catalogues (danh mục dùng chung): agencies, ethnic groups, nationalities,
religions, sexes, administrative-document types, DVCQG dossier statuses and business lines (VSIC 2018).

Sources and licences, one per catalogue
---------------------------------------
* ``agencies`` — ``data/agencies.csv`` (every row carries its own ``source``). Level-1 codes of
  ministries and Government bodies: the table of Quyết định 09/2025/QĐ-TTg (14/04/2025, amending
  Quyết định 20/2020/QĐ-TTg), as reprinted by baodautu.vn; its 26th and later rows were not
  retrievable and are left out. Codes that table dropped (G04, G05, G07, G14 seen in public code;
  G13 inferred) close on 13/04/2025. Provincial People's Committees: the 63 QĐ 20/2020 codes
  H01..H63 follow the ASCII-alphabetical order of the province names — observed directly for H29,
  H38, H41, H48, H55 and H57, inferred for the rest. QĐ 09/2025 keeps, for a merged province, the
  code of the same-named old province and closes the others (closed here on 30/06/2025). Three
  level-2 units of the Ministry of Education come from Quyết định 1165/QĐ-BGDĐT (26/04/2025).
  Legal texts are not copyrighted (Luật Sở hữu trí tuệ, Điều 15).
* ``ethnic-groups`` — ``data/ethnic_groups.csv``: Danh mục các dân tộc Việt Nam, Quyết định
  121-TCTK/PPCĐ (02/03/1979) of the General Statistics Office, codes 01 Kinh … 54 Rơ-măm, in the
  official order used by the population census and public code; "other names" from the GSO list
  as reproduced in public code (not checked against the 1979 original). A GSO document
  (gso.gov.vn Doc_Download DocID=15172) lists the groups in population order with more other
  names; the coded 1979 order above is the one systems and censuses use.
* ``nationalities`` — ISO 3166-1 from `pycountry` (LGPL-2.1, data from Debian iso-codes), names in
  Vietnamese from pycountry's ``vi`` gettext catalogue, with three names replaced by the forms
  Viet Nam's administration uses (Hàn Quốc, Triều Tiên, Đài Loan (Trung Quốc)).
* ``religions`` — ``data/religions.csv``: the 16 religions recognised in Viet Nam (Ban Tôn giáo
  Chính phủ), in the order that recurs in public population and HR code, "00" for none. The codes
  are this project's; no published numeric scheme of the population database was found.
* ``sexes`` — ISO/IEC 5218 codes (0 not known, 1 male, 2 female). Whether the national population
  database uses exactly these codes could not be verified.
* ``document-types`` — ``data/document_types.csv``: the 29 kinds of administrative document of
  Nghị định 30/2020/NĐ-CP, Điều 7, in that order, with the abbreviations of its Phụ lục III
  ("Công văn" and "Thư công" have none).
* ``dossier-statuses`` — TrangThaiHoSo 1–10 of the National Public Service Portal (Cổng DVCQG) as
  used by its synchronisation API (VietOpenCPS/opencps-v2, DVCQGIntegrationActionImpl).
* ``business-lines`` — ``data/vsic_2018.csv``: Hệ thống ngành kinh tế Việt Nam (VSIC 2018), Phụ lục I
  of Quyết định 27/2018/QĐ-TTg (06/07/2018, in force 20/08/2018), all five levels, transcribed from
  the public repository tienphuocgroup/manganhnghe, file ``vsic_2018.csv`` (commit 62a5b7d; no licence
  file; the content is a legal text, Luật SHTT Điều 15). Codes, names and parents are that file's,
  unchanged (its spelling slips, e.g. 9524 "tương tư", are kept). It has 21 sections, 88 divisions,
  242 groups, 464 classes and 734 subclasses; Điều 1 of the decision announces 486 classes — the
  22-class gap could not be resolved from any public source read (every subclass has its class,
  every class at least one subclass). No English names: the source has none.
"""

from __future__ import annotations

import csv
import gettext
import unicodedata
from collections.abc import Iterator
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from vnegov.catalogs.sources import CatalogSource, FieldSpec, ItemRecord


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


@cache
def read_csv(name: str) -> tuple[dict[str, str], ...]:
    """Rows of one of the CSV files shipped in ``sources/data`` (NFC-normalised, stripped)."""
    text = resources.files("vnegov.catalogs.sources").joinpath("data", name).read_text(encoding="utf-8")
    return tuple({k: _nfc(v or "") for k, v in row.items()} for row in csv.DictReader(text.splitlines()))


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _split_names(value: str) -> list[str]:
    return [n.strip() for n in value.split(",") if n.strip()]


# ---------------------------------------------------------------- agencies (mã định danh điện tử)


def qcvn102_form(code: str) -> str:
    """QĐ 20/2020 code ("G03.15") → legacy QCVN 102:2016 form ("000.00.15.G03").

    QCVN 102 writes the four levels right to left as ``L4(3).L3(2).L2(2).L1``.
    """
    level1, *rest = code.split(".")
    rest += ["0"] * (3 - len(rest))
    level2, level3, level4 = rest
    return f"{int(level4):03d}.{int(level3):02d}.{int(level2):02d}.{level1}"


def _agency_items() -> Iterator[ItemRecord]:
    for row in read_csv("agencies.csv"):
        attributes: dict[str, Any] = {
            "code_qcvn102": qcvn102_form(row["code"]),
            "kind": row["kind"],
            "source": row["source"],
        }
        if row["admin_unit_code"]:
            attributes["admin_unit_code"] = row["admin_unit_code"]
        if row["note"]:
            attributes["note"] = row["note"]
        yield ItemRecord(
            code=row["code"],
            name_vi=row["name_vi"],
            name_en=row["name_en"],
            parent_code=row["parent_code"] or None,
            level=row["level"],
            attributes=attributes,
            valid_from=_date(row["valid_from"]),
            valid_to=_date(row["valid_to"]),
        )


AGENCIES = CatalogSource(
    code="agencies",
    name_vi="Danh mục mã định danh điện tử của cơ quan, tổ chức",
    name_en="Electronic identifiers of agencies and organisations",
    owner_agency="G06",
    decision="Quyết định 20/2020/QĐ-TTg; Quyết định 09/2025/QĐ-TTg",
    description=(
        "Level-1 codes of ministries, Government bodies and provincial People's Committees (QĐ 20/2020 "
        "form, with the legacy QCVN 102:2016 form as an attribute), including codes closed in 2025, and "
        "a few level-2 units."
    ),
    fields=(
        FieldSpec(
            "code_qcvn102", "string", "Mã theo QCVN 102:2016", "Code in QCVN 102:2016 form", required=True
        ),
        FieldSpec("kind", "string", "Loại cơ quan", "Kind of body", required=True),
        FieldSpec("admin_unit_code", "string", "Mã đơn vị hành chính", "Administrative-unit code"),
        FieldSpec("source", "string", "Nguồn", "Source"),
        FieldSpec("note", "string", "Ghi chú", "Note"),
    ),
    items=_agency_items,
    source=(
        "Quyết định 20/2020/QĐ-TTg and 09/2025/QĐ-TTg; Quyết định 1165/QĐ-BGDĐT; public code "
        "(per-row sources in data/agencies.csv)"
    ),
    licence="Legal texts (not subject to copyright, Luật SHTT Điều 15)",
)


# ---------------------------------------------------------------------------- ethnic groups


def _ethnic_items() -> Iterator[ItemRecord]:
    for row in read_csv("ethnic_groups.csv"):
        yield ItemRecord(
            code=row["code"],
            name_vi=row["name_vi"],
            name_en=row["name_en"],
            attributes={"other_names": row["other_names"]} if row["other_names"] else {},
        )


ETHNIC_GROUPS = CatalogSource(
    code="ethnic-groups",
    name_vi="Danh mục các dân tộc Việt Nam",
    name_en="Ethnic groups of Viet Nam",
    owner_agency="G12",
    decision="Quyết định 121-TCTK/PPCĐ ngày 02/03/1979 của Tổng cục Thống kê",
    description="The 54 ethnic groups with their statistical codes 01–54 and other names.",
    fields=(FieldSpec("other_names", "string", "Tên gọi khác", "Other names"),),
    items=_ethnic_items,
    source="General Statistics Office, Danh mục các dân tộc Việt Nam (QĐ 121-TCTK/PPCĐ 1979)",
    licence="Public data (official statistical classification)",
)


# ----------------------------------------------------------------------------- nationalities

# pycountry's Vietnamese names that differ from the forms Vietnamese administration uses.
_VI_OVERRIDES = {"KR": "Hàn Quốc", "KP": "Triều Tiên", "TW": "Đài Loan (Trung Quốc)"}


@lru_cache(maxsize=1)
def _vi_translation() -> gettext.NullTranslations:
    import pycountry

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["vi"])
    except OSError:
        return gettext.NullTranslations()


def _nationality_items() -> Iterator[ItemRecord]:
    import pycountry

    vi = _vi_translation()
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        attributes: dict[str, Any] = {"alpha_3": country.alpha_3, "numeric": country.numeric}
        official = getattr(country, "official_name", None)
        if official:
            attributes["official_name"] = official
        yield ItemRecord(
            code=country.alpha_2,
            name_vi=_nfc(_VI_OVERRIDES.get(country.alpha_2) or vi.gettext(country.name)),
            name_en=country.name,
            attributes=attributes,
        )


NATIONALITIES = CatalogSource(
    code="nationalities",
    name_vi="Danh mục quốc tịch",
    name_en="Nationalities (countries)",
    owner_agency="G01",
    decision="ISO 3166-1 (TCVN 7217-1)",
    description="Countries and territories by ISO 3166-1 alpha-2 code, with alpha-3 and numeric codes.",
    fields=(
        FieldSpec("alpha_3", "string", "Mã 3 ký tự", "Alpha-3 code", required=True),
        FieldSpec("numeric", "string", "Mã số", "Numeric code", required=True),
        FieldSpec("official_name", "string", "Tên chính thức (tiếng Anh)", "Official name"),
    ),
    items=_nationality_items,
    source="pycountry (ISO 3166-1 from Debian iso-codes, Vietnamese names from its vi catalogue)",
    licence="LGPL-2.1 (pycountry / iso-codes)",
)


# --------------------------------------------------------------------------------- religions


def _religion_items() -> Iterator[ItemRecord]:
    for row in read_csv("religions.csv"):
        yield ItemRecord(
            code=row["code"],
            name_vi=row["name_vi"],
            name_en=row["name_en"],
            attributes={"other_names": row["other_names"]} if row["other_names"] else {},
        )


RELIGIONS = CatalogSource(
    code="religions",
    name_vi="Danh mục tôn giáo",
    name_en="Religions",
    owner_agency="G21",
    decision="Luật Tín ngưỡng, tôn giáo 2016; danh sách tôn giáo được công nhận (Ban Tôn giáo Chính phủ)",
    description=(
        "The 16 religions recognised in Viet Nam, with '00' for no religion. Codes are this project's "
        "(no published numeric scheme found); the order follows the Government Religious Affairs list."
    ),
    fields=(FieldSpec("other_names", "string", "Tên gọi khác", "Other names"),),
    items=_religion_items,
    source="Ban Tôn giáo Chính phủ list of recognised religions (order as in public population/HR code)",
    licence="Public data",
)


# ------------------------------------------------------------------------------------ sexes

_SEXES = (
    ("0", "Chưa có thông tin", "Not known"),
    ("1", "Nam", "Male"),
    ("2", "Nữ", "Female"),
)


def _sex_items() -> Iterator[ItemRecord]:
    for code, vi, en in _SEXES:
        yield ItemRecord(code=code, name_vi=vi, name_en=en)


SEXES = CatalogSource(
    code="sexes",
    name_vi="Danh mục giới tính",
    name_en="Sexes",
    owner_agency="G01",
    decision="ISO/IEC 5218:2004",
    description="Codes of human sexes per ISO/IEC 5218 (0 not known, 1 male, 2 female).",
    fields=(),
    items=_sex_items,
    source="ISO/IEC 5218 [use by the national population database unverified]",
    licence="Public data",
)


# ---------------------------------------------------------------------------- document types


def _document_type_items() -> Iterator[ItemRecord]:
    for row in read_csv("document_types.csv"):
        yield ItemRecord(
            code=row["code"],
            name_vi=row["name_vi"],
            name_en=row["name_en"],
            attributes={"abbreviation": row["abbreviation"]} if row["abbreviation"] else {},
        )


DOCUMENT_TYPES = CatalogSource(
    code="document-types",
    name_vi="Danh mục loại văn bản hành chính",
    name_en="Kinds of administrative document",
    owner_agency="G09",
    decision="Nghị định 30/2020/NĐ-CP, Điều 7 và Phụ lục III",
    description="The 29 kinds of administrative document and the abbreviations used in document numbers.",
    fields=(FieldSpec("abbreviation", "string", "Chữ viết tắt", "Abbreviation"),),
    items=_document_type_items,
    source="Nghị định 30/2020/NĐ-CP (Điều 7; Phụ lục III, bảng chữ viết tắt tên loại văn bản)",
    licence="Legal text (not subject to copyright, Luật SHTT Điều 15)",
)


# --------------------------------------------------------------------------- dossier statuses

_DOSSIER_STATUSES = (
    ("1", "Mới đăng ký", "Newly registered"),
    ("2", "Được tiếp nhận", "Accepted"),
    ("3", "Không được tiếp nhận", "Not accepted"),
    ("4", "Đang xử lý", "Being processed"),
    ("5", "Yêu cầu bổ sung giấy tờ", "Additional documents requested"),
    ("6", "Yêu cầu thực hiện nghĩa vụ tài chính", "Payment of fees requested"),
    ("7", "Công dân yêu cầu rút hồ sơ", "Withdrawal requested by the applicant"),
    ("8", "Dừng xử lý", "Processing stopped"),
    ("9", "Đã xử lý xong", "Processed"),
    ("10", "Đã trả kết quả", "Result returned"),
)


def _dossier_status_items() -> Iterator[ItemRecord]:
    for code, vi, en in _DOSSIER_STATUSES:
        yield ItemRecord(code=code, name_vi=vi, name_en=en)


DOSSIER_STATUSES = CatalogSource(
    code="dossier-statuses",
    name_vi="Danh mục trạng thái hồ sơ",
    name_en="Dossier statuses",
    owner_agency="G22",
    decision="Cổng Dịch vụ công quốc gia — đặc tả đồng bộ hồ sơ (TrangThaiHoSo)",
    description="Status codes 1–10 a one-stop-shop system reports to the National Public Service Portal.",
    fields=(),
    items=_dossier_status_items,
    source="Cổng DVCQG synchronisation API (VietOpenCPS/opencps-v2, DVCQGIntegrationActionImpl.java)",
    licence="Public specification",
)


# ------------------------------------------------------------ business lines (VSIC 2018)

VSIC_LEVELS = ("section", "division", "group", "class", "subclass")
VSIC_2018_IN_FORCE = date(2018, 8, 20)


def _business_line_items() -> Iterator[ItemRecord]:
    for row in read_csv("vsic_2018.csv"):
        yield ItemRecord(
            code=row["code"],
            name_vi=row["name_vi"],
            name_en=row["name_en"],
            parent_code=row["parent_code"] or None,
            level=row["level"],
            valid_from=VSIC_2018_IN_FORCE,
        )


BUSINESS_LINES = CatalogSource(
    code="business-lines",
    name_vi="Hệ thống ngành kinh tế Việt Nam (VSIC 2018)",
    name_en="Vietnam Standard Industrial Classification (VSIC 2018)",
    owner_agency="G12",
    decision="Quyết định 27/2018/QĐ-TTg ngày 06/07/2018 (Phụ lục I)",
    description=(
        "Economic activities in five levels: section (A–U), division (2 digits), group (3), class (4) "
        "and subclass (5), each under the code one level up; used to check the business lines "
        "(ngành nghề kinh doanh) of the enterprise registry. 21/88/242/464/734 items as in the source "
        "transcription; the decision announces 486 classes, 22 of which could not be found. "
        "Vietnamese names only. Valid from 20/08/2018."
    ),
    fields=(),
    items=_business_line_items,
    source=(
        "Quyết định 27/2018/QĐ-TTg, Phụ lục I, as transcribed in github.com/tienphuocgroup/manganhnghe "
        "vsic_2018.csv (commit 62a5b7da190fd548c93afca103a3c2fcf81661e8)"
    ),
    licence="Legal text (not subject to copyright, Luật SHTT Điều 15); source repository states no licence",
)
