"""Identifiers of the base registries: the personal ID (số định danh cá nhân) and the enterprise code
(mã số doanh nghiệp), checked for structure before anything is looked up or stored.

Personal ID, 12 digits (Nghị định 137/2015/NĐ-CP Điều 13; Thông tư 59/2021/TT-BCA Điều 7):
    PPP  C  YY  NNNNNN
    PPP     code of the province where the birth was registered (the 63 pre-2025 provinces' statistical
            codes, zero-padded: 001 Hà Nội … 096 Cà Mau; IDs keep their code after the 2025 merger)
    C       century and sex: 0/1 born 1900–1999 male/female, 2/3 2000–2099, 4/5 2100–2199,
            6/7 2200–2299, 8/9 2300–2399
    YY      last two digits of the year of birth
    NNNNNN  random
There is no check digit, so a mistyped random part cannot be caught; the structure catches the rest.

Enterprise code = its tax code (Luật Doanh nghiệp 2020 Điều 29): 10 digits, the 10th a check digit
over the first nine (weights 31 29 23 19 17 13 7 5 3, check = 10 − Σ mod 11; a result of 10 means the
number is never issued); a branch or representative office has the parent's ten digits and a
three-digit suffix 001–999, written `0100233488-001`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from vnegov.kernel.errors import InvalidInput

# Statistical codes of the 63 provinces before 1/7/2025 (Quyết định 124/2004/QĐ-TTg), the province
# part of personal IDs (Thông tư 59/2021/TT-BCA, Phụ lục: "mã tỉnh nơi đăng ký khai sinh").
ID_PROVINCES: frozenset[str] = frozenset(
    f"{n:03d}"
    for n in (
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
        38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
        79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    )
)  # fmt: skip

MALE, FEMALE = "1", "2"  # the `sexes` catalogue (ISO/IEC 5218)
_DIGITS = re.compile(r"\d+")
_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


@dataclass(frozen=True)
class PersonalId:
    """What a personal ID says about its holder."""

    value: str
    province: str
    sex: str  # "1" male, "2" female
    century_start: int  # 1900, 2000, …

    @property
    def year_digits(self) -> int:
        return int(self.value[4:6])

    @property
    def birth_year(self) -> int:
        return self.century_start + self.year_digits


def parse_personal_id(value: str, field: str = "personal_id") -> PersonalId:
    """The parts of a 12-digit personal ID, or InvalidInput naming `field` and what is wrong."""
    text = value.strip()
    if not _DIGITS.fullmatch(text):
        raise InvalidInput("a personal ID has digits only", field=field, reason="digits")
    if len(text) != 12:
        raise InvalidInput(f"a personal ID has 12 digits, not {len(text)}", field=field, reason="length")
    province = text[:3]
    if province not in ID_PROVINCES:
        raise InvalidInput(
            f"{province} is not a province code of personal IDs (001–096)", field=field, reason="province"
        )
    digit = int(text[3])
    return PersonalId(
        value=text,
        province=province,
        sex=MALE if digit % 2 == 0 else FEMALE,
        century_start=1900 + 100 * (digit // 2),
    )


def check_personal_id(
    value: str, *, sex: str | None = None, birth_year: int | None = None, field: str = "personal_id"
) -> PersonalId:
    """Parse, and check that the ID agrees with the holder's sex and year of birth when given."""
    pid = parse_personal_id(value, field)
    if sex in (MALE, FEMALE) and pid.sex != sex:
        raise InvalidInput("the personal ID's fourth digit says the other sex", field=field, reason="sex")
    if birth_year is not None and pid.birth_year != birth_year:
        raise InvalidInput(
            f"the personal ID says born in {pid.birth_year}, not {birth_year}",
            field=field,
            reason="birth_year",
        )
    return pid


def make_personal_id(province: str, sex: str, birth_year: int, serial: int) -> str:
    """The personal ID for these parts (the synthetic data generator and tests use it)."""
    if province not in ID_PROVINCES:
        raise ValueError(f"unknown province code {province}")
    century = (birth_year // 100) - 19
    if not 0 <= century <= 4:
        raise ValueError(f"no personal ID century digit for {birth_year}")
    digit = 2 * century + (0 if sex == MALE else 1)
    return f"{province}{digit}{birth_year % 100:02d}{serial % 1_000_000:06d}"


# ------------------------------------------------------------------------------- enterprises


def enterprise_check_digit(first_nine: str) -> str:
    """The check digit of a tax code's first nine digits ("10" when no digit fits: never issued)."""
    return str(10 - sum(w * int(d) for w, d in zip(_WEIGHTS, first_nine, strict=True)) % 11)


def compact_enterprise_code(value: str) -> str:
    return "".join(ch for ch in value.strip() if ch not in " -.")


def parse_enterprise_code(value: str, field: str = "enterprise_code") -> str:
    """The enterprise code in compact form (10 or 13 digits), or InvalidInput naming what is wrong."""
    text = compact_enterprise_code(value)
    if not _DIGITS.fullmatch(text):
        raise InvalidInput("an enterprise code has digits only (and a dash before a branch suffix)",
                           field=field, reason="digits")  # fmt: skip
    if len(text) not in (10, 13):
        raise InvalidInput(
            f"an enterprise code has 10 digits, or 13 for a branch, not {len(text)}",
            field=field,
            reason="length",
        )
    if text[2:9] == "0000000":
        raise InvalidInput("an enterprise code's serial part cannot be zero", field=field, reason="serial")
    if len(text) == 13 and text[10:] == "000":
        raise InvalidInput("a branch suffix runs from 001 to 999", field=field, reason="branch")
    if text[9] != enterprise_check_digit(text[:9]):
        raise InvalidInput("the enterprise code's check digit is wrong", field=field, reason="checksum")
    return text


def format_enterprise_code(compact: str) -> str:
    return compact if len(compact) == 10 else f"{compact[:10]}-{compact[10:]}"


def make_enterprise_code(prefix: str, serial: int) -> str | None:
    """A valid 10-digit code from a 2-digit prefix and a serial, or None when that serial has no
    check digit (about one in eleven)."""
    first_nine = f"{prefix}{serial % 10_000_000:07d}"
    check = enterprise_check_digit(first_nine)
    if len(check) != 1 or first_nine[2:] == "0000000":
        return None
    return first_nine + check


# ----------------------------------------------------------------------------- partial dates


@dataclass(frozen=True)
class PartialDate:
    """A date of birth as the registry knows it: the year always, the month and day when known
    (`1950`, `1950-07`, `1950-07-14`)."""

    year: int
    month: int | None = None
    day: int | None = None

    def __str__(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def matches(self, other: PartialDate) -> bool:
        """Whether `other` (what a caller states) agrees with what is known, part by part."""
        return (
            self.year == other.year
            and (self.month is None or other.month is None or self.month == other.month)
            and (self.day is None or other.day is None or self.day == other.day)
        )


_PARTIAL = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_VN_DATE = re.compile(r"(?:(\d{1,2})/)?(?:(\d{1,2})/)?(\d{4})")


def parse_partial_date(value: str, field: str = "birth_date", *, today: date | None = None) -> PartialDate:
    """`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, or the Vietnamese `DD/MM/YYYY`, `MM/YYYY`; not in the future."""
    text = value.strip()
    match = _PARTIAL.fullmatch(text)
    if match:
        year, month, day = int(match[1]), match[2], match[3]
        parts = PartialDate(year, int(month) if month else None, int(day) if day else None)
    else:
        vn = _VN_DATE.fullmatch(text)
        if not vn:
            raise InvalidInput(
                "a date is YYYY, YYYY-MM, YYYY-MM-DD or DD/MM/YYYY", field=field, reason="format"
            )
        first, second, year_text = vn[1], vn[2], vn[3]
        if second is not None:
            parts = PartialDate(int(year_text), int(second), int(first))
        else:
            parts = PartialDate(int(year_text), int(first) if first else None, None)
    try:
        date(parts.year, parts.month or 1, parts.day or 1)
    except ValueError:
        raise InvalidInput(f"{text} is not a date", field=field, reason="calendar") from None
    limit = today or date.today()
    if (parts.year, parts.month or 1, parts.day or 1) > (limit.year, limit.month, limit.day):
        raise InvalidInput("the date is in the future", field=field, reason="future")
    return parts
