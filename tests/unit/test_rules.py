import datetime as dt

import pytest

from orgs.rules import check_established_on, check_uscc, established_years, lookup_region
from shop.auth import check_password


def test_a_valid_code_is_accepted_and_compacted():
    assert check_uscc(" 91110000600037341L ") == ("91110000600037341L", None)
    assert check_uscc("91110000-600037341L")[0] == "91110000600037341L"


@pytest.mark.parametrize(
    "code, words",
    [
        ("91110000600037341", "18"),  # length, and how many it has
        ("9111000060003734IL", "I, O, S, V"),  # a character that is not allowed
        ("91110000600037341X", "check character"),  # typo caught by the check character
    ],
)
def test_a_wrong_code_says_what_is_wrong(code, words):
    compact, message = check_uscc(code)
    assert compact is None
    assert words in str(message)


def test_region_codes_resolve_to_current_names():
    assert lookup_region("520102").name == "贵州省贵阳市南明区"
    assert lookup_region("522700").name == "贵州省黔南布依族苗族自治州"
    assert lookup_region("520102").city_code == "520100"
    assert lookup_region("110101").name == "北京市东城区"


@pytest.mark.parametrize("code", ["999999", "52010", "abcdef", "520114", "110103"])
def test_unknown_malformed_or_retired_region_codes_are_refused(code):
    assert lookup_region(code) is None


def test_establishment_cannot_be_in_the_future():
    today = dt.date(2026, 11, 24)
    assert check_established_on(dt.date(2026, 11, 25), today) is not None
    assert check_established_on(today, today) is None


def test_passwords_need_length_and_variety():
    assert check_password("short1") is not None
    assert check_password("onlyletterslong") is not None
    assert check_password("1234567890123") is not None
    assert check_password("letters-and-1") is None


def test_established_years_counts_whole_years():
    assert established_years(dt.date(2025, 11, 24), dt.date(2026, 11, 24)) == 1
    assert established_years(dt.date(2025, 11, 25), dt.date(2026, 11, 24)) == 0
    assert established_years(dt.date(2024, 2, 29), dt.date(2025, 2, 28)) == 0
    assert established_years(dt.date(2024, 2, 29), dt.date(2025, 3, 1)) == 1
