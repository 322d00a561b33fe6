"""The reviews and payment of submitted claims (第二十四条–第二十五条), the roll-over to the next
settlement date (第二十三条), and the rules the claims add to the orders' refunds and the programme's
settlement dates (``register_guards``, called by the claims' ``init_app``).

The operator reviews first (approve, reject the whole claim, or take single orders out), the authority
second (approve or reject; it may query the operator, who answers within 3 working days), then the
authority sends the approved claims to the finance bureau in a payment request (``claims.payment_requests``),
which pays them (``claims.payments``; ``disburse_claim`` is re-exported here). Ledger: rejection or an order taken out: claimed → in orders
(claimable again); disbursement: claimed → disbursed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from claims.commands import AnswerInput, QueryInput
from claims.dates import programmes_of, query_working_days, settlement_dates
from claims.models import Claim, ClaimItem, ClaimQuery
from claims.payments import disburse_claim  # noqa: F401 (re-exported: callers find it among the reviews)
from claims.rules import settlement_date_for
from claims.services import (
    WAITING_STATUSES,
    claim_for,
    claim_holds,
    evidence_covers,
    excludable_order_ids,
    free_claim,
    parties,
    staff_claim,
)
from claims.states import CLAIM, ClaimStatus
from orders.models import Order
from orders.services import REFUND_GUARDS, REFUND_HOOKS
from orgs.sanctions import ensure_not_sanctioned
from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.calendar import add_working_days
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound
from shop.i18n import _l
from shop.inputs import Decision, ReasonInput
from shop.states import Role
from wallet import ledger
from wallet import programmes as wallet_programmes


@use_case
def review_claim(session: Session, actor: User, claim_id: int, decision: Decision) -> Claim:
    """第二十四条: the operator's first review (真实性、有效性) of a submitted claim, then the
    authority's. A rejection (with its reason) frees the orders; the authority approves only when
    its queries are answered."""
    if actor.role not in (Role.OPERATOR, Role.AUTHORITY):
        raise Forbidden()
    claim = claim_for(session, actor, claim_id, lock=True)
    stage = "operator" if actor.role == Role.OPERATOR else "authority"
    action = f"{stage}_{decision.value}_claim"
    CLAIM.next(claim.status, action)
    if decision.approve:
        ensure_not_sanctioned(session, *parties(claim))
        evidence_covers(claim)
    elif claim.status == ClaimStatus.APPROVED and not claim_holds(session, claim):
        raise DomainError(
            "invalid_state",
            _l("The claim is approved and waits for its payment; only a held claim can still be rejected."),
        )
    elif claim.payment_request_id is not None:
        raise DomainError(
            "invalid_state",
            _l(
                "The claim is in payment request #%(id)d at the finance bureau: it can be rejected once the "
                "request is returned.",
                id=claim.payment_request_id,
            ),
        )
    if action == "authority_approve_claim" and any(q.is_open for q in claim.queries):
        raise DomainError(
            "invalid_state", _l("A query to the operator is still open: wait for the answer before approving.")
        )
    if not decision.approve:
        free_claim(session, claim, actor, claimed=True)
    change_state(
        session,
        claim,
        CLAIM,
        action,
        actor,
        subject_type="claim",
        **{f"{stage}_decided_at": clock.now(), f"{stage}_decided_by_id": actor.id, f"{stage}_reason": decision.reason},
    )
    session.commit()
    return claim


@use_case
def exclude_order(session: Session, actor: User, claim_id: int, order_id: int, command: ReasonInput) -> Claim:
    """The operator takes one order out of a submitted claim with a reason: the order is claimable
    again, its vouchers go back to "in orders" and the claim's total is recomputed."""
    reason = command.reason
    claim = staff_claim(session, actor, claim_id, Role.OPERATOR)
    CLAIM.next(claim.status, "exclude_order")
    item = next((i for i in claim.live_items if i.order_id == order_id), None)
    if item is None:
        raise NotFound(_l("This order is not in the claim."))
    if order_id not in excludable_order_ids(claim):
        raise DomainError("invalid_state", _l("This is the claim's last order: reject the whole claim instead."))
    ledger.unclaim_vouchers(
        session,
        ledger.book_of(session, item.voucher_book, item.voucher_year),
        item.enterprise_id,
        item.voucher_fen,
        ref=("claim", claim.id),
        actor_id=actor.id,
    )
    _take_out(session, actor, claim, item, reason, "exclude_order")
    session.commit()
    return claim


def _take_out(session: Session, actor: User, claim: Claim, item: ClaimItem, reason: str | None, action: str) -> None:
    """An order leaves a claim (taken out by the operator, or by its buyer's refund request): the item is
    no longer live, the claim's total drops by its vouchers, and the claim's history says why. The
    caller moves the vouchers, if any moved; never commits."""
    before = {**claim.audit_state(), "order_id": item.order_id}
    item.live, item.excluded_at, item.excluded_by_id, item.excluded_reason = False, clock.now(), actor.id, reason
    claim.total_fen -= item.voucher_fen
    record(
        session,
        actor,
        "claim",
        claim.id,
        action,
        before,
        {**claim.audit_state(), "order_id": item.order_id, "reason": reason},
    )


@use_case
def ask_query(session: Session, actor: User, claim_id: int, command: QueryInput) -> ClaimQuery:
    """第二十五条: the authority asks the operator about a claim it has approved; the answer is due
    3 working days on (statutory holidays, adjusted working days and the operator's calendar)."""
    claim = staff_claim(session, actor, claim_id, Role.AUTHORITY)
    CLAIM.next(claim.status, "query_claim")
    today = clock.today()
    query = ClaimQuery(
        claim_id=claim.id,
        question=command.question,
        asked_at=clock.now(),
        asked_on=today,
        asked_by_id=actor.id,
        due_on=add_working_days(session, today, query_working_days(session, claim)),
    )
    session.add(query)
    session.flush()
    record(session, actor, "claim", claim.id, "query_claim", None, {"query_id": query.id, **query.audit_state()})
    session.commit()
    return query


@use_case
def answer_query(session: Session, actor: User, claim_id: int, query_id: int, command: AnswerInput) -> ClaimQuery:
    """The operator answers the authority's query (late, if after its due day: the trail says so)."""
    claim = staff_claim(session, actor, claim_id, Role.OPERATOR)
    query = session.scalars(
        select(ClaimQuery).where(ClaimQuery.id == query_id, ClaimQuery.claim_id == claim.id).with_for_update()
    ).one_or_none()
    if query is None:
        raise NotFound()
    if not query.is_open:
        raise DomainError("invalid_state", _l("This query is already answered."))
    before = query.audit_state()
    query.answer, query.answered_at, query.answered_on, query.answered_by_id = (
        command.answer,
        clock.now(),
        clock.today(),
        actor.id,
    )
    record(
        session,
        actor,
        "claim",
        claim.id,
        "answer_query",
        {"query_id": query.id, **before},
        {"query_id": query.id, **query.audit_state(), "late": query.is_overdue(clock.today())},
    )
    session.commit()
    return query


# -- settlement dates ------------------------------------------------------------------------------------


@use_case
def roll_over_claims(session: Session, today: dt.date | None = None) -> int:
    """第二十三条: a submitted claim whose settlement date passed before the operator reviewed it
    goes to the next date (a daily job; idempotent). Without a later date it waits where it is,
    shown as overdue, until the authority adds one."""
    today = today or clock.today()
    late = list(
        session.scalars(
            select(Claim)
            .where(Claim.status == ClaimStatus.SUBMITTED, Claim.settlement_date < today)
            .order_by(Claim.id)
            .with_for_update()
        )
    )
    moved = 0
    for claim in late:  # to the next date of the claim's own programmes
        day = settlement_date_for(today, settlement_dates(session, programmes_of(session, claim)))
        if day is None:
            continue
        change_state(session, claim, CLAIM, "roll_over", None, subject_type="claim", settlement_date=day)
        moved += 1
    session.commit()
    return moved


def dates_claims_wait_on(session: Session, year: int, days: list[dt.date]) -> list[dt.date]:
    """For the programme: of ``days`` (to be removed), those live claims are assigned to."""
    if not days:
        return []
    return sorted(
        set(
            session.scalars(
                select(Claim.settlement_date)
                .where(Claim.settlement_date.in_(days), Claim.status.in_(WAITING_STATUSES))
                .distinct()
            )
        )
    )


def _submitted_claim_of(order_id: Any) -> Any:
    return exists().where(
        ClaimItem.order_id == order_id,
        ClaimItem.live.is_(True),
        ClaimItem.claim_id == Claim.id,
        Claim.status != ClaimStatus.DRAFT,
    )


def _refund_guard(session: Session, order: Order) -> Any:
    """第二十条/第二十一条: no refund once the order's claim is submitted ("尚未提交兑现前"); a draft
    does not close the window (``_leave_draft_for_refund``)."""
    if session.scalar(select(_submitted_claim_of(order.id))):
        return _l("The provider has submitted this order in a redemption claim: it can no longer be refunded.")
    return None


def _leave_draft_for_refund(session: Session, actor: User, order: Order, reason: str) -> None:
    """A refund request takes the order out of its provider's draft claim (the claim's history says
    so, with the buyer's reason); a draft left without orders is withdrawn. The claim is locked and
    read again: a submission that got in first still closes the window."""
    item = session.scalars(select(ClaimItem).where(ClaimItem.order_id == order.id, ClaimItem.live.is_(True))).first()
    if item is None:
        return
    claim = session.scalars(
        select(Claim).where(Claim.id == item.claim_id).with_for_update().execution_options(populate_existing=True)
    ).one()
    if claim.status != ClaimStatus.DRAFT:
        raise DomainError("invalid_state", _refund_guard(session, order))
    CLAIM.next(claim.status, "leave_for_refund")
    _take_out(session, actor, claim, item, reason, "leave_for_refund")
    if not claim.live_items:
        free_claim(session, claim, None, claimed=False)
        change_state(session, claim, CLAIM, "withdraw_claim", None, subject_type="claim")


def register_guards() -> None:
    """What the claims add to the orders' and the wallet's rules (no refund once claimed, a refund takes
    the order out of a draft claim, a settlement date claims wait on stays). Called by the claims'
    ``init_app``; idempotent, so several apps in one process register once."""
    for registry, guard in (
        (REFUND_GUARDS, _refund_guard),
        (REFUND_HOOKS, _leave_draft_for_refund),
        (wallet_programmes.SETTLEMENT_DATE_GUARDS, dates_claims_wait_on),
    ):
        if guard not in registry:
            registry.append(guard)  # type: ignore[arg-type]
