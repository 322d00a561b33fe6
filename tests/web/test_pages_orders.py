"""Cart, checkout and order pages."""

import pytest

from orders import cart as carts
from orders import checkout as checkouts
from orders import services
from tests.helpers import fresh, grant_wallet, make_org, make_product, make_programme, member, sign_in
from tests.stripe_mock import card

CAP = 50_000_00


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session, payments):
    make_programme(session)
    enterprise = make_org(session)
    grant_wallet(session, enterprise)
    p1, p2 = (
        make_org(session, "provider", name="贵州黔云科技有限公司"),
        make_org(session, "provider", name="遵义筑数信息技术有限公司"),
    )
    return {
        "enterprise": enterprise,
        "p1": p1,
        "p2": p2,
        "gateway": payments,
        "a": make_product(session, p1, price_fen=1_000_00, name="云服务器 2核4G"),
        "b": make_product(
            session, p2, price_fen=3_000_00, layer="platform", category="database", name="云数据库 MySQL"
        ),
    }


def text(response):
    return response.get_data(as_text=True)


def test_adding_from_the_product_page_and_the_cart_grouped_by_provider(client, world):
    sign_in(client, member(world["enterprise"]))
    page = text(client.get(f"/products/{world['a'].id}"))
    assert 'action="/cart/add"' in page
    client.post("/cart/add", data={"product_id": world["a"].id, "quantity": 2})
    response = client.post("/cart/add", data={"product_id": world["b"].id}, headers={"HX-Request": "true"})
    assert "已加入购物车" in text(response) and "去购物车（2）" in text(response)
    cart = text(client.get("/cart"))
    assert cart.index("贵州黔云科技有限公司") < cart.index("遵义筑数信息技术有限公司")
    assert "¥2,000.00" in cart and "¥800.00" in cart and "¥1,800.00" in cart  # amounts, 40%, 60%
    assert "¥50,000.00 → ¥47,400.00" in cart  # wallet before and after


def test_changing_a_quantity_with_htmx_returns_the_cart_fragment(client, world):
    sign_in(client, member(world["enterprise"]))
    client.post("/cart/add", data={"product_id": world["a"].id})
    fragment = text(client.post(f"/cart/{world['a'].id}", data={"quantity": "3"}, headers={"HX-Request": "true"}))
    assert "<html" not in fragment and "¥3,000.00" in fragment
    bad = client.post(f"/cart/{world['a'].id}", data={"quantity": "lots"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "须为整数" in text(bad)
    client.post(f"/cart/{world['a'].id}", data={"remove": "1"})
    assert "购物车是空的" in text(client.get("/cart"))


def test_checkout_page_shows_the_agreement_and_refuses_without_acceptance(client, world, session):
    sign_in(client, member(world["enterprise"]))
    client.post("/cart/add", data={"product_id": world["a"].id})
    page = text(client.get("/checkout"))
    assert "上云服务交易协议（2026-01 版）" in page and 'name="checkout_token"' in page and "js.stripe.com/v3/" in page
    response = client.post(
        "/checkout", data={"use_vouchers": "1", "payment_method": card(world["gateway"]), "checkout_token": "t-1"}
    )
    assert response.status_code == 422 and 'id="e-agreement"' in text(response)
    assert carts.cart_lines(fresh(session), world["enterprise"].id)  # the cart is kept


def test_checkout_from_the_page_places_orders_once_even_when_sent_twice(client, world, session):
    sign_in(client, member(world["enterprise"]))
    client.post("/cart/add", data={"product_id": world["a"].id})
    client.post("/cart/add", data={"product_id": world["b"].id})
    form = {
        "use_vouchers": "1",
        "agreement_accepted": "1",
        "payment_method": card(world["gateway"]),
        "checkout_token": "t-2",
    }
    first = client.post("/checkout", data=form)
    assert first.status_code == 302 and "/orders?placed=" in first.headers["Location"]
    second = client.post("/checkout", data={**form, "payment_method": card(world["gateway"])})  # a double click
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    assert services.list_orders(fresh(session), member(world["enterprise"]), page=1, per_page=10).total == 2
    page = text(client.get(first.headers["Location"]))
    assert "just-placed" in page and "待确认" in page


def test_a_declined_card_is_shown_in_place_and_the_cart_stays(client, world, session):
    from tests.stripe_mock import DECLINED

    sign_in(client, member(world["enterprise"]))
    client.post("/cart/add", data={"product_id": world["a"].id})
    response = client.post(
        "/checkout",
        data={
            "use_vouchers": "1",
            "agreement_accepted": "1",
            "payment_method": card(world["gateway"], DECLINED),
            "checkout_token": "t-3",
        },
    )
    assert response.status_code == 402 and "银行卡支付被拒绝" in text(response)
    assert carts.cart_lines(fresh(session), world["enterprise"].id)


def test_the_provider_confirms_and_the_buyer_sees_the_timeline(client, world, session):
    orders = checkouts.checkout(
        session,
        member(world["enterprise"]),
        checkouts.CheckoutRequest([(world["a"].id, 1)], True, True, card(world["gateway"])),
        gateway=world["gateway"],
    )
    order_id = orders[0].id
    sign_in(client, member(world["p1"]))
    assert '<span class="count"' in text(client.get("/orders"))  # what waits for the provider
    page = text(client.post(f"/orders/{order_id}/confirm", follow_redirects=True))
    assert "交易已确认" in page
    sign_in(client, member(world["enterprise"]))
    page = text(client.get(f"/orders/{order_id}"))
    assert "服务商确认交易" in page and "下单" in page and "申请退款" in page


def test_the_buyer_cancels_from_the_order_page(client, world, session):
    orders = checkouts.checkout(
        session,
        member(world["enterprise"]),
        checkouts.CheckoutRequest([(world["b"].id, 1)], True, True, card(world["gateway"])),
        gateway=world["gateway"],
    )
    sign_in(client, member(world["enterprise"]))
    page = text(client.post(f"/orders/{orders[0].id}/cancel", follow_redirects=True))
    assert "订单已取消" in page
    assert "¥50,000.00" in text(client.get("/wallet"))


def test_another_enterprise_cannot_see_an_order_page(client, world, session):
    orders = checkouts.checkout(
        session,
        member(world["enterprise"]),
        checkouts.CheckoutRequest([(world["a"].id, 1)], True, True, card(world["gateway"])),
        gateway=world["gateway"],
    )
    sign_in(client, member(make_org(session)))
    assert client.get(f"/orders/{orders[0].id}").status_code == 404
    assert client.post(f"/orders/{orders[0].id}/cancel").status_code == 404
