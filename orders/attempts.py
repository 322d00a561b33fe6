"""A checkout attempt's moves, shared by the checkout and ``reconcile-payments``: the compare-and-set
along ``CHECKOUT_ATTEMPT``, the lease a live checkout renews before each call to the payment service,
the intents' names at the service, voiding an attempt's holds and releasing its vouchers. None of
these commits except ``advance`` and ``renew_lease``, which are steps of the checkout (see
``orders.checkout``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from orders.models import CheckoutAttempt
from orders.payments import CALL_TIMEOUT, PaymentGateway, PaymentUnavailable
from orders.states import (
    CHECKOUT_ATTEMPT,
    AttemptStatus,
)
from shop import clock
from shop.accounts import User
from shop.audit import record
from wallet import ledger

# A live checkout renews its attempt's lease before each call to the payment service, for as long as the
# call may take plus this margin (the database's busy timeout, and the clocks of two hosts that differ).
LEASE_MARGIN = dt.timedelta(seconds=40)


# The calls one order's payment may make in a checkout: prepare and authorise, and when that fails, find
# and void. ``reconcile-payments`` takes no attempt younger than that many payment timeouts plus the margin.
CALLS_PER_ORDER = 4


def intent_key(attempt: CheckoutAttempt, index: int) -> str:
    return intent_key_for(attempt.id, attempt.created_at, index)


def intent_key_for(attempt_id: int, created_at: dt.datetime, index: int) -> str:
    """Our name for an attempt's intent at the payment service (its metadata): unique even across
    databases that share one Stripe account (staging, tests)."""
    return f"checkout-{attempt_id}-{created_at.astimezone(dt.UTC):%Y%m%d%H%M%S%f}-{index}"


def call_timeout(gateway: PaymentGateway) -> dt.timedelta:
    return dt.timedelta(seconds=getattr(gateway, "timeout", CALL_TIMEOUT))


def lease(gateway: PaymentGateway, calls: int = 1) -> dt.datetime:
    return clock.now() + call_timeout(gateway) * max(calls, 1) + LEASE_MARGIN


def minimum_reconcile_age(gateway: PaymentGateway) -> dt.timedelta:
    """The youngest an unfinished checkout may be for ``reconcile-payments --older-than`` to look at it:
    the payment timeout × the calls of one order's payment + the margin (2 minutes with Stripe's 20 s).
    The lease protects a longer checkout (several providers) anyway; this guards against an operator's
    ``--older-than 0`` during an incident."""
    return call_timeout(gateway) * CALLS_PER_ORDER + LEASE_MARGIN


class Abandoned(Exception):
    """This checkout's attempt was taken by ``reconcile_payments`` (its lease had run out): stop, write
    nothing, void what it created."""

    def __init__(self) -> None:
        super().__init__("checkout abandoned")
        self.intents: dict[str, str] = {}


def move_attempt(
    session: Session,
    attempt_id: int,
    expected: AttemptStatus,
    action: str,
    *,
    actor: User | None = None,
    unleased: bool = False,
    audit: Mapping[str, Any] | None = None,
    **changes: Any,
) -> bool:
    """Compare-and-set: move the attempt along ``CHECKOUT_ATTEMPT`` by ``action`` only if its status is
    still ``expected`` (and with ``unleased``, only if no live worker holds its lease), and audit the
    move. False when another worker moved it first. Does not commit."""
    new = CHECKOUT_ATTEMPT.next(expected, action)
    at = clock.now()
    stmt = update(CheckoutAttempt).where(CheckoutAttempt.id == attempt_id, CheckoutAttempt.status == expected)
    if unleased:
        stmt = stmt.where(or_(CheckoutAttempt.lease_until.is_(None), CheckoutAttempt.lease_until <= at))
    result = session.execute(
        stmt.values(status=new, updated_at=at, **changes).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    record(
        session,
        actor,
        "checkout",
        attempt_id,
        action,
        {"status": expected.value},
        {"status": new.value, **(audit or {})},
    )
    return True


def advance(
    session: Session, attempt_id: int, expected: AttemptStatus, action: str, gateway: PaymentGateway, **changes: Any
) -> None:
    """Record a step of the checkout (and renew its lease for the next call), or stop if it was taken."""
    if not move_attempt(session, attempt_id, expected, action, lease_until=lease(gateway), **changes):
        session.rollback()
        raise Abandoned()
    session.commit()


def renew_lease(
    session: Session, attempt_id: int, expected: AttemptStatus, gateway: PaymentGateway, calls: int = 1
) -> None:
    """Before a call to the payment service: keep the attempt ours for as long as ``calls`` may take,
    or stop (``Abandoned``) if reconcile took it meanwhile."""
    result = session.execute(
        update(CheckoutAttempt)
        .where(CheckoutAttempt.id == attempt_id, CheckoutAttempt.status == expected)
        .values(lease_until=lease(gateway, calls), updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount != 1:
        raise Abandoned()


def void_all(
    gateway: PaymentGateway, intent_ids: Any, attempt_id: int, created_at: dt.datetime, plan: list[dict[str, Any]]
) -> tuple[bool, int]:
    """Void every intent of the attempt, also those a crash kept us from recording (found by their
    metadata); whether all are voided, and how many were. Called with no database transaction open."""
    ids = set(intent_ids)
    voided = 0
    try:
        for index, order in enumerate(plan):
            if order["self_pay_fen"] > 0:
                ids.update(i.id for i in gateway.find_by_attempt(intent_key_for(attempt_id, created_at, index)))
        for intent_id in sorted(ids):
            if gateway.void(intent_id).status == "canceled":
                voided += 1
    except PaymentUnavailable:
        return False, voided
    return voided == len(ids), voided


def release_attempt(session: Session, attempt: CheckoutAttempt) -> None:
    if attempt.voucher_fen:
        ledger.release_vouchers(
            session,
            ledger.book_of(session, attempt.voucher_book, attempt.voucher_year),
            attempt.enterprise_id,
            attempt.voucher_fen,
            ref=("checkout", attempt.id),
            actor_id=None,
            kind="release_checkout",
        )
