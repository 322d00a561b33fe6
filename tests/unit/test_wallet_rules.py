"""The quota's rules (第十四条, 第十六条, 四(二)) as plain functions."""

from __future__ import annotations

import datetime as dt

from shop.policy import GUIZHOU
from wallet.rules import Applicant, Window, check_ratios, eligibility_failures, grant_size

D = dt.date
WINDOW = Window(D(2026, 1, 1), D(2026, 12, 31))
GOOD = Applicant("enterprise", "certified", D(2020, 5, 1), "520102", blacklisted=False)


def failures(applicant: Applicant, day: dt.date = D(2026, 3, 2)) -> list[str]:
    return [
        str(f)
        for f in eligibility_failures(
            applicant,
            day,
            province_prefix=GUIZHOU.province_prefix,
            window=WINDOW,
            min_established_years=GUIZHOU.min_established_years,
        )
    ]


def test_a_certified_enterprise_of_the_province_established_long_enough_is_eligible() -> None:
    assert failures(GOOD) == []


def test_every_condition_an_applicant_fails_is_named_at_once() -> None:
    bad = Applicant("provider", "under_review", D(2025, 12, 1), "330102", blacklisted=True)
    found = failures(bad)
    assert len(found) == 5
    assert any("province" in f for f in found) and any("one year" in f for f in found)
    assert any("blacklist" in f for f in found)


def test_one_year_means_a_whole_year_on_the_day_of_the_application() -> None:
    young = Applicant("enterprise", "certified", D(2025, 3, 3), "520102", blacklisted=False)
    assert any("one year" in f for f in failures(young, D(2026, 3, 2)))
    assert failures(young, D(2026, 3, 3)) == []


def test_applications_outside_the_window_are_refused_with_its_dates() -> None:
    early = failures(GOOD, D(2025, 12, 31))
    assert early == ["Applications open on 2026-01-01."]
    assert failures(GOOD, D(2027, 1, 1)) == ["Applications closed on 2026-12-31."]


def test_a_grant_is_the_cap_or_what_the_budget_has_left() -> None:
    assert grant_size(5_000_000, 100_000_000) == 5_000_000
    assert grant_size(5_000_000, 1_234_500) == 1_234_500
    assert grant_size(5_000_000, 0) == 0 and grant_size(5_000_000, -1) == 0


def test_every_layer_needs_a_percentage_between_0_and_100() -> None:
    assert check_ratios({"infrastructure": 40, "platform": 60, "application": 60}) == {}
    errors = check_ratios({"infrastructure": 101, "platform": None})
    assert set(errors) == {"ratios.infrastructure", "ratios.platform", "ratios.application"}
