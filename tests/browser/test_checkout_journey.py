"""An enterprise fills its cart from two providers, pays with a test card through the page (Stripe
Elements from the payment mock), one provider confirms, the other order is cancelled, and the wallet
shows the right balance. Screenshots under docs/screenshots/."""

from shop.auth import hash_password
from tests.browser.conftest import screenshot, sign_in, sign_out
from tests.helpers import grant_wallet, make_org, make_product, make_programme

PASSWORD = "journey-pass-2026"
CAP = 50_000_00


def _world(app):  # type: ignore[no-untyped-def]
    session = app.extensions["shop.sessions"]()
    make_programme(session)
    buyer = make_org(session, name="贵州湄潭绿茶制造有限公司", email="buyer@journey.example")
    grant_wallet(session, buyer)
    p1 = make_org(session, "provider", name="贵州黔云科技有限公司", email="qianyun@journey.example")
    p2 = make_org(session, "provider", name="遵义筑数信息技术有限公司", email="zhushu@journey.example")
    for org in (buyer, p1, p2):
        org.members[0].password_hash = hash_password(PASSWORD)
    session.commit()
    ecs = make_product(session, p1, price_fen=3_600_00, name="云服务器 ECS 4核8G（包月）", unit="月")
    mysql = make_product(
        session,
        p2,
        price_fen=2_800_00,
        layer="platform",
        category="database",
        name="云数据库 MySQL 高可用版",
        unit="月",
    )
    ids = ecs.id, mysql.id
    session.close()
    return ids


def test_cart_from_two_providers_paid_by_card_one_confirmed_one_cancelled(page, live_app, stripe_gateway, monkeypatch):
    monkeypatch.setenv("SHOP_TODAY", "2026-03-02")
    live_app.extensions["orders.gateway"] = stripe_gateway
    live_app.config.update(
        STRIPE_API_BASE=stripe_gateway.api_base, STRIPE_JS_URL=f"{stripe_gateway.api_base}/js.stripe.com/v3/"
    )
    ecs, mysql = _world(live_app)

    sign_in(page, "buyer@journey.example", PASSWORD)
    page.goto(f"/products/{ecs}")
    page.fill("#qty-" + str(ecs), "2")
    page.click("form.add-to-cart button[type=submit]")
    page.wait_for_selector("form.add-to-cart .added a")  # htmx answered in place
    page.goto(f"/products/{mysql}")
    page.click("form.add-to-cart button[type=submit]")
    page.wait_for_selector("form.add-to-cart .added a")
    page.goto("/cart")
    cart = page.inner_text("#cart")
    assert "贵州黔云科技有限公司" in cart and "遵义筑数信息技术有限公司" in cart
    assert "¥7,200.00" in cart and "¥2,880.00" in cart and "¥1,680.00" in cart  # 2 × 3,600; 40%; 60% of 2,800
    screenshot(page, "cart-zh")

    page.click("text=去结算")
    page.wait_for_selector("#card-element input[placeholder=number]")
    screenshot(page, "checkout-zh")
    page.click("#pay")  # without accepting the agreement
    page.wait_for_selector("#e-agreement")
    page.check("input[name=agreement_accepted]")
    page.fill("#card-element input[placeholder=number]", "4242424242424242")
    page.fill("#card-element input[placeholder=exp_month]", "12")
    page.fill("#card-element input[placeholder=exp_year]", "30")
    page.fill("#card-element input[placeholder=cvc]", "123")
    page.click("#pay")
    page.wait_for_url("**/orders?placed=*")
    assert "已生成 2 个订单" in page.inner_text(".flash")
    assert page.locator("tr.just-placed").count() == 2
    screenshot(page, "orders-placed-zh")
    sign_out(page)

    sign_in(page, "qianyun@journey.example", PASSWORD)
    page.goto("/orders?status=placed")
    page.click("table a")
    page.click("text=确认交易")
    assert "交易已确认" in page.inner_text(".flash")
    screenshot(page, "order-confirmed-zh")
    sign_out(page)

    sign_in(page, "buyer@journey.example", PASSWORD)
    page.goto("/orders?status=placed")
    page.click("table a")
    page.click("text=取消订单")
    assert "订单已取消" in page.inner_text(".flash")
    page.goto("/wallet")
    figures = page.inner_text(".figures")
    assert "¥47,120.00" in figures and "¥2,880.00" in figures  # available, and held by the confirmed order
    screenshot(page, "wallet-after-orders-zh")
