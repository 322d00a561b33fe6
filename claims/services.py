"""Use cases of redemption claims (第二十二条–第二十五条): the provider's side, and what the other
claim modules share.

A provider batches its confirmed orders into a claim with evidence (invoices, contracts, transfer
records, usage evidence) and submits it; it goes to the first settlement date on or after that day
and rolls over to the next when the date passes before the operator reviews it. The reviews, the
queries and the roll-over are in ``claims.reviews``, the payment in ``claims.payments``; reading in
``claims.queries``. Here: who may see and change a claim, when a claim is held (its provider or an
enterprise of its orders sanctioned), the draft, submission and withdrawal (claimable orders:
``claims.claimable``; the draft's documents: ``claims.documents``).

Ledger (every movement per order's year and enterprise, referenced to the claim): submit: in orders →
claimed; rejection or an order taken out: claimed → in orders (claimable again); payment: → disbursed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from claims import scope
from claims.commands import ClaimInput
from claims.dates import evidence_kinds, programmes_of, settlement_dates
from claims.models import Claim, ClaimDocument, ClaimItem
from claims.rules import missing_claim_documents, settlement_date_for
from claims.states import CLAIM, SUBMITTED_CLAIM_STATUSES, ClaimStatus
from orders import voucher_issue
from orders.models import Order
from orders.states import OrderStatus
from orgs.models import Organisation
from orgs.sanctions import Sanction, ensure_not_sanctioned, sanctioned_clause, sanctions_of
from orgs.states import ACTIVE_ORG_STATUSES, OrgStatus
from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.money import format_fen
from shop.states import Role
from wallet import ledger
from wallet.models import Programme, SettlementDate

# 第十二条: a provider that has left still claims for the orders it served; an expelled one does not
CLAIMING_ORG_STATUSES = ACTIVE_ORG_STATUSES | {OrgStatus.EXITED}
# claims that wait on their settlement date (the programme may not remove it)
WAITING_STATUSES = SUBMITTED_CLAIM_STATUSES - {ClaimStatus.DISBURSED}
# claims not paid nor ended: held (暂缓) while their provider or an enterprise of their orders is sanctioned
PENDING_STATUSES = WAITING_STATUSES | {ClaimStatus.DRAFT}


def claiming_provider(session: Session, actor: User) -> Organisation:
    """The actor's organisation, if it is a provider that may claim (certified, or exited: 第十二条)."""
    if actor.role != Role.PROVIDER or actor.organisation_id is None:
        raise Forbidden()
    org = session.get(Organisation, actor.organisation_id)
    ensure_not_sanctioned(session, actor.organisation_id)
    if org is None or org.status not in CLAIMING_ORG_STATUSES:
        raise DomainError("not_certified", _l("Only a certified provider can claim its vouchers."))
    return org


def claim_for(session: Session, actor: User, claim_id: int, *, lock: bool = False) -> Claim:
    """The claim, if ``actor`` may see it: its provider's members, staff of its jurisdiction (``claims.scope``)."""
    stmt = select(Claim).where(Claim.id == claim_id)
    if lock:
        stmt = stmt.with_for_update()
    claim = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    if claim is None or not (actor.belongs_to(claim.provider_id) or scope.sees(session, actor, claim)):
        raise NotFound()
    return claim


def own_claim(session: Session, actor: User, claim_id: int) -> Claim:
    """The provider's own claim, locked for a change."""
    if actor.role != Role.PROVIDER:
        raise Forbidden()
    return claim_for(session, actor, claim_id, lock=True)


def staff_claim(session: Session, actor: User, claim_id: int, role: Role) -> Claim:
    if actor.role != role:
        raise Forbidden()
    return claim_for(session, actor, claim_id, lock=True)


# -- sanctions: held claims ----------------------------------------------------------------------------


def parties(claim: Claim) -> list[int]:
    """Whose sanction stops the claim: its provider, then the enterprises of its orders."""
    return [claim.provider_id, *sorted({item.enterprise_id for item in claim.live_items})]


def claim_holds(session: Session, claim: Claim) -> list[Sanction]:
    """Why a pending claim is held (暂缓): its provider's or its enterprises' sanctions. It waits until
    they are lifted, or it is rejected."""
    if claim.status not in PENDING_STATUSES:
        return []
    found = sanctions_of(session, parties(claim))
    return [found[i] for i in parties(claim) if i in found]


def held_clause(today: dt.date | None = None) -> Any:
    """SQL: the ``Claim`` is held (``claim_holds``, for a whole list in one query)."""
    provider, enterprise = aliased(Organisation), aliased(Organisation)
    return and_(
        Claim.status.in_(PENDING_STATUSES),
        or_(
            exists().where(provider.id == Claim.provider_id, sanctioned_clause(provider, today)),
            exists().where(
                ClaimItem.claim_id == Claim.id,
                ClaimItem.live.is_(True),
                enterprise.id == ClaimItem.enterprise_id,
                sanctioned_clause(enterprise, today),
            ),
        ),
    )


def evidence_covers(claim: Claim) -> None:
    """第二十二条: the invoices must cover what the claim claims (a ¥1 invoice on a ¥10,000 claim was
    paid once): their total may not be below the orders' amounts."""
    invoices, orders = claim.invoices_fen, claim.orders_fen
    if invoices < orders:
        raise DomainError(
            "evidence_mismatch",
            _l(
                "The invoices total %(invoices)s, less than the orders' %(orders)s: add the missing invoices.",
                invoices=format_fen(invoices),
                orders=format_fen(orders),
            ),
            extra={"invoices_fen": invoices, "orders_fen": orders},
        )


# -- what a reader may do (the claim page's forms) ----------------------------------------------------------

# the actions of the table each role takes; a reviewer's are named for its stage
_ROLE_ACTIONS = {
    Role.PROVIDER: ("add_document", "remove_document", "submit_claim", "withdraw_claim"),
    Role.OPERATOR: ("operator_approve_claim", "operator_reject_claim", "exclude_order"),
    Role.AUTHORITY: ("authority_approve_claim", "authority_reject_claim", "query_claim"),
    Role.FINANCE: ("disburse_claim",),  # of a claim in no payment request (claims.payments)
}


def allowed_actions(actor: User, claim: Claim, holds: list[Sanction]) -> set[str]:
    """What ``actor`` may do to the claim now: its role's actions the claim's state allows, less what
    a hold (``claim_holds``) stops (approving, paying). A reviewer's are also named without the
    stage: ``approve_claim``, ``reject_claim``, and ``reject_held`` for an approved claim that is held
    (only then may it be rejected, ``claims.reviews.review_claim``). The operator answers a query
    whatever the claim's state (``answer_query``)."""
    may = {action for action in _ROLE_ACTIONS.get(actor.role, ()) if CLAIM.can(claim.status, action)}
    if holds:
        may -= {"operator_approve_claim", "authority_approve_claim", "disburse_claim"}
    if claim.payment_request_id is not None:  # at the finance bureau: paid or returned with the request
        may -= {"disburse_claim", "authority_reject_claim"}
    if claim.status == ClaimStatus.APPROVED and "authority_reject_claim" in may:
        if holds:
            may.add("reject_held")
        else:
            may.discard("authority_reject_claim")
    if actor.role in (Role.OPERATOR, Role.AUTHORITY):
        stage = "operator" if actor.role == Role.OPERATOR else "authority"
        may |= {f"{decision}_claim" for decision in ("approve", "reject") if f"{stage}_{decision}_claim" in may}
    if actor.role == Role.OPERATOR:
        may.add("answer_query")
    # 扣减: the reviewer of the claim's stage (claims.deductions.REVIEWER)
    reviewer = {ClaimStatus.SUBMITTED: Role.OPERATOR, ClaimStatus.OPERATOR_APPROVED: Role.AUTHORITY}
    if reviewer.get(claim.status) == actor.role:
        may.add("deduct_order")
    return may


def excludable_order_ids(claim: Claim) -> set[int]:
    """The orders the operator may take out of the claim: any live one but the last (the whole claim
    is rejected instead)."""
    live = claim.live_items
    return {item.order_id for item in live} if len(live) > 1 else set()


# -- the provider's draft ---------------------------------------------------------------------------------


@use_case
def create_claim(session: Session, actor: User, command: ClaimInput) -> Claim:
    """A draft claim of the provider's confirmed, unclaimed orders; its total is their vouchers.
    An order is in at most one live claim: the orders are locked, and the database refuses a
    second live item for an order made by a parallel request."""
    org = claiming_provider(session, actor)
    order_ids = sorted(set(command.order_ids))
    orders = {
        o.id: o
        for o in session.scalars(
            select(Order)
            .where(Order.id.in_(order_ids))
            .order_by(Order.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    unknown = [i for i in order_ids if i not in orders or orders[i].provider_id != org.id]
    if unknown:
        raise ValidationError({"order_ids": [_l("Not your orders: %(ids)s.", ids=_ids(unknown))]})
    ensure_not_sanctioned(session, *dict.fromkeys(orders[i].enterprise_id for i in order_ids))
    in_claims = set(
        session.scalars(select(ClaimItem.order_id).where(ClaimItem.order_id.in_(order_ids), ClaimItem.live.is_(True)))
    )
    not_confirmed = [i for i in order_ids if orders[i].status != OrderStatus.CONFIRMED]
    without_vouchers = [i for i in order_ids if orders[i].voucher_fen <= 0]
    if in_claims:
        raise DomainError(
            "invalid_state", _l("Already in a claim: %(ids)s.", ids=_ids(sorted(in_claims))), field="order_ids"
        )
    if not_confirmed:
        raise DomainError(
            "invalid_state",
            _l(
                "Only confirmed orders can be claimed (not refunded or waiting for a refund decision): %(ids)s.",
                ids=_ids(not_confirmed),
            ),
            field="order_ids",
        )
    if without_vouchers:
        raise DomainError(
            "invalid_state",
            _l("These orders used no vouchers, so there is nothing to redeem: %(ids)s.", ids=_ids(without_vouchers)),
            field="order_ids",
        )
    voucher_issue.ensure_redeemable(session, order_ids)
    claim = Claim(
        provider_id=org.id,
        status=ClaimStatus.DRAFT,
        created_by_id=actor.id,
        created_at=clock.now(),
        total_fen=sum(orders[i].voucher_fen for i in order_ids),
    )
    claim.items = [
        ClaimItem(
            order_id=i,
            enterprise_id=orders[i].enterprise_id,
            voucher_year=orders[i].voucher_year,
            voucher_book=orders[i].voucher_book,
            voucher_fen=orders[i].voucher_fen,
            live=True,
        )
        for i in order_ids
    ]
    session.add(claim)
    try:
        session.flush()
    except IntegrityError:
        raise DomainError(
            "invalid_state",
            _l("One of these orders was just put in another claim; reload and choose again."),
            field="order_ids",
        ) from None
    record(session, actor, "claim", claim.id, "create_claim", None, {**claim.audit_state(), "order_ids": order_ids})
    session.commit()
    return claim


def _ids(ids: Iterable[int]) -> str:
    return "、".join(f"#{i}" for i in ids)


def _kinds_present(session: Session, claim_id: int) -> list[str]:
    return [
        k.value if hasattr(k, "value") else k
        for k in session.scalars(
            select(ClaimDocument.kind)
            .where(ClaimDocument.claim_id == claim_id, ClaimDocument.live.is_(True))
            .distinct()
        )
    ]


@use_case
def submit_claim(session: Session, actor: User, claim_id: int) -> Claim:
    """Submit a draft: it needs one document of each kind, and goes to the first settlement date on
    or after today. Its vouchers move from "in orders" to "claimed"."""
    claim = own_claim(session, actor, claim_id)
    CLAIM.next(claim.status, "submit_claim")
    ensure_not_sanctioned(session, *parties(claim))
    missing = missing_claim_documents(_kinds_present(session, claim.id), evidence_kinds(session, claim))
    if missing:
        raise DomainError(
            "missing_documents",
            _l(
                "Add at least one document of each kind before submitting; missing: %(kinds)s.",
                kinds=_LazyKinds(missing),
            ),
            extra={"missing": missing},
        )
    evidence_covers(claim)
    voucher_issue.ensure_redeemable(session, [item.order_id for item in claim.live_items])
    today = clock.today()
    programme_ids = programmes_of(session, claim)
    day = settlement_date_for(today, settlement_dates(session, programme_ids))
    if day is None:
        raise DomainError(
            "invalid_state",
            _l(
                "There is no settlement date on or after %(day)s yet; the authority has to add one before claims can be submitted.",
                day=today.isoformat(),
            ),
        )
    for (book, year, enterprise_id), amount in amounts_by_wallet(claim.live_items).items():
        ledger.claim_vouchers(
            session,
            ledger.book_of(session, book, year),
            enterprise_id,
            amount,
            ref=("claim", claim.id),
            actor_id=actor.id,
        )
    change_state(
        session,
        claim,
        CLAIM,
        "submit_claim",
        actor,
        subject_type="claim",
        settlement_date=day,
        policy_version=session.scalar(
            select(Programme.policy_version)
            .join(SettlementDate, SettlementDate.programme_id == Programme.id)
            .where(SettlementDate.day == day, Programme.id.in_(programme_ids))
            .order_by(Programme.id)
            .limit(1)
        ),
        submitted_at=clock.now(),
    )
    session.commit()
    return claim


class _LazyKinds:
    def __init__(self, kinds: list[str]) -> None:
        self.kinds = kinds

    def __str__(self) -> str:
        from shop.labels import label

        return "、".join(str(label(k)) for k in self.kinds)


def amounts_by_wallet(items: Iterable[ClaimItem]) -> dict[tuple[str, int, int], int]:
    """The vouchers of ``items`` per (book, year, enterprise): one ledger movement each."""
    amounts: dict[tuple[str, int, int], int] = defaultdict(int)
    for item in items:
        amounts[(item.voucher_book or str(item.voucher_year), item.voucher_year, item.enterprise_id)] += (
            item.voucher_fen
        )
    return dict(sorted(amounts.items()))


def free_claim(session: Session, claim: Claim, actor: User | None, *, claimed: bool) -> None:
    """A claim that ends without payment frees its orders (claimable again) and invoice numbers;
    once submitted, its vouchers go back from "claimed" to "in orders"."""
    if claimed:
        for (book, year, enterprise_id), amount in amounts_by_wallet(claim.live_items).items():
            ledger.unclaim_vouchers(
                session,
                ledger.book_of(session, book, year),
                enterprise_id,
                amount,
                ref=("claim", claim.id),
                actor_id=actor.id if actor else None,
            )
    session.execute(
        update(ClaimItem)
        .where(ClaimItem.claim_id == claim.id)
        .values(live=False)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(ClaimDocument)
        .where(ClaimDocument.claim_id == claim.id)
        .values(live=False)
        .execution_options(synchronize_session=False)
    )


@use_case
def withdraw_claim(session: Session, actor: User, claim_id: int) -> Claim:
    """The provider drops its draft; the orders can be claimed again."""
    claim = own_claim(session, actor, claim_id)
    CLAIM.next(claim.status, "withdraw_claim")
    free_claim(session, claim, actor, claimed=False)
    change_state(session, claim, CLAIM, "withdraw_claim", actor, subject_type="claim")
    session.commit()
    return claim
