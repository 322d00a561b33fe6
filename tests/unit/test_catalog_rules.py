"""Catalogue rules, states and description rendering: plain Python, no app, no database."""

import datetime as dt

import pytest

from catalog.rules import (
    category_belongs_to_layer,
    check_evidence_url,
    check_price,
    diff_content,
    exit_effective_on,
    fts5_phrase,
    like_pattern,
    listed_on,
    parse_search,
)
from catalog.states import PRODUCT
from catalog.states import ProductStatus as S
from catalog.text import line_diff, plain_summary, render_description
from shop import policy
from shop.errors import DomainError
from shop.policy import GUIZHOU, Category, Layer, voucher_share_fen


def test_eleven_categories_each_in_exactly_one_of_three_layers():
    assert len(Layer) == 3 and len(Category) == 11
    assert [c.value for c in policy.current().categories[Layer.PLATFORM]] == ["database", "big_data", "iot", "devops"]
    assert category_belongs_to_layer("infrastructure", "storage", GUIZHOU.categories)
    assert not category_belongs_to_layer("platform", "storage", GUIZHOU.categories)
    assert not category_belongs_to_layer("nonsense", "storage", GUIZHOU.categories)


def test_a_price_above_the_market_is_refused_with_both_prices_stated():
    assert check_price(123_456, 123_456) is None
    assert check_price(100, 123_456) is None
    message = str(check_price(130_000, 123_456))
    assert "¥1,300.00" in message and "¥1,234.56" in message


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://www.aliyun.com/price/product", True),
        ("http://example.com/p?x=1", True),
        ("javascript:alert(1)", False),
        ("ftp://example.com/x", False),
        ("www.example.com", False),
        ("https://", False),
        ("https://exa mple.com", False),
    ],
)
def test_evidence_links_are_public_web_pages(url, ok):
    assert (check_evidence_url(url) is None) == ok


def test_an_exit_takes_effect_thirty_days_on_and_products_go_that_day():
    assert exit_effective_on(dt.date(2026, 11, 24), GUIZHOU.exit_notice_days) == dt.date(2026, 12, 24)
    assert listed_on(dt.date(2026, 12, 23), dt.date(2026, 12, 24))
    assert not listed_on(dt.date(2026, 12, 24), dt.date(2026, 12, 24))
    assert listed_on(dt.date(2030, 1, 1), None)


def test_voucher_share_is_floored_integer_fen():
    assert voucher_share_fen(18_999, 40) == 7_599  # 7599.6 → 7599
    assert voucher_share_fen(18_999, 60) == 11_399
    assert voucher_share_fen(18_999, 60, accepts_vouchers=False) == 0
    assert isinstance(voucher_share_fen(10**15 + 1, 60), int)


def test_a_query_is_cut_into_terms_short_and_long():
    q = parse_search("  云服务器  MySQL，存储 mysql ")
    assert q.terms == ("云服务器", "mysql", "存储")
    assert q.long_terms == ("云服务器", "mysql") and q.short_terms == ("存储",)
    assert not parse_search("   ")


def test_search_terms_cannot_break_out_of_fts_or_like():
    assert fts5_phrase('a"b') == '"a""b"'
    assert like_pattern("50%_x\\") == "%50\\%\\_x\\\\%"


def test_a_revision_is_described_field_by_field():
    before = {
        "name": "A",
        "price_fen": 100,
        "evidence_url": "https://a",
        "evidence_sha256": None,
        "evidence_original_name": None,
        "description": "x",
        "layer": "platform",
    }
    after = dict(before, price_fen=90, evidence_url=None, evidence_sha256="ab", evidence_original_name="q.pdf")
    changes = diff_content(before, after)
    assert [c.field for c in changes] == ["price_fen", "evidence"]
    assert changes[0].before == 100 and changes[0].after == 90


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "![x](https://evil.example/track.png)",
        '<a href="https://x" onclick="alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        "<style>body{display:none}</style>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_nothing_a_provider_writes_becomes_markup_or_script(source):
    tags = _elements(render_description(source))
    assert {tag for tag, _ in tags} <= {"p", "a", "br"}
    for _tag, attrs in tags:
        assert all(not name.startswith("on") for name, _ in attrs)
        href = dict(attrs).get("href") or ""
        assert href == "" or href.startswith("https://"), href


def _elements(html):
    """The elements (tag, attributes) of an HTML fragment, as a browser would build them."""
    from html.parser import HTMLParser

    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(html)
    return found


def test_descriptions_keep_paragraphs_lists_emphasis_and_safe_links():
    html = render_description("# 产品简介\n\n第一段\n第二行\n\n- 特点一\n- **特点二**\n\n[价格](https://example.com)")
    assert "<h3>产品简介</h3>" in html  # headings move down below the page's own
    assert "<p>第一段<br>\n第二行</p>" in html
    assert "<li><strong>特点二</strong></li>" in html
    assert 'href="https://example.com"' in html and 'rel="nofollow noopener noreferrer ugc"' in html


def test_summaries_are_plain_one_line_text():
    assert plain_summary("## 标题\n\n**粗体** & <b>x</b>") == "标题 粗体 & <b>x</b>"
    assert plain_summary("字" * 100, 10) == "字" * 9 + "…"


def test_line_diff_marks_removed_and_added_lines():
    assert line_diff("a\nb\nc", "a\nB\nc") == [("same", "a"), ("removed", "b"), ("added", "B"), ("same", "c")]


# -- the pipeline ---------------------------------------------------------------------------------


def test_a_product_goes_through_two_reviews_to_publication():
    status = S.DRAFT
    for action, expected in [
        ("submit", S.SUBMITTED),
        ("operator_approve", S.OPERATOR_APPROVED),
        ("authority_approve", S.PUBLISHED),
        ("submit", S.SUBMITTED),
        ("reject", S.REJECTED),
        ("submit", S.SUBMITTED),
        ("delist", S.DELISTED),
        ("submit", S.SUBMITTED),
    ]:
        status = PRODUCT.next(status, action)
        assert status == expected


@pytest.mark.parametrize(
    "status, action",
    [
        (S.DRAFT, "operator_approve"),
        (S.DRAFT, "authority_approve"),
        (S.SUBMITTED, "authority_approve"),
        (S.OPERATOR_APPROVED, "operator_approve"),
        (S.OPERATOR_APPROVED, "submit"),
        (S.PUBLISHED, "reject"),
        (S.DELISTED, "delist"),
        (S.REJECTED, "operator_approve"),
    ],
)
def test_anything_off_the_product_table_is_invalid_state(status, action):
    with pytest.raises(DomainError) as caught:
        PRODUCT.next(status, action)
    assert caught.value.code == "invalid_state"


def test_search_terms_are_marked_in_escaped_text():
    from catalog.text import highlight, snippet

    assert highlight("对象存储 <OSS>", ("存储", "oss")) == "对象<mark>存储</mark> &lt;<mark>OSS</mark>&gt;"
    assert highlight("a<b", ()) == "a&lt;b"
    assert highlight("服务器服务", ("服务", "务器")) == "<mark>服务器服务</mark>"
    long = "很长的描述。" * 30 + "含设计文件存储。"
    assert snippet(long, ("存储",), 40).startswith("…") and "存储" in snippet(long, ("存储",), 40)
    assert snippet("短描述", ("存储",)) == "短描述"
