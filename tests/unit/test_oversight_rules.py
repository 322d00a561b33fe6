"""Oversight rules: the masked credit code, the notice period, medians and rates; the
complaint and objection pipelines."""

import datetime as dt

import pytest

from oversight import rules
from oversight.states import COMPLAINT, OBJECTION, ComplaintStatus, ObjectionStatus
from shop.errors import InvalidState


def test_a_public_notice_shows_the_first_eight_and_last_two_characters_of_the_code():
    assert rules.mask_uscc("91520100MA6DK0001X") == "91520100****1X"
    assert rules.mask_uscc("") == "****"
    assert "MA6DK000" not in rules.mask_uscc("91520100MA6DK0001X")


def test_an_entry_is_in_notice_from_its_publication_day_to_its_last_day():
    start, end = dt.date(2026, 3, 2), dt.date(2026, 3, 9)
    assert not rules.in_notice(start, end, dt.date(2026, 3, 1))
    assert rules.in_notice(start, end, start) and rules.in_notice(start, end, end)
    assert not rules.in_notice(start, end, dt.date(2026, 3, 10))


@pytest.mark.parametrize("values, expected", [([], None), ([7], 7), ([9, 1, 5], 5), ([4, 1], 2), ([1, 2, 3, 10], 2)])
def test_the_median_of_whole_seconds_is_rounded_down(values, expected):
    assert rules.median(values) == expected


def test_rates_are_integer_thousandths_rounded_half_up_and_shown_as_percent():
    assert rules.per_mille(1, 3) == 333 and rules.per_mille(2, 3) == 667 and rules.per_mille(1, 8) == 125
    assert rules.per_mille(0, 0) is None
    assert rules.format_per_mille(125) == "12.5%" and rules.format_per_mille(1000) == "100.0%"
    assert rules.format_per_mille(None) == "—"


def test_durations_split_into_days_hours_and_minutes():
    assert rules.split_duration(93784) == (1, 2, 3)
    assert rules.split_duration(-5) == (0, 0, 0)


def test_weeks_start_on_monday_and_cover_the_period():
    assert rules.week_start(dt.date(2026, 1, 1)) == dt.date(2025, 12, 29)
    assert rules.weeks(dt.date(2026, 1, 1), dt.date(2026, 1, 12)) == [
        dt.date(2025, 12, 29),
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 12),
    ]
    assert rules.weeks(dt.date(2026, 2, 1), dt.date(2026, 1, 1)) == []


def test_a_complaint_is_taken_up_before_it_is_resolved_and_takes_no_replies_once_resolved():
    assert COMPLAINT.next(ComplaintStatus.OPEN, "take_up_complaint") == ComplaintStatus.IN_PROGRESS
    assert COMPLAINT.next(ComplaintStatus.IN_PROGRESS, "resolve_complaint") == ComplaintStatus.RESOLVED
    assert COMPLAINT.can(ComplaintStatus.OPEN, "reply_to_complaint")
    for status, action in (
        (ComplaintStatus.OPEN, "resolve_complaint"),
        (ComplaintStatus.RESOLVED, "reply_to_complaint"),
        (ComplaintStatus.RESOLVED, "take_up_complaint"),
    ):
        with pytest.raises(InvalidState):
            COMPLAINT.next(status, action)


def test_an_objection_is_answered_once():
    assert OBJECTION.next(ObjectionStatus.OPEN, "answer_objection") == ObjectionStatus.ANSWERED
    assert not OBJECTION.can(ObjectionStatus.ANSWERED, "answer_objection")
