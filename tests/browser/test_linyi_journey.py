"""Linyi's contract vouchers end to end (preset ``linyi``, 临沂市 3713): an enterprise of 兰山区 orders an
MES cloud platform at the full price with a card, applies for the voucher for that order declaring its
两化融合 certificate, the county (兰山区) approves and the voucher is issued with its number; the order
shows what the voucher pays; the provider confirms, claims at the half-yearly settlement date with the
evidence, the county's reviewer deducts for a quality problem and approves, the city's authority
approves and sends the payment request, the finance bureau records the transfer with its bank
reference. The key pages in Chinese and again in English. Screenshots under docs/screenshots/
(``make screenshots``).

Figures (``../shared/seeds/000_…``, 第十四条/第十五条): the order is ¥180,000; 30% is ¥54,000, above the
¥50,000 cap but within the ¥60,000 a valid 两化融合 certificate gives: the voucher is ¥54,000 and the
enterprise pays ¥126,000 (the card's ¥180,000 less ¥54,000 refunded once the provider's confirmation
captures it). The quality deduction (第十三条) is ¥4,000: the finance bureau pays ¥50,000.

Dates: 2 March 2026 is a Monday; the review is due in 5 working days (9 March). The provider claims on
22 June for the settlement date of 30 June (every half year, 第十三条), the county reviews on 30 June,
the authority on 2 July, the finance bureau transfers on 6 July.
"""

from shop.auth import hash_password
from shop.states import Role
from tests.browser.conftest import screenshot, sign_in, sign_out
from tests.helpers import PDF, make_org, make_product, make_staff
from wallet import policies
from wallet.commands import ProgrammeSpec

PASSWORD = "journey-pass-2026"
LINYI, LANSHAN = "3713", "371302"
ENTERPRISE = "临沂兰山精密机械有限公司"
PROVIDER = "临沂沂蒙云数据科技有限公司"
PRODUCT = "智能制造 MES 云平台 企业版（年付）"


def _linyi(app):  # type: ignore[no-untyped-def]
    """Linyi 2026 from its preset (¥10,000,000), the county's reviewer of 兰山区, the city's authority and
    finance bureau, an enterprise of 兰山区 and a provider with an MES platform at ¥180,000 a year."""
    session = app.extensions["shop.sessions"]()
    authority = make_staff(session, Role.AUTHORITY, "authority@linyi.example", jurisdiction=LINYI)
    spec = ProgrammeSpec.from_input(
        {
            "preset": "linyi",
            "code": "linyi-2026",
            "title": "2026年临沂市云服务券",
            "jurisdiction": LINYI,
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "budget_fen": 10_000_000_00,
        }
    )
    policies.create_from_preset(session, authority, spec)
    county = make_staff(session, Role.OPERATOR, "county@lanshan.example", jurisdiction=LANSHAN)
    finance = make_staff(session, Role.FINANCE, "finance@linyi.example", jurisdiction=LINYI)
    enterprise = make_org(session, region_code=LANSHAN, name=ENTERPRISE, email="it@lsjx.example")
    provider = make_org(session, "provider", region_code=LANSHAN, name=PROVIDER, email="sales@yimengyun.example")
    hashed = hash_password(PASSWORD)
    for user in (authority, county, finance, enterprise.members[0], provider.members[0]):
        user.password_hash = hashed
    session.commit()
    product = make_product(
        session,
        provider,
        price_fen=180_000_00,
        layer="application",
        category="production",
        name=PRODUCT,
        unit="年",
    )
    product_id = product.id
    session.close()
    return product_id


def both(page, name: str, prepare=None) -> None:  # type: ignore[no-untyped-def]
    """The page in Chinese, then the same page in English (the language switch), then Chinese again;
    ``prepare`` sets the page up again after each switch (a ticked box)."""
    screenshot(page, f"{name}-zh")
    path = page.url.split(page.url.split("/")[2], 1)[1]
    page.goto(f"/lang/en?next={path}")
    if prepare:
        prepare()
    screenshot(page, f"{name}-en")
    page.goto(f"/lang/zh_CN?next={path}")
    if prepare:
        prepare()


def _pay_by_card(page) -> None:  # type: ignore[no-untyped-def]
    page.check("input[name=agreement_accepted]")
    page.fill("#card-element input[placeholder=number]", "4242424242424242")
    page.fill("#card-element input[placeholder=exp_month]", "12")
    page.fill("#card-element input[placeholder=exp_year]", "30")
    page.fill("#card-element input[placeholder=cvc]", "123")
    page.click("#pay")
    page.wait_for_url("**/orders?placed=*")


def _upload(page, kind: str, name: str, number: str = "", amount: str = "") -> None:  # type: ignore[no-untyped-def]
    page.select_option("#f-kind", kind)
    page.set_input_files("#f-file", files=[{"name": name, "mimeType": "application/pdf", "buffer": PDF}])
    if number:
        page.fill("#f-invoice_number", number)
        page.fill("#f-invoice_amount", amount)
    with page.expect_navigation():
        page.click("form[enctype] button[type=submit]")
    assert "材料已添加" in page.inner_text(".flash"), page.inner_text("main")


def test_a_linyi_contract_voucher_from_the_order_to_the_finance_bureaus_transfer(
    page, live_app, stripe_gateway, monkeypatch
):
    monkeypatch.setenv("SHOP_TODAY", "2026-03-02")
    live_app.extensions["orders.gateway"] = stripe_gateway
    live_app.config.update(
        STRIPE_API_BASE=stripe_gateway.api_base, STRIPE_JS_URL=f"{stripe_gateway.api_base}/js.stripe.com/v3/"
    )
    product_id = _linyi(live_app)

    # 1. the enterprise orders the platform at the full price and pays by card (a hold until confirmed)
    sign_in(page, "it@lsjx.example", PASSWORD)
    page.goto(f"/products/{product_id}")
    page.click("form.add-to-cart button[type=submit]")
    page.wait_for_selector("form.add-to-cart .added a")
    page.goto("/cart")
    figures = page.inner_text("#cart .figures")
    assert "¥180,000.00" in figures, figures
    page.click("text=去结算")
    page.wait_for_selector("#card-element input[placeholder=number]")
    _pay_by_card(page)
    page.click("tr.just-placed a")
    page.wait_for_load_state()
    order_url = page.url
    order_id = int(order_url.rsplit("/", 1)[1])

    # 2. the order page offers the voucher: 30% of ¥180,000 capped at ¥50,000, or ¥54,000 with the certificate
    offer = page.inner_text("main article:has(form[action$='/voucher-application'])")
    assert "¥50,000.00" in offer and "¥130,000.00" in offer and "¥54,000.00" in offer, offer

    def declare() -> None:
        page.check("input[name=certificates][value=lianghua]")

    declare()
    both(page, "linyi-voucher-application", declare)
    page.click("form[action$='/voucher-application'] button[type=submit]")
    page.wait_for_load_state()
    assert "已提交" in page.inner_text(".flash"), page.inner_text(".flash")
    voucher_url = page.url
    facts = page.inner_text("dl.facts")
    assert "¥54,000.00" in facts and "¥126,000.00" in facts, facts
    sign_out(page)

    # 3. the county's reviewer (兰山区) approves: no notice in Linyi, the voucher is issued at once
    sign_in(page, "county@lanshan.example", PASSWORD)
    page.goto("/contract-vouchers/reviews")
    queue = page.inner_text("main")
    assert ENTERPRISE in queue and "¥54,000.00" in queue and "2026年3月9日" in queue, queue
    both(page, "linyi-voucher-review")
    page.click("button[name=decision][value=approve]")
    page.wait_for_load_state()
    assert "已记录" in page.inner_text(".flash")
    sign_out(page)

    # 4. the enterprise sees its numbered voucher (printable) and the order with what it no longer pays
    sign_in(page, "it@lsjx.example", PASSWORD)
    page.goto(voucher_url)
    printable = page.inner_text("main")
    assert "linyi-2026-2026-000001" in printable and "2026年12月31日" in printable, printable
    assert "两化融合" in printable  # the certificate declared
    both(page, "linyi-voucher-issued")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    screenshot(page, "linyi-voucher-phone-zh")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(order_url)
    figures = page.inner_text("main .figures")
    assert "¥54,000.00" in figures and "¥126,000.00" in figures, figures
    panel = page.inner_text("main article.highlight:has(h3)")
    assert "linyi-2026-2026-000001" in panel and "确认订单" in panel, panel  # ¥54,000 back once captured
    sign_out(page)

    # 5. the provider confirms the order: the card is charged, the voucher's ¥54,000 refunded on it
    sign_in(page, "sales@yimengyun.example", PASSWORD)
    page.goto(order_url)
    page.click("text=确认交易")
    assert "交易已确认" in page.inner_text(".flash")
    sign_out(page)
    sign_in(page, "it@lsjx.example", PASSWORD)
    page.goto(order_url)
    panel = page.inner_text("main article.highlight:has(h3)")
    assert "¥54,000.00" in panel and "已退回" in panel, panel
    both(page, "linyi-order-with-voucher")
    sign_out(page)

    # 6. at the half-yearly settlement date the provider claims the voucher with the evidence
    monkeypatch.setenv("SHOP_TODAY", "2026-06-22")
    sign_in(page, "sales@yimengyun.example", PASSWORD)
    page.click("header >> text=兑现申请")
    page.click("text=新建兑现申请")
    assert "¥54,000.00" in page.inner_text("main")
    page.check("#select-all")
    page.click("text=用所选订单创建兑现申请草稿")
    assert "已创建兑现申请草稿" in page.inner_text(".flash")
    claim_url = page.url
    _upload(page, "invoice", "增值税专用发票.pdf", "3700 2026 0618", "180,000.00")
    _upload(page, "contract", "MES云平台服务合同.pdf")
    _upload(page, "transfer", "银行转账回单.pdf")
    _upload(page, "usage", "上线运行证明.pdf")
    page.click("text=提交兑现申请")
    assert "兑现节点 2026-06-30" in page.inner_text(".flash")
    sign_out(page)

    # 7. on the settlement date the county's reviewer deducts ¥4,000 for a quality problem and approves
    monkeypatch.setenv("SHOP_TODAY", "2026-06-30")
    sign_in(page, "county@lanshan.example", PASSWORD)
    page.goto(claim_url)
    page.fill(f"input[aria-label='订单 #{order_id} 扣减金额（元）']", "4000")
    page.fill(f"input[aria-label='订单 #{order_id} 扣减理由']", "第三方评估：设备联网模块未按合同交付")
    page.check(f"form[action$='/orders/{order_id}/deduction'] input[name=confirm]")
    page.click(f"form[action$='/orders/{order_id}/deduction'] button")
    page.wait_for_load_state()
    figures = page.inner_text("main .figures")
    assert "−¥4,000.00 → ¥50,000.00" in figures, figures
    both(page, "linyi-claim-deduction")
    page.click("button[value=approve]")
    page.wait_for_load_state()
    sign_out(page)

    # 8. the city's authority approves and sends the payment request to the finance bureau
    monkeypatch.setenv("SHOP_TODAY", "2026-07-02")
    sign_in(page, "authority@linyi.example", PASSWORD)
    page.goto(claim_url)
    page.click("button[value=approve]")
    page.wait_for_load_state()
    page.click("header >> text=拨付申请")
    page.click("button:has-text('报送财政局')")
    assert "已报送财政局" in page.inner_text(".flash")
    assert "¥50,000.00" in page.inner_text("main .figures")
    sign_out(page)

    # 9. the finance bureau records the transfer with its bank reference
    monkeypatch.setenv("SHOP_TODAY", "2026-07-06")
    sign_in(page, "finance@linyi.example", PASSWORD)
    page.goto("/payment-requests")
    page.click("main table a")
    page.fill("#f-reference", "临财拨〔2026〕36号")
    page.click("button:has-text('登记转账')")
    assert "转账已登记" in page.inner_text(".flash")
    main = page.inner_text("main")
    assert "临财拨〔2026〕36号" in main and "¥50,000.00" in main, main
    both(page, "linyi-payment-request-paid")
    page.goto(claim_url)
    assert "¥50,000.00" in page.inner_text("main dl.facts")
    sign_out(page)

    # 10. the provider reads why it was paid less; the voucher is redeemed
    sign_in(page, "sales@yimengyun.example", PASSWORD)
    page.goto(claim_url)
    main = page.inner_text("main")
    assert "设备联网模块未按合同交付" in main and "¥50,000.00" in main, main
    page.goto(voucher_url)
    assert "已兑付" in page.inner_text("h1"), page.inner_text("h1")
