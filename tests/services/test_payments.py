"""The Stripe gateway against localstripe: authorise with manual capture, capture, void, refund,
declines and an unreachable service."""

import pytest

from orders.payments import PaymentDeclined, PaymentUnavailable, StripeGateway
from tests.stripe_mock import DECLINED, NEEDS_AUTHENTICATION, VISA, card


def test_an_authorised_amount_is_held_until_captured(stripe_gateway):
    intent = stripe_gateway.prepare(
        amount_fen=12_345, payment_method=card(stripe_gateway, VISA), attempt_key="att-1", description="order"
    )
    assert intent.status == "requires_confirmation" and intent.attempt_key == "att-1"
    assert stripe_gateway.authorise(intent.id).status == "requires_capture"
    captured = stripe_gateway.capture(intent.id)
    assert (captured.status, captured.amount_fen) == ("succeeded", 12_345)
    assert stripe_gateway.refund(intent.id, 5_000).startswith("re_")


def test_a_voided_authorisation_is_cancelled_and_voiding_twice_is_harmless(stripe_gateway):
    intent = stripe_gateway.prepare(
        amount_fen=500, payment_method=card(stripe_gateway), attempt_key="att-2", description="order"
    )
    stripe_gateway.authorise(intent.id)
    assert stripe_gateway.void(intent.id).status == "canceled"
    assert stripe_gateway.void(intent.id).status == "canceled"


def test_voiding_a_captured_intent_leaves_it_captured_and_says_so(stripe_gateway):
    """A cancel must not try to void a captured intent (Stripe refuses): the caller refunds it instead."""
    intent = stripe_gateway.prepare(
        amount_fen=800, payment_method=card(stripe_gateway), attempt_key="att-void-captured", description="order"
    )
    stripe_gateway.authorise(intent.id)
    stripe_gateway.capture(intent.id)
    assert stripe_gateway.void(intent.id).status == "succeeded"


def test_refunding_twice_refunds_once(stripe_gateway):
    """localstripe ignores idempotency keys: a refund retried after a lost answer must not refund again."""
    intent = stripe_gateway.prepare(
        amount_fen=900, payment_method=card(stripe_gateway), attempt_key="att-refund-twice", description="order"
    )
    stripe_gateway.authorise(intent.id)
    stripe_gateway.capture(intent.id)
    first = stripe_gateway.refund(intent.id, 900)
    assert stripe_gateway.refund(intent.id, 900) == first
    refunds = stripe_gateway.client.v1.refunds.list(params={"payment_intent": intent.id}).data
    assert [r.amount for r in refunds] == [900]


def test_a_declined_card_raises_payment_declined(stripe_gateway):
    intent = stripe_gateway.prepare(
        amount_fen=500, payment_method=card(stripe_gateway, DECLINED), attempt_key="att-3", description="order"
    )
    with pytest.raises(PaymentDeclined) as caught:
        stripe_gateway.authorise(intent.id)
    assert caught.value.decline_code == "card_declined"


def test_a_card_needing_authentication_is_declined_and_let_go(stripe_gateway):
    intent = stripe_gateway.prepare(
        amount_fen=500,
        payment_method=card(stripe_gateway, NEEDS_AUTHENTICATION),
        attempt_key="att-4",
        description="order",
    )
    with pytest.raises(PaymentDeclined):
        stripe_gateway.authorise(intent.id)
    assert stripe_gateway.retrieve(intent.id).status == "canceled"


def test_an_unknown_payment_method_is_declined(stripe_gateway):
    with pytest.raises((PaymentDeclined, PaymentUnavailable)):
        stripe_gateway.prepare(
            amount_fen=500, payment_method="pm_doesnotexist", attempt_key="att-5", description="order"
        )


def test_intents_are_found_by_their_attempt_key(stripe_gateway):
    pm = card(stripe_gateway)
    intent = stripe_gateway.prepare(amount_fen=700, payment_method=pm, attempt_key="att-find", description="x")
    assert [i.id for i in stripe_gateway.find_by_attempt("att-find")] == [intent.id]


def test_an_unreachable_service_raises_payment_unavailable():
    gateway = StripeGateway("sk_test_x", api_base="http://127.0.0.1:9", timeout=2)
    with pytest.raises(PaymentUnavailable):
        gateway.prepare(amount_fen=100, payment_method="pm_x", attempt_key="att-6", description="x")


def test_a_refund_for_a_purpose_is_told_apart_from_the_orders_own_refund(stripe_gateway):
    # a Liuzhou voucher of 50% gives ¥500 of a ¥1,000 payment back; the order's later refund of the
    # other ¥500 is a refund of its own, not taken for the voucher's (nor the voucher's, retried, twice)
    intent = stripe_gateway.prepare(
        amount_fen=100_000, payment_method=card(stripe_gateway), attempt_key="att-purpose", description="order"
    )
    stripe_gateway.authorise(intent.id)
    stripe_gateway.capture(intent.id)
    voucher = stripe_gateway.refund(intent.id, 50_000, purpose="contract_voucher:1")
    assert stripe_gateway.refund(intent.id, 50_000, purpose="contract_voucher:1") == voucher  # once
    own = stripe_gateway.refund(intent.id, 50_000)
    assert own != voucher
    assert stripe_gateway.refund(intent.id, 50_000) == own
    refunds = stripe_gateway.client.v1.refunds.list(params={"payment_intent": intent.id}).data
    assert sorted(r.amount for r in refunds) == [50_000, 50_000]
