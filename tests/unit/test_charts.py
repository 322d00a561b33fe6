from shop.charts import Series, bar_chart, line_chart
from shop.money import format_fen


def test_a_line_chart_plots_every_point_with_its_value_and_escapes_labels():
    svg = str(line_chart(["1月", "<b>2月</b>"], [Series("已发放", [100_00, 250_00])], title="发放", fmt=format_fen))
    assert svg.startswith("<svg") and svg.count("<circle") == 2
    assert "¥250.00" in svg and "<b>" not in svg and "&lt;b&gt;" in svg


def test_a_bar_chart_draws_one_bar_per_value_and_a_legend_for_several_series():
    svg = str(bar_chart(["A", "B", "C"], [Series("x", [1, 2, 3]), Series("y", [3, 2, 1])], title="t"))
    assert svg.count("<rect") == 6 + 2  # six bars and two legend keys


def test_an_empty_chart_does_not_fail():
    assert "<svg" in str(line_chart([], [Series("x", [])], title="empty"))
