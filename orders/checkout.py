"""The checkout (第十八条–第十九条): from the buyer's request to its orders.

The checkout never holds a database transaction open across a call to the payment service. It goes
in steps, each committed before the next (see ``orders.payments``):

1. *reserve* — price the cart, hold the vouchers (ledger: available → in orders, referenced to the
   attempt) and write the ``CheckoutAttempt`` with its plan; commit;
2. *prepare* — one PaymentIntent per order that has a self-paid part (nothing held on the card yet);
   store their ids; commit;
3. *authorise* — confirm them (the amounts are now held on the card); commit;
4. *finalise* — write the orders from the plan; commit.

A refused card or an unreachable service voids what was authorised and releases the vouchers before
answering; a crash between any two steps leaves an unfinished attempt, which
``reconcile_payments`` (``flask --app shop reconcile-payments``) voids and releases. Orders exist only
once step 4 committed, so a failed payment never leaves an order behind.

The checkout and reconcile may race for one attempt (a worker still waiting on the payment service
while reconcile runs): every move of an attempt is a compare-and-set on the status its mover last saw
(``orders.states.CHECKOUT_ATTEMPT``), the checkout renews a lease on its attempt before each call to
the payment service, and reconcile takes only attempts whose lease has run out. A checkout whose
attempt was taken stops with an error, voids what it created and writes no order.

A key given again (``Idempotency-Key``, a page's form token) gets the first result, never a second
charge: ``orders.idempotency``.

Each step commits before the next: the documented exception to "a use case commits once" (see
``docs/development.md``). A step's helpers do not commit on their own.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from catalog.models import Product
from orders.agreement import CURRENT as CURRENT_AGREEMENT
from orders.attempts import (
    Abandoned,
    advance,
    intent_key,
    lease,
    move_attempt,
    release_attempt,
    renew_lease,
    void_all,
)
from orders.cart import buying_enterprise
from orders.commands import CheckoutRequest
from orders.faults import crash_point
from orders.idempotency import find_attempt, replay
from orders.models import CartLine, CheckoutAttempt, Order, OrderLine
from orders.payments import PaymentDeclined, PaymentGateway, PaymentUnavailable
from orders.pricing import price_change, quote
from orders.states import (
    AttemptStatus,
    OrderStatus,
    PaymentStatus,
)
from orgs.models import Organisation
from orgs.sanctions import ensure_not_sanctioned
from shop import clock
from shop.accounts import User
from shop.audit import record
from shop.db import use_case
from shop.errors import DomainError, ValidationError
from shop.i18n import _l
from shop.money import format_fen
from wallet import ledger, spending
from wallet.states import AccountKind

log = logging.getLogger(__name__)


def checkout(
    session: Session,
    actor: User,
    request: CheckoutRequest,
    *,
    gateway: PaymentGateway,
    idempotency_key: str | None = None,
    strict_idempotency: bool = True,
    from_cart: bool = False,
) -> list[Order]:
    """Place one order per provider, paying with vouchers and the card (see the module's docstring).

    ``idempotency_key``: the same key and body give the first result and never charge or spend
    twice; a different body is ``idempotency_mismatch`` (pages pass ``strict_idempotency=False``: a
    double click may carry a second card token, and must still place one order)."""
    org = buying_enterprise(session, actor)
    if not request.agreement_accepted:
        raise DomainError(
            "agreement_not_accepted",
            _l("Read and accept the transaction agreement to buy."),
            field="agreement_accepted",
        )
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 100:
        raise ValidationError({"Idempotency-Key": [_l("At most %(n)d characters.", n=100)]})
    key = idempotency_key or f"auto-{uuid.uuid4().hex}"
    fingerprint = request.fingerprint(with_payment_method=strict_idempotency)

    attempt = find_attempt(session, org.id, key)
    if attempt is not None:
        return replay(session, attempt, fingerprint)
    try:
        attempt = _reserve(session, actor, org, request, key, fingerprint, gateway)
    except IntegrityError:
        session.rollback()
        return replay(session, find_attempt(session, org.id, key), fingerprint)
    crash_point("reserved")
    attempt_id = attempt.id
    try:
        _pay(session, attempt, gateway)
        return _finalise(session, actor, attempt, from_cart=from_cart)
    except Abandoned as abandoned:
        _let_go(session, attempt, gateway, abandoned.intents)
        raise DomainError("payment_unavailable", ABANDONED_MESSAGE) from None
    except SQLAlchemyError:
        # the payment service may have been called: never "nothing was changed"; reconcile finishes it
        session.rollback()
        log.exception("checkout attempt %s: database failure, left to reconcile-payments", attempt_id)
        raise DomainError("payment_unavailable", CHECKOUT_UNFINISHED) from None


def providers_of(session: Session, product_ids: Sequence[int]) -> list[int]:
    """The providers of these products, in the order of the products (for the sanction guard)."""
    providers = dict(
        session.execute(select(Product.id, Product.provider_id).where(Product.id.in_(list(product_ids)))).all()
    )
    return list(dict.fromkeys(providers[p] for p in product_ids if p in providers))


@use_case
def _reserve(
    session: Session,
    actor: User,
    org: Organisation,
    request: CheckoutRequest,
    key: str,
    fingerprint: str,
    gateway: PaymentGateway | None = None,
) -> CheckoutAttempt:
    """Step 1: price, hold the vouchers, write the attempt (one transaction)."""
    ensure_not_sanctioned(session, *providers_of(session, [p for p, _ in request.lines]))
    choice = spending.choose(session, org.id, clock.today(), request.wallet)
    book = choice.book
    wallet = ledger.lock_account(session, AccountKind.AVAILABLE, book, org.id)
    priced = quote(
        session,
        org.id,
        request.lines,
        use_vouchers=request.use_vouchers,
        available_fen=wallet.balance_fen,
        wallet=choice.key,
    )
    if priced.unavailable:
        raise DomainError(
            "product_unavailable",
            _l(
                "Some products are no longer on sale: %(ids)s. Remove them and try again.",
                ids=", ".join(f"#{p}" for p in priced.unavailable),
            ),
            extra={"product_ids": priced.unavailable},
        )
    changed = price_change(request, priced)
    if changed is not None:
        raise changed
    if priced.self_pay_fen > 0 and not request.payment_method:
        raise ValidationError(
            {
                "payment_method": [
                    _l("Enter a card for the self-paid part of %(amount)s.", amount=format_fen(priced.self_pay_fen))
                ]
            }
        )
    at = clock.now()
    attempt = CheckoutAttempt(
        key=key,
        request_hash=fingerprint,
        enterprise_id=org.id,
        user_id=actor.id,
        status=AttemptStatus.RESERVED,
        voucher_year=book.year,
        voucher_book=book.stored,
        voucher_fen=priced.voucher_fen,
        self_pay_fen=priced.self_pay_fen,
        payment_method=request.payment_method,
        plan=priced.plan(),
        intents={},
        agreement_version=CURRENT_AGREEMENT.version,
        agreement_accepted_at=at,
        created_at=at,
        updated_at=at,
        lease_until=lease(gateway),
    )
    session.add(attempt)
    session.flush()
    if priced.voucher_fen:
        ledger.hold_vouchers(session, book, org.id, priced.voucher_fen, ref=("checkout", attempt.id), actor_id=actor.id)
    session.commit()
    return attempt


CHECKOUT_UNFINISHED = _l(
    "The checkout could not be finished just now. If an order was placed, it is in your orders; "
    "otherwise any card hold and your vouchers are released automatically within minutes."
)


ABANDONED_MESSAGE = _l(
    "The payment service answered too late and this checkout was undone: no order was placed, "
    "the card hold is released and your vouchers are back. Please try again."
)


def _pay(session: Session, attempt: CheckoutAttempt, gateway: PaymentGateway) -> None:
    """Steps 2 and 3: prepare and authorise one intent per order with a self-paid part."""
    to_pay = [(i, o) for i, o in enumerate(attempt.plan) if o["self_pay_fen"] > 0]
    if not to_pay:
        return
    attempt_id = attempt.id
    intents: dict[str, str] = {}
    expected = AttemptStatus.RESERVED
    try:
        for n, (index, order) in enumerate(to_pay):
            if n:  # the reservation leased the first call
                renew_lease(session, attempt_id, expected, gateway)
            intent = gateway.prepare(
                amount_fen=order["self_pay_fen"],
                payment_method=attempt.payment_method,
                attempt_key=intent_key(attempt, index),
                description=f"Yunquan checkout {attempt_id}, provider {order['provider_id']}",
            )
            intents[str(index)] = intent.id
        crash_point("intents_unrecorded")
        advance(session, attempt_id, expected, "record_intents", gateway, intents=intents, audit={"intents": intents})
        expected = AttemptStatus.PREPARED
        crash_point("prepared")
        for n, index in enumerate(intents):
            if n:
                renew_lease(session, attempt_id, expected, gateway)
            gateway.authorise(intents[index])
        crash_point("authorised_unrecorded")
        advance(session, attempt_id, expected, "record_authorisation", gateway)
        crash_point("authorised")
    except PaymentDeclined as exc:
        _fail(session, attempt, gateway, intents, expected, "payment_declined", exc.message)
        raise DomainError(
            "payment_declined",
            _l("The card was declined: %(reason)s No order was placed and your vouchers are back.", reason=exc.message),
            field="payment_method",
        ) from None
    except PaymentUnavailable:
        _fail(session, attempt, gateway, intents, expected, "payment_unavailable", None)
        raise DomainError(
            "payment_unavailable",
            _l(
                "The payment service cannot be reached. No order was placed and your vouchers are back; please try again later."
            ),
        ) from None
    except Abandoned as abandoned:
        abandoned.intents = intents
        raise


def _fail(
    session: Session,
    attempt: CheckoutAttempt,
    gateway: PaymentGateway,
    intents: Mapping[str, str],
    expected: AttemptStatus,
    code: str,
    detail: str | None,
) -> None:
    """Undo a checkout that did not get paid: release every card hold and the vouchers (unless
    reconcile took the attempt meanwhile: then it released them)."""
    plan, attempt_id, created_at = attempt.plan, attempt.id, attempt.created_at
    session.rollback()
    try:
        renew_lease(session, attempt_id, expected, gateway, calls=2 * len(plan))  # find and void each
    except Abandoned:
        void_all(gateway, intents.values(), attempt_id, created_at, plan)
        return
    voided, _count = void_all(gateway, intents.values(), attempt_id, created_at, plan)
    if move_attempt(
        session,
        attempt_id,
        expected,
        "fail_checkout" if voided else "fail_checkout_holding",
        intents=dict(intents),
        error_code=code,
        error_detail=detail,
        lease_until=None,
        audit={"error_code": code, "released_fen": attempt.voucher_fen},
    ):
        release_attempt(session, attempt)
        session.commit()
    else:
        session.rollback()


def _let_go(session: Session, attempt: CheckoutAttempt, gateway: PaymentGateway, intents: Mapping[str, str]) -> None:
    """The attempt was taken by reconcile, which released the vouchers: void what this checkout created
    that reconcile may not have seen yet (an intent whose answer was on its way). A hold that cannot
    be voided now is handed back to reconcile."""
    plan, attempt_id, created_at = attempt.plan, attempt.id, attempt.created_at
    session.rollback()
    voided, _count = void_all(gateway, intents.values(), attempt_id, created_at, plan)
    if not voided and move_attempt(
        session, attempt_id, AttemptStatus.ABANDONED, "hold_left_behind", intents={**(attempt.intents or {}), **intents}
    ):
        session.commit()
    session.rollback()


@use_case
def _finalise(session: Session, actor: User, attempt: CheckoutAttempt, *, from_cart: bool) -> list[Order]:
    """Step 4: the orders, written from the plan, in one transaction with the attempt's completion —
    only if this checkout still owns its attempt."""
    expected = AttemptStatus.AUTHORISED if any(o["self_pay_fen"] > 0 for o in attempt.plan) else AttemptStatus.RESERVED
    if not move_attempt(session, attempt.id, expected, "complete_checkout", actor=actor, lease_until=None):
        raise Abandoned()  # @use_case rolls back
    current = session.get(CheckoutAttempt, attempt.id, populate_existing=True)
    at = clock.now()
    orders = []
    for index, planned in enumerate(current.plan):
        intent_id = current.intents.get(str(index))
        order = Order(
            attempt_id=current.id,
            enterprise_id=current.enterprise_id,
            provider_id=planned["provider_id"],
            status=OrderStatus.PLACED,
            total_fen=planned["total_fen"],
            voucher_fen=planned["voucher_fen"],
            self_pay_fen=planned["self_pay_fen"],
            voucher_year=current.voucher_year,
            voucher_book=current.voucher_book,
            voucher_policy_version=planned.get("voucher_policy_version"),
            payment_intent_id=intent_id,
            payment_status=PaymentStatus.AUTHORISED if intent_id else PaymentStatus.NONE,
            agreement_version=current.agreement_version,
            agreement_accepted_at=current.agreement_accepted_at,
            placed_at=at,
        )
        order.lines = [
            OrderLine(
                product_id=line["product_id"],
                version_id=line["version_id"],
                layer=line["layer"],
                category=line["category"],
                unit_price_fen=line["unit_price_fen"],
                quantity=line["quantity"],
                amount_fen=line["amount_fen"],
                voucher_fen=line["voucher_fen"],
            )
            for line in planned["lines"]
        ]
        session.add(order)
        session.flush()
        record(
            session,
            actor,
            "order",
            order.id,
            "place",
            None,
            {
                **order.audit_state(),
                "total_fen": order.total_fen,
                "provider_id": order.provider_id,
                "attempt_id": current.id,
                "agreement_version": order.agreement_version,
                "lines": [
                    {
                        "product_id": line["product_id"],
                        "version_id": line["version_id"],
                        "quantity": line["quantity"],
                        "amount_fen": line["amount_fen"],
                        "voucher_fen": line["voucher_fen"],
                    }
                    for line in planned["lines"]
                ],
            },
        )
        orders.append(order)
    if from_cart:
        bought = [line["product_id"] for planned in current.plan for line in planned["lines"]]
        for line in session.scalars(
            select(CartLine).where(CartLine.enterprise_id == current.enterprise_id, CartLine.product_id.in_(bought))
        ):
            session.delete(line)
    session.commit()
    return orders
