"""What the orders, checkouts and claims say each wallet's ledger accounts must hold, for
``ledger-verify`` (issue 11, "Proof that no fen goes missing").

The check lives in ``wallet.ledger_check.verify``, next to the ledger's own checks, and the claims hand it
the sums through ``ledger_check.reconcile_with`` from their ``init_app``: what an order's vouchers are in
depends on its claim, so only the claims, which know both, can say it. The other way round is not
open: the wallet may not import the orders or the claims (imports flow wallet ← orders ← claims ←
oversight). Composing the two in the command line instead would leave every other caller of
``verify`` (the check after every test, the oversight pages) with half a verification; registered
here, whoever verifies the ledger reconciles it.

Per enterprise and year of its vouchers:

- ``in_orders`` = the vouchers of its orders that still hold them (every status but cancelled and
  refunded) and are not in a submitted claim, plus what unfinished checkouts hold (a checkout's hold
  becomes its orders' when it completes; the ledger entry keeps the checkout's reference);
- ``claimed`` = the live items of its claims past the draft and not yet disbursed (submitted, approved by
  the operator or by the authority; a rejected or withdrawn claim's items are no longer live);
- ``disbursed`` = the live items of its disbursed claims, less their deductions and less what recoveries
  took from them (追回: ``RecoveryPart``);
- ``recovering`` = what the recoveries' parts on the wallet still owe (their amount less what was
  repaid or set off); what was settled went back to the programme's budget, so the wallet's ``granted``
  sum drops by it and the budget's rises (``adjustments``).

Each is one GROUP BY (the orders one an anti-join on the claim items' order index), whatever the number
of orders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from claims.models import Claim, ClaimItem
from claims.recovery_models import RecoveryPart
from claims.states import ClaimStatus
from orders.models import CheckoutAttempt, Order
from orders.states import UNFINISHED_ATTEMPTS, OrderStatus
from wallet import ledger_check
from wallet.states import AccountKind

# Orders in these states gave their vouchers back (to the wallet, or to expired after the year), and
# a draft claim has not taken its orders' vouchers yet; every other status holds them, so that a status
# added later is counted unless it is named here.
RELEASED_ORDER_STATUSES = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
UNSUBMITTED_CLAIM_STATUSES = (ClaimStatus.DRAFT,)

CHECKS = (
    ledger_check.Check(
        "in_orders",
        (AccountKind.IN_ORDERS,),
        "orders not cancelled or refunded and not in a submitted claim, plus unfinished checkouts",
    ),
    ledger_check.Check("claimed", (AccountKind.CLAIMED,), "live items of submitted claims not yet disbursed"),
    ledger_check.Check("disbursed", (AccountKind.DISBURSED,), "live items of disbursed claims less recoveries"),
    ledger_check.Check("recovering", (AccountKind.RECOVERING,), "what recoveries still owe (追回)"),
)

Sums = dict[tuple[str, int | None], int]


def business_sums(session: Session) -> Mapping[str, Sums]:
    in_orders: Sums = defaultdict(int)
    in_claim = exists().where(
        ClaimItem.order_id == Order.id,
        ClaimItem.live,
        Claim.id == ClaimItem.claim_id,
        Claim.status.not_in(UNSUBMITTED_CLAIM_STATUSES),
    )
    for year, book, enterprise_id, total in session.execute(
        select(Order.voucher_year, Order.voucher_book, Order.enterprise_id, func.sum(Order.voucher_fen))
        .where(Order.status.not_in(RELEASED_ORDER_STATUSES), Order.voucher_fen > 0, ~in_claim)
        .group_by(Order.voucher_year, Order.voucher_book, Order.enterprise_id)
    ):
        in_orders[(book or str(year), enterprise_id)] += int(total)
    for year, book, enterprise_id, total in session.execute(
        select(
            CheckoutAttempt.voucher_year,
            CheckoutAttempt.voucher_book,
            CheckoutAttempt.enterprise_id,
            func.sum(CheckoutAttempt.voucher_fen),
        )
        .where(CheckoutAttempt.status.in_(UNFINISHED_ATTEMPTS), CheckoutAttempt.voucher_fen > 0)
        .group_by(CheckoutAttempt.voucher_year, CheckoutAttempt.voucher_book, CheckoutAttempt.enterprise_id)
    ):
        in_orders[(book or str(year), enterprise_id)] += int(total)
    claimed: Sums = defaultdict(int)
    disbursed: Sums = defaultdict(int)
    for status, year, book, enterprise_id, total, deducted in session.execute(
        select(
            Claim.status,
            ClaimItem.voucher_year,
            ClaimItem.voucher_book,
            ClaimItem.enterprise_id,
            func.sum(ClaimItem.voucher_fen),
            func.sum(ClaimItem.deducted_fen),
        )
        .join(Claim, Claim.id == ClaimItem.claim_id)
        .where(ClaimItem.live, Claim.status.not_in(UNSUBMITTED_CLAIM_STATUSES))
        .group_by(Claim.status, ClaimItem.voucher_year, ClaimItem.voucher_book, ClaimItem.enterprise_id)
    ):
        key = (book or str(year), enterprise_id)
        if status == ClaimStatus.DISBURSED:  # paid its vouchers less the deductions (扣减)
            disbursed[key] += int(total) - int(deducted or 0)
        else:
            claimed[key] += int(total)
    recovering: Sums = defaultdict(int)
    for year, book, enterprise_id, amount, settled in _recovery_parts(session):
        key = (book or str(year), enterprise_id)
        disbursed[key] -= amount
        if amount - settled:
            recovering[key] += amount - settled
    return {
        "in_orders": dict(in_orders),
        "claimed": dict(claimed),
        "disbursed": dict(disbursed),
        "recovering": dict(recovering),
    }


def _recovery_parts(session: Session) -> list[tuple[int, str | None, int, int, int]]:
    """Per wallet: what recoveries took from it, and what of that was settled (one GROUP BY)."""
    rows = session.execute(
        select(
            RecoveryPart.voucher_year,
            RecoveryPart.voucher_book,
            RecoveryPart.enterprise_id,
            func.sum(RecoveryPart.amount_fen),
            func.sum(RecoveryPart.settled_fen),
        ).group_by(RecoveryPart.voucher_year, RecoveryPart.voucher_book, RecoveryPart.enterprise_id)
    ).all()
    return [(year, book, org, int(amount), int(settled)) for year, book, org, amount, settled in rows]


def deductions(session: Session) -> Mapping[str, Sums]:
    """What paid claims deducted, and what recoveries brought back, left the enterprises' wallet
    accounts for their programmes' budgets: the wallet's own sums (grants, budgets) change by it."""
    granted: Sums = defaultdict(int)
    budget: Sums = defaultdict(int)
    for year, book, enterprise_id, deducted in session.execute(
        select(
            ClaimItem.voucher_year, ClaimItem.voucher_book, ClaimItem.enterprise_id, func.sum(ClaimItem.deducted_fen)
        )
        .join(Claim, Claim.id == ClaimItem.claim_id)
        .where(ClaimItem.live, ClaimItem.deducted_fen > 0, Claim.status == ClaimStatus.DISBURSED)
        .group_by(ClaimItem.voucher_year, ClaimItem.voucher_book, ClaimItem.enterprise_id)
    ):
        wallet = book or str(year)
        granted[(wallet, enterprise_id)] -= int(deducted)
        budget[(wallet.split("/", 1)[0], None)] += int(deducted)
    for year, book, enterprise_id, _amount, settled in _recovery_parts(session):
        if settled:  # 追回: repaid or set off, back in the budget
            wallet = book or str(year)
            granted[(wallet, enterprise_id)] -= settled
            budget[(wallet.split("/", 1)[0], None)] += settled
    return {"granted": dict(granted), "budget": dict(budget)}


def register() -> None:
    ledger_check.reconcile_with("claims", CHECKS, business_sums)
    ledger_check.adjust_with("claims", deductions)
