"""Checkout with vouchers and the card (localstripe), one order per provider, and what follows it."""

import pytest
from sqlalchemy import func, select

from orders import cart as carts
from orders import checkout as checkouts
from orders import pricing, services
from orders.commands import CartLineInput, QuantityInput
from orders.models import CheckoutAttempt, Order
from orders.payments import StripeGateway
from orders.states import AttemptStatus, OrderStatus, PaymentStatus
from orgs import affiliations
from orgs.commands import AffiliationInput
from shop.errors import DomainError
from shop.inputs import Decision, ReasonInput
from shop.states import Role
from tests.helpers import grant_wallet, make_org, make_product, make_programme, make_staff, member
from tests.stripe_mock import DECLINED, VISA, card
from wallet import services as wallet_services

CAP = 50_000_00


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session):
    """A programme, an enterprise with a granted wallet, two providers with products."""
    make_programme(session)
    enterprise = make_org(session, name="贵阳测试采购有限公司")
    grant_wallet(session, enterprise)
    p1, p2 = make_org(session, "provider"), make_org(session, "provider")
    return {
        "enterprise": enterprise,
        "buyer": member(enterprise),
        "p1": p1,
        "p2": p2,
        "compute": make_product(session, p1, price_fen=1_000_00, layer="infrastructure"),  # 40%
        "database": make_product(session, p2, price_fen=3_333_33, layer="platform", category="database"),  # 60%
        "erp": make_product(session, p1, price_fen=800_00, layer="application", category="production"),
    }


def request(lines, *, use_vouchers=True, agreement=True, pm=None):
    return checkouts.CheckoutRequest([(p.id, q) for p, q in lines], use_vouchers, agreement, pm)


def wallet(session, org):
    session.rollback()
    return wallet_services.wallet(session, org.id, 2026)


def test_one_order_per_provider_with_each_lines_voucher_share(session, world, stripe_gateway):
    pm = card(stripe_gateway, VISA)
    orders = checkouts.checkout(
        session,
        world["buyer"],
        request([(world["compute"], 2), (world["database"], 1), (world["erp"], 1)], pm=pm),
        gateway=stripe_gateway,
    )
    assert [o.provider_id for o in orders] == [world["p1"].id, world["p2"].id]
    first, second = orders
    assert [(line.amount_fen, line.voucher_fen) for line in first.lines] == [(2_000_00, 800_00), (800_00, 480_00)]
    assert (first.total_fen, first.voucher_fen, first.self_pay_fen) == (2_800_00, 1_280_00, 1_520_00)
    assert [(line.amount_fen, line.voucher_fen) for line in second.lines] == [(3_333_33, 1_999_99)]  # floor
    assert all(o.status == OrderStatus.PLACED and o.payment_status == PaymentStatus.AUTHORISED for o in orders)
    assert stripe_gateway.retrieve(first.payment_intent_id).status == "requires_capture"
    assert stripe_gateway.retrieve(first.payment_intent_id).amount_fen == 1_520_00
    assert first.lines[0].version_id == world["compute"].published_version_id
    w = wallet(session, world["enterprise"])
    assert (w.available_fen, w.in_orders_fen) == (CAP - 1_280_00 - 1_999_99, 1_280_00 + 1_999_99)


def test_vouchers_are_served_in_line_order_until_the_wallet_runs_out(session, world, stripe_gateway):
    pm = card(stripe_gateway)
    big = make_product(session, world["p1"], price_fen=120_000_00)  # 40% = 48,000
    platform = make_product(session, world["p2"], price_fen=10_000_00, layer="platform")  # 60% = 6,000
    orders = checkouts.checkout(
        session,
        world["buyer"],
        request([(big, 1), (platform, 1), (world["database"], 1)], pm=pm),
        gateway=stripe_gateway,
    )
    assert [line.voucher_fen for o in orders for line in o.lines] == [48_000_00, 2_000_00, 0]
    assert wallet(session, world["enterprise"]).available_fen == 0


def test_affiliated_providers_and_products_without_vouchers_get_none(session, world, stripe_gateway):
    affiliations.add_affiliation(
        session, make_staff(session, Role.OPERATOR), world["enterprise"].id, AffiliationInput(world["p2"].id, "控股")
    )
    plain = make_product(session, world["p1"], price_fen=500_00, accepts_vouchers=False)
    orders = checkouts.checkout(
        session,
        world["buyer"],
        request([(world["database"], 1), (plain, 1)], pm=card(stripe_gateway)),
        gateway=stripe_gateway,
    )
    assert sum(o.voucher_fen for o in orders) == 0 and sum(o.self_pay_fen for o in orders) == 3_833_33


def test_choosing_not_to_use_vouchers_or_having_none_buys_at_own_expense(session, world, stripe_gateway):
    orders = checkouts.checkout(
        session,
        world["buyer"],
        request([(world["compute"], 1)], use_vouchers=False, pm=card(stripe_gateway)),
        gateway=stripe_gateway,
    )
    assert orders[0].voucher_fen == 0 and orders[0].self_pay_fen == 1_000_00
    newcomer = make_org(session)  # certified, no quota
    orders = checkouts.checkout(
        session, member(newcomer), request([(world["compute"], 1)], pm=card(stripe_gateway)), gateway=stripe_gateway
    )
    assert orders[0].voucher_fen == 0


def test_the_agreement_must_be_accepted(session, world, stripe_gateway):
    with pytest.raises(DomainError) as caught:
        checkouts.checkout(
            session,
            world["buyer"],
            request([(world["compute"], 1)], agreement=False, pm="pm_card_visa"),
            gateway=stripe_gateway,
        )
    assert caught.value.code == "agreement_not_accepted"


def test_a_product_no_longer_on_sale_is_product_unavailable(session, world, stripe_gateway):
    from catalog import services as catalog_services

    catalog_services.delist_product(session, member(world["p2"]), world["database"].id, "停售")
    with pytest.raises(DomainError) as caught:
        checkouts.checkout(
            session,
            world["buyer"],
            request([(world["compute"], 1), (world["database"], 1)], pm=card(stripe_gateway)),
            gateway=stripe_gateway,
        )
    assert caught.value.code == "product_unavailable"
    assert wallet(session, world["enterprise"]).available_fen == CAP


def test_a_card_is_needed_for_the_self_paid_part(session, world, stripe_gateway):
    with pytest.raises(DomainError) as caught:
        checkouts.checkout(session, world["buyer"], request([(world["compute"], 1)]), gateway=stripe_gateway)
    assert "payment_method" in caught.value.errors


def test_a_declined_card_leaves_no_order_and_no_spent_voucher(session, world, stripe_gateway):
    with pytest.raises(DomainError) as caught:
        checkouts.checkout(
            session,
            world["buyer"],
            request([(world["compute"], 1), (world["database"], 1)], pm=card(stripe_gateway, DECLINED)),
            gateway=stripe_gateway,
        )
    assert caught.value.code == "payment_declined" and caught.value.status == 402
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Order)) == 0
    assert wallet(session, world["enterprise"]).available_fen == CAP
    attempt = session.scalars(select(CheckoutAttempt)).one()
    assert attempt.status == AttemptStatus.FAILED
    assert all(stripe_gateway.retrieve(i).status == "canceled" for i in attempt.intents.values())


def test_an_unreachable_payment_service_leaves_no_order_and_no_spent_voucher(session, world):
    dead = StripeGateway("sk_test_x", api_base="http://127.0.0.1:9", timeout=2)
    with pytest.raises(DomainError) as caught:
        checkouts.checkout(session, world["buyer"], request([(world["compute"], 1)], pm="pm_card_visa"), gateway=dead)
    assert caught.value.code == "payment_unavailable" and caught.value.status == 503
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Order)) == 0
    assert wallet(session, world["enterprise"]).available_fen == CAP


class TestIdempotency:
    def test_the_same_key_and_body_return_the_first_orders_and_charge_once(self, session, world, stripe_gateway):
        body = request([(world["compute"], 1)], pm=card(stripe_gateway))
        first = checkouts.checkout(session, world["buyer"], body, gateway=stripe_gateway, idempotency_key="k-1")
        again = checkouts.checkout(session, world["buyer"], body, gateway=stripe_gateway, idempotency_key="k-1")
        assert [o.id for o in again] == [o.id for o in first]
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Order)) == 1
        assert wallet(session, world["enterprise"]).in_orders_fen == 400_00

    def test_the_same_key_with_another_body_is_a_mismatch(self, session, world, stripe_gateway):
        pm = card(stripe_gateway)
        checkouts.checkout(
            session,
            world["buyer"],
            request([(world["compute"], 1)], pm=pm),
            gateway=stripe_gateway,
            idempotency_key="k-2",
        )
        with pytest.raises(DomainError) as caught:
            checkouts.checkout(
                session,
                world["buyer"],
                request([(world["compute"], 2)], pm=pm),
                gateway=stripe_gateway,
                idempotency_key="k-2",
            )
        assert caught.value.code == "idempotency_mismatch"

    def test_a_declined_key_answers_declined_again_without_a_new_attempt(self, session, world, stripe_gateway):
        body = request([(world["compute"], 1)], pm=card(stripe_gateway, DECLINED))
        for _ in range(2):
            with pytest.raises(DomainError) as caught:
                checkouts.checkout(session, world["buyer"], body, gateway=stripe_gateway, idempotency_key="k-3")
            assert caught.value.code == "payment_declined"
        session.rollback()
        assert session.scalar(select(func.count()).select_from(CheckoutAttempt)) == 1


class TestAfterTheOrder:
    @pytest.fixture
    def placed(self, session, world, stripe_gateway):
        orders = checkouts.checkout(
            session,
            world["buyer"],
            request([(world["compute"], 1), (world["database"], 1)], pm=card(stripe_gateway)),
            gateway=stripe_gateway,
        )
        return orders

    def test_the_provider_confirms_and_the_self_paid_part_is_captured(self, session, world, placed, stripe_gateway):
        order = services.confirm_order(session, member(world["p1"]), placed[0].id, gateway=stripe_gateway)
        assert (order.status, order.payment_status) == (OrderStatus.CONFIRMED, PaymentStatus.CAPTURED)
        assert stripe_gateway.retrieve(order.payment_intent_id).status == "succeeded"
        with pytest.raises(DomainError) as caught:
            services.confirm_order(session, member(world["p1"]), placed[0].id, gateway=stripe_gateway)
        assert caught.value.code == "invalid_state"

    def test_cancel_before_confirmation_returns_vouchers_and_voids_the_hold(
        self, session, world, placed, stripe_gateway
    ):
        order = services.cancel_order(session, world["buyer"], placed[1].id, gateway=stripe_gateway)
        assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.VOIDED)
        assert stripe_gateway.retrieve(order.payment_intent_id).status == "canceled"
        assert wallet(session, world["enterprise"]).available_fen == CAP - placed[0].voucher_fen
        with pytest.raises(DomainError) as caught:
            services.cancel_order(session, world["buyer"], placed[1].id, gateway=stripe_gateway)
        assert caught.value.code == "invalid_state"
        with pytest.raises(DomainError):
            services.confirm_order(session, member(world["p2"]), placed[1].id, gateway=stripe_gateway)

    def test_a_confirmed_order_cannot_be_cancelled(self, session, world, placed, stripe_gateway):
        services.confirm_order(session, member(world["p1"]), placed[0].id, gateway=stripe_gateway)
        with pytest.raises(DomainError) as caught:
            services.cancel_order(session, world["buyer"], placed[0].id, gateway=stripe_gateway)
        assert caught.value.code == "invalid_state"

    def test_an_approved_refund_returns_vouchers_and_refunds_the_card(self, session, world, placed, stripe_gateway):
        order_id = placed[0].id
        services.confirm_order(session, member(world["p1"]), order_id, gateway=stripe_gateway)
        with pytest.raises(DomainError):
            ReasonInput.from_input({"reason": ""})
        services.request_refund(session, world["buyer"], order_id, "服务无法开通")
        order = services.decide_refund(session, member(world["p1"]), order_id, Decision(True), gateway=stripe_gateway)
        assert (order.status, order.payment_status) == (OrderStatus.REFUNDED, PaymentStatus.REFUNDED)
        assert order.refund_id.startswith("re_")
        assert wallet(session, world["enterprise"]).available_fen == CAP - placed[1].voucher_fen

    def test_a_refused_refund_needs_a_reason_and_the_order_stays_confirmed(
        self, session, world, placed, stripe_gateway
    ):
        order_id = placed[0].id
        services.confirm_order(session, member(world["p1"]), order_id, gateway=stripe_gateway)
        services.request_refund(session, world["buyer"], order_id, "不想要了")
        with pytest.raises(DomainError):
            Decision.from_input({"decision": "reject"})
        order = services.decide_refund(
            session, member(world["p1"]), order_id, Decision(False, "服务已交付"), gateway=stripe_gateway
        )
        assert order.status == OrderStatus.CONFIRMED and order.refund_decision_reason == "服务已交付"
        assert wallet(session, world["enterprise"]).in_orders_fen == placed[0].voucher_fen + placed[1].voucher_fen

    def test_a_refund_guard_refuses_an_order_in_a_claim(self, session, world, placed, stripe_gateway):
        services.confirm_order(session, member(world["p1"]), placed[0].id, gateway=stripe_gateway)
        services.REFUND_GUARDS.append(lambda s, o: "已纳入兑现申请" if o.id == placed[0].id else None)
        try:
            with pytest.raises(DomainError) as caught:
                services.request_refund(session, world["buyer"], placed[0].id, "x")
            assert caught.value.code == "invalid_state" and "兑现" in str(caught.value.detail)
        finally:
            services.REFUND_GUARDS.pop()

    def test_only_the_parties_act_on_an_order(self, session, world, placed, stripe_gateway):
        stranger = make_org(session)
        with pytest.raises(DomainError) as caught:
            services.cancel_order(session, member(stranger), placed[0].id, gateway=stripe_gateway)
        assert caught.value.code == "not_found"
        with pytest.raises(DomainError) as caught:
            services.confirm_order(session, member(world["p2"]), placed[0].id, gateway=stripe_gateway)
        assert caught.value.code == "not_found"  # another provider's order
        with pytest.raises(DomainError) as caught:
            services.cancel_order(session, member(world["p1"]), placed[0].id, gateway=stripe_gateway)
        assert caught.value.code == "forbidden"  # the provider is a party, but cannot cancel
        with pytest.raises(DomainError):
            services.get_order(session, member(stranger), placed[0].id)

    def test_vouchers_of_an_order_cancelled_after_the_year_go_to_expired(
        self, session, world, placed, stripe_gateway, today
    ):
        today("2027-01-05")
        services.cancel_order(session, world["buyer"], placed[0].id, gateway=stripe_gateway)
        w = wallet(session, world["enterprise"])
        assert w.expired_fen == placed[0].voucher_fen and w.available_fen == CAP - sum(o.voucher_fen for o in placed)


def test_the_cart_keeps_lines_per_enterprise_and_prices_them(session, world):
    buyer = world["buyer"]
    carts.add_to_cart(session, buyer, CartLineInput(world["compute"].id, 2))
    carts.add_to_cart(session, buyer, CartLineInput.from_input({"product_id": world["compute"].id}))
    carts.add_to_cart(session, buyer, CartLineInput(world["database"].id))
    assert carts.cart_lines(session, world["enterprise"].id) == [(world["compute"].id, 3), (world["database"].id, 1)]
    carts.set_cart_quantity(session, buyer, world["database"].id, QuantityInput(0))
    q = pricing.quote(
        session, world["enterprise"].id, carts.cart_lines(session, world["enterprise"].id), use_vouchers=True
    )
    assert (q.total_fen, q.voucher_fen, q.self_pay_fen, q.available_after_fen) == (
        3_000_00,
        1_200_00,
        1_800_00,
        CAP - 1_200_00,
    )
    with pytest.raises(DomainError):
        QuantityInput.from_input({"quantity": 10_000})
    other = make_org(session)
    assert carts.cart_lines(session, other.id) == []
