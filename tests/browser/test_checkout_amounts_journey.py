"""The amount the buyer agrees to is the amount charged, in Chromium against the Stripe mock's
Stripe.js: unticking "use vouchers" changes the card amount on the page and on the card; a price that
changes after the page was shown is asked about again; without JavaScript a button recalculates."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from orders.models import Order
from shop.auth import hash_password
from tests.browser.conftest import screenshot, sign_in
from tests.catalog_helpers import reprice
from tests.helpers import grant_wallet, make_org, make_product, make_programme

PASSWORD = "journey-pass-2026"


@pytest.fixture
def shop(live_app, stripe_gateway, monkeypatch):  # type: ignore[no-untyped-def]
    """A buyer with ¥50,000 of vouchers, one platform product at ¥3,000 (60% from vouchers), the
    payment mock's Stripe.js on the checkout page."""
    monkeypatch.setenv("SHOP_TODAY", "2026-03-02")
    live_app.extensions["orders.gateway"] = stripe_gateway
    live_app.config.update(
        STRIPE_API_BASE=stripe_gateway.api_base, STRIPE_JS_URL=f"{stripe_gateway.api_base}/js.stripe.com/v3/"
    )
    session = live_app.extensions["shop.sessions"]()
    make_programme(session)
    buyer = make_org(session, name="贵州湄潭绿茶制造有限公司", email="buyer@amounts.example")
    grant_wallet(session, buyer)
    provider = make_org(session, "provider", name="贵州黔云科技有限公司", email="qianyun@amounts.example")
    buyer.members[0].password_hash = hash_password(PASSWORD)
    session.commit()
    product = make_product(
        session,
        provider,
        price_fen=3_000_00,
        layer="platform",
        category="database",
        name="云数据库 MySQL 高可用版",
        unit="月",
    )
    session.expunge_all()
    yield {"session": session, "product": product, "gateway": stripe_gateway}
    session.close()


def fill_cart(page, product_id: int) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "buyer@amounts.example", PASSWORD)
    page.goto(f"/products/{product_id}")
    page.click("form.add-to-cart button[type=submit]")
    page.wait_for_selector("form.add-to-cart .added a")


def pay_with_visa(page) -> None:  # type: ignore[no-untyped-def]
    page.check("input[name=agreement_accepted]")
    page.fill("#card-element input[placeholder=number]", "4242424242424242")
    page.fill("#card-element input[placeholder=exp_month]", "12")
    page.fill("#card-element input[placeholder=exp_year]", "30")
    page.fill("#card-element input[placeholder=cvc]", "123")
    page.click("#pay")


def placed_orders(shop) -> list[tuple[int, int, int, str | None]]:  # type: ignore[no-untyped-def]
    """(total, vouchers, self-paid, PaymentIntent id) of each order; the read ends at once (on SQLite
    a transaction left open would hold the write lock the live server needs)."""
    session = shop["session"]
    try:
        return [
            tuple(row)
            for row in session.execute(
                select(Order.total_fen, Order.voucher_fen, Order.self_pay_fen, Order.payment_intent_id).order_by(
                    Order.id
                )
            )
        ]
    finally:
        session.rollback()


def test_unticking_vouchers_shows_and_charges_the_whole_amount_on_the_card(page, shop):
    fill_cart(page, shop["product"].id)
    page.goto("/checkout")
    page.wait_for_selector("#card-element input[placeholder=number]")
    assert page.inner_text("#self-pay") == "¥1,200.00"  # 40% of ¥3,000 after ¥1,800 of vouchers
    assert page.locator("button[name=recalculate]").count() == 0  # the script updates the figures itself

    page.uncheck("input[name=use_vouchers]")
    expect(page.locator("#self-pay")).to_have_text("¥3,000.00")
    assert "¥0.00" in page.inner_text("#summary .highlight")  # vouchers pay nothing
    screenshot(page, "checkout-without-vouchers-zh")
    pay_with_visa(page)
    page.wait_for_url("**/orders?placed=*")

    [(total, vouchers, self_paid, intent)] = placed_orders(shop)
    assert (total, vouchers, self_paid) == (3_000_00, 0, 3_000_00)
    assert shop["gateway"].retrieve(intent).amount_fen == 3_000_00  # held on the card


def test_a_price_changed_after_the_page_was_shown_is_confirmed_again_at_the_new_amount(page, shop):
    fill_cart(page, shop["product"].id)
    page.goto("/checkout")
    page.wait_for_selector("#card-element input[placeholder=number]")
    assert page.inner_text("#self-pay") == "¥1,200.00"
    reprice(shop["session"], shop["product"], 4_000_00)  # passes both reviews meanwhile
    shop["session"].expunge_all()

    pay_with_visa(page)
    page.wait_for_selector("text=金额已变化")
    message = page.inner_text("[role=alert]")
    assert "¥4,000.00" in message and "¥3,000.00" in message and "¥1,600.00" in message and "¥1,200.00" in message
    assert page.inner_text("#self-pay") == "¥1,600.00"
    assert placed_orders(shop) == []  # nothing placed, nothing held
    screenshot(page, "checkout-price-changed-zh")

    assert page.inner_text("#pay") == "按新金额下单"
    pay_with_visa(page)
    page.wait_for_url("**/orders?placed=*")
    [(total, vouchers, self_paid, intent)] = placed_orders(shop)
    assert (total, vouchers, self_paid) == (4_000_00, 2_400_00, 1_600_00)
    assert shop["gateway"].retrieve(intent).amount_fen == 1_600_00


def test_without_javascript_the_recalculate_button_updates_the_figures(browser, live_server, shop):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in(page, "buyer@amounts.example", PASSWORD)
        page.goto(f"/products/{shop['product'].id}")
        page.click("form.add-to-cart button[type=submit]")
        page.goto("/checkout")
        assert page.inner_text("#self-pay") == "¥1,200.00"
        page.uncheck("input[name=use_vouchers]")
        page.click("button[name=recalculate]")
        page.wait_for_load_state()
        assert page.inner_text("#self-pay") == "¥3,000.00"
        assert not page.is_checked("input[name=use_vouchers]")
        screenshot(page, "checkout-recalculated-zh")
    finally:
        context.close()
    assert placed_orders(shop) == []
