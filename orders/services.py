"""Use cases after the order (第十九条–第二十一条): the provider confirms it (the self-paid part is taken),
the buyer cancels it before confirmation or asks for a refund after, the provider decides the refund;
reading orders. The cart is in ``orders.cart``, the checkout in ``orders.checkout``, finishing payments
in ``orders.reconcile``.

``confirm_order``, ``cancel_order`` and ``decide_refund`` call the payment service, so, like the
checkout's steps, they are the documented exception to "a use case commits once": each commits its
decision in a step of its own (``_start_capture``, ``_confirm_without_capture``, ``_cancel``,
``_decide_refund``, each a ``@use_case``) before the call, and the call's outcome in another
(``orders.reconcile``), so that no transaction stays open across it. The other use cases commit once.
The input arrives typed (``orders.commands``, ``shop.inputs.Decision``); what a page offers comes from
``allowed_actions``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, joinedload, selectinload

from orders import voucher_issue
from orders.commands import OrderFilter
from orders.models import Order, OrderLine
from orders.payments import PaymentDeclined, PaymentGateway, PaymentUnavailable
from orders.reconcile import (
    expire_order,
    move_payment,
    move_payment_if,
    record_capture,
    settle_quietly,
)
from orders.states import (
    ORDER,
    PAYMENT,
    CancellationReason,
    OrderStatus,
    PaymentStatus,
)
from orgs.sanctions import ensure_not_sanctioned
from shop import clock
from shop.accounts import User
from shop.audit import change_state
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound
from shop.i18n import _l
from shop.inputs import Decision
from shop.pagination import Page, paginate
from shop.states import Role

log = logging.getLogger(__name__)


# Checks a refund request must pass besides the order's status, registered by other parts of this
# area: each returns a message saying why the order cannot be refunded, or None. The claims
# register "the order is in a submitted claim".
REFUND_GUARDS: list[Callable[[Session, Order], object | None]] = []


# What else a refund request changes, in its transaction (the actor, the order, the buyer's reason):
# the claims take the order out of a draft claim (第二十条: the window closes at submission).
REFUND_HOOKS: list[Callable[[Session, User, Order, str], None]] = []


def _order_for(session: Session, actor: User, order_id: int, *, as_party: str, lock: bool = False) -> Order:
    """The order if ``actor`` is its ``buyer`` or ``provider``; to anyone else it does not exist."""
    stmt = select(Order).where(Order.id == order_id)
    if lock:
        stmt = stmt.with_for_update()
    order = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    if order is None:
        raise NotFound()
    party = order.enterprise_id if as_party == "buyer" else order.provider_id
    required_role = Role.ENTERPRISE if as_party == "buyer" else Role.PROVIDER
    if actor.role != required_role or not actor.belongs_to(party):
        if actor.is_staff or actor.belongs_to(order.enterprise_id) or actor.belongs_to(order.provider_id):
            raise Forbidden()
        raise NotFound()
    return order


CAPTURE_UNCERTAIN = _l(
    "The payment service did not answer: the self-paid part may have been taken. The order is not "
    "confirmed yet; reconciliation will complete the confirmation, or give the money back, within "
    "minutes. You may also try again."
)


CAPTURE_UNRECORDED = _l(
    "The self-paid part has been taken, but the confirmation could not be saved just now. "
    "Reconciliation will complete it within minutes; you may also try again."
)


def confirm_order(session: Session, actor: User, order_id: int, *, gateway: PaymentGateway) -> Order:
    """第二十条: the provider confirms the transaction; the self-paid part is captured first, then the
    order is confirmed. ``capture_pending`` is recorded before the capture is sent, so an answer that
    is lost (a timeout, the database failing right after) is never taken for "nothing happened": the
    intent is read back, and what cannot be known now is finished by ``reconcile-payments``."""
    order = _order_for(session, actor, order_id, as_party="provider")
    ensure_not_sanctioned(session, order.provider_id, order.enterprise_id)
    ORDER.next(order.status, "confirm")
    intent_id, payment = order.payment_intent_id, order.payment_status
    session.rollback()
    if payment not in (PaymentStatus.AUTHORISED, PaymentStatus.CAPTURE_PENDING):
        return _confirm_without_capture(session, actor, order_id)
    _start_capture(session, actor, order_id)
    if intent_id:
        try:
            gateway.capture(intent_id)
        except PaymentDeclined as exc:
            move_payment_if(session, order_id, PaymentStatus.CAPTURE_PENDING, "capture_declined", actor=actor)
            raise DomainError(
                "payment_declined",
                _l(
                    "The payment could not be taken (%(reason)s); the buyer needs to cancel and order again.",
                    reason=exc.message,
                ),
            ) from None
        except PaymentUnavailable:
            real = _real_status(gateway, intent_id)
            if real == "canceled" and expire_order(
                session, None, order_id, CancellationReason.CARD_HOLD_RELEASED, payments=[PaymentStatus.CAPTURE_PENDING]
            ):
                raise DomainError(
                    "payment_declined",
                    _l(
                        "The payment service had already released the card hold (holds lapse after seven days): nothing "
                        "was taken, the order is cancelled and the buyer's vouchers are back."
                    ),
                ) from None
            if real != "succeeded":
                raise DomainError("payment_unavailable", CAPTURE_UNCERTAIN) from None
    try:
        confirmed = record_capture(session, actor, order_id)
    except SQLAlchemyError:
        session.rollback()
        log.exception("order %s: captured, but the confirmation could not be recorded", order_id)
        raise DomainError("payment_unavailable", CAPTURE_UNRECORDED) from None
    order = session.get(Order, order_id, populate_existing=True)
    if not confirmed and order.status != OrderStatus.CONFIRMED:
        settle_quietly(session, gateway, order_id)  # give the money back at once
        raise DomainError(
            "invalid_state",
            _l("The buyer cancelled this order while the payment was being taken; the self-paid part is refunded."),
        )
    return order


def _real_status(gateway: PaymentGateway, intent_id: str) -> str | None:
    """The intent's status at the payment service, or None when it cannot be reached either."""
    try:
        return gateway.retrieve(intent_id).status
    except PaymentUnavailable:
        return None


@use_case
def _start_capture(session: Session, actor: User, order_id: int) -> None:
    """Record ``capture_pending`` (again, for a retry) in a transaction of its own, before the capture."""
    order = _order_for(session, actor, order_id, as_party="provider", lock=True)
    ORDER.next(order.status, "confirm")
    if order.payment_status == PaymentStatus.CAPTURE_PENDING:
        order.capture_started_at = clock.now()
    else:
        move_payment(session, order, "capture", actor, capture_started_at=clock.now())
    session.commit()


@use_case
def _confirm_without_capture(session: Session, actor: User, order_id: int) -> Order:
    order = _order_for(session, actor, order_id, as_party="provider", lock=True)
    change_state(session, order, ORDER, "confirm", actor, subject_type="order", confirmed_at=clock.now())
    session.commit()
    return order


@use_case
def _cancel(session: Session, actor: User, order_id: int) -> Order:
    order = _order_for(session, actor, order_id, as_party="buyer", lock=True)
    payment = order.payment_status
    pending = PAYMENT.next(payment, "void") if PAYMENT.can(payment, "void") else payment
    change_state(
        session, order, ORDER, "cancel", actor, subject_type="order", cancelled_at=clock.now(), payment_status=pending
    )
    voucher_issue.order_released(session, order, actor)  # quota vouchers back, or a contract voucher lapsed
    session.commit()
    return order


def cancel_order(session: Session, actor: User, order_id: int, *, gateway: PaymentGateway) -> Order:
    """第二十条: before confirmation the buyer may cancel; the vouchers go back to the wallet at once
    (exactly once: the order row is locked and its status checked) and the card hold is voided."""
    order = _cancel(session, actor, order_id)
    if order.payment_status == PaymentStatus.VOID_PENDING:
        settle_quietly(session, gateway, order.id)
    return session.get(Order, order_id, populate_existing=True)


def refund_refusal(session: Session, order: Order) -> object | None:
    """Why the order cannot be refunded besides its status (e.g. it is in a claim), or None."""
    for guard in REFUND_GUARDS:
        message = guard(session, order)
        if message:
            return message
    return None


@use_case
def request_refund(session: Session, actor: User, order_id: int, reason: str) -> Order:
    """第二十一条: after confirmation and before the order's claim is submitted, the buyer asks for a
    refund, saying why (``ReasonInput``); an order in a provider's draft claim leaves the draft."""
    order = _order_for(session, actor, order_id, as_party="buyer", lock=True)
    ORDER.next(order.status, "request_refund")
    refusal = refund_refusal(session, order)
    if refusal:
        raise DomainError("invalid_state", refusal)
    for hook in REFUND_HOOKS:
        hook(session, actor, order, reason)
    change_state(
        session,
        order,
        ORDER,
        "request_refund",
        actor,
        subject_type="order",
        refund_requested_at=clock.now(),
        refund_reason=reason,
        refund_decision_reason=None,
    )
    session.commit()
    return order


@use_case
def _decide_refund(session: Session, actor: User, order_id: int, decision: Decision) -> Order:
    order = _order_for(session, actor, order_id, as_party="provider", lock=True)
    at = clock.now()
    reason = decision.reason
    if decision.approve:
        pending = (
            PAYMENT.next(order.payment_status, "refund")
            if order.payment_status == PaymentStatus.CAPTURED and order.self_pay_fen
            else order.payment_status
        )
        change_state(
            session,
            order,
            ORDER,
            "approve_refund",
            actor,
            subject_type="order",
            refund_decided_at=at,
            refund_decision_reason=reason,
            payment_status=pending,
        )
        voucher_issue.order_released(session, order, actor)  # quota vouchers back, or a contract voucher lapsed
    else:
        change_state(
            session,
            order,
            ORDER,
            "reject_refund",
            actor,
            subject_type="order",
            refund_decided_at=at,
            refund_decision_reason=reason,
        )
    session.commit()
    return order


def decide_refund(
    session: Session, actor: User, order_id: int, decision: Decision, *, gateway: PaymentGateway
) -> Order:
    """The provider approves (vouchers back, the self-paid part refunded) or refuses with a reason."""
    order = _decide_refund(session, actor, order_id, decision)
    if order.payment_status == PaymentStatus.REFUND_PENDING:
        settle_quietly(session, gateway, order.id)
    return session.get(Order, order_id, populate_existing=True)


# What each action on an order asks of the actor besides the order's status: to be its buyer or its
# provider (``_order_for``).
_PARTY_OF_ACTION = {
    "confirm": "provider",
    "cancel": "buyer",
    "request_refund": "buyer",
    "approve_refund": "provider",
    "reject_refund": "provider",
}


def allowed_actions(actor: User, order: Order) -> set[str]:
    """What ``actor`` may do to ``order`` now: the actions ``ORDER`` allows from its status that the
    actor's side of the order performs (the buyer cancels and asks for refunds, the provider confirms
    and decides refunds). The pages offer these and only these."""
    sides = {"buyer": (Role.ENTERPRISE, order.enterprise_id), "provider": (Role.PROVIDER, order.provider_id)}
    allowed = set()
    for action, party in _PARTY_OF_ACTION.items():
        role, org_id = sides[party]
        if ORDER.can(order.status, action) and actor.role == role and actor.belongs_to(org_id):
            allowed.add(action)
    return allowed


# -- reading ----------------------------------------------------------------------------------------------


def _visible(stmt: Any, actor: User) -> Any:
    if actor.role == Role.ENTERPRISE:
        return stmt.where(Order.enterprise_id == actor.organisation_id)
    if actor.role == Role.PROVIDER:
        return stmt.where(Order.provider_id == actor.organisation_id)
    if actor.is_staff:
        return stmt
    raise Forbidden()


def list_orders(
    session: Session, actor: User, wanted: OrderFilter | None = None, *, page: int, per_page: int
) -> Page[Order]:
    """The buyer's, the provider's or (staff) every order, newest first."""
    stmt = (
        _visible(select(Order), actor)
        .options(joinedload(Order.enterprise), joinedload(Order.provider))
        .order_by(Order.id.desc())
    )
    if wanted is not None and wanted.statuses:
        stmt = stmt.where(Order.status.in_(wanted.statuses))
    return paginate(session, stmt, page, per_page)


def get_order(session: Session, actor: User, order_id: int) -> Order:
    order = session.scalars(
        select(Order)
        .where(Order.id == order_id)
        .options(
            selectinload(Order.lines).joinedload(OrderLine.version),
            joinedload(Order.enterprise),
            joinedload(Order.provider),
        )
    ).one_or_none()
    if order is None:
        raise NotFound()
    if not (actor.is_staff or actor.belongs_to(order.enterprise_id) or actor.belongs_to(order.provider_id)):
        raise NotFound()
    return order


def waiting_for_provider(session: Session, provider_id: int | None) -> int:
    """Orders to confirm and refund requests to decide: what waits for the provider."""
    if provider_id is None:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(Order)
            .where(
                Order.provider_id == provider_id, Order.status.in_([OrderStatus.PLACED, OrderStatus.REFUND_REQUESTED])
            )
        )
        or 0
    )


def order_counts(session: Session, actor: User) -> dict[str, int]:
    rows = session.execute(_visible(select(Order.status, func.count()), actor).group_by(Order.status)).all()
    return {status.value if hasattr(status, "value") else status: n for status, n in rows}
