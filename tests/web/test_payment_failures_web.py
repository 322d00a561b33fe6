"""What buyers and providers are told when a payment fails half-way, and the confirmation deadline on
their pages (issue 11: payment failure paths)."""

import datetime as dt

import pytest

from orders import checkout as checkouts
from orders import services
from tests.helpers import fresh, grant_wallet, make_org, make_product, make_programme, member, sign_in, token_for
from tests.payment_fakes import LostCaptureGateway


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session):
    make_programme(session)
    enterprise = make_org(session)
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider", name="贵州黔云科技有限公司")
    return {
        "enterprise": enterprise,
        "provider": provider,
        "product": make_product(session, provider, price_fen=1_000_00, name="云服务器 2核4G"),
    }


def place(session, world, gateway):
    return checkouts.checkout(
        session,
        member(world["enterprise"]),
        checkouts.CheckoutRequest([(world["product"].id, 1)], True, True, "pm_card_visa"),
        gateway=gateway,
    )[0]


def test_a_confirm_whose_capture_answer_is_lost_says_the_payment_may_have_been_taken(app, client, session, world):
    gateway = LostCaptureGateway(down_after_capture=True)
    app.extensions["orders.gateway"] = gateway
    order = place(session, world, gateway)
    response = client.post(f"/api/v1/orders/{order.id}/confirm", headers=token_for(session, member(world["provider"])))
    assert response.status_code == 503 and response.json["code"] == "payment_unavailable"
    assert "可能已扣款" in response.json["detail"] and "对账" in response.json["detail"]
    assert "nothing was changed" not in response.get_data(as_text=True)

    sign_in(client, member(world["provider"]))
    page = client.post(f"/orders/{order.id}/confirm")
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert "可能已扣款" in text and "扣款处理中" in text  # the message, and the payment's state
    assert fresh(session).get(type(order), order.id).payment_status.value == "capture_pending"


def test_the_providers_list_shows_the_time_left_to_confirm_and_overdue_orders_distinctly(app, client, session, world):
    from orders.payments import InProcessGateway
    from shop import clock

    gateway = InProcessGateway()
    app.extensions["orders.gateway"] = gateway
    soon, late, done = (place(session, world, gateway) for _ in range(3))
    services.confirm_order(session, member(world["provider"]), done.id, gateway=gateway)
    soon.placed_at = clock.now() - dt.timedelta(days=3, hours=19, minutes=30)  # 2 days 4½ hours left
    session.commit()
    sign_in(client, member(world["provider"]))
    page = client.get("/orders").get_data(as_text=True)  # the day's jobs ran here
    assert "确认剩余时间" in page and "还剩 2 天 4 小时" in page and "还剩 5 天 23 小时" in page

    late.placed_at = clock.now() - dt.timedelta(days=6, minutes=5)  # past it, job not yet run
    session.commit()
    page = client.get("/orders").get_data(as_text=True)
    assert "已超期" in page and page.count("还剩") == 1
    buyer_page = client.get(f"/orders/{late.id}").get_data(as_text=True)
    assert "确认期限" in buyer_page and "已超期" in buyer_page


def test_the_daily_job_cancels_an_order_not_confirmed_in_time_and_its_page_says_why(app, client, session, world, today):
    from orders.payments import InProcessGateway

    gateway = InProcessGateway()
    app.extensions["orders.gateway"] = gateway
    order = place(session, world, gateway)
    today("2026-03-09")
    sign_in(client, member(world["enterprise"]))
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)  # the first request of the day
    assert "服务商未在确认期限内确认" in page and "平台自动取消" in page
    assert gateway.retrieve(order.payment_intent_id).status == "canceled"
    api = client.get(f"/api/v1/orders/{order.id}", headers=token_for(session, member(world["provider"])))
    assert (api.json["status"], api.json["cancellation_reason"]) == ("cancelled", "confirmation_deadline")
    assert api.json["confirm_by"] is None


def test_expire_unconfirmed_orders_from_cron_is_idempotent(app, session, world, today):
    from orders.payments import InProcessGateway

    gateway = InProcessGateway()
    app.extensions["orders.gateway"] = gateway
    place(session, world, gateway)
    today("2026-03-09")
    runner = app.test_cli_runner()
    assert (
        "1 order(s) not confirmed within 6 days cancelled" in runner.invoke(args=["expire-unconfirmed-orders"]).output
    )
    assert "0 order(s)" in runner.invoke(args=["expire-unconfirmed-orders"]).output
