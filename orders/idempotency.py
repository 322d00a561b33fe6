"""Idempotency of the checkout: the first result of a key (``Idempotency-Key``, or a page's form
token) given again to a repeated request — its orders, or its refusal — waiting a little for a first
request still under way. The checkout itself is ``orders.checkout``."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from orders.cart import buying_enterprise
from orders.models import CheckoutAttempt, Order
from orders.states import UNFINISHED_ATTEMPTS, AttemptStatus
from shop.accounts import User
from shop.errors import DomainError
from shop.i18n import _l

IN_PROGRESS_WAIT = 10.0  # seconds a repeated request waits for the first one to finish


def replay_checkout(session: Session, actor: User, key: str) -> list[Order] | None:
    """The result of an earlier checkout sent with ``key`` (a page's form token), or None when there
    was none: a second click on "pay" shows the orders of the first."""
    org = buying_enterprise(session, actor)
    attempt = find_attempt(session, org.id, key)
    return None if attempt is None else replay(session, attempt, attempt.request_hash)


def find_attempt(session: Session, enterprise_id: int, key: str) -> CheckoutAttempt | None:
    """The enterprise's checkout attempt of this key, if any."""
    return session.scalars(
        select(CheckoutAttempt).where(CheckoutAttempt.enterprise_id == enterprise_id, CheckoutAttempt.key == key)
    ).one_or_none()


def replay(session: Session, attempt: CheckoutAttempt | None, fingerprint: str) -> list[Order]:
    """The first result of an idempotency key: its orders, or its refusal."""
    if attempt is None:
        raise DomainError("invalid_state", _l("This checkout could not be found; please try again."))
    if attempt.request_hash != fingerprint:
        raise DomainError("idempotency_mismatch", _l("This idempotency key was already used for a different checkout."))
    deadline = time.monotonic() + IN_PROGRESS_WAIT
    attempt_id = attempt.id
    while attempt.status in UNFINISHED_ATTEMPTS and time.monotonic() < deadline:
        session.rollback()  # end the read; let the first request finish
        time.sleep(0.2)
        attempt = session.get(CheckoutAttempt, attempt_id, populate_existing=True)
    if attempt.status == AttemptStatus.COMPLETED:
        session.rollback()
        return list(
            session.scalars(
                select(Order)
                .where(Order.attempt_id == attempt.id)
                .options(selectinload(Order.lines))
                .order_by(Order.id)
            )
        )
    if attempt.status in UNFINISHED_ATTEMPTS:
        raise DomainError(
            "invalid_state", _l("This checkout is still being processed; look at your orders in a moment.")
        )
    raise DomainError(attempt.error_code or "payment_unavailable", attempt.error_detail or None)
