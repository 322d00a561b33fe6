"""The amount the buyer agrees to is the amount charged: a checkout that carries the amounts the buyer
was shown is refused with the current quote, and nothing is kept, when the server's prices differ."""

import pytest
from sqlalchemy import func, select

from orders import checkout as checkouts
from orders import pricing
from orders.commands import CheckoutRequest
from orders.models import CheckoutAttempt, Order
from shop.errors import DomainError
from tests.catalog_helpers import reprice
from tests.helpers import grant_wallet, make_org, make_product, make_programme, member
from tests.stripe_mock import card
from wallet import services as wallet_services

CAP = 50_000_00


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session):
    make_programme(session)
    enterprise = make_org(session, name="贵阳测试采购有限公司")
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider")
    return {
        "enterprise": enterprise,
        "buyer": member(enterprise),
        "provider": provider,
        "compute": make_product(session, provider, price_fen=100_00, layer="infrastructure"),
    }  # 40%


def shown(session, world, lines, *, use_vouchers=True):
    """What the checkout page shows the buyer for ``lines`` now."""
    quoted = pricing.quote(session, world["enterprise"].id, lines, use_vouchers=use_vouchers)
    session.rollback()
    return quoted


def request(lines, quoted, *, use_vouchers=True, pm=None):
    return checkouts.CheckoutRequest(
        lines, use_vouchers, True, pm, expected_total_fen=quoted.total_fen, expected_self_pay_fen=quoted.self_pay_fen
    )


def counts(session):
    session.rollback()
    return (
        session.scalar(select(func.count()).select_from(CheckoutAttempt)),
        session.scalar(select(func.count()).select_from(Order)),
    )


def available(session, world):
    session.rollback()
    return wallet_services.wallet(session, world["enterprise"].id, 2026).available_fen


def test_a_price_changed_by_review_after_the_quote_is_refused_with_the_new_quote(session, world, stripe_gateway):
    lines = [(world["compute"].id, 1)]
    before = shown(session, world, lines)
    assert (before.total_fen, before.voucher_fen, before.self_pay_fen) == (100_00, 40_00, 60_00)
    reprice(session, world["compute"], 900_00)  # passes both reviews meanwhile

    with pytest.raises(DomainError) as caught:
        checkouts.checkout(
            session, world["buyer"], request(lines, before, pm=card(stripe_gateway)), gateway=stripe_gateway
        )
    error = caught.value
    assert (error.code, error.status) == ("price_changed", 409)
    assert "¥900.00" in str(error.detail) and "¥100.00" in str(error.detail)
    quote = error.problem()["quote"]
    assert (quote["total_fen"], quote["voucher_fen"], quote["self_pay_fen"]) == (900_00, 360_00, 540_00)
    assert [(o["provider_id"], o["total_fen"], o["voucher_fen"], o["self_pay_fen"]) for o in quote["orders"]] == [
        (world["provider"].id, 900_00, 360_00, 540_00)
    ]
    assert quote["orders"][0]["lines"][0]["unit_price_fen"] == 900_00
    assert counts(session) == (0, 0)  # no attempt, no order
    assert available(session, world) == CAP  # no voucher held


def test_the_new_quote_confirmed_places_the_order_at_the_new_price(session, world, stripe_gateway):
    lines = [(world["compute"].id, 1)]
    reprice(session, world["compute"], 900_00)
    now = shown(session, world, lines)
    orders = checkouts.checkout(
        session, world["buyer"], request(lines, now, pm=card(stripe_gateway)), gateway=stripe_gateway
    )
    assert [(o.total_fen, o.voucher_fen, o.self_pay_fen) for o in orders] == [(900_00, 360_00, 540_00)]
    assert stripe_gateway.retrieve(orders[0].payment_intent_id).amount_fen == 540_00


def test_unticking_vouchers_after_being_shown_the_voucher_figures_is_price_changed(session, world, stripe_gateway):
    lines = [(world["compute"].id, 1)]
    with_vouchers = shown(session, world, lines)  # the page did not refresh its figures
    with pytest.raises(DomainError) as caught:
        checkouts.checkout(
            session,
            world["buyer"],
            request(lines, with_vouchers, use_vouchers=False, pm=card(stripe_gateway)),
            gateway=stripe_gateway,
        )
    assert caught.value.code == "price_changed"
    quote = caught.value.problem()["quote"]
    assert (quote["total_fen"], quote["voucher_fen"], quote["self_pay_fen"]) == (100_00, 0, 100_00)
    assert "¥100.00" in str(caught.value.detail) and "¥60.00" in str(caught.value.detail)
    assert counts(session) == (0, 0) and available(session, world) == CAP


def test_vouchers_spent_elsewhere_meanwhile_change_the_card_amount_and_are_price_changed(
    session, world, stripe_gateway
):
    big = make_product(session, world["provider"], price_fen=124_950_00)  # 40% = 49,980 of the 50,000
    lines = [(world["compute"].id, 1)]
    before = shown(session, world, lines)
    checkouts.checkout(
        session,
        world["buyer"],
        checkouts.CheckoutRequest([(big.id, 1)], True, True, card(stripe_gateway)),
        gateway=stripe_gateway,
    )  # another tab
    with pytest.raises(DomainError) as caught:
        checkouts.checkout(
            session, world["buyer"], request(lines, before, pm=card(stripe_gateway)), gateway=stripe_gateway
        )
    assert caught.value.code == "price_changed"
    assert caught.value.problem()["quote"]["self_pay_fen"] == 100_00 - 20_00  # ¥20 of vouchers left


def test_the_amounts_are_optional_and_only_those_given_are_checked(session, world, stripe_gateway):
    lines = [(world["compute"].id, 1)]
    reprice(session, world["compute"], 900_00)
    total_only = checkouts.CheckoutRequest(lines, True, True, card(stripe_gateway), expected_total_fen=900_00)
    orders = checkouts.checkout(session, world["buyer"], total_only, gateway=stripe_gateway)
    assert orders[0].self_pay_fen == 540_00
    with pytest.raises(DomainError) as caught:
        checkouts.checkout(
            session,
            world["buyer"],
            checkouts.CheckoutRequest(lines, True, True, card(stripe_gateway), expected_self_pay_fen=60_00),
            gateway=stripe_gateway,
        )
    assert caught.value.code == "price_changed"


def test_a_price_changed_refusal_keeps_the_key_free_and_the_expected_amounts_are_part_of_the_body(
    session, world, stripe_gateway
):
    lines = [(world["compute"].id, 1)]
    before = shown(session, world, lines)
    reprice(session, world["compute"], 900_00)
    pm = card(stripe_gateway)
    with pytest.raises(DomainError) as refused:
        checkouts.checkout(
            session, world["buyer"], request(lines, before, pm=pm), gateway=stripe_gateway, idempotency_key="k-1"
        )
    assert refused.value.code == "price_changed"
    now = shown(session, world, lines)
    orders = checkouts.checkout(
        session, world["buyer"], request(lines, now, pm=pm), gateway=stripe_gateway, idempotency_key="k-1"
    )  # the second confirmation, same key
    assert orders[0].total_fen == 900_00
    with pytest.raises(DomainError) as other:
        checkouts.checkout(
            session, world["buyer"], request(lines, before, pm=pm), gateway=stripe_gateway, idempotency_key="k-1"
        )
    assert other.value.code == "idempotency_mismatch"


def test_a_checkout_request_takes_the_expected_amounts_as_whole_fen():
    request = CheckoutRequest.from_input(
        {
            "lines": [{"product_id": 1, "quantity": 1}],
            "agreement_accepted": True,
            "expected_total_fen": "10000",
            "expected_self_pay_fen": 6000,
        }
    )
    assert (request.expected_total_fen, request.expected_self_pay_fen) == (10000, 6000)
    assert CheckoutRequest.from_input({"lines": [{"product_id": 1, "quantity": 1}]}).expected_total_fen is None
    with pytest.raises(DomainError) as caught:
        CheckoutRequest.from_input(
            {"lines": [{"product_id": 1, "quantity": 1}], "expected_total_fen": -1, "expected_self_pay_fen": "12.5"}
        )
    assert set(caught.value.errors) == {"expected_total_fen", "expected_self_pay_fen"}
