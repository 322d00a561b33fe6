"""A provider lists a product, the operator and the authority approve it, and an enterprise finds it
with a two-character Chinese search; meanwhile a change of price waits for review while the approved
price keeps selling. Screenshots of the catalogue, the product page, the review queue with a
revision's difference, the form with its inline check and the provider's products."""

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in, sign_out

PASSWORD = "yunquan-demo-2026"
NAME = "茶园环境物联网监测服务 标准版"


def test_a_listing_is_reviewed_twice_and_found_by_an_enterprise(page, live_app):
    from shop.seed import run_all

    with live_app.extensions["shop.sessions"]() as session:
        run_all(session)  # the demo site: providers, staff, enterprises and a shelf of products

    # the provider lists a product; the form checks the price against the market price as it is typed
    sign_in(page, "provider@yunquan.example", PASSWORD)
    page.goto("/provider/products")
    page.click("text=发布产品")
    page.select_option("#f-layer", "platform")
    expect(page.locator("#f-category optgroup")).to_have_count(1)  # htmx: the layer's categories only
    page.select_option("#f-category", "iot")
    page.fill("#f-name", NAME)
    page.fill("#f-unit", "年")
    page.fill("#f-market_price", "1,200")
    page.fill("#f-price", "1500")
    page.press("#f-price", "Tab")
    expect(page.locator("#e-price")).to_contain_text("¥1,500.00")  # htmx: checked beside the field
    assert "¥1,200.00" in page.inner_text("#e-price")
    page.fill("#f-market_price_evidence", "https://www.huaweicloud.com/pricing.html")
    page.fill("#f-description", "茶园温湿度、土壤墒情与虫情监测设备接入云平台。\n\n- 手机查看实时数据\n- 异常自动预警")
    screenshot(page, "catalog-form-zh")
    page.fill("#f-price", "980")
    page.press("#f-price", "Tab")
    expect(page.locator("#e-price")).to_have_text("")
    page.click("button[value=submit]")
    assert "已提交" in page.inner_text(".flash")
    assert NAME in page.inner_text("table") and "待运营方审核" in page.inner_text("table")
    screenshot(page, "catalog-provider-products-zh")
    sign_out(page)

    # the operator approves in place, then the authority publishes
    for email, outcome in (("operator@yunquan.example", "省大数据局复审"), ("authority@yunquan.example", "已上架")):
        sign_in(page, email, PASSWORD)
        page.click("header >> text=产品审核")
        page.click(f"tr:has-text('{NAME}') >> text=审核")
        page.click("#decision button[value=approve]")
        page.wait_for_selector(".decision-done")
        assert outcome in page.inner_text("#decision")
        sign_out(page)

    # the provider lowers the price: a revision, reviewed again, while ¥980.00 keeps selling
    sign_in(page, "provider@yunquan.example", PASSWORD)
    page.goto("/provider/products")
    page.click(f"tr:has-text('{NAME}') >> text=修改")
    assert "继续以 ¥980.00 销售" in page.inner_text("main")
    page.fill("#f-price", "880")
    page.click("button[value=submit]")
    assert "在售价 ¥980.00" in page.inner_text(f"tr:has-text('{NAME}')")
    sign_out(page)

    sign_in(page, "operator@yunquan.example", PASSWORD)
    page.click("header >> text=产品审核")
    assert "在售产品的变更" in page.inner_text(f"tr:has-text('{NAME}')")
    screenshot(page, "catalog-review-queue-zh")
    page.click(f"tr:has-text('{NAME}') >> text=审核")
    assert "¥980.00" in page.inner_text("td.diff-old") and "¥880.00" in page.inner_text("td.diff-new")
    screenshot(page, "catalog-review-revision-zh")
    sign_out(page)

    # an enterprise finds it with two characters
    sign_in(page, "enterprise@yunquan.example", PASSWORD)
    page.goto("/")
    page.fill(".home-catalogue input[name=q]", "监测")
    page.click(".home-catalogue button[type=submit]")
    page.wait_for_selector(".product-card")
    cards = page.locator(".product-card")
    assert NAME in cards.first.inner_text()  # a name match ranks first
    assert "¥980.00" in cards.first.inner_text()  # the approved price, not the one in review
    page.fill("#catalogue input[name=q]", "服务")
    page.click("#catalogue form.catalogue-search button")
    expect(page.locator(".results-bar")).to_contain_text("“服务”的")
    assert NAME in page.inner_text("#catalogue")
    page.goto("/products?q=" + "服务")
    screenshot(page, "catalog-search-zh")
    page.goto("/products")
    screenshot(page, "catalog-zh", full_page=False)
    page.goto("/products?q=监测")
    page.click(f".product-card >> text={NAME}")
    assert page.inner_text("h1") == NAME
    assert "最高可抵 60%" in page.inner_text(".product-buy") and page.locator("#add-to-cart").count() == 1
    screenshot(page, "catalog-product-zh")
    page.click("a[lang=en]")
    page.goto("/products")
    assert "Cloud services catalogue" in page.inner_text("h1")
    screenshot(page, "catalog-en", full_page=False)
