"""Jurisdictions (division code prefixes with python-stdnum's names) and the rule that an organisation's
region agrees with the division code inside its credit code (GB 32100-2015, characters 3–8)."""

import pytest
from sqlalchemy import column, select, table

from orgs.demo import make_uscc
from orgs.rules import region_disagreement, uscc_division
from shop import jurisdictions
from shop.jurisdictions import check_code, covers, lookup, lookup_region, under


@pytest.mark.parametrize(
    "code, name, level",
    [
        ("52", "贵州省", "province"),
        ("5201", "贵州省贵阳市", "city"),
        ("520102", "贵州省贵阳市南明区", "county"),
        ("440111", "广东省广州市白云区", "county"),
        ("3713", "山东省临沂市", "city"),
        ("11", "北京市", "province"),
        ("110101", "北京市东城区", "county"),
    ],
)
def test_a_jurisdiction_is_a_prefix_of_2_4_or_6_digits_with_its_current_name(code, name, level):
    found = lookup(code)
    assert (found.code, found.name, found.level) == (code, name, level)


def test_a_province_or_city_given_in_six_digits_is_read_as_its_prefix():
    assert lookup("520100").code == "5201" and lookup("520000").code == "52"
    assert check_code(" 520100 ") == ("5201", None)


@pytest.mark.parametrize(
    "code",
    [
        "",
        None,
        "5",
        "520",
        "52010",
        "abcd",
        "99",  # no such province
        "5200",  # no city of that number
        "999999",
        "520114",  # 小河区, merged into 花溪区 in 2012
        "1101",  # 北京市市辖区: a placeholder of the table, not a city
        "4690",  # 海南省省直辖县级行政单位: likewise
    ],
)
def test_unknown_retired_or_placeholder_codes_are_no_jurisdiction(code):
    assert lookup(code) is None


def test_placeholders_between_a_province_and_its_counties_are_no_city_of_a_region():
    assert lookup_region("469001").name == "海南省五指山市"
    assert lookup_region("469000") is None and lookup_region("110100") is None


def test_check_code_says_what_is_wrong_with_the_input():
    assert check_code("5201") == ("5201", None)
    code, message = check_code("52-01")
    assert code is None and "2, 4 or 6" in str(message)
    code, message = check_code("999999")
    assert code is None and "999999" in str(message)


def test_none_covers_everything_and_a_prefix_what_starts_with_it():
    assert covers(None, "440111") and covers(None, None)
    assert covers("5201", "520102") and covers("52", "520302") and covers("520102", "520102")
    assert not covers("5201", "520302") and not covers("5201", None) and not covers("520102", "520103")
    assert lookup("5201").covers("520115")


def test_under_is_the_sql_of_covers():
    orgs = table("organisations", column("region_code"))
    assert str(select(orgs).where(under(orgs.c.region_code, None)).compile()).endswith("WHERE true")
    scoped = select(orgs).where(under(orgs.c.region_code, "5201")).compile(compile_kwargs={"literal_binds": True})
    assert "LIKE '5201'" in str(scoped)


def test_a_name_for_people_keeps_an_unknown_code_as_it_is():
    assert jurisdictions.name("5203") == "贵州省遵义市"
    assert jurisdictions.name("999999") == "999999" and jurisdictions.name(None) == ""


def test_the_credit_codes_division_is_its_characters_3_to_8():
    assert uscc_division("91520102MA6QY0104X") == "520102"


def test_a_region_agrees_with_the_same_six_digits_of_the_credit_code():
    assert region_disagreement(make_uscc("91520102MA6QY0104"), "520102") is None


def test_a_region_elsewhere_disagrees_and_names_the_credit_codes_division():
    assert region_disagreement(make_uscc("91520300MA6QY0104"), "520102") == "520300"
    # a city's bureau registered it, but it lies in a district: six digits differ
    assert region_disagreement(make_uscc("91520100MA6QY0104"), "520102") == "520100"


@pytest.mark.parametrize("division", ["000000", "520114", "999999"])
def test_a_credit_code_whose_division_is_no_current_code_leaves_agreement_unknown(division):
    assert region_disagreement(make_uscc(f"91{division}MA6QY0104"), "520102") is None
