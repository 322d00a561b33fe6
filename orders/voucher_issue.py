"""A contract voucher issued, its card adjusted, lapsed (``orders.contract_vouchers``).

Issued (at the last review, or when its notice ends: the daily ``issue_after_notice``): the voucher gets
its printable number (``<programme code>-<year>-<sequence of six digits>``, unique) and its validity
(Liuzhou: one year from issuance; else to the end of the programme); its reservation moves into the
order (reserved → in orders), so that the order is voucher-backed and the provider claims it as any
other; the order records the voucher amount, what the enterprise still pays and the voucher's book,
its lines share the amount (floor per line, the remainder to the last lines).

The card: the enterprise paid (or has on hold) the full price. The amount the voucher now pays is
refunded on the card once the payment is captured (``card_refund_fen``): at once when it was, or after
the provider's confirmation captures it (the gateway cannot capture less than the hold). The refund is
sent after the issuance is committed and recorded in a transaction of its own; a lost answer is retried
by ``settle_card_refunds`` (daily, and ``reconcile-payments``), and the gateway's refund is made once
(per purpose). It is owed whatever becomes of the order (the order's own refund gives back only the
self-paid part, ``card_refunded_fen`` caps it at what the card still holds); a voucher lapsed on a
standing order before its refund went out calls the refund off (the order is paid in full again).

Lapsed (Linyi 第十四条: the contract is not performed): staff lapse an issued voucher with a reason, the
order's cancellation or refund lapses it (or withdraws an application not yet issued), and the daily
``lapse_expired`` lapses an issued voucher past its validity whose order is in no claim: the money
returns to the budget (in orders → budget)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orders.models import Order
from orders.payments import PaymentDeclined, PaymentGateway, PaymentUnavailable
from orders.states import CONTRACT_VOUCHER, VOUCHER_HELD, OrderStatus, PaymentStatus, VoucherStatus
from orders.voucher_models import ContractVoucher
from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound
from shop.i18n import _l
from shop.states import Role
from wallet import grants, ledger, versions, voucher_ledger
from wallet.models import Programme

log = logging.getLogger(__name__)

# the card paid (or holds, or is being captured for) the full price: the voucher's amount is refunded on it
CARD_PAID = (PaymentStatus.AUTHORISED, PaymentStatus.CAPTURE_PENDING, PaymentStatus.CAPTURED)
# a captured payment (the order's own refund, if any, gives back only the self-paid part)
CARD_CAPTURED = (PaymentStatus.CAPTURED, PaymentStatus.REFUND_PENDING, PaymentStatus.REFUNDED)

EXPIRED = _l("The voucher's validity ended before the order was claimed.")
ORDER_ENDED = _l("The order was cancelled or refunded.")


def _book(session: Session, voucher: ContractVoucher) -> ledger.Book:
    from orders.contract_vouchers import book_of

    return book_of(session, voucher)[0]


def _number(session: Session, programme: Programme, year: int) -> str:
    """The next number of the programme's year. The programme's row is locked first, so that two
    issuances at once (two reviewers, a reviewer and the daily job, a round) take their numbers one
    after the other instead of both counting the same vouchers (PostgreSQL; SQLite's writes are
    serialised anyway)."""
    session.execute(select(Programme.id).where(Programme.id == programme.id).with_for_update())
    prefix = f"{programme.code}-{year}-"
    taken = session.scalar(
        select(func.count())
        .select_from(ContractVoucher)
        .where(ContractVoucher.number.startswith(prefix, autoescape=True))
    )
    return f"{prefix}{int(taken or 0) + 1:06d}"


def _share_lines(order: Order, amount_fen: int) -> None:
    """The voucher amount over the order's lines: floor per line by its amount, the remainder from the
    last line back (never more than a line's amount)."""
    total = order.total_fen or 1
    shares = [amount_fen * line.amount_fen // total for line in order.lines]
    left = amount_fen - sum(shares)
    for i in range(len(shares) - 1, -1, -1):
        room = min(left, order.lines[i].amount_fen - shares[i])
        shares[i] += room
        left -= room
    for line, share in zip(order.lines, shares, strict=True):
        line.voucher_fen = share


def issue(session: Session, voucher: ContractVoucher, actor: User | None) -> None:
    """Issue a granted voucher (its amount reserved), in the caller's transaction."""
    programme = session.get(Programme, voucher.programme_id)
    rules = versions.rules_of(session, programme, voucher.policy_version)
    order = session.scalars(select(Order).where(Order.id == voucher.order_id).with_for_update()).one()
    today = clock.today()
    if order.status not in (OrderStatus.PLACED, OrderStatus.CONFIRMED):
        raise DomainError("invalid_state", ORDER_ENDED)
    book = _book(session, voucher)
    voucher_ledger.issue(
        session, book, voucher.organisation_id, voucher.amount_fen, voucher.id, actor.id if actor else None
    )
    valid_until = grants.valid_until(rules, today) or programme.ends_on  # the wallet's rule: days counted from today
    before = order.audit_state()
    order.voucher_fen = voucher.amount_fen
    order.self_pay_fen = order.total_fen - voucher.amount_fen
    order.voucher_year = book.year
    order.voucher_book = book.stored
    order.voucher_policy_version = voucher.policy_version
    _share_lines(order, voucher.amount_fen)
    card = voucher.amount_fen if order.payment_status in CARD_PAID else 0
    record(session, actor, "order", order.id, "apply_contract_voucher", before, order.audit_state())
    change_state(
        session,
        voucher,
        CONTRACT_VOUCHER,
        "issue_voucher",
        actor,
        subject_type="contract_voucher",
        number=_number(session, programme, today.year),
        issued_on=today,
        valid_until=valid_until,
        reserved_fen=0,
        card_refund_fen=card if order.payment_intent_id else 0,
    )


@use_case
def issue_after_notice(session: Session, today: dt.date | None = None) -> int:
    """Daily: every granted voucher whose notice has ended is issued. Idempotent. Commits."""
    today = today or clock.today()
    issued = 0
    for voucher in session.scalars(
        select(ContractVoucher)
        .where(ContractVoucher.status == VoucherStatus.IN_NOTICE, ContractVoucher.notice_ends_on < today)
        .order_by(ContractVoucher.id)
        .with_for_update()
    ):
        status = session.scalar(select(Order.status).where(Order.id == voucher.order_id))
        if status not in (OrderStatus.PLACED, OrderStatus.CONFIRMED):
            continue  # a refund is being decided: issued once it is refused, withdrawn once approved
        issue(session, voucher, None)
        issued += 1
    session.commit()
    return issued


# -- the card ------------------------------------------------------------------------------------------


def settle_card_refunds(session: Session, gateway: PaymentGateway, voucher_id: int | None = None) -> int:
    """Refund on the card what issued vouchers pay, where the payment is captured and the refund is not
    recorded yet. Called with no transaction open (after the issuance's commit); a call the service does
    not answer is retried by the next run (the gateway refunds an intent's amount once)."""
    stmt = (
        select(ContractVoucher.id, Order.payment_intent_id, ContractVoucher.card_refund_fen)
        .join(Order, Order.id == ContractVoucher.order_id)
        .where(
            ContractVoucher.card_refund_fen > 0,
            ContractVoucher.card_refund_id.is_(None),
            Order.payment_status.in_(CARD_CAPTURED),
            Order.payment_intent_id.is_not(None),
        )
    )
    if voucher_id is not None:
        stmt = stmt.where(ContractVoucher.id == voucher_id)
    due = session.execute(stmt.order_by(ContractVoucher.id)).all()
    session.rollback()
    done = 0
    for vid, intent_id, amount in due:
        try:
            refund_id = gateway.refund(intent_id, amount, purpose=f"contract_voucher:{vid}")
        except (PaymentUnavailable, PaymentDeclined):
            log.warning("contract voucher %s: the card refund of %s fen is retried later", vid, amount)
            continue
        if _record_refund(session, vid, refund_id, amount):
            done += 1
    return done


@use_case
def _record_refund(session: Session, voucher_id: int, refund_id: str, amount_fen: int) -> bool:
    voucher = session.scalars(
        select(ContractVoucher)
        .where(ContractVoucher.id == voucher_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if voucher.card_refund_id is not None:
        session.rollback()
        return False
    voucher.card_refund_id = refund_id
    voucher.card_refund_fen = amount_fen  # what was refunded (a lapse may have called it off meanwhile)
    record(
        session,
        None,
        "contract_voucher",
        voucher.id,
        "refund_voucher_amount",
        None,
        {"card_refund_fen": voucher.card_refund_fen, "refund_id": refund_id},
    )
    session.commit()
    return True


# -- lapse ---------------------------------------------------------------------------------------------


def _lapse(
    session: Session, voucher: ContractVoucher, actor: User | None, reason: object, *, order_ended: bool
) -> None:
    """An issued voucher lapses: its amount leaves the order for the budget (in the caller's transaction).
    An order still standing goes back to being paid in full."""
    book = _book(session, voucher)
    voucher_ledger.lapse(
        session, book, voucher.organisation_id, voucher.amount_fen, voucher.id, actor.id if actor else None
    )
    changes = {}
    if not order_ended:
        if voucher.card_refund_id is None:
            changes["card_refund_fen"] = 0  # the order is paid in full again: nothing to give back on the card
        order = session.scalars(select(Order).where(Order.id == voucher.order_id).with_for_update()).one()
        before = order.audit_state()
        order.voucher_fen = 0
        order.self_pay_fen = order.total_fen
        for line in order.lines:
            line.voucher_fen = 0
        record(session, actor, "order", order.id, "lose_contract_voucher", before, order.audit_state())
    change_state(
        session,
        voucher,
        CONTRACT_VOUCHER,
        "lapse_voucher",
        actor,
        subject_type="contract_voucher",
        reason=str(reason),
        **changes,
    )


def card_refunded_fen(session: Session, order_id: int) -> int:
    """What was refunded on the order's card for its contract voucher (0 without one): the order's own
    refund gives back at most what the card still holds (``orders.reconcile``)."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(ContractVoucher.card_refund_fen), 0)).where(
                ContractVoucher.order_id == order_id, ContractVoucher.card_refund_id.is_not(None)
            )
        )
        or 0
    )


def withdraw(session: Session, voucher: ContractVoucher, actor: User | None, reason: object) -> None:
    """An application not issued yet is withdrawn (its order ended): its reservation goes back."""
    if voucher.reserved_fen:
        book = _book(session, voucher)
        voucher_ledger.release(
            session, book, voucher.organisation_id, voucher.reserved_fen, voucher.id, actor.id if actor else None
        )
    change_state(
        session,
        voucher,
        CONTRACT_VOUCHER,
        "withdraw_voucher",
        actor,
        subject_type="contract_voucher",
        reserved_fen=0,
        due_on=None,
        reason=str(reason),
    )


def order_released(session: Session, order: Order, actor: User | None) -> None:
    """The order was cancelled or refunded (in the caller's transaction): a contract voucher for it
    lapses (its amount back to the budget) or, not issued yet, is withdrawn; an order spending quota
    vouchers gives them back to the wallet as before."""
    voucher = session.scalars(
        select(ContractVoucher).where(ContractVoucher.order_id == order.id).with_for_update()
    ).one_or_none()
    if voucher is not None and voucher.status == VoucherStatus.ISSUED:
        _lapse(session, voucher, actor, ORDER_ENDED, order_ended=True)
        return
    if voucher is not None and voucher.status in VOUCHER_HELD:
        withdraw(session, voucher, actor, ORDER_ENDED)
    if order.voucher_fen:
        ledger.release_vouchers(
            session,
            ledger.book_of(session, order.voucher_book, order.voucher_year),
            order.enterprise_id,
            order.voucher_fen,
            ref=("order", order.id),
            actor_id=actor.id if actor else None,
        )


@use_case
def lapse_voucher(session: Session, actor: User, voucher_id: int, reason: str) -> ContractVoucher:
    """Staff of the enterprise's jurisdiction lapse an issued voucher whose contract is not performed;
    refused once the order is in a submitted claim (the claim's review decides then)."""
    from orders import services

    voucher = session.scalars(
        select(ContractVoucher).where(ContractVoucher.id == voucher_id).with_for_update()
    ).one_or_none()
    if voucher is None or not actor.is_staff or not actor.oversees(voucher.organisation.region_code):
        raise NotFound()
    if actor.role not in (Role.OPERATOR, Role.AUTHORITY):
        raise Forbidden()
    if not CONTRACT_VOUCHER.can(voucher.status, "lapse_voucher"):
        raise DomainError("invalid_state", _l("Only an issued voucher can lapse."))
    order = session.get(Order, voucher.order_id)
    refusal = services.refund_refusal(session, order)
    if refusal:
        raise DomainError("invalid_state", refusal)
    for hook in services.REFUND_HOOKS:  # out of a draft claim
        hook(session, actor, order, reason)
    _lapse(session, voucher, actor, reason, order_ended=False)
    session.commit()
    return voucher


@use_case
def lapse_expired(session: Session, today: dt.date | None = None) -> int:
    """Daily: an issued voucher past its validity whose order is in no submitted claim lapses (Liuzhou
    第十九条: an expired voucher cannot be redeemed). Idempotent. Commits."""
    from orders import services

    today = today or clock.today()
    lapsed = 0
    for voucher in session.scalars(
        select(ContractVoucher)
        .where(ContractVoucher.status == VoucherStatus.ISSUED, ContractVoucher.valid_until < today)
        .order_by(ContractVoucher.id)
        .with_for_update()
    ):
        order = session.get(Order, voucher.order_id)
        if services.refund_refusal(session, order):
            continue  # a submitted claim: its review refuses what is expired
        for hook in services.REFUND_HOOKS:
            hook(session, None, order, str(EXPIRED))
        _lapse(session, voucher, None, EXPIRED, order_ended=False)
        lapsed += 1
    session.commit()
    return lapsed


def redeemable_refusal(session: Session, order_id: int, on_day: dt.date) -> object | None:
    """Why a claim cannot take the order (its contract voucher expired or not issued), or None."""
    voucher = session.scalars(select(ContractVoucher).where(ContractVoucher.order_id == order_id)).one_or_none()
    if voucher is None:
        return None
    if voucher.status != VoucherStatus.ISSUED:
        return _l("The order's contract voucher is not issued.")
    if voucher.valid_until is not None and on_day > voucher.valid_until:
        return _l(
            "Voucher %(number)s expired on %(day)s: an expired voucher cannot be redeemed.",
            number=voucher.number,
            day=voucher.valid_until.isoformat(),
        )
    return None


def ensure_redeemable(session: Session, order_ids: Iterable[int]) -> None:
    """The claims' guard (create and submit): refused, naming the voucher, when one has expired."""
    today = clock.today()
    for order_id in order_ids:
        refusal = redeemable_refusal(session, order_id, today)
        if refusal:
            raise DomainError("invalid_state", refusal, field="order_ids")


def mark_redeemed(session: Session, order_ids: list[int], actor: User | None) -> None:
    """The claims paid these orders: their contract vouchers are redeemed (in the caller's transaction)."""
    for voucher in session.scalars(
        select(ContractVoucher).where(
            ContractVoucher.order_id.in_(order_ids), ContractVoucher.status == VoucherStatus.ISSUED
        )
    ):
        change_state(session, voucher, CONTRACT_VOUCHER, "redeem_voucher", actor, subject_type="contract_voucher")
