"""Working calendar (lịch làm việc) and reporting periods (Decree 09/2019/NĐ-CP Art. 12)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, time

import pytest

from vnegov.kernel.calendar import (
    VN_TZ,
    ReportingFrequency,
    ReportingPeriod,
    WorkingCalendar,
    period_containing,
    reporting_period,
    submission_deadline,
)

CAL = WorkingCalendar()


# --- holidays --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 1, 1), "Tết Dương lịch"),
        (date(2025, 1, 28), "Giao thừa Tết Nguyên Đán"),
        (date(2025, 1, 29), "Tết Nguyên Đán"),
        (date(2025, 1, 30), "Mùng hai Tết Nguyên Đán"),
        (date(2025, 1, 31), "Mùng ba Tết Nguyên Đán"),
        (date(2025, 2, 1), "Mùng bốn Tết Nguyên Đán"),
        (date(2025, 4, 7), "Ngày Giỗ Tổ Hùng Vương"),
        (date(2025, 4, 30), "Ngày Chiến thắng"),
        (date(2025, 5, 1), "Ngày Quốc tế Lao động"),
        (date(2025, 9, 1), "Quốc khánh"),
        (date(2025, 9, 2), "Quốc khánh"),
    ],
)
def test_known_holidays_2025(day: date, name: str) -> None:
    assert CAL.is_holiday(day)
    assert not CAL.is_working_day(day)
    assert CAL.holiday_name(day) == name


def test_tet_2025_weekend_day_is_shifted_to_a_working_day() -> None:
    # Mùng bốn falls on Saturday 1/2/2025; the package adds Monday 27/1 ("29 Tết") instead.
    assert CAL.holiday_name(date(2025, 1, 27)) == "29 Tết"
    assert CAL.is_working_day(date(2025, 1, 24))


def test_observed_holiday_for_a_sunday() -> None:
    # Giỗ Tổ Hùng Vương 2026 is Sunday 26/4; the observed day off is Monday 27/4.
    assert CAL.holiday_name(date(2026, 4, 27)) == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"
    assert not CAL.is_working_day(date(2026, 4, 27))


def test_package_day_swap_includes_make_up_saturday() -> None:
    # 2025: Friday 2/5 off, worked on Saturday 26/4 instead.
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert CAL.is_working_day(date(2025, 4, 26))
    assert not CAL.is_holiday(date(2025, 4, 26))


def test_ordinary_days_and_weekends() -> None:
    assert CAL.is_working_day(date(2025, 3, 7))  # Friday
    assert not CAL.is_working_day(date(2025, 3, 8))  # Saturday
    assert not CAL.is_working_day(date(2025, 3, 9))  # Sunday
    assert not CAL.is_holiday(date(2025, 3, 8))
    assert CAL.holiday_name(date(2025, 3, 7)) is None


def test_saturday_as_working_day_flag() -> None:
    six_day = WorkingCalendar(saturday_is_working_day=True)
    assert six_day.is_working_day(date(2025, 3, 8))
    assert not six_day.is_working_day(date(2025, 3, 9))
    assert not six_day.is_working_day(date(2025, 2, 1))  # a holiday still wins


def test_extra_holiday_and_extra_working_day() -> None:
    cal = WorkingCalendar(extra_holidays=[date(2026, 3, 6)], extra_working_days=[date(2026, 3, 7)])
    assert cal.is_holiday(date(2026, 3, 6))
    assert not cal.is_working_day(date(2026, 3, 6))
    assert cal.holiday_name(date(2026, 3, 6)) == "Ngày nghỉ bổ sung"
    assert cal.is_working_day(date(2026, 3, 7))  # make-up Saturday (ngày làm bù)
    assert cal.add_working_days(date(2026, 3, 5), 1) == date(2026, 3, 7)
    assert CAL.add_working_days(date(2026, 3, 5), 1) == date(2026, 3, 6)


# --- working-day arithmetic ------------------------------------------------------------------


def test_add_working_days_across_tet_2025() -> None:
    assert CAL.add_working_days(date(2025, 1, 24), 1) == date(2025, 2, 3)
    assert CAL.add_working_days(date(2025, 1, 24), 2) == date(2025, 2, 4)


def test_add_zero_working_days() -> None:
    assert CAL.add_working_days(date(2025, 3, 7), 0) == date(2025, 3, 7)
    assert CAL.add_working_days(date(2025, 3, 8), 0) == date(2025, 3, 10)
    assert CAL.add_working_days(date(2025, 1, 29), 0) == date(2025, 2, 3)


def test_add_negative_working_days() -> None:
    assert CAL.add_working_days(date(2025, 2, 3), -1) == date(2025, 1, 24)
    assert CAL.add_working_days(date(2025, 3, 10), -1) == date(2025, 3, 7)
    assert CAL.add_working_days(date(2025, 3, 10), -5) == date(2025, 3, 3)


def test_working_days_between() -> None:
    assert CAL.working_days_between(date(2025, 1, 24), date(2025, 2, 3)) == 1
    assert CAL.working_days_between(date(2025, 3, 3), date(2025, 3, 10)) == 5
    assert CAL.working_days_between(date(2025, 3, 10), date(2025, 3, 10)) == 0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (date(2025, 1, 20), date(2025, 2, 10)),
        (date(2025, 4, 25), date(2025, 5, 9)),
        (date(2025, 8, 29), date(2025, 9, 5)),
    ],
)
def test_working_days_between_is_antisymmetric_and_inverts_add(a: date, b: date) -> None:
    n = CAL.working_days_between(a, b)
    assert n > 0
    assert CAL.working_days_between(b, a) == -n
    assert CAL.add_working_days(a, n) == CAL.add_working_days(b, 0)


# --- procedure deadlines ---------------------------------------------------------------------


def test_deadline_for_dossier_received_friday_afternoon() -> None:
    received = datetime(2025, 3, 7, 15, 30, tzinfo=VN_TZ)  # Friday
    due = CAL.deadline(received, 3)
    assert due == datetime(2025, 3, 12, 17, 0, tzinfo=VN_TZ)  # Mon, Tue, Wed
    assert due.tzinfo == VN_TZ


def test_deadline_converts_to_vietnam_time_and_skips_holidays() -> None:
    # 2025-04-28 20:00 UTC is Tuesday 29/4 03:00 in Hà Nội; 30/4, 1/5, 2/5 and the weekend are off.
    received = datetime(2025, 4, 28, 20, 0, tzinfo=UTC)
    assert CAL.deadline(received, 2) == datetime(2025, 5, 6, 17, 0, tzinfo=VN_TZ)


def test_deadline_received_on_a_holiday_starts_next_working_day() -> None:
    received = datetime(2025, 1, 30, 9, 0, tzinfo=VN_TZ)
    assert CAL.deadline(received, 1) == datetime(2025, 2, 3, 17, 0, tzinfo=VN_TZ)


def test_deadline_same_day_morning_option() -> None:
    morning = datetime(2025, 3, 5, 9, 0, tzinfo=VN_TZ)  # Wednesday
    afternoon = datetime(2025, 3, 5, 14, 0, tzinfo=VN_TZ)
    noon = time(12, 0)
    assert CAL.deadline(morning, 1, same_day_before=noon) == datetime(2025, 3, 5, 17, 0, tzinfo=VN_TZ)
    assert CAL.deadline(afternoon, 1, same_day_before=noon) == datetime(2025, 3, 6, 17, 0, tzinfo=VN_TZ)
    assert CAL.deadline(morning, 1) == datetime(2025, 3, 6, 17, 0, tzinfo=VN_TZ)


# --- reporting periods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "index", "start", "end", "label_vi", "label_en"),
    [
        ("monthly", 3, date(2026, 2, 15), date(2026, 3, 14), "Tháng 3/2026", "March 2026"),
        ("monthly", 1, date(2025, 12, 15), date(2026, 1, 14), "Tháng 1/2026", "January 2026"),
        ("quarterly", 1, date(2025, 12, 15), date(2026, 3, 14), "Quý I/2026", "Q1 2026"),
        ("quarterly", 4, date(2026, 9, 15), date(2026, 12, 14), "Quý IV/2026", "Q4 2026"),
        (
            "six_months",
            1,
            date(2025, 12, 15),
            date(2026, 6, 14),
            "6 tháng đầu năm 2026",
            "First half of 2026",
        ),
        (
            "nine_months",
            1,
            date(2025, 12, 15),
            date(2026, 9, 14),
            "9 tháng 2026",
            "First nine months of 2026",
        ),
        ("annual", 1, date(2025, 12, 15), date(2026, 12, 14), "Năm 2026", "Year 2026"),
    ],
)
def test_reporting_periods_2026(
    frequency: str, index: int, start: date, end: date, label_vi: str, label_en: str
) -> None:
    period = reporting_period(frequency, 2026, index)
    assert (period.start, period.end) == (start, end)
    assert period.frequency is ReportingFrequency(frequency)
    assert (period.year, period.index) == (2026, index)
    assert (period.label_vi, period.label_en) == (label_vi, label_en)


def test_quarters_tile_the_year() -> None:
    quarters = [reporting_period(ReportingFrequency.QUARTERLY, 2026, q) for q in range(1, 5)]
    assert quarters[0].start == date(2025, 12, 15)
    for prev, cur in itertools.pairwise(quarters):
        assert (cur.start - prev.end).days == 1
    assert quarters[-1].end == reporting_period("annual", 2026).end


@pytest.mark.parametrize(
    ("frequency", "day", "year", "index"),
    [
        ("monthly", date(2026, 3, 14), 2026, 3),
        ("monthly", date(2026, 3, 15), 2026, 4),
        ("monthly", date(2026, 3, 20), 2026, 4),
        ("monthly", date(2026, 12, 15), 2027, 1),
        ("quarterly", date(2026, 3, 14), 2026, 1),
        ("quarterly", date(2026, 3, 15), 2026, 2),
        ("quarterly", date(2026, 12, 20), 2027, 1),
        ("annual", date(2026, 12, 14), 2026, 1),
        ("annual", date(2026, 12, 20), 2027, 1),
        ("six_months", date(2026, 6, 14), 2026, 1),
        ("six_months", date(2025, 12, 15), 2026, 1),
        ("nine_months", date(2026, 9, 14), 2026, 1),
    ],
)
def test_period_containing(frequency: str, day: date, year: int, index: int) -> None:
    period = period_containing(frequency, day)
    assert (period.year, period.index) == (year, index)
    assert period.start <= day <= period.end
    assert day in period


@pytest.mark.parametrize(
    ("frequency", "day"),
    [("six_months", date(2026, 6, 15)), ("nine_months", date(2026, 9, 15))],
)
def test_period_containing_outside_cumulative_period(frequency: str, day: date) -> None:
    with pytest.raises(ValueError, match=r"^d: "):
        period_containing(frequency, day)


def test_submission_deadline() -> None:
    q1 = reporting_period("quarterly", 2026, 1)  # cut-off Saturday 14/3/2026
    assert submission_deadline(q1, 0, CAL) == date(2026, 3, 16)
    assert submission_deadline(q1, 5, CAL) == date(2026, 3, 20)
    year_2024 = reporting_period("annual", 2024)  # cut-off Saturday 14/12/2024
    assert submission_deadline(year_2024, 3) == date(2024, 12, 18)


def test_reporting_period_is_frozen() -> None:
    period = reporting_period("monthly", 2026, 3)
    assert isinstance(period, ReportingPeriod)
    with pytest.raises(AttributeError):
        period.year = 2027  # type: ignore[misc]


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: reporting_period("quarterly", 2026, 5), "index: quarter must be 1..4"),
        (lambda: reporting_period("quarterly", 2026, 0), "index: quarter must be 1..4"),
        (lambda: reporting_period("monthly", 2026, 13), "index: month must be 1..12"),
        (lambda: reporting_period("annual", 2026, 2), "index: must be 1"),
        (lambda: reporting_period("weekly", 2026), "frequency: must be one of"),
        (lambda: reporting_period("annual", 1), "year: "),
        (lambda: period_containing("daily", date(2026, 1, 1)), "frequency: "),
        (lambda: CAL.deadline(datetime(2025, 3, 7, 9, 0), 3), "received_at: "),
        (lambda: CAL.deadline(datetime(2025, 3, 7, 9, 0, tzinfo=VN_TZ), 0), "working_days: "),
        (lambda: CAL.is_working_day(datetime(2025, 3, 7, 9, 0)), "d: "),
        (lambda: CAL.working_days_between(date(2025, 3, 7), "2025-03-10"), "end: "),  # type: ignore[arg-type]
        (
            lambda: submission_deadline(reporting_period("annual", 2026), -1, CAL),
            "working_days_after_cutoff: ",
        ),
        (lambda: WorkingCalendar(extra_holidays=["2026-03-06"]), "extra_holidays: "),  # type: ignore[list-item]
        (
            lambda: WorkingCalendar(extra_holidays=[date(2026, 3, 7)], extra_working_days=[date(2026, 3, 7)]),
            "extra_working_days: ",
        ),
    ],
)
def test_invalid_arguments(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
