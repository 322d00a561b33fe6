import pytest

from shop.money import fen_to_yuan_text, format_fen, parse_yuan


@pytest.mark.parametrize(
    "fen, text",
    [
        (0, "¥0.00"),
        (1, "¥0.01"),
        (123456, "¥1,234.56"),
        (5_000_000, "¥50,000.00"),
        (-100, "-¥1.00"),
        (123_456_789_012, "¥1,234,567,890.12"),
    ],
)
def test_amounts_are_shown_as_yuan_with_separators(fen, text):
    assert format_fen(fen) == text


def test_a_float_amount_is_refused():
    with pytest.raises(TypeError):
        format_fen(12.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text, fen",
    [
        ("1234.56", 123456),
        ("1,234.5", 123450),
        ("¥12", 1200),
        ("0.01", 1),
        ("50000", 5_000_000),
        ("-3.10", -310),
    ],
)
def test_what_a_person_types_becomes_exact_fen(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1,23.00", "12.3.4", "1e5"])
def test_malformed_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_yuan(text)


def test_form_values_round_trip():
    for fen in (0, 7, 1999, 123456):
        assert parse_yuan(fen_to_yuan_text(fen)) == fen
