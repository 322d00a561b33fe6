"""The one clock of the application: today's date and working days.

``today()`` honours ``SHOP_TODAY`` when ``SHOP_ENV`` is development or testing (API.md); production
ignores it. Working days follow the Chinese statutory calendar (chinesecalendar, which knows the
holidays and the adjusted working days, 调休), overridden by the operator's holiday table. For a
year the library does not know, the table and weekends decide: a deadline computed in late December
must never fail because next year's holidays are not published yet.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import chinese_calendar

CHINA = ZoneInfo("Asia/Shanghai")


def _fixed_today() -> dt.date | None:
    if os.environ.get("SHOP_ENV", "production") not in ("development", "testing"):
        return None
    value = os.environ.get("SHOP_TODAY")
    return dt.date.fromisoformat(value) if value else None


def now() -> dt.datetime:
    """The current time, timezone-aware (UTC). With ``SHOP_TODAY`` set, the same time of day on
    that date in China."""
    real = dt.datetime.now(dt.UTC)
    fixed = _fixed_today()
    if fixed is None:
        return real
    local = real.astimezone(CHINA)
    return dt.datetime.combine(fixed, local.time(), tzinfo=CHINA).astimezone(dt.UTC)


def today() -> dt.date:
    """Today's date in China (Asia/Shanghai), where the programme runs."""
    fixed = _fixed_today()
    return fixed if fixed is not None else dt.datetime.now(CHINA).date()


def china_midnight(day: dt.date) -> dt.datetime:
    """The start of ``day`` in China, as an aware UTC time (timestamps are stored in UTC)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=CHINA).astimezone(dt.UTC)


def china_date(at: dt.datetime | None) -> dt.date | None:
    """The day in China of a stored time."""
    return at.astimezone(CHINA).date() if at is not None else None


def calendar_knows(day: dt.date) -> bool:
    """Whether chinesecalendar has the statutory holidays of ``day``'s year."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: dt.date, overrides: Mapping[dt.date, bool] | None = None) -> bool:
    """The operator's table first, then the statutory calendar, then Monday to Friday."""
    if overrides and day in overrides:
        return overrides[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: dt.date, n: int, overrides: Mapping[dt.date, bool] | None = None) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself does not count): a query raised on
    a Friday before the National Day week with n=3 is due after the holidays, not during them."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_working_day(day, overrides):
            counted += 1
    return day
