import datetime as dt

from shop import clock

D = dt.date


def test_three_working_days_from_the_friday_before_national_day_skip_the_holiday_week():
    # 2026-09-30 is a Wednesday; 10-01..10-07 are holidays, 2026-10-10 (Saturday) is an adjusted working day
    assert clock.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert clock.add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)


def test_an_adjusted_sunday_counts_as_a_working_day():
    # chinesecalendar 1.11: Sunday 2026-09-20 and Saturday 2026-10-10 are worked (调休); the Mid-Autumn
    # weekend 09-25..27 is off. (STACK.md names 09-27 as worked; the library and the State Council say 09-20.)
    assert clock.is_working_day(D(2026, 9, 20))
    assert clock.is_working_day(D(2026, 10, 10))
    assert not clock.is_working_day(D(2026, 9, 27))


def test_a_year_the_library_does_not_know_falls_back_to_weekends_without_failing():
    assert not clock.calendar_knows(D(2027, 1, 4))
    # 2027-12-30 is a Thursday: Fri 31, (Sat, Sun), Mon 3 Jan 2028, Tue 4
    assert clock.add_working_days(D(2027, 12, 30), 3) == D(2028, 1, 4)


def test_a_deadline_from_late_december_crosses_into_the_unknown_year():
    # 2026-12-30 (Wed) + 3: Thu 31, then 2027 by weekends: Fri 1 Jan, Mon 4 Jan
    assert clock.add_working_days(D(2026, 12, 30), 3) == D(2027, 1, 4)


def test_the_operators_table_overrides_both_the_library_and_the_weekend_fallback():
    overrides = {D(2027, 1, 1): False, D(2027, 1, 2): True}
    # Thu 31 (2026, workday), Fri 1 Jan holiday by table, Sat 2 working by table, Mon 4
    assert clock.add_working_days(D(2026, 12, 30), 3, overrides) == D(2027, 1, 4)
    assert clock.add_working_days(D(2026, 12, 30), 2, overrides) == D(2027, 1, 2)
    assert not clock.is_working_day(D(2026, 10, 9), {D(2026, 10, 9): False})


def test_shop_today_fixes_the_date_only_outside_production(monkeypatch):
    monkeypatch.setenv("SHOP_TODAY", "2026-03-15")
    monkeypatch.setenv("SHOP_ENV", "testing")
    assert clock.today() == D(2026, 3, 15)
    assert clock.now().astimezone(clock.CHINA).date() == D(2026, 3, 15)
    monkeypatch.setenv("SHOP_ENV", "production")
    assert clock.today() != D(2026, 3, 15) or dt.date.today() == D(2026, 3, 15)


def test_china_midnight_is_sixteen_hundred_utc_the_day_before():
    assert clock.china_midnight(dt.date(2026, 3, 2)) == dt.datetime(2026, 3, 1, 16, 0, tzinfo=dt.UTC)
    assert clock.china_date(dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)) == dt.date(2026, 3, 2)
