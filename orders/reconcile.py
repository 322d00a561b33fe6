"""Finishing what the payment service has not confirmed: ``reconcile_payments`` (crashed checkouts;
captures, voids and refunds still pending, by the intent's real status) and ``expire_unconfirmed_orders``
(the confirmation deadline), with the payment moves that confirmation, cancellation and refunds share
(``move_payment_if``, ``settle_quietly``, ``record_capture``, ``expire_order``).

Like the checkout's steps, these commit once per move, between calls to the payment service (the
documented exception to "a use case commits once", see ``orders.checkout``); ``move_payment`` alone
does not commit. Every payment status moves along ``orders.states.PAYMENT`` through
``shop.audit.change_state(..., field="payment_status")``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from orders import rules, voucher_issue
from orders.attempts import (
    LEASE_MARGIN,
    call_timeout,
    move_attempt,
    release_attempt,
    void_all,
)
from orders.models import CheckoutAttempt, Order
from orders.payments import PaymentDeclined, PaymentGateway, PaymentUnavailable
from orders.states import (
    ORDER,
    PAYMENT,
    PENDING_PAYMENTS,
    UNFINISHED_ATTEMPTS,
    AttemptStatus,
    CancellationReason,
    OrderStatus,
    PaymentStatus,
)
from shop import clock
from shop.accounts import User
from shop.audit import change_state
from shop.db import use_case

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    abandoned_attempts: int = 0
    voided_intents: int = 0
    released_fen: int = 0
    finished_captures: int = 0
    captures_not_taken: int = 0
    finished_voids: int = 0
    finished_refunds: int = 0
    still_pending: int = 0


def reconcile_payments(session: Session, gateway: PaymentGateway, *, older_than: dt.timedelta) -> ReconcileReport:
    """Finish what crashed or could not reach the payment service: abandon unfinished checkouts older
    than ``older_than`` whose lease has run out (release their vouchers, void their card holds), and
    bring every order's payment that is not final to its end by the intent's real status (captures,
    voids, refunds; see ``_settle_payment``). Safe to run at any time, any number of times."""
    report = ReconcileReport()
    now = clock.now()
    stale = session.execute(
        select(CheckoutAttempt.id, CheckoutAttempt.status)
        .where(
            CheckoutAttempt.status.in_([*UNFINISHED_ATTEMPTS, AttemptStatus.VOID_PENDING]),
            CheckoutAttempt.updated_at <= now - older_than,
            or_(CheckoutAttempt.lease_until.is_(None), CheckoutAttempt.lease_until <= now),
        )
        .order_by(CheckoutAttempt.id)
    ).all()
    session.rollback()
    for attempt_id, status in stale:
        abandoning = status in UNFINISHED_ATTEMPTS
        if abandoning:
            released = _abandon(session, attempt_id, status)
            if released is None:
                continue  # its checkout moved on since we looked: it is alive
            report.abandoned_attempts += 1
            report.released_fen += released
        attempt = session.get(CheckoutAttempt, attempt_id, populate_existing=True)
        intents, plan, created_at = dict(attempt.intents or {}), attempt.plan, attempt.created_at
        session.rollback()
        voided, count = void_all(gateway, intents.values(), attempt_id, created_at, plan)
        report.voided_intents += count
        if not voided:
            report.still_pending += 1
        elif move_attempt(
            session,
            attempt_id,
            AttemptStatus.VOID_PENDING,
            "finish_abandon" if abandoning else "finish_voids",
            audit={"voided_intents": count},
        ):
            session.commit()
        session.rollback()
    # every payment that is not final; a capture only once its confirm can no longer be waiting for it
    capture_cutoff = now - max(older_than, call_timeout(gateway) + LEASE_MARGIN)
    unsettled = session.execute(
        select(Order.id, Order.capture_started_at)
        .where(
            or_(
                Order.payment_status.in_([PaymentStatus.VOID_PENDING, PaymentStatus.REFUND_PENDING]),
                and_(Order.payment_status == PaymentStatus.CAPTURE_PENDING, Order.capture_started_at <= capture_cutoff),
                and_(
                    Order.payment_status == PaymentStatus.AUTHORISED,
                    Order.status.in_([OrderStatus.CANCELLED, OrderStatus.REFUNDED]),
                ),
            )
        )
        .order_by(Order.id)
    ).all()
    session.rollback()
    counters = {
        "captured": "finished_captures",
        "authorised": "captures_not_taken",
        "voided": "finished_voids",
        "refunded": "finished_refunds",
    }
    for order_id, capture_started in unsettled:
        done = _settle_payment(session, gateway, order_id, capture_started=capture_started)
        name = counters.get(done or "", "still_pending")
        setattr(report, name, getattr(report, name) + 1)
    return report


def _abandon(session: Session, attempt_id: int, status: AttemptStatus) -> int | None:
    """Take an unfinished attempt from its (dead) checkout: release its vouchers, mark its holds to void.
    The vouchers it released, or None when its checkout moved it or renewed its lease meanwhile."""
    attempt = session.get(CheckoutAttempt, attempt_id, populate_existing=True)
    if not move_attempt(
        session,
        attempt_id,
        status,
        "abandon_checkout",
        unleased=True,
        error_code=attempt.error_code or "payment_unavailable",
        lease_until=None,
        audit={"released_fen": attempt.voucher_fen},
    ):
        session.rollback()
        return None
    release_attempt(session, attempt)
    session.commit()
    return attempt.voucher_fen


def locked_order(session: Session, order_id: int) -> Order:
    return session.get(Order, order_id, with_for_update=True, populate_existing=True)


def move_payment(session: Session, order: Order, action: str, actor: User | None = None, **changes: Any) -> None:
    """Move the order's payment along ``PAYMENT`` (or refuse with ``invalid_state``) and audit it. The
    caller holds the order's row lock; does not commit."""
    change_state(
        session,
        order,
        PAYMENT,
        action,
        actor,
        subject_type="order",
        field="payment_status",
        audit_action="payment_" + action,
        **changes,
    )


def move_payment_if(
    session: Session,
    order_id: int,
    expected: PaymentStatus,
    action: str,
    *,
    started: dt.datetime | None = None,
    actor: User | None = None,
    **changes: Any,
) -> bool:
    """Lock the order and move its payment by ``action`` if it is still ``expected`` (and its capture is
    still the one that started at ``started``); commit. False when another worker moved it first."""
    order = locked_order(session, order_id)
    if order.payment_status != expected or (started is not None and order.capture_started_at != started):
        session.rollback()
        return False
    move_payment(session, order, action, actor, **changes)
    session.commit()
    return True


def _settle_payment(
    session: Session, gateway: PaymentGateway, order_id: int, *, capture_started: dt.datetime | None = None
) -> str | None:
    """Bring a payment that is not final to its end by the intent's *real* status at the payment service
    (read back, never assumed): a captured intent is refunded, never voided; a hold still there is
    voided; a pending capture that was taken confirms the order, one that was not goes back to
    ``authorised``, and a hold the service let go cancels the order. Called with no transaction open.
    The payment status it reached, or None while the service cannot tell or act (reconcile retries)."""
    for _round in range(4):  # e.g. void → (a capture won the race) refund
        order = session.get(Order, order_id, populate_existing=True)
        status, payment, intent_id = order.status, order.payment_status, order.payment_intent_id
        amount, started = order.self_pay_fen, order.capture_started_at
        # a contract voucher's amount may have been refunded on the card already (and the voucher lapsed
        # since, the order paid in full again): never refund more than the card still holds
        amount = min(amount, order.total_fen - voucher_issue.card_refunded_fen(session, order_id))
        session.rollback()
        if payment == PaymentStatus.AUTHORISED and status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
            move_payment_if(session, order_id, payment, "void")  # an order that lost its void
            continue
        if payment not in PENDING_PAYMENTS:
            return None
        if payment == PaymentStatus.CAPTURE_PENDING and capture_started is not None and started != capture_started:
            return None  # the provider started a new capture since: its confirm finishes it
        if intent_id is None:  # nothing at the payment service (e.g. demo orders)
            action = "voided" if payment == PaymentStatus.VOID_PENDING else "refunded"
            return action if move_payment_if(session, order_id, payment, action) else None
        try:
            real = gateway.retrieve(intent_id).status
            if payment == PaymentStatus.CAPTURE_PENDING:
                if real == "succeeded":
                    return "captured" if record_capture(session, None, order_id, started=started) else None
                if real == "canceled":
                    lost = expire_order(
                        session,
                        None,
                        order_id,
                        CancellationReason.CARD_HOLD_RELEASED,
                        payments=[payment],
                        started=started,
                    )
                    return "voided" if lost else None
                if real == "requires_capture":
                    taken = move_payment_if(session, order_id, payment, "capture_not_taken", started=started)
                    return "authorised" if taken else None
                return None
            if real == "succeeded":
                if payment == PaymentStatus.VOID_PENDING:
                    move_payment_if(session, order_id, payment, "refund")  # recorded before the call
                    continue
                refund_id = gateway.refund(intent_id, amount) if amount > 0 else None
                return (
                    "refunded" if move_payment_if(session, order_id, payment, "refunded", refund_id=refund_id) else None
                )
            if real != "canceled" and gateway.void(intent_id).status != "canceled":
                continue  # captured after all: the next round refunds it
            return "voided" if move_payment_if(session, order_id, payment, "voided") else None
        except (PaymentUnavailable, PaymentDeclined):
            return None
    return None


def settle_quietly(session: Session, gateway: PaymentGateway, order_id: int) -> None:
    """Settle after the use case committed: the buyer's or provider's action is done whatever happens
    here, so a database failure leaves the payment to ``reconcile-payments`` instead of an error page."""
    try:
        _settle_payment(session, gateway, order_id)
    except SQLAlchemyError:
        session.rollback()
        log.exception("order %s: payment left to reconcile-payments", order_id)


def record_capture(session: Session, actor: User | None, order_id: int, *, started: dt.datetime | None = None) -> bool:
    """The capture was taken: confirm the order with its payment captured; or, if the buyer cancelled
    it meanwhile, record the money to refund. True when this confirmed the order. Commits."""
    order = locked_order(session, order_id)
    if order.payment_status == PaymentStatus.CAPTURE_PENDING and (
        started is None or order.capture_started_at == started
    ):
        change_state(
            session,
            order,
            ORDER,
            "confirm",
            actor,
            subject_type="order",
            confirmed_at=clock.now(),
            payment_status=PAYMENT.next(order.payment_status, "captured"),
        )
        session.commit()
        return True
    if order.payment_status == PaymentStatus.VOID_PENDING:  # cancelled while the capture was on its way
        move_payment(session, order, "refund", actor)
        session.commit()
        return False
    session.rollback()
    return False


@use_case
def expire_order(
    session: Session,
    actor: User | None,
    order_id: int,
    reason: CancellationReason,
    *,
    payments: Collection[PaymentStatus],
    started: dt.datetime | None = None,
) -> bool:
    """The platform cancels a placed order (``reason`` on the order and in its audit entry): vouchers
    back through the ledger; the hold is to void (or, when the service let it go, already gone).
    False when the order is no longer placed with one of ``payments`` (or its capture is not the one
    that started at ``started``). Commits."""
    order = locked_order(session, order_id)
    if (
        order.status != OrderStatus.PLACED
        or order.payment_status not in payments
        or (started is not None and order.capture_started_at != started)
    ):
        session.rollback()
        return False
    action = "hold_lost" if reason == CancellationReason.CARD_HOLD_RELEASED else "void"
    payment = (
        PAYMENT.next(order.payment_status, action)
        if PAYMENT.can(order.payment_status, action)
        else order.payment_status
    )
    change_state(
        session,
        order,
        ORDER,
        "lapse",
        actor,
        subject_type="order",
        cancelled_at=clock.now(),
        cancellation_reason=reason,
        payment_status=payment,
    )
    voucher_issue.order_released(session, order, None)  # quota vouchers back, or a contract voucher lapsed
    session.commit()
    return True


def expire_unconfirmed_orders(session: Session, gateway: PaymentGateway, *, deadline_days: int) -> int:
    """Cancel the orders still ``placed`` ``deadline_days`` after they were placed (the daily job and
    ``flask --app shop expire-unconfirmed-orders``): a card hold lapses after 7 days at Stripe, after
    which the provider could never take the self-paid part. Vouchers go back through the ledger, the
    hold is voided, the reason is on the order and in its audit entry. An order whose provider is
    confirming it right now (``capture_pending``) is left to its confirm. Idempotent; commits. The
    number of orders cancelled."""
    cutoff = clock.now() - dt.timedelta(days=deadline_days)
    waiting = (PaymentStatus.AUTHORISED, PaymentStatus.NONE)
    due = session.scalars(
        select(Order.id)
        .where(Order.status == OrderStatus.PLACED, Order.placed_at <= cutoff, Order.payment_status.in_(waiting))
        .order_by(Order.id)
    ).all()
    session.rollback()
    cancelled = 0
    for order_id in due:
        if expire_order(session, None, order_id, CancellationReason.CONFIRMATION_DEADLINE, payments=waiting):
            cancelled += 1
            settle_quietly(session, gateway, order_id)
    return cancelled


def confirmation_deadline(order: Order, deadline_days: int) -> dt.datetime:
    """When ``order``, if still placed, is cancelled by ``expire_unconfirmed_orders``."""
    return rules.confirmation_deadline(order.placed_at, deadline_days)
