"""The "Checkout and orders" calls of API.md, as written, with each error code."""

import pytest

from shop.states import Role
from tests.helpers import fresh, grant_wallet, make_org, make_product, make_programme, make_staff, member, token_for
from tests.stripe_mock import DECLINED, card
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
    p1, p2 = make_org(session, "provider"), make_org(session, "provider")
    return {
        "enterprise": enterprise,
        "p1": p1,
        "p2": p2,
        "a": make_product(session, p1, price_fen=1_000_00),
        "b": make_product(session, p2, price_fen=500_00, layer="application", category="other_apps"),
        "buyer": token_for(session, member(enterprise)),
        "gateway": payments,
    }


def body(world, pm, **overrides):
    data = {
        "lines": [{"product_id": world["a"].id, "quantity": 2}, {"product_id": world["b"].id, "quantity": 1}],
        "use_vouchers": True,
        "agreement_accepted": True,
        "payment_method": pm,
    }
    data.update(overrides)
    return data


def test_checkout_answers_201_with_one_order_per_provider(client, world):
    response = client.post("/api/v1/checkout", json=body(world, card(world["gateway"])), headers=world["buyer"])
    assert response.status_code == 201, response.json
    orders = response.json["orders"]
    assert [(o["provider_id"], o["total_fen"], o["voucher_fen"], o["self_pay_fen"], o["status"]) for o in orders] == [
        (world["p1"].id, 2_000_00, 800_00, 1_200_00, "placed"),
        (world["p2"].id, 500_00, 300_00, 200_00, "placed"),
    ]
    assert orders[0]["lines"] == [
        {
            "product_id": world["a"].id,
            "version_id": world["a"].published_version_id,
            "quantity": 2,
            "unit_price_fen": 1_000_00,
            "amount_fen": 2_000_00,
            "voucher_fen": 800_00,
        }
    ]


def test_idempotency_key_replays_the_first_result_and_a_different_body_is_a_mismatch(client, world, session):
    pm = card(world["gateway"])
    headers = {**world["buyer"], "Idempotency-Key": "order-2026-0001"}
    first = client.post("/api/v1/checkout", json=body(world, pm), headers=headers)
    again = client.post("/api/v1/checkout", json=body(world, pm), headers=headers)
    assert first.status_code == again.status_code == 201
    assert [o["id"] for o in again.json["orders"]] == [o["id"] for o in first.json["orders"]]
    other = client.post("/api/v1/checkout", json=body(world, pm, use_vouchers=False), headers=headers)
    assert (other.status_code, other.json["code"]) == (422, "idempotency_mismatch")
    assert wallet_services.wallet(fresh(session), world["enterprise"].id, 2026).in_orders_fen == 1_100_00


@pytest.mark.parametrize(
    "change, status, code",
    [
        (dict(agreement_accepted=False), 422, "agreement_not_accepted"),
        (dict(lines=[]), 422, "validation_error"),
        (dict(lines=[{"product_id": 999999, "quantity": 1}]), 409, "product_unavailable"),
        (dict(lines=[{"product_id": 1, "quantity": 0}]), 422, "validation_error"),
    ],
)
def test_checkout_refusals(client, world, change, status, code):
    response = client.post("/api/v1/checkout", json=body(world, "pm_card_visa", **change), headers=world["buyer"])
    assert (response.status_code, response.json["code"]) == (status, code)


def test_a_declined_card_is_402_and_nothing_is_kept(client, world, session):
    response = client.post(
        "/api/v1/checkout", json=body(world, card(world["gateway"], DECLINED)), headers=world["buyer"]
    )
    assert (response.status_code, response.json["code"]) == (402, "payment_declined")
    assert client.get("/api/v1/orders", headers=world["buyer"]).json["total"] == 0
    assert client.get("/api/v1/wallet", headers=world["buyer"]).json["available_fen"] == CAP


def test_an_unreachable_payment_service_is_503(client, world, app):
    from orders.payments import StripeGateway

    app.extensions["orders.gateway"] = StripeGateway("sk_test_x", api_base="http://127.0.0.1:9", timeout=2)
    response = client.post("/api/v1/checkout", json=body(world, "pm_card_visa"), headers=world["buyer"])
    assert (response.status_code, response.json["code"]) == (503, "payment_unavailable")
    assert client.get("/api/v1/wallet", headers=world["buyer"]).json["available_fen"] == CAP


def test_an_uncertified_enterprise_cannot_buy(client, world, session):
    from orgs.states import OrgStatus

    pending = make_org(session, status=OrgStatus.UNDER_REVIEW)
    response = client.post(
        "/api/v1/checkout", json=body(world, "pm_card_visa"), headers=token_for(session, member(pending))
    )
    assert (response.status_code, response.json["code"]) == (403, "not_certified")


def test_confirm_cancel_refund_through_the_api(client, world, session):
    orders = client.post("/api/v1/checkout", json=body(world, card(world["gateway"])), headers=world["buyer"]).json[
        "orders"
    ]
    first, second = orders[0]["id"], orders[1]["id"]
    p1, p2 = token_for(session, member(world["p1"])), token_for(session, member(world["p2"]))
    confirmed = client.post(f"/api/v1/orders/{first}/confirm", headers=p1)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    assert confirmed.json["payment_status"] == "captured"
    cancelled = client.post(f"/api/v1/orders/{second}/cancel", headers=world["buyer"])
    assert cancelled.json["status"] == "cancelled" and cancelled.json["payment_status"] == "voided"
    again = client.post(f"/api/v1/orders/{second}/cancel", headers=world["buyer"])
    assert (again.status_code, again.json["code"]) == (409, "invalid_state")
    no_reason = client.post(f"/api/v1/orders/{first}/refund-request", json={}, headers=world["buyer"])
    assert (no_reason.status_code, no_reason.json["code"]) == (422, "validation_error")
    asked = client.post(f"/api/v1/orders/{first}/refund-request", json={"reason": "未开通"}, headers=world["buyer"])
    assert asked.json["status"] == "refund_requested"
    refused = client.post(f"/api/v1/orders/{first}/refund-decision", json={"decision": "reject"}, headers=p1)
    assert refused.status_code == 422
    refunded = client.post(f"/api/v1/orders/{first}/refund-decision", json={"decision": "approve"}, headers=p1)
    assert refunded.json["status"] == "refunded" and refunded.json["payment_status"] == "refunded"
    assert client.get("/api/v1/wallet", headers=world["buyer"]).json["available_fen"] == CAP
    assert client.post(f"/api/v1/orders/{first}/confirm", headers=p2).status_code == 404


def test_each_party_lists_only_its_orders(client, world, session):
    client.post("/api/v1/checkout", json=body(world, card(world["gateway"])), headers=world["buyer"])
    p1 = token_for(session, member(world["p1"]))
    assert client.get("/api/v1/orders", headers=world["buyer"]).json["total"] == 2
    listed = client.get("/api/v1/orders?status=placed", headers=p1).json
    assert listed["total"] == 1 and listed["items"][0]["provider_id"] == world["p1"].id
    stranger = token_for(session, member(make_org(session)))
    assert client.get("/api/v1/orders", headers=stranger).json["total"] == 0
    order_id = listed["items"][0]["id"]
    assert client.get(f"/api/v1/orders/{order_id}", headers=stranger).status_code == 404
    staff = token_for(session, make_staff(session, Role.AUTHORITY))
    assert client.get("/api/v1/orders", headers=staff).json["total"] == 2
    bad = client.get("/api/v1/orders?status=shipped", headers=world["buyer"])
    assert (bad.status_code, bad.json["code"]) == (422, "validation_error")


def test_the_cart_api(client, world):
    headers = world["buyer"]
    assert (
        client.post(
            "/api/v1/cart/lines", json={"product_id": world["a"].id, "quantity": 3}, headers=headers
        ).status_code
        == 201
    )
    cart = client.get("/api/v1/cart", headers=headers).json
    assert (cart["total_fen"], cart["voucher_fen"], cart["available_after_fen"]) == (3_000_00, 1_200_00, CAP - 1_200_00)
    assert client.patch(f"/api/v1/cart/lines/{world['a'].id}", json={"quantity": 0}, headers=headers).status_code == 200
    assert client.get("/api/v1/cart", headers=headers).json["orders"] == []
    assert client.delete(f"/api/v1/cart/lines/{world['a'].id}", headers=headers).status_code == 404
