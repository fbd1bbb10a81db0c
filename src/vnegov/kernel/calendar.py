"""Working calendar and reporting periods (lịch làm việc và kỳ báo cáo).

Two pure building blocks used across the platforms:

* :class:`WorkingCalendar` — which days a state agency works (ngày làm việc), built on the
  ``holidays`` package's Vietnamese public holidays (ngày nghỉ lễ, Tết), plus the arithmetic
  needed for the legal time limits of administrative procedures (thời hạn giải quyết thủ tục
  hành chính).
* :func:`reporting_period` and friends — the data cut-off windows (thời gian chốt số liệu báo cáo)
  of periodic reports under Decree 09/2019/NĐ-CP, Article 12.

What the ``holidays`` package (checked against version 0.109) provides for ``"VN"``:

* Fixed holidays: Tết Dương lịch (1/1), Giỗ Tổ Hùng Vương (10/3 lunar, e.g. 2025-04-07 — the
  real date that year, not an observed one), Ngày Chiến thắng (30/4), Quốc tế Lao động (1/5),
  Quốc khánh (2/9) and, from 2021 (Labour Code 2019, Art. 112), one extra day adjacent to 2/9
  (2025: 1/9 and 2/9); from 2026 also Ngày Văn hóa Việt Nam (24/11).
* Tết Nguyên Đán: Giao thừa plus the first four days; days falling on a weekend are shifted to
  a working day (2025: 27/1 "29 Tết" through 1/2).
* Observed days (nghỉ bù) for fixed holidays on a weekend (e.g. 2026-04-27 for Hùng Kings).
* Government day swaps (hoán đổi ngày làm việc) for the public sector that the package knows
  about, *including* the make-up Saturday (ngày làm bù), exposed as ``weekend_workdays``
  (e.g. 2025-05-02 off, 2025-04-26 worked). This module honours those make-up days.

Swaps the package does not yet know about must be passed as ``extra_holidays`` /
``extra_working_days``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import holidays

from vnegov.kernel.clock import VN_TZ

__all__ = [
    "OFFICE_CLOSE",
    "VN_TZ",
    "ReportingFrequency",
    "ReportingPeriod",
    "WorkingCalendar",
    "period_containing",
    "reporting_period",
    "submission_deadline",
]

OFFICE_CLOSE = time(17, 0)
"""End of office hours (hết giờ làm việc) used for procedure deadlines."""

_COUNTRY = "VN"
_SATURDAY = 5
_SUNDAY = 6
_ONE_DAY = timedelta(days=1)


def _holiday_language() -> str | None:
    """Vietnamese names when the package ships them, else English (or the package default)."""
    languages = holidays.list_localized_countries().get(_COUNTRY, [])
    for language in ("vi", "en_US"):
        if language in languages:
            return language
    return None


def _require_date(name: str, value: object) -> date:
    """Reject non-dates and datetimes (a datetime would silently miss date-keyed lookups)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"{name}: expected a datetime.date, got {type(value).__name__}")
    return value


def _date_set(name: str, values: Iterable[date]) -> frozenset[date]:
    return frozenset(_require_date(name, value) for value in values)


class WorkingCalendar:
    """Lịch làm việc của cơ quan nhà nước — the working calendar of a state agency.

    A day is a working day (ngày làm việc) unless it is a weekend day or a holiday
    (ngày nghỉ lễ, Tết, nghỉ bù). Precedence, highest first:

    1. ``extra_working_days`` — declared make-up days (ngày làm bù): always working days;
    2. ``extra_holidays`` and the package's holidays: never working days;
    3. weekend (Sunday, and Saturday unless ``saturday_is_working_day``): non-working, except
       the make-up Saturdays the ``holidays`` package records for government day swaps.
    """

    def __init__(
        self,
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        *,
        saturday_is_working_day: bool = False,
    ) -> None:
        self._extra_holidays = _date_set("extra_holidays", extra_holidays)
        self._extra_working_days = _date_set("extra_working_days", extra_working_days)
        overlap = self._extra_holidays & self._extra_working_days
        if overlap:
            raise ValueError(f"extra_working_days: also listed in extra_holidays: {sorted(overlap)}")
        self._saturday_is_working_day = saturday_is_working_day
        self._language = _holiday_language()
        self._years: dict[int, holidays.HolidayBase] = {}

    def _for_year(self, year: int) -> holidays.HolidayBase:
        """The package's holidays for one year, built lazily and cached."""
        if year not in self._years:
            self._years[year] = holidays.country_holidays(
                _COUNTRY, years=year, language=self._language, expand=False
            )
        return self._years[year]

    def _is_package_workday(self, d: date) -> bool:
        """Make-up weekend day (ngày làm bù) known to the package; swaps may span a year end."""
        years = (d.year - 1, d.year, d.year + 1)
        return any(d in self._for_year(y).weekend_workdays for y in years if 1 <= y <= 9999)

    def _is_weekend(self, d: date) -> bool:
        weekday = d.weekday()
        return weekday == _SUNDAY or (weekday == _SATURDAY and not self._saturday_is_working_day)

    def is_holiday(self, d: date) -> bool:
        """True for a public holiday (ngày lễ, Tết, nghỉ bù) or a declared extra day off."""
        _require_date("d", d)
        return d in self._extra_holidays or d in self._for_year(d.year)

    def holiday_name(self, d: date) -> str | None:
        """Holiday name (Vietnamese when available), or ``None`` if ``d`` is not a holiday."""
        _require_date("d", d)
        name = self._for_year(d.year).get(d)
        if name is not None:
            return str(name)
        if d in self._extra_holidays:
            return "Ngày nghỉ bổ sung" if self._language == "vi" else "Additional day off"
        return None

    def is_working_day(self, d: date) -> bool:
        """True if the agency works on ``d`` (ngày làm việc)."""
        _require_date("d", d)
        if d in self._extra_working_days:
            return True
        if self.is_holiday(d):
            return False
        return not self._is_weekend(d) or self._is_package_workday(d)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        d += _ONE_DAY
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        d -= _ONE_DAY
        while not self.is_working_day(d):
            d -= _ONE_DAY
        return d

    def add_working_days(self, start: date, n: int) -> date:
        """Cộng ``n`` ngày làm việc — the date ``n`` working days after ``start``.

        ``n == 0`` returns ``start`` if it is a working day, else the next working day.
        ``n < 0`` goes backwards: the date ``|n|`` working days before ``start``.
        ``start`` itself is never counted when ``n != 0``.
        """
        _require_date("start", start)
        if n == 0:
            return start if self.is_working_day(start) else self.next_working_day(start)
        step = self.next_working_day if n > 0 else self.previous_working_day
        d = start
        for _ in range(abs(n)):
            d = step(d)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days in ``(start, end]``; negative (``-(end, start]``) if ``end < start``."""
        _require_date("start", start)
        _require_date("end", end)
        if end < start:
            return -self.working_days_between(end, start)
        count, d = 0, start
        while d < end:
            d += _ONE_DAY
            count += self.is_working_day(d)
        return count

    def deadline(
        self,
        received_at: datetime,
        working_days: int,
        *,
        same_day_before: time | None = None,
    ) -> datetime:
        """Hạn giải quyết — due date-time of a procedure whose time limit is N working days.

        Rule implemented (the usual one-stop-shop / bộ phận một cửa practice):

        * ``received_at`` (timezone-aware) is converted to Vietnam time (Asia/Ho_Chi_Minh);
        * counting starts on the first working day after the day of receipt, so a dossier
          received in the afternoon, after hours, or on a weekend/holiday starts counting on
          the next working day (day 1);
        * optionally, if ``same_day_before`` is given and the dossier is received on a working
          day before that local time (e.g. ``time(12, 0)``), the day of receipt is day 1;
        * the deadline is 17:00 (end of office hours) Vietnam time on day N.
        """
        if not isinstance(received_at, datetime) or received_at.tzinfo is None:
            raise ValueError("received_at: must be a timezone-aware datetime")
        if working_days < 1:
            raise ValueError(f"working_days: must be >= 1, got {working_days}")
        local = received_at.astimezone(VN_TZ)
        day = local.date()
        same_day = same_day_before is not None and local.time() < same_day_before
        if same_day and self.is_working_day(day):
            last = self.add_working_days(day, working_days - 1)
        else:
            last = self.add_working_days(day, working_days)
        return datetime.combine(last, OFFICE_CLOSE, tzinfo=VN_TZ)


# --- Reporting periods (kỳ báo cáo), Decree 09/2019/NĐ-CP Art. 12 ------------------------------


class ReportingFrequency(StrEnum):
    """Kỳ báo cáo định kỳ — periodic report frequency."""

    MONTHLY = "monthly"  # hằng tháng
    QUARTERLY = "quarterly"  # hằng quý
    SIX_MONTHS = "six_months"  # 6 tháng
    NINE_MONTHS = "nine_months"  # 9 tháng
    ANNUAL = "annual"  # hằng năm


_ROMAN = ("I", "II", "III", "IV")
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Last month of the cumulative (year-to-date) periods; they all start on 15/12 of the previous year.
_CUMULATIVE_END_MONTH = {
    ReportingFrequency.SIX_MONTHS: 6,
    ReportingFrequency.NINE_MONTHS: 9,
    ReportingFrequency.ANNUAL: 12,
}
_CUTOFF_DAY = 14  # data are closed on the 14th; the next window opens on the 15th


@dataclass(frozen=True)
class ReportingPeriod:
    """Kỳ báo cáo — one reporting period and its data window ``start..end`` (both inclusive).

    ``index`` is the month (1–12), the quarter (1–4), or 1 for the six-month, nine-month and
    annual periods.
    """

    frequency: ReportingFrequency
    year: int
    index: int
    start: date
    end: date

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and self.start <= d <= self.end

    @property
    def label_vi(self) -> str:
        """Vietnamese label, e.g. "Tháng 3/2026", "Quý I/2026", "6 tháng đầu năm 2026"."""
        match self.frequency:
            case ReportingFrequency.MONTHLY:
                return f"Tháng {self.index}/{self.year}"
            case ReportingFrequency.QUARTERLY:
                return f"Quý {_ROMAN[self.index - 1]}/{self.year}"
            case ReportingFrequency.SIX_MONTHS:
                return f"6 tháng đầu năm {self.year}"
            case ReportingFrequency.NINE_MONTHS:
                return f"9 tháng {self.year}"
            case _:
                return f"Năm {self.year}"

    @property
    def label_en(self) -> str:
        """English label, e.g. "March 2026", "Q1 2026", "First half of 2026"."""
        match self.frequency:
            case ReportingFrequency.MONTHLY:
                return f"{_MONTHS_EN[self.index - 1]} {self.year}"
            case ReportingFrequency.QUARTERLY:
                return f"Q{self.index} {self.year}"
            case ReportingFrequency.SIX_MONTHS:
                return f"First half of {self.year}"
            case ReportingFrequency.NINE_MONTHS:
                return f"First nine months of {self.year}"
            case _:
                return f"Year {self.year}"


def _frequency(value: ReportingFrequency | str) -> ReportingFrequency:
    try:
        return ReportingFrequency(value)
    except ValueError:
        allowed = ", ".join(f.value for f in ReportingFrequency)
        raise ValueError(f"frequency: must be one of {allowed}, got {value!r}") from None


def _check_year(year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not 2 <= year <= 9999:
        raise ValueError(f"year: must be an integer in 2..9999, got {year!r}")


def _check_index(frequency: ReportingFrequency, index: int) -> None:
    if frequency is ReportingFrequency.MONTHLY and not 1 <= index <= 12:
        raise ValueError(f"index: month must be 1..12, got {index}")
    if frequency is ReportingFrequency.QUARTERLY and not 1 <= index <= 4:
        raise ValueError(f"index: quarter must be 1..4, got {index}")
    if frequency in _CUMULATIVE_END_MONTH and index != 1:
        raise ValueError(f"index: must be 1 for {frequency.value} reports, got {index}")


def _window(year: int, last_month: int, months: int) -> tuple[date, date]:
    """From the 15th of the month before the window's first month to the 14th of ``last_month``."""
    first = year * 12 + (last_month - 1) - months  # zero-based absolute month before the window
    start = date(first // 12, first % 12 + 1, _CUTOFF_DAY + 1)
    return start, date(year, last_month, _CUTOFF_DAY)


def reporting_period(frequency: ReportingFrequency | str, year: int, index: int = 1) -> ReportingPeriod:
    """Thời gian chốt số liệu báo cáo (Decree 09/2019/NĐ-CP, Art. 12) for one period.

    * monthly: 15th of the previous month → 14th of the reporting month;
    * quarterly: 15th of the month before the quarter → 14th of the quarter's last month;
    * six months (6 tháng đầu năm): 15/12 of the previous year → 14/06;
    * nine months (9 tháng): 15/12 of the previous year → 14/09;
    * annual: 15/12 of the previous year → 14/12.
    """
    freq = _frequency(frequency)
    _check_year(year)
    _check_index(freq, index)
    if freq is ReportingFrequency.MONTHLY:
        start, end = _window(year, index, 1)
    elif freq is ReportingFrequency.QUARTERLY:
        start, end = _window(year, index * 3, 3)
    else:
        last = _CUMULATIVE_END_MONTH[freq]
        start, end = _window(year, last, last)
    return ReportingPeriod(freq, year, index, start, end)


def _monthly_key(d: date) -> tuple[int, int]:
    """(year, month) of the monthly period holding ``d``: from the 15th on, data go to next month."""
    if d.day <= _CUTOFF_DAY:
        return d.year, d.month
    return (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)


def period_containing(frequency: ReportingFrequency | str, d: date) -> ReportingPeriod:
    """The period whose data window contains ``d`` (số liệu của ngày ``d`` thuộc kỳ nào).

    E.g. 20/3 belongs to April's monthly period and 20/12 to next year's annual period.
    The six- and nine-month periods only cover part of the year (15/12 → 14/6 and 15/12 → 14/9);
    a date outside them raises ``ValueError``.
    """
    freq = _frequency(frequency)
    _require_date("d", d)
    year, month = _monthly_key(d)
    if freq is ReportingFrequency.MONTHLY:
        return reporting_period(freq, year, month)
    if freq is ReportingFrequency.QUARTERLY:
        return reporting_period(freq, year, (month - 1) // 3 + 1)
    if month > _CUMULATIVE_END_MONTH[freq]:
        raise ValueError(f"d: {d.isoformat()} is outside every {freq.value} reporting period")
    return reporting_period(freq, year)


def submission_deadline(
    period: ReportingPeriod,
    working_days_after_cutoff: int,
    calendar: WorkingCalendar | None = None,
) -> date:
    """Hạn gửi báo cáo — ``working_days_after_cutoff`` working days after the period's cut-off.

    Each reporting regime (chế độ báo cáo) sets its own deadline; this covers the common
    "N working days after the data cut-off" form. ``0`` means the cut-off day itself if it is
    a working day, else the next working day.
    """
    if working_days_after_cutoff < 0:
        raise ValueError(f"working_days_after_cutoff: must be >= 0, got {working_days_after_cutoff}")
    return (calendar or WorkingCalendar()).add_working_days(period.end, working_days_after_cutoff)
