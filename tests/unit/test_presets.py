"""The presets as data (shop.presets, shop.preset_list) and the scheme rules (wallet.rules): overrides
are checked against the preset's shape, and caps and ratios follow the notices' figures."""

import pytest

from shop.preset_list import BAIYUN, GUIZHOU, PRESETS
from shop.presets import PolicyError, apply_overrides, rules_from_dict
from wallet.rules import grant_amount, scheme_cap, scheme_ratios

WAN = 1_000_000


def test_every_preset_reads_back_from_its_stored_form():
    for preset in PRESETS.values():
        assert rules_from_dict(preset.rules.as_dict()) == preset.rules
    assert {p.key for p in PRESETS.values() if p.available} == {"guizhou", "baiyun", "linyi", "liuzhou"}


def test_overrides_change_the_rules_they_name_and_nothing_else():
    rules = apply_overrides(
        BAIYUN,
        {"yearly_total_fen": 150 * WAN, "schemes.public_cloud.cap_fen": 12 * WAN, "blocks.44011101": 5 * WAN},
    )
    assert (rules.yearly_total_fen, rules.scheme("public_cloud").cap_fen) == (150 * WAN, 12 * WAN)
    assert rules.blocks == {"44011101": 5 * WAN}
    assert rules.scheme("software_park") == BAIYUN.scheme("software_park")
    assert BAIYUN.yearly_total_fen == 200 * WAN  # the preset itself is untouched


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"no_such_rule": 1}, "no_such_rule"),
        ({"schemes.nope.cap_fen": 1}, "schemes.nope.cap_fen"),
        ({"schemes.public_cloud.cap_fen": "a lot"}, "schemes.public_cloud.cap_fen"),
        ({"schemes.public_cloud.cap_fen": True}, "schemes.public_cloud.cap_fen"),
        ({"schemes.public_cloud.ratios.platform": 101}, "schemes.public_cloud.ratios.platform"),
        ({"schemes.public_cloud.cap_fen": -1}, "schemes.public_cloud.cap_fen"),
        ({"preset": "guizhou"}, "preset"),
        ({"claim_evidence": ["photo"]}, "claim_evidence"),
        ({"eligible_kinds": ["authority"]}, "eligible_kinds"),
        ({"notice_before_grant_working_days": -5}, "notice_before_grant_working_days"),
    ],
)
def test_an_override_that_does_not_fit_the_preset_is_refused_with_its_key(overrides, key):
    with pytest.raises(PolicyError) as caught:
        apply_overrides(BAIYUN, overrides)
    assert key in caught.value.errors


def test_public_cloud_caps_by_taxes_and_the_new_investment_class():
    scheme = BAIYUN.scheme("public_cloud")
    assert scheme_cap(scheme, {"last_year_tax_fen": 2_000 * WAN})[0] == 100 * WAN
    assert scheme_cap(scheme, {"last_year_tax_fen": 1_999 * WAN})[0] == 30 * WAN
    assert scheme_cap(scheme, {"last_year_tax_fen": 499 * WAN})[0] == 10 * WAN
    assert scheme_cap(scheme, {"last_year_tax_fen": 0, "enterprise_class": "new_investment"})[0] == 100 * WAN
    assert "facts.last_year_tax_fen" in scheme_cap(scheme, {})[1]


def test_dev_cloud_packages_and_the_ratio_by_year_of_the_subscription():
    scheme = BAIYUN.scheme("dev_cloud")
    assert scheme_cap(scheme, {"packages": 3, "seats": 10, "enterprise_class": "other"})[0] == 3 * 6_000_00
    assert "facts.packages" in scheme_cap(scheme, {"packages": 11, "seats": 50, "enterprise_class": "sishang"})[1]
    assert "facts.seats" in scheme_cap(scheme, {"packages": 1, "seats": 20, "enterprise_class": "other"})[1]
    assert [scheme_ratios(scheme, year)["platform"] for year in (1, 2, 3, 4)] == [100, 80, 60, 0]
    assert scheme_ratios(GUIZHOU.scheme("default"), 1) == {"infrastructure": 40, "platform": 60, "application": 60}


def test_a_grant_is_the_least_of_the_cap_the_budget_left_and_the_yearly_total_left():
    assert grant_amount(30 * WAN, 100 * WAN, None) == 30 * WAN
    assert grant_amount(30 * WAN, 20 * WAN, None) == 20 * WAN
    assert grant_amount(30 * WAN, 100 * WAN, 10 * WAN) == 10 * WAN
    assert grant_amount(30 * WAN, 100 * WAN, 0) == 0


def test_a_ratio_set_for_a_category_comes_before_its_layers():
    from orders.rules import LineInput, allocate_vouchers

    rules = apply_overrides(BAIYUN, {"schemes.public_cloud.ratios.database": 70})
    ratios = scheme_ratios(rules.scheme("public_cloud"), 1)
    assert (ratios["platform"], ratios["database"]) == (50, 70)
    lines = [
        LineInput(1, 1, 9, "platform", 1_000_00, 1, True, "database"),  # 70% of ¥1,000
        LineInput(2, 2, 9, "platform", 1_000_00, 1, True, "big_data"),  # the layer's 50%
    ]
    priced = allocate_vouchers(lines, ratios=ratios, available_fen=10_000_00, use_vouchers=True)
    assert [p.voucher_fen for p in priced] == [700_00, 500_00]
    with pytest.raises(PolicyError) as caught:
        apply_overrides(BAIYUN, {"schemes.public_cloud.ratios.bitcoin": 10})
    assert "schemes.public_cloud.ratios" in caught.value.errors


def test_the_contract_presets_read_back_and_their_form_changes_nothing_unless_told():
    from shop.preset_list import LINYI, LIUZHOU
    from shop.presets import apply_overrides
    from wallet.policy_form import form_of, overrides_from_form

    for rules in (LINYI, LIUZHOU):
        assert overrides_from_form(form_of(rules), rules) == {}
    assert LIUZHOU.schemes[0].review_stages == ("county", "city") and LIUZHOU.selection == "ranked"
    changed = apply_overrides(LIUZHOU, {"schemes.default.ratio_by_calendar_year.2023": 20})
    assert changed.schemes[0].ratio_by_calendar_year == {"2020": 80, "2021": 50, "2022": 30, "2023": 20}
    form = form_of(LIUZHOU) | {"overrides.schemes.default.ratio_by_calendar_year.2021": "40"}
    assert overrides_from_form(form, LIUZHOU) == {"schemes.default.ratio_by_calendar_year.2021": 40}
