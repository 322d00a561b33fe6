"""The amount the buyer agrees to is the amount charged, on the checkout page: the figures it shows
travel with the form; a difference shows the new figures and asks again; without JavaScript a button
recalculates the figures for the voucher box."""

import re

import pytest

from orders import cart as carts
from orders import services
from tests.catalog_helpers import reprice
from tests.helpers import fresh, grant_wallet, make_org, make_product, make_programme, member, sign_in
from tests.stripe_mock import card
from wallet import services as wallet_services

CAP = 50_000_00


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session, payments):
    make_programme(session)
    enterprise = make_org(session)
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider", name="贵州黔云科技有限公司")
    return {
        "enterprise": enterprise,
        "provider": provider,
        "gateway": payments,
        "a": make_product(session, provider, price_fen=100_00, name="云服务器 2核4G"),
    }  # 40% vouchers


def text(response):
    return response.get_data(as_text=True)


def hidden(page, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    return match and match.group(1)


def test_the_checkout_page_carries_the_amounts_it_shows(client, world):
    sign_in(client, member(world["enterprise"]))
    client.post("/cart/add", data={"product_id": world["a"].id})
    page = text(client.get("/checkout"))
    assert (hidden(page, "expected_total_fen"), hidden(page, "expected_self_pay_fen")) == ("10000", "6000")
    summary = text(client.get("/checkout/summary?use_vouchers=0"))
    assert (hidden(summary, "expected_total_fen"), hidden(summary, "expected_self_pay_fen")) == ("10000", "10000")


def test_a_price_changed_after_the_page_was_shown_asks_for_a_second_confirmation(client, world, session):
    sign_in(client, member(world["enterprise"]))
    client.post("/cart/add", data={"product_id": world["a"].id})
    page = text(client.get("/checkout"))
    form = {
        "use_vouchers": "1",
        "agreement_accepted": "1",
        "checkout_token": hidden(page, "checkout_token"),
        "expected_total_fen": hidden(page, "expected_total_fen"),
        "expected_self_pay_fen": hidden(page, "expected_self_pay_fen"),
    }
    reprice(session, world["a"], 900_00)

    response = client.post("/checkout", data={**form, "payment_method": card(world["gateway"])})
    assert response.status_code == 409
    page = text(response)
    assert "金额已变化" in page and "¥900.00" in page and "¥100.00" in page and "¥540.00" in page and "¥60.00" in page
    assert "未扣款" in page  # says that nothing was charged
    assert (hidden(page, "expected_total_fen"), hidden(page, "expected_self_pay_fen")) == ("90000", "54000")
    assert "按新金额下单" in page  # the button asks to confirm again
    assert 'name="agreement_accepted" value="1" required checked' in page  # the agreement stays accepted
    assert services.list_orders(fresh(session), member(world["enterprise"]), page=1, per_page=10).total == 0
    assert wallet_services.wallet(fresh(session), world["enterprise"].id, 2026).available_fen == CAP
    assert carts.cart_lines(fresh(session), world["enterprise"].id)

    confirmed = client.post(
        "/checkout",
        data={
            **form,
            "checkout_token": hidden(page, "checkout_token"),
            "expected_total_fen": hidden(page, "expected_total_fen"),
            "expected_self_pay_fen": hidden(page, "expected_self_pay_fen"),
            "payment_method": card(world["gateway"]),
        },
    )
    assert confirmed.status_code == 302 and "/orders?placed=" in confirmed.headers["Location"]
    orders = services.list_orders(fresh(session), member(world["enterprise"]), page=1, per_page=10).items
    assert [(o.total_fen, o.self_pay_fen) for o in orders] == [(900_00, 540_00)]


def test_unticked_vouchers_sent_with_the_voucher_figures_are_shown_again_not_charged(client, world, session):
    sign_in(client, member(world["enterprise"]))
    client.post("/cart/add", data={"product_id": world["a"].id})
    page = text(client.get("/checkout"))
    response = client.post(
        "/checkout",
        data={  # the box unticked, the figures not refreshed
            "agreement_accepted": "1",
            "checkout_token": hidden(page, "checkout_token"),
            "expected_total_fen": "10000",
            "expected_self_pay_fen": "6000",
            "payment_method": card(world["gateway"]),
        },
    )
    assert response.status_code == 409
    page = text(response)
    assert "¥100.00" in page and "¥60.00" in page and 'name="use_vouchers" value="1" checked' not in page
    assert hidden(page, "expected_self_pay_fen") == "10000"
    assert services.list_orders(fresh(session), member(world["enterprise"]), page=1, per_page=10).total == 0


def test_without_javascript_recalculate_shows_the_figures_for_the_box_as_ticked(client, world, session):
    sign_in(client, member(world["enterprise"]))
    client.post("/cart/add", data={"product_id": world["a"].id})
    page = text(client.get("/checkout"))
    assert 'name="recalculate"' in page
    response = client.post(
        "/checkout",
        data={
            "recalculate": "1",
            "agreement_accepted": "1",
            "checkout_token": hidden(page, "checkout_token"),
            "expected_total_fen": "10000",
            "expected_self_pay_fen": "6000",
        },
    )
    assert response.status_code == 200
    page = text(response)
    assert re.search(r'id="self-pay">¥100.00<', page)  # the card pays everything now
    assert hidden(page, "expected_self_pay_fen") == "10000"
    assert (
        'name="use_vouchers" value="1" checked' not in page
        and 'name="agreement_accepted" value="1" required checked' in page
    )
    assert services.list_orders(fresh(session), member(world["enterprise"]), page=1, per_page=10).total == 0
    ticked = text(
        client.post(
            "/checkout",
            data={"recalculate": "1", "use_vouchers": "1", "checkout_token": hidden(page, "checkout_token")},
        )
    )
    assert re.search(r'id="self-pay">¥60.00<', ticked) and 'name="use_vouchers" value="1" checked' in ticked
