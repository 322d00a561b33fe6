"""Use cases of carts, checkout, orders and refunds (第十八条–第二十一条).

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
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, joinedload, selectinload

from catalog import queries
from catalog.models import Product, ProductVersion
from orders import rules
from orders.agreement import CURRENT as CURRENT_AGREEMENT
from orders.faults import crash_point
from orders.models import CartLine, CheckoutAttempt, Order, OrderLine
from orders.payments import CALL_TIMEOUT, PaymentDeclined, PaymentGateway, PaymentUnavailable
from orders.rules import Amounts, LineInput, OrderPlan, PricedLine, allocate_vouchers, split_by_provider
from orders.states import (
    CHECKOUT_ATTEMPT,
    ORDER,
    PAYMENT,
    PENDING_PAYMENTS,
    UNFINISHED_ATTEMPTS,
    AttemptStatus,
    CancellationReason,
    OrderStatus,
    PaymentStatus,
)
from orgs.affiliations import affiliated_ids
from orgs.models import Organisation
from orgs.sanctions import ensure_not_sanctioned
from orgs.states import ACTIVE_ORG_STATUSES
from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound, ValidationError
from shop.hooks import layer_ratios
from shop.i18n import _l
from shop.inputs import Inputs
from shop.money import format_fen
from shop.pagination import Page, paginate
from shop.states import Role
from wallet import ledger
from wallet.states import AccountKind

log = logging.getLogger(__name__)

# Checks a refund request must pass besides the order's status, registered by other parts of this
# area: each returns a message saying why the order cannot be refunded, or None. The claims
# register "the order is in a submitted claim".
REFUND_GUARDS: list[Callable[[Session, Order], object | None]] = []
# What else a refund request changes, in its transaction (the actor, the order, the buyer's reason):
# the claims take the order out of a draft claim (第二十条: the window closes at submission).
REFUND_HOOKS: list[Callable[[Session, User, Order, str], None]] = []

MAX_QUANTITY = 9999
MAX_LINES = 100
IN_PROGRESS_WAIT = 10.0   # seconds a repeated request waits for the first one to finish
# A live checkout renews its attempt's lease before each call to the payment service, for as long as the
# call may take plus this margin (the database's busy timeout, and the clocks of two hosts that differ).
LEASE_MARGIN = dt.timedelta(seconds=40)
# The calls one order's payment may make in a checkout: prepare and authorise, and when that fails, find
# and void. ``reconcile-payments`` takes no attempt younger than that many payment timeouts plus the margin.
CALLS_PER_ORDER = 4


def _enterprise(session: Session, actor: User) -> Organisation:
    if actor.role != Role.ENTERPRISE or actor.organisation_id is None:
        raise Forbidden()
    org = session.get(Organisation, actor.organisation_id)
    ensure_not_sanctioned(session, actor.organisation_id)
    if org is None or org.status not in ACTIVE_ORG_STATUSES:
        raise DomainError("not_certified", _l("Your enterprise must be certified before it buys."))
    return org


# -- the cart -------------------------------------------------------------------------------------

@use_case
def add_to_cart(session: Session, actor: User, data: Mapping[str, Any]) -> CartLine:
    """Put a product in the cart (or add to its quantity)."""
    org = _enterprise(session, actor)
    inputs = Inputs(data)
    product_id = inputs.integer("product_id", minimum=1)
    quantity = inputs.integer("quantity", required=False, minimum=1, maximum=MAX_QUANTITY, default=1)
    inputs.check()
    if product_id not in queries.versions_on_sale(session, [product_id]):
        raise DomainError("product_unavailable", _l("This product is not on sale."), field="product_id")
    line = session.scalars(select(CartLine).where(CartLine.enterprise_id == org.id, CartLine.product_id == product_id)
                           .with_for_update()).one_or_none()
    if line is None:
        line = CartLine(enterprise_id=org.id, product_id=product_id, quantity=quantity)
        session.add(line)
    else:
        line.quantity = min(MAX_QUANTITY, line.quantity + quantity)
    session.commit()
    return line


@use_case
def set_cart_quantity(session: Session, actor: User, product_id: int, data: Mapping[str, Any]) -> CartLine | None:
    """Change a line's quantity; 0 removes it."""
    org = _enterprise(session, actor)
    inputs = Inputs(data)
    quantity = inputs.integer("quantity", minimum=0, maximum=MAX_QUANTITY)
    inputs.check()
    line = session.scalars(select(CartLine).where(CartLine.enterprise_id == org.id,
                                                  CartLine.product_id == product_id)).one_or_none()
    if line is None:
        raise NotFound()
    if quantity == 0:
        session.delete(line)
        line = None
    else:
        line.quantity = quantity
    session.commit()
    return line


@use_case
def remove_from_cart(session: Session, actor: User, product_id: int) -> None:
    org = _enterprise(session, actor)
    line = session.scalars(select(CartLine).where(CartLine.enterprise_id == org.id,
                                                  CartLine.product_id == product_id)).one_or_none()
    if line is None:
        raise NotFound()
    session.delete(line)
    session.commit()


def cart_count(session: Session, enterprise_id: int | None) -> int:
    if enterprise_id is None:
        return 0
    return session.scalar(select(func.count()).select_from(CartLine).where(CartLine.enterprise_id == enterprise_id)) or 0


def cart_lines(session: Session, enterprise_id: int) -> list[tuple[int, int]]:
    return [(p, q) for p, q in session.execute(select(CartLine.product_id, CartLine.quantity)
                                               .where(CartLine.enterprise_id == enterprise_id)
                                               .order_by(CartLine.id)).all()]


# -- pricing ----------------------------------------------------------------------------------------

@dataclass
class QuotedLine:
    product: Product
    version: ProductVersion
    quantity: int
    amount_fen: int
    voucher_fen: int
    affiliated: bool

    @property
    def total_fen(self) -> int:
        return self.amount_fen

    @property
    def self_pay_fen(self) -> int:
        return self.amount_fen - self.voucher_fen


@dataclass
class QuotedOrder(Amounts):
    provider: Organisation
    lines: list[QuotedLine] = field(default_factory=list)


@dataclass
class Quote(Amounts):
    """What a cart costs now: one order per provider, each line's voucher share and self-paid part,
    the wallet before and after."""
    year: int
    orders: list[QuotedOrder]
    unavailable: list[int]
    available_fen: int
    use_vouchers: bool
    ratios: dict[str, int]

    @property
    def parts(self) -> list[QuotedOrder]:
        return self.orders

    @property
    def available_after_fen(self) -> int:
        return self.available_fen - self.voucher_fen

    def as_json(self) -> dict[str, Any]:
        """The amounts and, per provider, the orders the checkout would place (the checkout's
        ``orders`` without what only a placed order has)."""
        return {"total_fen": self.total_fen, "voucher_fen": self.voucher_fen, "self_pay_fen": self.self_pay_fen,
                "use_vouchers": self.use_vouchers,
                "orders": [{"provider_id": o.provider.id, "total_fen": o.total_fen, "voucher_fen": o.voucher_fen,
                            "self_pay_fen": o.self_pay_fen,
                            "lines": [{"product_id": line.product.id, "version_id": line.version.id,
                                       "quantity": line.quantity, "unit_price_fen": line.version.price_fen,
                                       "amount_fen": line.amount_fen, "voucher_fen": line.voucher_fen}
                                      for line in o.lines]} for o in self.orders]}

    def plan(self) -> list[dict[str, Any]]:
        """The plan stored with the checkout attempt (plain JSON)."""
        return [{"provider_id": o.provider.id, "total_fen": o.total_fen, "voucher_fen": o.voucher_fen,
                 "self_pay_fen": o.self_pay_fen,
                 "lines": [{"product_id": line.product.id, "version_id": line.version.id,
                            "layer": line.version.layer.value, "category": line.version.category.value,
                            "unit_price_fen": line.version.price_fen, "quantity": line.quantity,
                            "amount_fen": line.amount_fen, "voucher_fen": line.voucher_fen} for line in o.lines]}
                for o in self.orders]


def quote(session: Session, enterprise_id: int, lines: Sequence[tuple[int, int]], *, use_vouchers: bool,
          available_fen: int | None = None) -> Quote:
    """Price ``lines`` (product id, quantity) for the enterprise as the checkout would now."""
    year = clock.today().year
    versions = queries.versions_on_sale(session, [p for p, _ in lines])
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(list(versions)))
                                                 .options(joinedload(Product.provider)))}
    unavailable = [p for p, _ in lines if p not in versions]
    ratios = layer_ratios(session, year)
    affiliated = affiliated_ids(session, enterprise_id)
    if available_fen is None:
        available_fen = ledger.balance(session, AccountKind.AVAILABLE, year, enterprise_id)
    inputs = [LineInput(p, versions[p].id, products[p].provider_id, versions[p].layer.value, versions[p].price_fen, q,
                        versions[p].accepts_vouchers) for p, q in lines if p in versions]
    priced: list[PricedLine] = allocate_vouchers(inputs, ratios=ratios, available_fen=available_fen,
                                                 use_vouchers=use_vouchers, affiliated_provider_ids=affiliated)
    plans: list[OrderPlan] = split_by_provider(priced)
    orders = []
    for plan in plans:
        quoted = QuotedOrder(products[plan.lines[0].line.product_id].provider)
        for p in plan.lines:
            quoted.lines.append(QuotedLine(products[p.line.product_id], versions[p.line.product_id], p.line.quantity,
                                           p.amount_fen, p.voucher_fen, p.line.provider_id in affiliated))
        orders.append(quoted)
    return Quote(year, orders, unavailable, available_fen, use_vouchers, ratios)


# -- checkout ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckoutRequest:
    """What the buyer asks for. ``expected_total_fen`` and ``expected_self_pay_fen`` are the amounts
    the buyer was shown and agreed to (the page always sends them; older API clients may not): when
    given, the checkout charges them or nothing (``price_changed``)."""
    lines: list[tuple[int, int]]
    use_vouchers: bool
    agreement_accepted: bool
    payment_method: str | None
    expected_total_fen: int | None = None
    expected_self_pay_fen: int | None = None

    def fingerprint(self, *, with_payment_method: bool) -> str:
        body: dict[str, Any] = {"lines": [[p, q] for p, q in self.lines], "use_vouchers": self.use_vouchers,
                                "agreement_accepted": self.agreement_accepted}
        if with_payment_method:
            body["payment_method"] = self.payment_method
        # only when given, so that a body without them keeps the fingerprint it always had
        for name in ("expected_total_fen", "expected_self_pay_fen"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def price_change(request: CheckoutRequest, priced: Quote) -> DomainError | None:
    """``price_changed`` with the current quote when the amounts the buyer was shown are not those
    the checkout would charge now (a price changed by review, a voucher toggle the page did not
    apply, vouchers spent in another tab), else None. Only the amounts given are compared."""
    total_differs = request.expected_total_fen is not None and request.expected_total_fen != priced.total_fen
    self_pay_differs = request.expected_self_pay_fen is not None and request.expected_self_pay_fen != priced.self_pay_fen
    if not (total_differs or self_pay_differs):
        return None
    amounts = {"total": format_fen(priced.total_fen), "self_pay": format_fen(priced.self_pay_fen),
               "shown_total": format_fen(request.expected_total_fen),
               "shown_self_pay": format_fen(request.expected_self_pay_fen)}
    if total_differs and self_pay_differs:
        detail = _l("The amounts changed since they were shown to you: the total is now %(total)s (you were shown "
                    "%(shown_total)s) and the card pays %(self_pay)s (you were shown %(shown_self_pay)s). Nothing was "
                    "charged and no voucher was used. Check the new amounts and confirm again.", **amounts)
    elif total_differs:
        detail = _l("The amounts changed since they were shown to you: the total is now %(total)s (you were shown "
                    "%(shown_total)s). Nothing was charged and no voucher was used. Check the new amounts and "
                    "confirm again.", **amounts)
    else:
        detail = _l("The amounts changed since they were shown to you: the card pays %(self_pay)s (you were shown "
                    "%(shown_self_pay)s). Nothing was charged and no voucher was used. Check the new amounts and "
                    "confirm again.", **amounts)
    return DomainError("price_changed", detail, extra={"quote": priced.as_json()})


def read_checkout(data: Mapping[str, Any]) -> CheckoutRequest:
    """``{lines: [{product_id, quantity}], use_vouchers, agreement_accepted, payment_method,
    expected_total_fen?, expected_self_pay_fen?}``."""
    inputs = Inputs(data)
    raw_lines = data.get("lines")
    lines: list[tuple[int, int]] = []
    if not isinstance(raw_lines, list) or not raw_lines:
        inputs.error("lines", _l("Choose at least one product."))
    elif len(raw_lines) > MAX_LINES:
        inputs.error("lines", _l("At most %(n)d lines in one checkout.", n=MAX_LINES))
    else:
        seen: set[int] = set()
        for i, raw in enumerate(raw_lines):
            sub = Inputs(raw if isinstance(raw, Mapping) else {})
            product_id = sub.integer("product_id", minimum=1)
            quantity = sub.integer("quantity", minimum=1, maximum=MAX_QUANTITY)
            for name, messages in sub.errors.items():
                for message in messages:
                    inputs.error(f"lines.{i}.{name}", message)
            if product_id in seen:
                inputs.error(f"lines.{i}.product_id", _l("A product appears twice."))
            if product_id is not None and quantity is not None:
                seen.add(product_id)
                lines.append((product_id, quantity))
    use_vouchers = inputs.boolean("use_vouchers", default=True)
    agreement = inputs.boolean("agreement_accepted", default=False)
    payment_method = inputs.text("payment_method", required=False, max_length=100)
    expected_total = inputs.integer("expected_total_fen", required=False, minimum=0)
    expected_self_pay = inputs.integer("expected_self_pay_fen", required=False, minimum=0)
    inputs.check()
    return CheckoutRequest(lines, use_vouchers, agreement, payment_method, expected_total, expected_self_pay)


def checkout(session: Session, actor: User, request: CheckoutRequest, *, gateway: PaymentGateway,
             idempotency_key: str | None = None, strict_idempotency: bool = True,
             from_cart: bool = False) -> list[Order]:
    """Place one order per provider, paying with vouchers and the card (see the module's docstring).

    ``idempotency_key``: the same key and body give the first result and never charge or spend
    twice; a different body is ``idempotency_mismatch`` (pages pass ``strict_idempotency=False``: a
    double click may carry a second card token, and must still place one order)."""
    org = _enterprise(session, actor)
    if not request.agreement_accepted:
        raise DomainError("agreement_not_accepted", _l("Read and accept the transaction agreement to buy."),
                          field="agreement_accepted")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 100:
        raise ValidationError({"Idempotency-Key": [_l("At most %(n)d characters.", n=100)]})
    key = idempotency_key or f"auto-{uuid.uuid4().hex}"
    fingerprint = request.fingerprint(with_payment_method=strict_idempotency)

    attempt = _find_attempt(session, org.id, key)
    if attempt is not None:
        return _replay(session, attempt, fingerprint)
    try:
        attempt = _reserve(session, actor, org, request, key, fingerprint, gateway)
    except IntegrityError:
        session.rollback()
        return _replay(session, _find_attempt(session, org.id, key), fingerprint)
    crash_point("reserved")
    attempt_id = attempt.id
    try:
        _pay(session, attempt, gateway)
        return _finalise(session, actor, attempt, from_cart=from_cart)
    except _Abandoned as abandoned:
        _let_go(session, attempt, gateway, abandoned.intents)
        raise DomainError("payment_unavailable", ABANDONED_MESSAGE) from None
    except SQLAlchemyError:
        # the payment service may have been called: never "nothing was changed"; reconcile finishes it
        session.rollback()
        log.exception("checkout attempt %s: database failure, left to reconcile-payments", attempt_id)
        raise DomainError("payment_unavailable", CHECKOUT_UNFINISHED) from None


def providers_of(session: Session, product_ids: Sequence[int]) -> list[int]:
    """The providers of these products, in the order of the products (for the sanction guard)."""
    providers = dict(session.execute(select(Product.id, Product.provider_id).where(Product.id.in_(list(product_ids)))).all())
    return list(dict.fromkeys(providers[p] for p in product_ids if p in providers))


def replay_checkout(session: Session, actor: User, key: str) -> list[Order] | None:
    """The result of an earlier checkout sent with ``key`` (a page's form token), or None when there
    was none: a second click on "pay" shows the orders of the first."""
    org = _enterprise(session, actor)
    attempt = _find_attempt(session, org.id, key)
    return None if attempt is None else _replay(session, attempt, attempt.request_hash)


def _find_attempt(session: Session, enterprise_id: int, key: str) -> CheckoutAttempt | None:
    return session.scalars(select(CheckoutAttempt).where(CheckoutAttempt.enterprise_id == enterprise_id,
                                                         CheckoutAttempt.key == key)).one_or_none()


def _replay(session: Session, attempt: CheckoutAttempt | None, fingerprint: str) -> list[Order]:
    """The first result of an idempotency key: its orders, or its refusal."""
    if attempt is None:
        raise DomainError("invalid_state", _l("This checkout could not be found; please try again."))
    if attempt.request_hash != fingerprint:
        raise DomainError("idempotency_mismatch", _l("This idempotency key was already used for a different checkout."))
    deadline = time.monotonic() + IN_PROGRESS_WAIT
    attempt_id = attempt.id
    while attempt.status in UNFINISHED_ATTEMPTS and time.monotonic() < deadline:
        session.rollback()       # end the read; let the first request finish
        time.sleep(0.2)
        attempt = session.get(CheckoutAttempt, attempt_id, populate_existing=True)
    if attempt.status == AttemptStatus.COMPLETED:
        session.rollback()
        return list(session.scalars(select(Order).where(Order.attempt_id == attempt.id)
                                    .options(selectinload(Order.lines)).order_by(Order.id)))
    if attempt.status in UNFINISHED_ATTEMPTS:
        raise DomainError("invalid_state", _l("This checkout is still being processed; look at your orders in a moment."))
    raise DomainError(attempt.error_code or "payment_unavailable", attempt.error_detail or None)


@use_case
def _reserve(session: Session, actor: User, org: Organisation, request: CheckoutRequest, key: str,
             fingerprint: str, gateway: PaymentGateway | None = None) -> CheckoutAttempt:
    """Step 1: price, hold the vouchers, write the attempt (one transaction)."""
    ensure_not_sanctioned(session, *providers_of(session, [p for p, _ in request.lines]))
    year = clock.today().year
    wallet = ledger.lock_account(session, AccountKind.AVAILABLE, year, org.id)
    priced = quote(session, org.id, request.lines, use_vouchers=request.use_vouchers, available_fen=wallet.balance_fen)
    if priced.unavailable:
        raise DomainError("product_unavailable", _l("Some products are no longer on sale: %(ids)s. Remove them and try again.",
                                                    ids=", ".join(f"#{p}" for p in priced.unavailable)),
                          extra={"product_ids": priced.unavailable})
    changed = price_change(request, priced)
    if changed is not None:
        raise changed
    if priced.self_pay_fen > 0 and not request.payment_method:
        raise ValidationError({"payment_method": [_l("Enter a card for the self-paid part of %(amount)s.",
                                                     amount=format_fen(priced.self_pay_fen))]})
    at = clock.now()
    attempt = CheckoutAttempt(key=key, request_hash=fingerprint, enterprise_id=org.id, user_id=actor.id,
                              status=AttemptStatus.RESERVED, voucher_year=year, voucher_fen=priced.voucher_fen,
                              self_pay_fen=priced.self_pay_fen, payment_method=request.payment_method,
                              plan=priced.plan(), intents={}, agreement_version=CURRENT_AGREEMENT.version,
                              agreement_accepted_at=at, created_at=at, updated_at=at, lease_until=_lease(gateway))
    session.add(attempt)
    session.flush()
    if priced.voucher_fen:
        ledger.hold_vouchers(session, year, org.id, priced.voucher_fen, ref=("checkout", attempt.id), actor_id=actor.id)
    session.commit()
    return attempt


def _intent_key(attempt: CheckoutAttempt, index: int) -> str:
    return _intent_key_for(attempt.id, attempt.created_at, index)


def _intent_key_for(attempt_id: int, created_at: dt.datetime, index: int) -> str:
    """Our name for an attempt's intent at the payment service (its metadata): unique even across
    databases that share one Stripe account (staging, tests)."""
    return f"checkout-{attempt_id}-{created_at.astimezone(dt.UTC):%Y%m%d%H%M%S%f}-{index}"


CHECKOUT_UNFINISHED = _l("The checkout could not be finished just now. If an order was placed, it is in your orders; "
                         "otherwise any card hold and your vouchers are released automatically within minutes.")
ABANDONED_MESSAGE = _l("The payment service answered too late and this checkout was undone: no order was placed, "
                       "the card hold is released and your vouchers are back. Please try again.")


def _call_timeout(gateway: PaymentGateway) -> dt.timedelta:
    return dt.timedelta(seconds=getattr(gateway, "timeout", CALL_TIMEOUT))


def _lease(gateway: PaymentGateway, calls: int = 1) -> dt.datetime:
    return clock.now() + _call_timeout(gateway) * max(calls, 1) + LEASE_MARGIN


def minimum_reconcile_age(gateway: PaymentGateway) -> dt.timedelta:
    """The youngest an unfinished checkout may be for ``reconcile-payments --older-than`` to look at it:
    the payment timeout × the calls of one order's payment + the margin (2 minutes with Stripe's 20 s).
    The lease protects a longer checkout (several providers) anyway; this guards against an operator's
    ``--older-than 0`` during an incident."""
    return _call_timeout(gateway) * CALLS_PER_ORDER + LEASE_MARGIN


class _Abandoned(Exception):
    """This checkout's attempt was taken by ``reconcile_payments`` (its lease had run out): stop, write
    nothing, void what it created."""

    def __init__(self) -> None:
        super().__init__("checkout abandoned")
        self.intents: dict[str, str] = {}


def _move_attempt(session: Session, attempt_id: int, expected: AttemptStatus, action: str, *,
                  actor: User | None = None, unleased: bool = False, audit: Mapping[str, Any] | None = None,
                  **changes: Any) -> bool:
    """Compare-and-set: move the attempt along ``CHECKOUT_ATTEMPT`` by ``action`` only if its status is
    still ``expected`` (and with ``unleased``, only if no live worker holds its lease), and audit the
    move. False when another worker moved it first. Does not commit."""
    new = CHECKOUT_ATTEMPT.next(expected, action)
    at = clock.now()
    stmt = update(CheckoutAttempt).where(CheckoutAttempt.id == attempt_id, CheckoutAttempt.status == expected)
    if unleased:
        stmt = stmt.where(or_(CheckoutAttempt.lease_until.is_(None), CheckoutAttempt.lease_until <= at))
    result = session.execute(stmt.values(status=new, updated_at=at, **changes)
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    record(session, actor, "checkout", attempt_id, action, {"status": expected.value},
           {"status": new.value, **(audit or {})})
    return True


def _advance(session: Session, attempt_id: int, expected: AttemptStatus, action: str, gateway: PaymentGateway,
             **changes: Any) -> None:
    """Record a step of the checkout (and renew its lease for the next call), or stop if it was taken."""
    if not _move_attempt(session, attempt_id, expected, action, lease_until=_lease(gateway), **changes):
        session.rollback()
        raise _Abandoned()
    session.commit()


def _renew_lease(session: Session, attempt_id: int, expected: AttemptStatus, gateway: PaymentGateway,
                 calls: int = 1) -> None:
    """Before a call to the payment service: keep the attempt ours for as long as ``calls`` may take,
    or stop (``_Abandoned``) if reconcile took it meanwhile."""
    result = session.execute(update(CheckoutAttempt)
                             .where(CheckoutAttempt.id == attempt_id, CheckoutAttempt.status == expected)
                             .values(lease_until=_lease(gateway, calls), updated_at=clock.now())
                             .execution_options(synchronize_session=False))
    session.commit()
    if result.rowcount != 1:
        raise _Abandoned()


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
            if n:    # the reservation leased the first call
                _renew_lease(session, attempt_id, expected, gateway)
            intent = gateway.prepare(amount_fen=order["self_pay_fen"], payment_method=attempt.payment_method,
                                     attempt_key=_intent_key(attempt, index),
                                     description=f"Yunquan checkout {attempt_id}, provider {order['provider_id']}")
            intents[str(index)] = intent.id
        crash_point("intents_unrecorded")
        _advance(session, attempt_id, expected, "record_intents", gateway, intents=intents, audit={"intents": intents})
        expected = AttemptStatus.PREPARED
        crash_point("prepared")
        for n, index in enumerate(intents):
            if n:
                _renew_lease(session, attempt_id, expected, gateway)
            gateway.authorise(intents[index])
        crash_point("authorised_unrecorded")
        _advance(session, attempt_id, expected, "record_authorisation", gateway)
        crash_point("authorised")
    except PaymentDeclined as exc:
        _fail(session, attempt, gateway, intents, expected, "payment_declined", exc.message)
        raise DomainError("payment_declined", _l("The card was declined: %(reason)s No order was placed and your vouchers are back.",
                                                 reason=exc.message), field="payment_method") from None
    except PaymentUnavailable:
        _fail(session, attempt, gateway, intents, expected, "payment_unavailable", None)
        raise DomainError("payment_unavailable", _l(
            "The payment service cannot be reached. No order was placed and your vouchers are back; please try again later.")) from None
    except _Abandoned as abandoned:
        abandoned.intents = intents
        raise


def _fail(session: Session, attempt: CheckoutAttempt, gateway: PaymentGateway, intents: Mapping[str, str],
          expected: AttemptStatus, code: str, detail: str | None) -> None:
    """Undo a checkout that did not get paid: release every card hold and the vouchers (unless
    reconcile took the attempt meanwhile: then it released them)."""
    plan, attempt_id, created_at = attempt.plan, attempt.id, attempt.created_at
    session.rollback()
    try:
        _renew_lease(session, attempt_id, expected, gateway, calls=2 * len(plan))   # find and void each
    except _Abandoned:
        _void_all(gateway, intents.values(), attempt_id, created_at, plan)
        return
    voided, _count = _void_all(gateway, intents.values(), attempt_id, created_at, plan)
    if _move_attempt(session, attempt_id, expected, "fail_checkout" if voided else "fail_checkout_holding",
                     intents=dict(intents), error_code=code, error_detail=detail, lease_until=None,
                     audit={"error_code": code, "released_fen": attempt.voucher_fen}):
        _release_attempt(session, attempt)
        session.commit()
    else:
        session.rollback()


def _let_go(session: Session, attempt: CheckoutAttempt, gateway: PaymentGateway, intents: Mapping[str, str]) -> None:
    """The attempt was taken by reconcile, which released the vouchers: void what this checkout created
    that reconcile may not have seen yet (an intent whose answer was on its way). A hold that cannot
    be voided now is handed back to reconcile."""
    plan, attempt_id, created_at = attempt.plan, attempt.id, attempt.created_at
    session.rollback()
    voided, _count = _void_all(gateway, intents.values(), attempt_id, created_at, plan)
    if not voided and _move_attempt(session, attempt_id, AttemptStatus.ABANDONED, "hold_left_behind",
                                    intents={**(attempt.intents or {}), **intents}):
        session.commit()
    session.rollback()


def _void_all(gateway: PaymentGateway, intent_ids: Any, attempt_id: int, created_at: dt.datetime,
              plan: list[dict[str, Any]]) -> tuple[bool, int]:
    """Void every intent of the attempt, also those a crash kept us from recording (found by their
    metadata); whether all are voided, and how many were. Called with no database transaction open."""
    ids = set(intent_ids)
    voided = 0
    try:
        for index, order in enumerate(plan):
            if order["self_pay_fen"] > 0:
                ids.update(i.id for i in gateway.find_by_attempt(_intent_key_for(attempt_id, created_at, index)))
        for intent_id in sorted(ids):
            if gateway.void(intent_id).status == "canceled":
                voided += 1
    except PaymentUnavailable:
        return False, voided
    return voided == len(ids), voided


def _release_attempt(session: Session, attempt: CheckoutAttempt) -> None:
    if attempt.voucher_fen:
        ledger.release_vouchers(session, attempt.voucher_year, attempt.enterprise_id, attempt.voucher_fen,
                                ref=("checkout", attempt.id), actor_id=None, kind="release_checkout")


@use_case
def _finalise(session: Session, actor: User, attempt: CheckoutAttempt, *, from_cart: bool) -> list[Order]:
    """Step 4: the orders, written from the plan, in one transaction with the attempt's completion —
    only if this checkout still owns its attempt."""
    expected = AttemptStatus.AUTHORISED if any(o["self_pay_fen"] > 0 for o in attempt.plan) else AttemptStatus.RESERVED
    if not _move_attempt(session, attempt.id, expected, "complete_checkout", actor=actor, lease_until=None):
        session.rollback()
        raise _Abandoned()
    current = session.get(CheckoutAttempt, attempt.id, populate_existing=True)
    at = clock.now()
    orders = []
    for index, planned in enumerate(current.plan):
        intent_id = current.intents.get(str(index))
        order = Order(attempt_id=current.id, enterprise_id=current.enterprise_id, provider_id=planned["provider_id"],
                      status=OrderStatus.PLACED, total_fen=planned["total_fen"], voucher_fen=planned["voucher_fen"],
                      self_pay_fen=planned["self_pay_fen"], voucher_year=current.voucher_year,
                      payment_intent_id=intent_id,
                      payment_status=PaymentStatus.AUTHORISED if intent_id else PaymentStatus.NONE,
                      agreement_version=current.agreement_version, agreement_accepted_at=current.agreement_accepted_at,
                      placed_at=at)
        order.lines = [OrderLine(product_id=line["product_id"], version_id=line["version_id"], layer=line["layer"],
                                 category=line["category"], unit_price_fen=line["unit_price_fen"],
                                 quantity=line["quantity"], amount_fen=line["amount_fen"],
                                 voucher_fen=line["voucher_fen"]) for line in planned["lines"]]
        session.add(order)
        session.flush()
        record(session, actor, "order", order.id, "place", None,
               {**order.audit_state(), "total_fen": order.total_fen, "provider_id": order.provider_id,
                "attempt_id": current.id, "agreement_version": order.agreement_version,
                "lines": [{"product_id": line["product_id"], "version_id": line["version_id"],
                           "quantity": line["quantity"], "amount_fen": line["amount_fen"],
                           "voucher_fen": line["voucher_fen"]} for line in planned["lines"]]})
        orders.append(order)
    if from_cart:
        bought = [line["product_id"] for planned in current.plan for line in planned["lines"]]
        for line in session.scalars(select(CartLine).where(CartLine.enterprise_id == current.enterprise_id,
                                                           CartLine.product_id.in_(bought))):
            session.delete(line)
    session.commit()
    return orders


# -- reconciliation ---------------------------------------------------------------------------------

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
    stale = session.execute(select(CheckoutAttempt.id, CheckoutAttempt.status).where(
        CheckoutAttempt.status.in_([*UNFINISHED_ATTEMPTS, AttemptStatus.VOID_PENDING]),
        CheckoutAttempt.updated_at <= now - older_than,
        or_(CheckoutAttempt.lease_until.is_(None), CheckoutAttempt.lease_until <= now))
        .order_by(CheckoutAttempt.id)).all()
    session.rollback()
    for attempt_id, status in stale:
        abandoning = status in UNFINISHED_ATTEMPTS
        if abandoning:
            released = _abandon(session, attempt_id, status)
            if released is None:
                continue                  # its checkout moved on since we looked: it is alive
            report.abandoned_attempts += 1
            report.released_fen += released
        attempt = session.get(CheckoutAttempt, attempt_id, populate_existing=True)
        intents, plan, created_at = dict(attempt.intents or {}), attempt.plan, attempt.created_at
        session.rollback()
        voided, count = _void_all(gateway, intents.values(), attempt_id, created_at, plan)
        report.voided_intents += count
        if not voided:
            report.still_pending += 1
        elif _move_attempt(session, attempt_id, AttemptStatus.VOID_PENDING,
                           "finish_abandon" if abandoning else "finish_voids", audit={"voided_intents": count}):
            session.commit()
        session.rollback()
    # every payment that is not final; a capture only once its confirm can no longer be waiting for it
    capture_cutoff = now - max(older_than, _call_timeout(gateway) + LEASE_MARGIN)
    unsettled = session.execute(select(Order.id, Order.capture_started_at).where(or_(
        Order.payment_status.in_([PaymentStatus.VOID_PENDING, PaymentStatus.REFUND_PENDING]),
        and_(Order.payment_status == PaymentStatus.CAPTURE_PENDING, Order.capture_started_at <= capture_cutoff),
        and_(Order.payment_status == PaymentStatus.AUTHORISED,
             Order.status.in_([OrderStatus.CANCELLED, OrderStatus.REFUNDED])))).order_by(Order.id)).all()
    session.rollback()
    counters = {"captured": "finished_captures", "authorised": "captures_not_taken", "voided": "finished_voids",
                "refunded": "finished_refunds"}
    for order_id, capture_started in unsettled:
        done = _settle_payment(session, gateway, order_id, capture_started=capture_started)
        name = counters.get(done or "", "still_pending")
        setattr(report, name, getattr(report, name) + 1)
    return report


def _abandon(session: Session, attempt_id: int, status: AttemptStatus) -> int | None:
    """Take an unfinished attempt from its (dead) checkout: release its vouchers, mark its holds to void.
    The vouchers it released, or None when its checkout moved it or renewed its lease meanwhile."""
    attempt = session.get(CheckoutAttempt, attempt_id, populate_existing=True)
    if not _move_attempt(session, attempt_id, status, "abandon_checkout", unleased=True,
                         error_code=attempt.error_code or "payment_unavailable", lease_until=None,
                         audit={"released_fen": attempt.voucher_fen}):
        session.rollback()
        return None
    _release_attempt(session, attempt)
    session.commit()
    return attempt.voucher_fen


def _locked_order(session: Session, order_id: int) -> Order:
    return session.get(Order, order_id, with_for_update=True, populate_existing=True)


def _move_payment(session: Session, order: Order, action: str, actor: User | None = None, **changes: Any) -> None:
    """Move the order's payment along ``PAYMENT`` (or refuse with ``invalid_state``) and audit it. The
    caller holds the order's row lock; does not commit."""
    before = order.audit_state()
    order.payment_status = PAYMENT.next(order.payment_status, action)
    for name, value in changes.items():
        setattr(order, name, value)
    record(session, actor, "order", order.id, "payment_" + action, before, order.audit_state())


def _move_payment_if(session: Session, order_id: int, expected: PaymentStatus, action: str, *,
                     started: dt.datetime | None = None, actor: User | None = None, **changes: Any) -> bool:
    """Lock the order and move its payment by ``action`` if it is still ``expected`` (and its capture is
    still the one that started at ``started``); commit. False when another worker moved it first."""
    order = _locked_order(session, order_id)
    if order.payment_status != expected or (started is not None and order.capture_started_at != started):
        session.rollback()
        return False
    _move_payment(session, order, action, actor, **changes)
    session.commit()
    return True


def _settle_payment(session: Session, gateway: PaymentGateway, order_id: int, *,
                    capture_started: dt.datetime | None = None) -> str | None:
    """Bring a payment that is not final to its end by the intent's *real* status at the payment service
    (read back, never assumed): a captured intent is refunded, never voided; a hold still there is
    voided; a pending capture that was taken confirms the order, one that was not goes back to
    ``authorised``, and a hold the service let go cancels the order. Called with no transaction open.
    The payment status it reached, or None while the service cannot tell or act (reconcile retries)."""
    for _round in range(4):            # e.g. void → (a capture won the race) refund
        order = session.get(Order, order_id, populate_existing=True)
        status, payment, intent_id = order.status, order.payment_status, order.payment_intent_id
        amount, started = order.self_pay_fen, order.capture_started_at
        session.rollback()
        if payment == PaymentStatus.AUTHORISED and status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
            _move_payment_if(session, order_id, payment, "void")      # an order that lost its void
            continue
        if payment not in PENDING_PAYMENTS:
            return None
        if payment == PaymentStatus.CAPTURE_PENDING and capture_started is not None and started != capture_started:
            return None                # the provider started a new capture since: its confirm finishes it
        if intent_id is None:          # nothing at the payment service (e.g. demo orders)
            action = "voided" if payment == PaymentStatus.VOID_PENDING else "refunded"
            return action if _move_payment_if(session, order_id, payment, action) else None
        try:
            real = gateway.retrieve(intent_id).status
            if payment == PaymentStatus.CAPTURE_PENDING:
                if real == "succeeded":
                    return "captured" if _record_capture(session, None, order_id, started=started) else None
                if real == "canceled":
                    lost = _expire_order(session, None, order_id, CancellationReason.CARD_HOLD_RELEASED,
                                         payments=[payment], started=started)
                    return "voided" if lost else None
                if real == "requires_capture":
                    taken = _move_payment_if(session, order_id, payment, "capture_not_taken", started=started)
                    return "authorised" if taken else None
                return None
            if real == "succeeded":
                if payment == PaymentStatus.VOID_PENDING:
                    _move_payment_if(session, order_id, payment, "refund")   # recorded before the call
                    continue
                refund_id = gateway.refund(intent_id, amount)
                return "refunded" if _move_payment_if(session, order_id, payment, "refunded", refund_id=refund_id) else None
            if real != "canceled" and gateway.void(intent_id).status != "canceled":
                continue               # captured after all: the next round refunds it
            return "voided" if _move_payment_if(session, order_id, payment, "voided") else None
        except (PaymentUnavailable, PaymentDeclined):
            return None
    return None


def _settle_quietly(session: Session, gateway: PaymentGateway, order_id: int) -> None:
    """Settle after the use case committed: the buyer's or provider's action is done whatever happens
    here, so a database failure leaves the payment to ``reconcile-payments`` instead of an error page."""
    try:
        _settle_payment(session, gateway, order_id)
    except SQLAlchemyError:
        session.rollback()
        log.exception("order %s: payment left to reconcile-payments", order_id)


def _record_capture(session: Session, actor: User | None, order_id: int, *,
                    started: dt.datetime | None = None) -> bool:
    """The capture was taken: confirm the order with its payment captured; or, if the buyer cancelled
    it meanwhile, record the money to refund. True when this confirmed the order. Commits."""
    order = _locked_order(session, order_id)
    if order.payment_status == PaymentStatus.CAPTURE_PENDING and (started is None or order.capture_started_at == started):
        change_state(session, order, ORDER, "confirm", actor, subject_type="order", confirmed_at=clock.now(),
                     payment_status=PAYMENT.next(order.payment_status, "captured"))
        session.commit()
        return True
    if order.payment_status == PaymentStatus.VOID_PENDING:      # cancelled while the capture was on its way
        _move_payment(session, order, "refund", actor)
        session.commit()
        return False
    session.rollback()
    return False


@use_case
def _expire_order(session: Session, actor: User | None, order_id: int, reason: CancellationReason, *,
                  payments: Collection[PaymentStatus], started: dt.datetime | None = None) -> bool:
    """The platform cancels a placed order (``reason`` on the order and in its audit entry): vouchers
    back through the ledger; the hold is to void (or, when the service let it go, already gone).
    False when the order is no longer placed with one of ``payments`` (or its capture is not the one
    that started at ``started``). Commits."""
    order = _locked_order(session, order_id)
    if order.status != OrderStatus.PLACED or order.payment_status not in payments \
            or (started is not None and order.capture_started_at != started):
        session.rollback()
        return False
    action = "hold_lost" if reason == CancellationReason.CARD_HOLD_RELEASED else "void"
    payment = PAYMENT.next(order.payment_status, action) if PAYMENT.can(order.payment_status, action) \
        else order.payment_status
    change_state(session, order, ORDER, "lapse", actor, subject_type="order", cancelled_at=clock.now(),
                 cancellation_reason=reason, payment_status=payment)
    if order.voucher_fen:
        ledger.release_vouchers(session, order.voucher_year, order.enterprise_id, order.voucher_fen,
                                ref=("order", order.id), actor_id=None)
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
    due = session.scalars(select(Order.id).where(Order.status == OrderStatus.PLACED, Order.placed_at <= cutoff,
                                                 Order.payment_status.in_(waiting)).order_by(Order.id)).all()
    session.rollback()
    cancelled = 0
    for order_id in due:
        if _expire_order(session, None, order_id, CancellationReason.CONFIRMATION_DEADLINE, payments=waiting):
            cancelled += 1
            _settle_quietly(session, gateway, order_id)
    return cancelled


def confirmation_deadline(order: Order, deadline_days: int) -> dt.datetime:
    """When ``order``, if still placed, is cancelled by ``expire_unconfirmed_orders``."""
    return rules.confirmation_deadline(order.placed_at, deadline_days)


# -- after the order ----------------------------------------------------------------------------------

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


CAPTURE_UNCERTAIN = _l("The payment service did not answer: the self-paid part may have been taken. The order is not "
                       "confirmed yet; reconciliation will complete the confirmation, or give the money back, within "
                       "minutes. You may also try again.")
CAPTURE_UNRECORDED = _l("The self-paid part has been taken, but the confirmation could not be saved just now. "
                        "Reconciliation will complete it within minutes; you may also try again.")


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
            _move_payment_if(session, order_id, PaymentStatus.CAPTURE_PENDING, "capture_declined", actor=actor)
            raise DomainError("payment_declined", _l("The payment could not be taken (%(reason)s); the buyer needs to cancel and order again.",
                                                     reason=exc.message)) from None
        except PaymentUnavailable:
            real = _real_status(gateway, intent_id)
            if real == "canceled" and _expire_order(session, None, order_id, CancellationReason.CARD_HOLD_RELEASED,
                                                    payments=[PaymentStatus.CAPTURE_PENDING]):
                raise DomainError("payment_declined", _l(
                    "The payment service had already released the card hold (holds lapse after seven days): nothing "
                    "was taken, the order is cancelled and the buyer's vouchers are back.")) from None
            if real != "succeeded":
                raise DomainError("payment_unavailable", CAPTURE_UNCERTAIN) from None
    try:
        confirmed = _record_capture(session, actor, order_id)
    except SQLAlchemyError:
        session.rollback()
        log.exception("order %s: captured, but the confirmation could not be recorded", order_id)
        raise DomainError("payment_unavailable", CAPTURE_UNRECORDED) from None
    order = session.get(Order, order_id, populate_existing=True)
    if not confirmed and order.status != OrderStatus.CONFIRMED:
        _settle_quietly(session, gateway, order_id)          # give the money back at once
        raise DomainError("invalid_state", _l("The buyer cancelled this order while the payment was being taken; "
                                              "the self-paid part is refunded."))
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
        _move_payment(session, order, "capture", actor, capture_started_at=clock.now())
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
    change_state(session, order, ORDER, "cancel", actor, subject_type="order", cancelled_at=clock.now(),
                 payment_status=pending)
    if order.voucher_fen:
        ledger.release_vouchers(session, order.voucher_year, order.enterprise_id, order.voucher_fen,
                                ref=("order", order.id), actor_id=actor.id)
    session.commit()
    return order


def cancel_order(session: Session, actor: User, order_id: int, *, gateway: PaymentGateway) -> Order:
    """第二十条: before confirmation the buyer may cancel; the vouchers go back to the wallet at once
    (exactly once: the order row is locked and its status checked) and the card hold is voided."""
    order = _cancel(session, actor, order_id)
    if order.payment_status == PaymentStatus.VOID_PENDING:
        _settle_quietly(session, gateway, order.id)
    return session.get(Order, order_id, populate_existing=True)


def refund_refusal(session: Session, order: Order) -> object | None:
    """Why the order cannot be refunded besides its status (e.g. it is in a claim), or None."""
    for guard in REFUND_GUARDS:
        message = guard(session, order)
        if message:
            return message
    return None


@use_case
def request_refund(session: Session, actor: User, order_id: int, data: Mapping[str, Any]) -> Order:
    """第二十一条: after confirmation and before the order's claim is submitted, the buyer asks for a
    refund (an order in a provider's draft claim leaves the draft)."""
    inputs = Inputs(data)
    reason = inputs.text("reason", max_length=2000)
    inputs.check()
    order = _order_for(session, actor, order_id, as_party="buyer", lock=True)
    ORDER.next(order.status, "request_refund")
    refusal = refund_refusal(session, order)
    if refusal:
        raise DomainError("invalid_state", refusal)
    for hook in REFUND_HOOKS:
        hook(session, actor, order, reason)
    change_state(session, order, ORDER, "request_refund", actor, subject_type="order",
                 refund_requested_at=clock.now(), refund_reason=reason, refund_decision_reason=None)
    session.commit()
    return order


@use_case
def _decide_refund(session: Session, actor: User, order_id: int, data: Mapping[str, Any]) -> Order:
    inputs = Inputs(data)
    decision = inputs.choice("decision", ["approve", "reject"])
    reason = inputs.text("reason", required=decision == "reject", max_length=2000)
    inputs.check()
    order = _order_for(session, actor, order_id, as_party="provider", lock=True)
    at = clock.now()
    if decision == "approve":
        pending = PAYMENT.next(order.payment_status, "refund") \
            if order.payment_status == PaymentStatus.CAPTURED and order.self_pay_fen else order.payment_status
        change_state(session, order, ORDER, "approve_refund", actor, subject_type="order", refund_decided_at=at,
                     refund_decision_reason=reason, payment_status=pending)
        if order.voucher_fen:
            ledger.release_vouchers(session, order.voucher_year, order.enterprise_id, order.voucher_fen,
                                    ref=("order", order.id), actor_id=actor.id, kind="release_order")
    else:
        change_state(session, order, ORDER, "reject_refund", actor, subject_type="order", refund_decided_at=at,
                     refund_decision_reason=reason)
    session.commit()
    return order


def decide_refund(session: Session, actor: User, order_id: int, data: Mapping[str, Any], *,
                  gateway: PaymentGateway) -> Order:
    """The provider approves (vouchers back, the self-paid part refunded) or refuses with a reason."""
    order = _decide_refund(session, actor, order_id, data)
    if order.payment_status == PaymentStatus.REFUND_PENDING:
        _settle_quietly(session, gateway, order.id)
    return session.get(Order, order_id, populate_existing=True)


# -- reading ----------------------------------------------------------------------------------------------

def _visible(stmt: Any, actor: User) -> Any:
    if actor.role == Role.ENTERPRISE:
        return stmt.where(Order.enterprise_id == actor.organisation_id)
    if actor.role == Role.PROVIDER:
        return stmt.where(Order.provider_id == actor.organisation_id)
    if actor.is_staff:
        return stmt
    raise Forbidden()


def list_orders(session: Session, actor: User, *, status: str | None, page: int, per_page: int) -> Page[Order]:
    """The buyer's, the provider's or (staff) every order, newest first."""
    stmt = _visible(select(Order), actor).options(joinedload(Order.enterprise), joinedload(Order.provider)) \
        .order_by(Order.id.desc())
    if status:
        statuses = [s for s in status.split(",") if s in {o.value for o in OrderStatus}]
        if not statuses:
            raise ValidationError({"status": [_l("Choose one of: %(choices)s.",
                                                 choices=", ".join(o.value for o in OrderStatus))]})
        stmt = stmt.where(Order.status.in_(statuses))
    return paginate(session, stmt, page, per_page)


def get_order(session: Session, actor: User, order_id: int) -> Order:
    order = session.scalars(select(Order).where(Order.id == order_id).options(
        selectinload(Order.lines).joinedload(OrderLine.version), joinedload(Order.enterprise),
        joinedload(Order.provider))).one_or_none()
    if order is None:
        raise NotFound()
    if not (actor.is_staff or actor.belongs_to(order.enterprise_id) or actor.belongs_to(order.provider_id)):
        raise NotFound()
    return order


def waiting_for_provider(session: Session, provider_id: int | None) -> int:
    """Orders to confirm and refund requests to decide: what waits for the provider."""
    if provider_id is None:
        return 0
    return session.scalar(select(func.count()).select_from(Order).where(
        Order.provider_id == provider_id,
        Order.status.in_([OrderStatus.PLACED, OrderStatus.REFUND_REQUESTED]))) or 0


def order_counts(session: Session, actor: User) -> dict[str, int]:
    rows = session.execute(_visible(select(Order.status, func.count()), actor).group_by(Order.status)).all()
    return {status.value if hasattr(status, "value") else status: n for status, n in rows}
