"""The transition tables of checkout attempts and payments (orders/states.py)."""

import pytest

from orders.states import CHECKOUT_ATTEMPT, UNFINISHED_ATTEMPTS, AttemptStatus
from shop.errors import DomainError


def test_a_checkout_moves_from_reserved_to_completed_through_its_steps():
    status = CHECKOUT_ATTEMPT.next(AttemptStatus.RESERVED, "record_intents")
    status = CHECKOUT_ATTEMPT.next(status, "record_authorisation")
    assert CHECKOUT_ATTEMPT.next(status, "complete_checkout") == AttemptStatus.COMPLETED
    assert (
        CHECKOUT_ATTEMPT.next(AttemptStatus.RESERVED, "complete_checkout") == AttemptStatus.COMPLETED
    )  # vouchers only


@pytest.mark.parametrize("status", UNFINISHED_ATTEMPTS)
def test_reconcile_takes_an_unfinished_attempt_to_void_pending_before_calling_it_abandoned(status):
    pending = CHECKOUT_ATTEMPT.next(status, "abandon_checkout")
    assert pending == AttemptStatus.VOID_PENDING
    assert CHECKOUT_ATTEMPT.next(pending, "finish_abandon") == AttemptStatus.ABANDONED


@pytest.mark.parametrize(
    "status", [AttemptStatus.COMPLETED, AttemptStatus.FAILED, AttemptStatus.ABANDONED, AttemptStatus.VOID_PENDING]
)
def test_an_attempt_that_was_given_up_or_completed_never_completes_again(status):
    for action in ("complete_checkout", "record_intents", "record_authorisation", "abandon_checkout"):
        with pytest.raises(DomainError):
            CHECKOUT_ATTEMPT.next(status, action)


def test_a_captured_payment_is_refunded_never_voided():
    from orders.states import PAYMENT, PaymentStatus

    with pytest.raises(DomainError):
        PAYMENT.next(PaymentStatus.CAPTURED, "void")
    assert PAYMENT.next(PaymentStatus.CAPTURED, "refund") == PaymentStatus.REFUND_PENDING
    # a void that finds the intent captured after all turns into a refund
    assert PAYMENT.next(PaymentStatus.VOID_PENDING, "refund") == PaymentStatus.REFUND_PENDING


def test_a_capture_is_recorded_as_pending_before_it_is_sent():
    from orders.states import PAYMENT, PaymentStatus

    pending = PAYMENT.next(PaymentStatus.AUTHORISED, "capture")
    assert pending == PaymentStatus.CAPTURE_PENDING
    assert {PAYMENT.next(pending, a) for a in ("captured", "capture_not_taken", "void", "hold_lost")} == {
        PaymentStatus.CAPTURED,
        PaymentStatus.AUTHORISED,
        PaymentStatus.VOID_PENDING,
        PaymentStatus.VOIDED,
    }


@pytest.mark.parametrize("final", ["none", "voided", "refunded"])
def test_a_final_payment_moves_no_more(final):
    from orders.states import PAYMENT, PaymentStatus

    assert PAYMENT.allowed(PaymentStatus(final)) == set()
