"""The transition tables of checkout attempts and payments (orders/states.py)."""
import pytest

from orders.states import CHECKOUT_ATTEMPT, UNFINISHED_ATTEMPTS, AttemptStatus
from shop.errors import DomainError


def test_a_checkout_moves_from_reserved_to_completed_through_its_steps():
    status = CHECKOUT_ATTEMPT.next(AttemptStatus.RESERVED, "record_intents")
    status = CHECKOUT_ATTEMPT.next(status, "record_authorisation")
    assert CHECKOUT_ATTEMPT.next(status, "complete_checkout") == AttemptStatus.COMPLETED
    assert CHECKOUT_ATTEMPT.next(AttemptStatus.RESERVED, "complete_checkout") == AttemptStatus.COMPLETED  # vouchers only


@pytest.mark.parametrize("status", UNFINISHED_ATTEMPTS)
def test_reconcile_takes_an_unfinished_attempt_to_void_pending_before_calling_it_abandoned(status):
    pending = CHECKOUT_ATTEMPT.next(status, "abandon_checkout")
    assert pending == AttemptStatus.VOID_PENDING
    assert CHECKOUT_ATTEMPT.next(pending, "finish_abandon") == AttemptStatus.ABANDONED


@pytest.mark.parametrize("status", [AttemptStatus.COMPLETED, AttemptStatus.FAILED, AttemptStatus.ABANDONED,
                                    AttemptStatus.VOID_PENDING])
def test_an_attempt_that_was_given_up_or_completed_never_completes_again(status):
    for action in ("complete_checkout", "record_intents", "record_authorisation", "abandon_checkout"):
        with pytest.raises(DomainError):
            CHECKOUT_ATTEMPT.next(status, action)
