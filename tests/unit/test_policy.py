"""The programme's figures, read from one policy object."""

from __future__ import annotations

import datetime as dt

import pytest

from shop import policy
from shop.policy import GUIZHOU, Category, Layer


def test_guizhou_states_the_figures_of_its_notice() -> None:
    assert GUIZHOU.default_ratios == {Layer.INFRASTRUCTURE: 40, Layer.PLATFORM: 60, Layer.APPLICATION: 60}
    assert GUIZHOU.default_enterprise_cap_fen == 5_000_000  # ¥50,000
    assert (GUIZHOU.exit_notice_days, GUIZHOU.query_working_days, GUIZHOU.notice_working_days) == (30, 3, 5)
    assert GUIZHOU.province_prefix == "52" and GUIZHOU.min_established_years == 1
    assert set(GUIZHOU.evidence_kinds) == {"invoice", "contract", "transfer", "usage"}


def test_every_category_belongs_to_exactly_one_layer() -> None:
    placed = [c for cats in GUIZHOU.categories.values() for c in cats]
    assert sorted(placed) == sorted(Category) and len(placed) == len(set(placed))
    assert GUIZHOU.layer_of("database") == Layer.PLATFORM
    assert GUIZHOU.layer_of("no-such-category") is None


def test_a_programme_year_ends_on_the_last_day_of_december() -> None:
    assert policy.year_end(2026) == dt.date(2026, 12, 31)
    assert policy.year_start(2027) - policy.year_end(2026) == dt.timedelta(days=1)


@pytest.mark.parametrize(("region", "prefecture"), [("520102", "5201"), ("522301", "5223"), ("", ""), (None, "")])
def test_the_prefecture_of_a_division_code_is_its_first_four_digits(region, prefecture) -> None:
    assert policy.prefecture_code(region) == prefecture


def test_guizhou_has_nine_prefectures_named_for_people() -> None:
    assert len(GUIZHOU.prefectures) == 9
    assert [str(GUIZHOU.prefecture_name(c)) for c in ("5201", "5203", "5223", "5226", "5227")] == [
        "Guiyang",
        "Zunyi",
        "Qianxinan",
        "Qiandongnan",
        "Qiannan",
    ]
    assert policy.prefecture_code("520115") == "5201" and len("5201") == policy.PREFECTURE_DIGITS


def test_a_prefecture_outside_the_table_keeps_its_code() -> None:
    assert str(GUIZHOU.prefecture_name("5201")) == "Guiyang"
    assert GUIZHOU.prefecture_name("3301") == "3301"


@pytest.mark.parametrize(
    ("amount", "ratio", "accepts", "share"),
    [
        (100_001, 40, True, 40_000),  # floored to the fen, never rounded up
        (99, 60, True, 59),
        (100_000, 60, False, 0),
        (0, 60, True, 0),
        (100, 0, True, 0),
    ],
)
def test_the_voucher_share_is_floored_to_the_fen(amount, ratio, accepts, share) -> None:
    assert policy.voucher_share_fen(amount, ratio, accepts) == share


def test_outside_an_app_the_policy_is_guizhous() -> None:
    assert policy.current() is GUIZHOU


def test_the_app_reads_the_policy_named_in_its_configuration() -> None:
    from shop import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True})
    with app.app_context():
        assert policy.current() is GUIZHOU
