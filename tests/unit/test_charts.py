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


def test_horizontal_bars_have_one_row_per_label_ending_with_its_total():
    from shop.charts import hbar_chart

    svg = str(
        hbar_chart(
            ["贵阳市", "黔西南布依族苗族自治州"], [Series("已发放", [300_00, 100_00])], title="按市州", fmt=format_fen
        )
    )
    assert svg.count("<rect") == 2 and "黔西南布依族苗族自治州" in svg
    assert "¥300.00" in svg and "¥100.00" in svg


def test_a_legend_too_long_for_one_row_wraps_and_the_chart_grows_for_it():
    names = ["待运营方审核", "待省大数据局审核", "已批准，待拨付", "已拨付", "已驳回", "已撤回"]
    wide = bar_chart(["3-31", "6-30"], [Series(n, [1, 2]) for n in names], title="t", stacked=True, width=300)
    narrow_rows = {
        float(part.split('y="')[1].split('"')[0]) for part in str(wide).split("<rect")[1:] if 'width="10"' in part
    }
    assert len(narrow_rows) >= 2  # the keys' rows
    one = bar_chart(["a"], [Series("x", [1]), Series("y", [2])], title="t")
    assert 'viewBox="0 0 720 260"' in str(one) and 'viewBox="0 0 300 260"' not in str(wide)
