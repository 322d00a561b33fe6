import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from shop.errors import ValidationError
from shop.inputs import Inputs


def test_json_and_form_values_are_read_the_same_way():
    for data in ({"n": 5, "d": "2026-01-02", "b": True}, MultiDict({"n": "5", "d": "2026-01-02", "b": "on"})):
        inputs = Inputs(data)
        assert inputs.integer("n") == 5
        assert inputs.date("d") == dt.date(2026, 1, 2)
        assert inputs.boolean("b") is True
        inputs.check()


def test_every_fault_is_collected_under_its_field():
    inputs = Inputs({"n": "five", "d": "2026-13-01", "price_fen": 1.5})
    inputs.integer("n")
    inputs.date("d")
    inputs.fen("price_fen")
    inputs.text("name")
    with pytest.raises(ValidationError) as caught:
        inputs.check()
    assert set(caught.value.errors) == {"n", "d", "price_fen", "name"}
    assert caught.value.code == "validation_error"


def test_a_page_types_yuan_where_the_api_sends_fen():
    assert Inputs({"price_fen": 123456}).fen("price_fen") == 123456
    assert Inputs(MultiDict({"price": "1,234.56"})).fen("price_fen") == 123456
    inputs = Inputs(MultiDict({"price": "12.345"}))
    inputs.fen("price_fen")
    assert "price" in inputs.errors


def test_floats_never_pass_as_money():
    inputs = Inputs({"amount_fen": 100.0})
    assert inputs.fen("amount_fen") is None
    assert "amount_fen" in inputs.errors


def test_lists_come_from_arrays_or_repeated_form_fields():
    assert Inputs({"ids": [1, "2"]}).integers("ids") == [1, 2]
    assert Inputs(MultiDict([("ids", "3"), ("ids", "4")])).integers("ids") == [3, 4]
    assert Inputs({"days": ["2026-06-30", "2026-12-20"]}).dates("days") == [dt.date(2026, 6, 30), dt.date(2026, 12, 20)]
    assert Inputs(MultiDict({"days": "2026-06-30, 2026-12-20"})).dates("days")[1] == dt.date(2026, 12, 20)


@pytest.mark.parametrize("value", ["²", "9" * 5000, "99999999999999999999", 2**62, -(10**25), "1.0", "0x10", True])
def test_whole_numbers_are_digits_within_64_bits(value):
    for inputs, read in (
        (Inputs({"n": value}), lambda i: i.integer("n")),
        (Inputs({"ids": [value]}), lambda i: i.integers("ids")),
    ):
        assert read(inputs) in (None, [])
        assert list(inputs.errors) == [next(iter(inputs.data))]


def test_lists_of_ids_keep_their_bounds_and_read_like_single_numbers():
    inputs = Inputs(MultiDict([("ids", "1"), ("ids", " 42 "), ("ids", "4611686018427387903")]))
    assert inputs.integers("ids") == [1, 42, 2**62 - 1]
    assert Inputs({"ids": [0]}).integers("ids", minimum=1) == []


def test_yuan_past_any_budget_is_too_large_not_an_overflow():
    inputs = Inputs(MultiDict({"budget": "92233720368547758.08", "cap": "99999999999999999999", "price": "1,234.56"}))
    assert inputs.fen("budget_fen") is None and inputs.fen("cap_fen") is None
    assert inputs.fen("price_fen") == 123456
    assert [str(m) for m in inputs.errors["budget"]] == ["The amount is too large."]
    assert list(inputs.errors) == ["budget", "cap"]
