"""The amount the buyer agrees to is the amount charged, through the API: ``POST /checkout`` takes the
amounts the buyer was shown; a difference is 409 ``price_changed`` with the current quote, nothing kept."""

import pytest

from catalog.models import Product
from orders.models import Order
from tests.catalog_helpers import reprice
from tests.helpers import fresh, grant_wallet, make_org, make_product, make_programme, member, token_for
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
    provider = make_org(session, "provider", name="贵州黔云科技有限公司")
    return {
        "enterprise": enterprise,
        "provider": provider,
        "gateway": payments,
        "buyer": token_for(session, member(enterprise)),
        "a": make_product(session, provider, price_fen=100_00, name="云服务器 2核4G"),
    }  # 40% vouchers


def body(world, pm, **overrides):
    data = {
        "lines": [{"product_id": world["a"].id, "quantity": 1}],
        "use_vouchers": True,
        "agreement_accepted": True,
        "payment_method": pm,
    }
    data.update(overrides)
    return data


def test_the_api_refuses_a_price_changed_by_review_since_the_cart_was_priced_and_keeps_nothing(client, world, session):
    headers = world["buyer"]
    client.post("/api/v1/cart/lines", json={"product_id": world["a"].id}, headers=headers)
    priced = client.get("/api/v1/cart", headers=headers).json
    assert (priced["total_fen"], priced["self_pay_fen"]) == (100_00, 60_00)
    reprice(session, world["a"], 900_00)

    response = client.post(
        "/api/v1/checkout",
        headers=headers,
        json=body(
            world,
            card(world["gateway"]),
            expected_total_fen=priced["total_fen"],
            expected_self_pay_fen=priced["self_pay_fen"],
        ),
    )
    assert (response.status_code, response.json["code"]) == (409, "price_changed"), response.json
    quote = response.json["quote"]
    assert (quote["total_fen"], quote["voucher_fen"], quote["self_pay_fen"]) == (900_00, 360_00, 540_00)
    assert [(o["provider_id"], o["total_fen"], o["voucher_fen"], o["self_pay_fen"]) for o in quote["orders"]] == [
        (world["provider"].id, 900_00, 360_00, 540_00)
    ]
    new_version = fresh(session).get(Product, world["a"].id).published_version_id
    assert quote["orders"][0]["lines"] == [
        {
            "product_id": world["a"].id,
            "version_id": new_version,
            "quantity": 1,
            "unit_price_fen": 900_00,
            "amount_fen": 900_00,
            "voucher_fen": 360_00,
        }
    ]
    assert client.get("/api/v1/orders", headers=headers).json["total"] == 0
    assert client.get("/api/v1/wallet", headers=headers).json["available_fen"] == CAP
    assert client.get("/api/v1/cart", headers=headers).json["total_fen"] == 900_00  # the cart is kept

    again = client.post(
        "/api/v1/checkout",
        headers=headers,
        json=body(
            world,
            card(world["gateway"]),
            expected_total_fen=quote["total_fen"],
            expected_self_pay_fen=quote["self_pay_fen"],
        ),
    )
    assert again.status_code == 201, again.json
    order = again.json["orders"][0]
    assert (order["total_fen"], order["self_pay_fen"]) == (900_00, 540_00)
    intent = fresh(session).get(Order, order["id"]).payment_intent_id
    assert world["gateway"].retrieve(intent).amount_fen == 540_00  # what the card holds


def test_the_api_places_the_order_when_the_expected_amounts_match(client, world):
    response = client.post(
        "/api/v1/checkout",
        headers=world["buyer"],
        json=body(world, card(world["gateway"]), expected_total_fen=100_00, expected_self_pay_fen=60_00),
    )
    assert response.status_code == 201, response.json
    assert [(o["total_fen"], o["voucher_fen"], o["self_pay_fen"]) for o in response.json["orders"]] == [
        (100_00, 40_00, 60_00)
    ]


def test_the_api_refuses_the_voucher_figures_sent_without_vouchers(client, world):
    response = client.post(
        "/api/v1/checkout",
        headers=world["buyer"],
        json=body(
            world, card(world["gateway"]), use_vouchers=False, expected_total_fen=100_00, expected_self_pay_fen=60_00
        ),
    )
    assert (response.status_code, response.json["code"]) == (409, "price_changed")
    assert response.json["quote"]["self_pay_fen"] == 100_00
    assert client.get("/api/v1/wallet", headers=world["buyer"]).json["available_fen"] == CAP


@pytest.mark.parametrize("value", [-1, "12.5", True, 2**62])
def test_the_expected_amounts_are_whole_fen(client, world, value):
    response = client.post(
        "/api/v1/checkout", headers=world["buyer"], json=body(world, "pm_card_visa", expected_total_fen=value)
    )
    assert (response.status_code, response.json["code"]) == (422, "validation_error")
    assert "expected_total_fen" in response.json["errors"]


def test_the_openapi_document_declares_the_expected_amounts_and_price_changed(client):
    checkout = client.get("/api/v1/openapi.json").json["paths"]["/checkout"]["post"]
    properties = checkout["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert properties["expected_total_fen"]["type"] == properties["expected_self_pay_fen"]["type"] == "integer"
    assert "price_changed" in checkout["responses"]["409"]["description"]
