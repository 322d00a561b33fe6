"""What buyers and providers are told when a payment fails half-way, and the confirmation deadline on
their pages (issue 11: payment failure paths)."""
import pytest

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
    return {"enterprise": enterprise, "provider": provider,
            "product": make_product(session, provider, price_fen=1_000_00, name="云服务器 2核4G")}


def place(session, world, gateway):
    return services.checkout(session, member(world["enterprise"]),
                             services.CheckoutRequest([(world["product"].id, 1)], True, True, "pm_card_visa"),
                             gateway=gateway)[0]


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
    assert "可能已扣款" in text and "扣款处理中" in text          # the message, and the payment's state
    assert fresh(session).get(type(order), order.id).payment_status.value == "capture_pending"
