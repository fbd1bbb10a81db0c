"""The clock (đồng hồ): the platform's notion of now and today, in Asia/Ho_Chi_Minh.

Legal dates (effective dates, deadlines, "valid on") are Vietnamese calendar dates, so "today" is
today in Viet Nam whatever the server's time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> datetime:
    """Now, timezone-aware (UTC)."""
    return datetime.now(UTC)


def now_vn() -> datetime:
    return datetime.now(VN_TZ)


def today_vn() -> date:
    return now_vn().date()
