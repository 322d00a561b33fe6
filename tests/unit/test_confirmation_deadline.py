"""The confirmation deadline: its setting and the time left that the provider's list shows."""

import datetime as dt

import pytest

from orders.rules import confirmation_deadline, time_left
from shop.config import load_config

PLACED = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def test_an_order_is_due_the_configured_number_of_days_after_it_was_placed():
    assert confirmation_deadline(PLACED, 6) == dt.datetime(2026, 3, 8, 9, 30, tzinfo=dt.UTC)


def test_the_time_left_is_whole_days_and_hours_and_none_once_overdue():
    deadline = confirmation_deadline(PLACED, 6)
    assert time_left(deadline, deadline - dt.timedelta(days=2, hours=5, minutes=59)) == (2, 5)
    assert time_left(deadline, deadline - dt.timedelta(minutes=1)) == (0, 0)
    assert time_left(deadline, deadline) is None


def test_the_deadline_defaults_to_six_days_and_must_stay_below_the_card_holds_seven(monkeypatch, tmp_path):
    monkeypatch.delenv("CONFIRMATION_DEADLINE_DAYS", raising=False)
    assert load_config(str(tmp_path))["CONFIRMATION_DEADLINE_DAYS"] == 6
    monkeypatch.setenv("CONFIRMATION_DEADLINE_DAYS", "3")
    assert load_config(str(tmp_path))["CONFIRMATION_DEADLINE_DAYS"] == 3
    for wrong in ("7", "0", "six"):
        monkeypatch.setenv("CONFIRMATION_DEADLINE_DAYS", wrong)
        with pytest.raises(RuntimeError, match="CONFIRMATION_DEADLINE_DAYS"):
            load_config(str(tmp_path))
