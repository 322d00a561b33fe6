"""Spreadsheet cells (issue 11, M2): text is never a formula, amounts stay numbers."""

from shop.exports import Money, csv_lines


def test_spreadsheet_cells_neutralise_each_formula_prefix():
    names = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "plain", "－全角"]
    lines = list(csv_lines(["name", "amount"], [[name, Money(-100)] for name in names]))
    assert [line.rstrip("\r\n") for line in lines[1:]] == [
        "'=1+1,-1.00",
        "'+1,-1.00",
        "'-1,-1.00",
        "'@SUM(A1),-1.00",
        "'\t=1,-1.00",
        '"\'\r=1",-1.00',
        "plain,-1.00",
        "－全角,-1.00",
    ]
