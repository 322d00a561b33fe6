"""Use cases of redemption claims (第二十二条–第二十五条).

A provider batches its confirmed orders into a claim with evidence (invoices, contracts, transfer
records, usage evidence) and submits it; it goes to the first settlement date on or after that day
and rolls over to the next when the date passes before the operator reviews it. The operator
reviews first (approve, reject the whole claim, or take single orders out), the authority second
(approve or reject; it may query the operator, who answers within 3 working days), then the
authority records the disbursement.

Ledger (every movement per order's year and enterprise, referenced to the claim):
submit: in orders → claimed; rejection or an order taken out: claimed → in orders (claimable
again); disbursement: claimed → disbursed.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from orders.claim_models import Claim, ClaimDocument, ClaimItem, ClaimQuery
from orders.models import Order
from orders.rules import QUERY_WORKING_DAYS, missing_claim_documents, normalise_invoice_number, settlement_date_for
from orders.services import REFUND_GUARDS, REFUND_HOOKS
from orders.states import CLAIM, SUBMITTED_CLAIM_STATUSES, ClaimDocumentKind, ClaimStatus, OrderStatus
from shop import clock
from shop.audit import change_state, record
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.inputs import Inputs
from shop.models import Organisation, User
from shop.money import format_fen
from shop.pagination import Page, paginate
from shop.services import Sanction, add_working_days, ensure_not_sanctioned, sanctioned_clause, sanctions_of
from shop.states import ACTIVE_ORG_STATUSES, OrgStatus, Role
from shop.uploads import MB, StoredFile, store_upload
from wallet import ledger
from wallet import services as wallet_services
from wallet.models import SettlementDate

MAX_ORDERS_PER_CLAIM = 1000
DOCUMENT_TYPES = ("pdf", "jpg", "png", "xlsx")
DOCUMENT_MAX_BYTES = 20 * MB
# 第十二条: a provider that has left still claims for the orders it served; an expelled one does not
CLAIMING_ORG_STATUSES = ACTIVE_ORG_STATUSES | {OrgStatus.EXITED}
# claims that wait on their settlement date (the programme may not remove it)
WAITING_STATUSES = SUBMITTED_CLAIM_STATUSES - {ClaimStatus.DISBURSED}
# claims not paid nor ended: held (暂缓) while their provider or an enterprise of their orders is sanctioned
PENDING_STATUSES = WAITING_STATUSES | {ClaimStatus.DRAFT}


def _provider(session: Session, actor: User) -> Organisation:
    if actor.role != Role.PROVIDER or actor.organisation_id is None:
        raise Forbidden()
    org = session.get(Organisation, actor.organisation_id)
    ensure_not_sanctioned(session, actor.organisation_id)
    if org is None or org.status not in CLAIMING_ORG_STATUSES:
        raise DomainError("not_certified", _l("Only a certified provider can claim its vouchers."))
    return org


def _claim_for(session: Session, actor: User, claim_id: int, *, lock: bool = False) -> Claim:
    """The claim, if ``actor`` may see it: its provider's members and staff; to anyone else it does
    not exist."""
    stmt = select(Claim).where(Claim.id == claim_id)
    if lock:
        stmt = stmt.with_for_update()
    claim = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    if claim is None or not (actor.is_staff or actor.belongs_to(claim.provider_id)):
        raise NotFound()
    return claim


def _own_claim(session: Session, actor: User, claim_id: int) -> Claim:
    """The provider's own claim, locked for a change."""
    if actor.role != Role.PROVIDER:
        raise Forbidden()
    return _claim_for(session, actor, claim_id, lock=True)


def _staff_claim(session: Session, actor: User, claim_id: int, role: Role) -> Claim:
    if actor.role != role:
        raise Forbidden()
    return _claim_for(session, actor, claim_id, lock=True)


def _live_item_exists(order_id: Any) -> Any:
    return exists().where(ClaimItem.order_id == order_id, ClaimItem.live.is_(True))


# -- sanctions: held claims ----------------------------------------------------------------------------

def _parties(claim: Claim) -> list[int]:
    """Whose sanction stops the claim: its provider, then the enterprises of its orders."""
    return [claim.provider_id, *sorted({item.enterprise_id for item in claim.live_items})]


def claim_holds(session: Session, claim: Claim) -> list[Sanction]:
    """Why a pending claim is held (暂缓): its provider's or its enterprises' sanctions. It waits until
    they are lifted, or it is rejected."""
    if claim.status not in PENDING_STATUSES:
        return []
    found = sanctions_of(session, _parties(claim))
    return [found[i] for i in _parties(claim) if i in found]


def held_clause(today: dt.date | None = None) -> Any:
    """SQL: the ``Claim`` is held (``claim_holds``, for a whole list in one query)."""
    provider, enterprise = aliased(Organisation), aliased(Organisation)
    return and_(Claim.status.in_(PENDING_STATUSES), or_(
        exists().where(provider.id == Claim.provider_id, sanctioned_clause(provider, today)),
        exists().where(ClaimItem.claim_id == Claim.id, ClaimItem.live.is_(True),
                       enterprise.id == ClaimItem.enterprise_id, sanctioned_clause(enterprise, today))))


def _evidence_covers(claim: Claim) -> None:
    """第二十二条: the invoices must cover what the claim claims (a ¥1 invoice on a ¥10,000 claim was
    paid once): their total may not be below the orders' amounts."""
    invoices, orders = claim.invoices_fen, claim.orders_fen
    if invoices < orders:
        raise DomainError("evidence_mismatch", _l(
            "The invoices total %(invoices)s, less than the orders' %(orders)s: add the missing invoices.",
            invoices=format_fen(invoices), orders=format_fen(orders)),
            extra={"invoices_fen": invoices, "orders_fen": orders})


# -- claimable orders --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClaimableFilter:
    confirmed_from: dt.date | None = None
    confirmed_to: dt.date | None = None
    enterprise: str | None = None        # part of the name, or the USCC


def read_claimable_filter(data: Mapping[str, Any]) -> ClaimableFilter:
    inputs = Inputs(data)
    start = inputs.date("confirmed_from", required=False)
    end = inputs.date("confirmed_to", required=False)
    enterprise = inputs.text("enterprise", required=False, max_length=100)
    inputs.check()
    return ClaimableFilter(start, end, enterprise)


def claimable_query(provider_id: int, where: ClaimableFilter = ClaimableFilter()) -> Any:
    """Confirmed orders of the provider with vouchers to redeem, in no live claim (a refunded or
    refund-requested order is not confirmed)."""
    stmt = (select(Order).join(Organisation, Organisation.id == Order.enterprise_id)
            .where(Order.provider_id == provider_id, Order.status == OrderStatus.CONFIRMED, Order.voucher_fen > 0,
                   ~_live_item_exists(Order.id)))
    if where.confirmed_from:
        stmt = stmt.where(Order.confirmed_at >= clock.china_midnight(where.confirmed_from))
    if where.confirmed_to:
        stmt = stmt.where(Order.confirmed_at < clock.china_midnight(where.confirmed_to + dt.timedelta(days=1)))
    if where.enterprise:
        stmt = stmt.where(or_(Organisation.name.contains(where.enterprise, autoescape=True),
                              Organisation.uscc == where.enterprise.upper()))
    return stmt


def list_claimable_orders(session: Session, actor: User, where: ClaimableFilter, page: int,
                          per_page: int) -> tuple[Page[Order], int]:
    """The page of claimable orders and the vouchers of all that match the filter."""
    org = _provider(session, actor)
    stmt = claimable_query(org.id, where)
    total_fen = session.scalar(select(func.coalesce(func.sum(stmt.subquery().c.voucher_fen), 0))) or 0
    result = paginate(session, stmt.options(joinedload(Order.enterprise)).order_by(Order.confirmed_at, Order.id),
                      page, per_page)
    return result, int(total_fen)


# -- the provider's draft ---------------------------------------------------------------------------------

@use_case
def create_claim(session: Session, actor: User, data: Mapping[str, Any]) -> Claim:
    """A draft claim of the provider's confirmed, unclaimed orders; its total is their vouchers.
    An order is in at most one live claim: the orders are locked, and the database refuses a
    second live item for an order made by a parallel request."""
    org = _provider(session, actor)
    inputs = Inputs(data)
    order_ids = inputs.integers("order_ids")
    if len(order_ids) > MAX_ORDERS_PER_CLAIM:
        inputs.error("order_ids", _l("At most %(n)d orders in one claim.", n=MAX_ORDERS_PER_CLAIM))
    inputs.check()
    order_ids = sorted(set(order_ids))
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(order_ids)).order_by(Order.id)
                                               .with_for_update().execution_options(populate_existing=True))}
    unknown = [i for i in order_ids if i not in orders or orders[i].provider_id != org.id]
    if unknown:
        raise ValidationError({"order_ids": [_l("Not your orders: %(ids)s.", ids=_ids(unknown))]})
    ensure_not_sanctioned(session, *dict.fromkeys(orders[i].enterprise_id for i in order_ids))
    in_claims = set(session.scalars(select(ClaimItem.order_id).where(ClaimItem.order_id.in_(order_ids),
                                                                     ClaimItem.live.is_(True))))
    not_confirmed = [i for i in order_ids if orders[i].status != OrderStatus.CONFIRMED]
    without_vouchers = [i for i in order_ids if orders[i].voucher_fen <= 0]
    if in_claims:
        raise DomainError("invalid_state", _l("Already in a claim: %(ids)s.", ids=_ids(sorted(in_claims))),
                          field="order_ids")
    if not_confirmed:
        raise DomainError("invalid_state", _l("Only confirmed orders can be claimed (not refunded or waiting for a refund decision): %(ids)s.",
                                              ids=_ids(not_confirmed)), field="order_ids")
    if without_vouchers:
        raise DomainError("invalid_state", _l("These orders used no vouchers, so there is nothing to redeem: %(ids)s.",
                                              ids=_ids(without_vouchers)), field="order_ids")
    claim = Claim(provider_id=org.id, status=ClaimStatus.DRAFT, created_by_id=actor.id, created_at=clock.now(),
                  total_fen=sum(orders[i].voucher_fen for i in order_ids))
    claim.items = [ClaimItem(order_id=i, enterprise_id=orders[i].enterprise_id, voucher_year=orders[i].voucher_year,
                             voucher_fen=orders[i].voucher_fen, live=True) for i in order_ids]
    session.add(claim)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise DomainError("invalid_state", _l("One of these orders was just put in another claim; reload and choose again."),
                          field="order_ids") from None
    record(session, actor, "claim", claim.id, "create_claim", None, {**claim.audit_state(), "order_ids": order_ids})
    session.commit()
    return claim


def _ids(ids: Iterable[int]) -> str:
    return "、".join(f"#{i}" for i in ids)


@use_case
def add_claim_document(session: Session, actor: User, claim_id: int, data: Mapping[str, Any],
                       file: tuple[BinaryIO | None, str | None], upload_dir: str | Path) -> ClaimDocument:
    """第二十二条: evidence of a draft claim. Invoices carry their number and amount; one invoice
    number is in at most one live claim."""
    claim = _own_claim(session, actor, claim_id)
    CLAIM.next(claim.status, "add_document")
    inputs = Inputs(data)
    kind = inputs.choice("kind", [k.value for k in ClaimDocumentKind])
    number = amount = None
    if kind == ClaimDocumentKind.INVOICE:
        raw_number = inputs.text("invoice_number", max_length=40)
        number = normalise_invoice_number(raw_number) if raw_number else None
        if raw_number and not number:
            inputs.error("invoice_number", _l("This field is required."))
        amount = inputs.fen("invoice_amount_fen", minimum=1)
    inputs.check()
    if number and session.scalar(select(func.count()).select_from(ClaimDocument).where(
            ClaimDocument.invoice_number == number, ClaimDocument.live.is_(True))):
        raise DomainError("validation_error", _l("The invoice %(number)s is already in a claim.", number=number),
                          field="invoice_number")
    stored: StoredFile = store_upload(upload_dir, "file", file[0], file[1], allowed=DOCUMENT_TYPES,
                                      max_bytes=DOCUMENT_MAX_BYTES)
    document = ClaimDocument(claim_id=claim.id, kind=ClaimDocumentKind(kind), original_name=stored.original_name,
                             stored_name=stored.stored_name, content_type=stored.content_type,
                             size_bytes=stored.size_bytes, sha256=stored.sha256, invoice_number=number,
                             invoice_amount_fen=amount, live=True, uploaded_by_id=actor.id, uploaded_at=clock.now())
    session.add(document)
    try:
        session.flush()
        record(session, actor, "claim", claim.id, "add_document", None,
               {"document_id": document.id, "kind": kind, "name": stored.original_name, "sha256": stored.sha256,
                "invoice_number": number, "invoice_amount_fen": amount})
        session.commit()
    except IntegrityError:
        session.rollback()
        (Path(upload_dir) / stored.stored_name).unlink(missing_ok=True)
        raise DomainError("validation_error", _l("The invoice %(number)s is already in a claim.", number=number),
                          field="invoice_number") from None
    except BaseException:
        (Path(upload_dir) / stored.stored_name).unlink(missing_ok=True)
        raise
    return document


@use_case
def remove_claim_document(session: Session, actor: User, claim_id: int, document_id: int) -> Claim:
    """Take a document out of a draft (the file is kept, as the trail refers to it)."""
    claim = _own_claim(session, actor, claim_id)
    CLAIM.next(claim.status, "remove_document")
    document = session.get(ClaimDocument, document_id)
    if document is None or document.claim_id != claim.id or not document.live:
        raise NotFound()
    document.live, document.removed_at = False, clock.now()
    record(session, actor, "claim", claim.id, "remove_document", {"document_id": document.id, "kind": document.kind.value,
                                                                   "invoice_number": document.invoice_number}, None)
    session.commit()
    return claim


def _kinds_present(session: Session, claim_id: int) -> list[str]:
    return [k.value if hasattr(k, "value") else k for k in session.scalars(
        select(ClaimDocument.kind).where(ClaimDocument.claim_id == claim_id, ClaimDocument.live.is_(True)).distinct())]


def _settlement_dates(session: Session) -> list[dt.date]:
    return list(session.scalars(select(SettlementDate.day).order_by(SettlementDate.day)))


@use_case
def submit_claim(session: Session, actor: User, claim_id: int) -> Claim:
    """Submit a draft: it needs one document of each kind, and goes to the first settlement date on
    or after today. Its vouchers move from "in orders" to "claimed"."""
    claim = _own_claim(session, actor, claim_id)
    CLAIM.next(claim.status, "submit_claim")
    ensure_not_sanctioned(session, *_parties(claim))
    missing = missing_claim_documents(_kinds_present(session, claim.id))
    if missing:
        raise DomainError("missing_documents", _l("Add at least one document of each kind before submitting; missing: %(kinds)s.",
                                                  kinds=_LazyKinds(missing)), status=422,
                          extra={"missing": missing})
    _evidence_covers(claim)
    today = clock.today()
    day = settlement_date_for(today, _settlement_dates(session))
    if day is None:
        raise DomainError("invalid_state", _l("There is no settlement date on or after %(day)s yet; the authority has to add one before claims can be submitted.",
                                              day=today.isoformat()))
    for (year, enterprise_id), amount in _amounts_by_wallet(claim.live_items).items():
        ledger.claim_vouchers(session, year, enterprise_id, amount, ref=("claim", claim.id), actor_id=actor.id)
    change_state(session, claim, CLAIM, "submit_claim", actor, subject_type="claim", settlement_date=day,
                 submitted_at=clock.now())
    session.commit()
    return claim


class _LazyKinds:
    def __init__(self, kinds: list[str]) -> None:
        self.kinds = kinds

    def __str__(self) -> str:
        from shop.labels import label
        return "、".join(str(label(k)) for k in self.kinds)


def _amounts_by_wallet(items: Iterable[ClaimItem]) -> dict[tuple[int, int], int]:
    """The vouchers of ``items`` per (year, enterprise): one ledger movement each."""
    amounts: dict[tuple[int, int], int] = defaultdict(int)
    for item in items:
        amounts[(item.voucher_year, item.enterprise_id)] += item.voucher_fen
    return dict(sorted(amounts.items()))


def _free(session: Session, claim: Claim, actor: User | None, *, claimed: bool) -> None:
    """A claim that ends without payment frees its orders (claimable again) and invoice numbers;
    once submitted, its vouchers go back from "claimed" to "in orders"."""
    if claimed:
        for (year, enterprise_id), amount in _amounts_by_wallet(claim.live_items).items():
            ledger.unclaim_vouchers(session, year, enterprise_id, amount, ref=("claim", claim.id),
                                    actor_id=actor.id if actor else None)
    session.execute(update(ClaimItem).where(ClaimItem.claim_id == claim.id).values(live=False)
                    .execution_options(synchronize_session=False))
    session.execute(update(ClaimDocument).where(ClaimDocument.claim_id == claim.id).values(live=False)
                    .execution_options(synchronize_session=False))


@use_case
def withdraw_claim(session: Session, actor: User, claim_id: int) -> Claim:
    """The provider drops its draft; the orders can be claimed again."""
    claim = _own_claim(session, actor, claim_id)
    CLAIM.next(claim.status, "withdraw_claim")
    _free(session, claim, actor, claimed=False)
    change_state(session, claim, CLAIM, "withdraw_claim", actor, subject_type="claim")
    session.commit()
    return claim


# -- reviews ---------------------------------------------------------------------------------------------

@use_case
def review_claim(session: Session, actor: User, claim_id: int, data: Mapping[str, Any]) -> Claim:
    """第二十四条: the operator's first review (真实性、有效性) of a submitted claim, then the
    authority's. A rejection (with its reason) frees the orders; the authority approves only when
    its queries are answered."""
    if actor.role not in (Role.OPERATOR, Role.AUTHORITY):
        raise Forbidden()
    inputs = Inputs(data)
    decision = inputs.choice("decision", ["approve", "reject"])
    reason = inputs.text("reason", required=decision == "reject", max_length=2000)
    inputs.check()
    claim = _claim_for(session, actor, claim_id, lock=True)
    stage = "operator" if actor.role == Role.OPERATOR else "authority"
    action = f"{stage}_{decision}_claim"
    CLAIM.next(claim.status, action)
    if decision == "approve":
        ensure_not_sanctioned(session, *_parties(claim))
        _evidence_covers(claim)
    elif claim.status == ClaimStatus.APPROVED and not claim_holds(session, claim):
        raise DomainError("invalid_state", _l("The claim is approved and waits for its payment; only a held claim "
                                              "can still be rejected."))
    if action == "authority_approve_claim" and any(q.is_open for q in claim.queries):
        raise DomainError("invalid_state", _l("A query to the operator is still open: wait for the answer before approving."))
    if decision == "reject":
        _free(session, claim, actor, claimed=True)
    change_state(session, claim, CLAIM, action, actor, subject_type="claim",
                 **{f"{stage}_decided_at": clock.now(), f"{stage}_decided_by_id": actor.id, f"{stage}_reason": reason})
    session.commit()
    return claim


@use_case
def exclude_order(session: Session, actor: User, claim_id: int, order_id: int, data: Mapping[str, Any]) -> Claim:
    """The operator takes one order out of a submitted claim with a reason: the order is claimable
    again, its vouchers go back to "in orders" and the claim's total is recomputed."""
    inputs = Inputs(data)
    reason = inputs.text("reason", max_length=2000)
    inputs.check()
    claim = _staff_claim(session, actor, claim_id, Role.OPERATOR)
    CLAIM.next(claim.status, "exclude_order")
    item = next((i for i in claim.live_items if i.order_id == order_id), None)
    if item is None:
        raise NotFound(_l("This order is not in the claim."))
    if len(claim.live_items) == 1:
        raise DomainError("invalid_state", _l("This is the claim's last order: reject the whole claim instead."))
    ledger.unclaim_vouchers(session, item.voucher_year, item.enterprise_id, item.voucher_fen, ref=("claim", claim.id),
                            actor_id=actor.id)
    before = {**claim.audit_state(), "order_id": order_id}
    item.live, item.excluded_at, item.excluded_by_id, item.excluded_reason = False, clock.now(), actor.id, reason
    claim.total_fen -= item.voucher_fen
    record(session, actor, "claim", claim.id, "exclude_order", before,
           {**claim.audit_state(), "order_id": order_id, "reason": reason})
    session.commit()
    return claim


@use_case
def ask_query(session: Session, actor: User, claim_id: int, data: Mapping[str, Any]) -> ClaimQuery:
    """第二十五条: the authority asks the operator about a claim it has approved; the answer is due
    3 working days on (statutory holidays, adjusted working days and the operator's calendar)."""
    inputs = Inputs(data)
    question = inputs.text("question", max_length=4000)
    inputs.check()
    claim = _staff_claim(session, actor, claim_id, Role.AUTHORITY)
    CLAIM.next(claim.status, "query_claim")
    today = clock.today()
    query = ClaimQuery(claim_id=claim.id, question=question, asked_at=clock.now(), asked_on=today,
                       asked_by_id=actor.id, due_on=add_working_days(session, today, QUERY_WORKING_DAYS))
    session.add(query)
    session.flush()
    record(session, actor, "claim", claim.id, "query_claim", None, {"query_id": query.id, **query.audit_state()})
    session.commit()
    return query


@use_case
def answer_query(session: Session, actor: User, claim_id: int, query_id: int, data: Mapping[str, Any]) -> ClaimQuery:
    inputs = Inputs(data)
    answer = inputs.text("answer", max_length=4000)
    inputs.check()
    claim = _staff_claim(session, actor, claim_id, Role.OPERATOR)
    query = session.scalars(select(ClaimQuery).where(ClaimQuery.id == query_id, ClaimQuery.claim_id == claim.id)
                            .with_for_update()).one_or_none()
    if query is None:
        raise NotFound()
    if not query.is_open:
        raise DomainError("invalid_state", _l("This query is already answered."))
    before = query.audit_state()
    query.answer, query.answered_at, query.answered_on, query.answered_by_id = answer, clock.now(), clock.today(), actor.id
    record(session, actor, "claim", claim.id, "answer_query", {"query_id": query.id, **before},
           {"query_id": query.id, **query.audit_state(), "late": query.is_overdue(clock.today())})
    session.commit()
    return query


@use_case
def disburse_claim(session: Session, actor: User, claim_id: int, data: Mapping[str, Any]) -> Claim:
    """资金拨付: the authority records the payment of an approved claim (reference, date, amount —
    the whole approved total); its vouchers move from "claimed" to "disbursed"."""
    inputs = Inputs(data)
    reference = inputs.text("reference", max_length=100)
    paid_on = inputs.date("paid_on", required=False)
    amount = inputs.fen("amount_fen", required=False, minimum=1)
    inputs.check()
    claim = _staff_claim(session, actor, claim_id, Role.AUTHORITY)
    CLAIM.next(claim.status, "disburse_claim")
    ensure_not_sanctioned(session, *_parties(claim))
    today = clock.today()
    paid_on = paid_on or today
    approved_on = clock.china_date(claim.authority_decided_at)
    if paid_on > today:
        raise DomainError("validation_error", _l("The payment date cannot be in the future."), field="paid_on")
    if paid_on < approved_on:
        raise DomainError("validation_error", _l("The payment date cannot be before the authority approved the claim (%(day)s).",
                                                 day=approved_on.isoformat()), field="paid_on")
    if amount is not None and amount != claim.total_fen:
        raise DomainError("validation_error", _l("The approved total is %(total)s: record the payment of that amount.",
                                                 total=format_fen(claim.total_fen)),
                          field="amount_fen" if "amount_fen" in data else "amount")
    for (year, enterprise_id), value in _amounts_by_wallet(claim.live_items).items():
        ledger.disburse_vouchers(session, year, enterprise_id, value, ref=("claim", claim.id), actor_id=actor.id)
    change_state(session, claim, CLAIM, "disburse_claim", actor, subject_type="claim",
                 disbursement_reference=reference, disbursed_on=paid_on, disbursed_fen=claim.total_fen,
                 disbursed_at=clock.now(), disbursed_by_id=actor.id)
    session.commit()
    return claim


# -- settlement dates ------------------------------------------------------------------------------------

def roll_over_claims(session: Session, today: dt.date | None = None) -> int:
    """第二十三条: a submitted claim whose settlement date passed before the operator reviewed it
    goes to the next date (a daily job; idempotent). Without a later date it waits where it is,
    shown as overdue, until the authority adds one."""
    today = today or clock.today()
    day = settlement_date_for(today, _settlement_dates(session))
    if day is None:
        return 0
    late = list(session.scalars(select(Claim).where(Claim.status == ClaimStatus.SUBMITTED, Claim.settlement_date < today)
                                .order_by(Claim.id).with_for_update()))
    for claim in late:
        change_state(session, claim, CLAIM, "roll_over", None, subject_type="claim", settlement_date=day)
    session.commit()
    return len(late)


def dates_claims_wait_on(session: Session, year: int, days: list[dt.date]) -> list[dt.date]:
    """For the programme: of ``days`` (to be removed), those live claims are assigned to."""
    if not days:
        return []
    return sorted(set(session.scalars(select(Claim.settlement_date).where(
        Claim.settlement_date.in_(days), Claim.status.in_(WAITING_STATUSES)).distinct())))


def _submitted_claim_of(order_id: Any) -> Any:
    return exists().where(ClaimItem.order_id == order_id, ClaimItem.live.is_(True), ClaimItem.claim_id == Claim.id,
                          Claim.status != ClaimStatus.DRAFT)


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
    claim = session.scalars(select(Claim).where(Claim.id == item.claim_id).with_for_update()
                            .execution_options(populate_existing=True)).one()
    if claim.status != ClaimStatus.DRAFT:
        raise DomainError("invalid_state", _refund_guard(session, order))
    CLAIM.next(claim.status, "leave_for_refund")
    before = {**claim.audit_state(), "order_id": order.id}
    item.live, item.excluded_at, item.excluded_by_id, item.excluded_reason = False, clock.now(), actor.id, reason
    claim.total_fen -= item.voucher_fen
    record(session, actor, "claim", claim.id, "leave_for_refund", before,
           {**claim.audit_state(), "order_id": order.id, "reason": reason})
    if not claim.live_items:
        _free(session, claim, None, claimed=False)
        change_state(session, claim, CLAIM, "withdraw_claim", None, subject_type="claim")


def register_guards() -> None:
    """What the claims add to the orders' and the wallet's rules (no refund once claimed, a refund takes
    the order out of a draft claim, a settlement date claims wait on stays). Called by the claims'
    ``init_app``; idempotent, so several apps in one process register once."""
    for registry, guard in ((REFUND_GUARDS, _refund_guard), (REFUND_HOOKS, _leave_draft_for_refund),
                            (wallet_services.SETTLEMENT_DATE_GUARDS, dates_claims_wait_on)):
        if guard not in registry:
            registry.append(guard)  # type: ignore[arg-type]


# -- reading ------------------------------------------------------------------------------------------------

def get_claim(session: Session, actor: User, claim_id: int) -> Claim:
    claim = session.scalars(select(Claim).where(Claim.id == claim_id).options(
        joinedload(Claim.provider),
        selectinload(Claim.items).joinedload(ClaimItem.order),
        selectinload(Claim.items).joinedload(ClaimItem.enterprise),
        selectinload(Claim.items).joinedload(ClaimItem.excluded_by),
        selectinload(Claim.documents), selectinload(Claim.queries))).one_or_none()
    if claim is None or not (actor.is_staff or actor.belongs_to(claim.provider_id)):
        raise NotFound()
    return claim


@dataclass(frozen=True)
class ClaimFilter:
    status: list[ClaimStatus] | None = None
    settlement_date: dt.date | None = None
    provider_id: int | None = None


def read_claim_filter(data: Mapping[str, Any]) -> ClaimFilter:
    inputs = Inputs(data)
    statuses = None
    raw = data.get("status")
    if raw:
        values = [v for v in str(raw).split(",") if v]
        wrong = [v for v in values if v not in {s.value for s in ClaimStatus}]
        if wrong:
            inputs.error("status", _l("Choose one of: %(choices)s.", choices=", ".join(s.value for s in ClaimStatus)))
        else:
            statuses = [ClaimStatus(v) for v in values]
    day = inputs.date("settlement_date", required=False)
    provider_id = inputs.integer("provider_id", required=False, minimum=1, maximum=2**62)
    inputs.check()
    return ClaimFilter(statuses, day, provider_id)


def _open_queries() -> Any:
    return (select(func.count()).select_from(ClaimQuery)
            .where(ClaimQuery.claim_id == Claim.id, ClaimQuery.answered_at.is_(None)).scalar_subquery())


def list_claims(session: Session, actor: User, where: ClaimFilter, page: int, per_page: int) -> Page[Any]:
    """Claims with their order count, open queries and whether they are held (暂缓), by settlement
    date (drafts last), oldest first: the provider's own, or every claim for staff."""
    orders = (select(func.count()).select_from(ClaimItem)
              .where(ClaimItem.claim_id == Claim.id, ClaimItem.live.is_(True)).scalar_subquery())
    held = case((held_clause(), True), else_=False).label("held")
    stmt = select(Claim, orders.label("orders"), _open_queries().label("open_queries"), held) \
        .options(joinedload(Claim.provider))
    if actor.role == Role.PROVIDER:
        stmt = stmt.where(Claim.provider_id == actor.organisation_id)
    elif not actor.is_staff:
        raise Forbidden()
    if where.status:
        stmt = stmt.where(Claim.status.in_(where.status))
    if where.settlement_date:
        stmt = stmt.where(Claim.settlement_date == where.settlement_date)
    if where.provider_id:
        stmt = stmt.where(Claim.provider_id == where.provider_id)
    stmt = stmt.order_by(Claim.settlement_date.is_(None), Claim.settlement_date, Claim.id)
    return paginate(session, stmt, page, per_page, scalars=False)


@dataclass
class SettlementRow:
    day: dt.date
    claims: int
    total_fen: int
    by_status: dict[str, int]          # claims per status
    disbursed_fen: int


def settlement_summary(session: Session, year: int | None = None) -> list[SettlementRow]:
    """Per settlement date (every date of the programme, and any a claim still has): the claims
    submitted or later and their vouchers, in one aggregate query."""
    stmt = (select(Claim.settlement_date, Claim.status, func.count(), func.sum(Claim.total_fen))
            .where(Claim.settlement_date.is_not(None), Claim.status.in_(SUBMITTED_CLAIM_STATUSES))
            .group_by(Claim.settlement_date, Claim.status))
    dates = _settlement_dates(session)
    if year:
        stmt = stmt.where(Claim.settlement_date >= dt.date(year, 1, 1), Claim.settlement_date <= dt.date(year, 12, 31))
        dates = [d for d in dates if d.year == year]
    rows = {d: SettlementRow(d, 0, 0, {}, 0) for d in dates}
    for day, status, count, total in session.execute(stmt):
        row = rows.setdefault(day, SettlementRow(day, 0, 0, {}, 0))
        row.claims += count
        row.total_fen += int(total)
        row.by_status[ClaimStatus(status).value] = count
        if status == ClaimStatus.DISBURSED:
            row.disbursed_fen += int(total)
    return [rows[d] for d in sorted(rows)]


def list_queries(session: Session, actor: User, *, open_only: bool, page: int, per_page: int) -> Page[ClaimQuery]:
    """The authority's queries, for the operator to answer: open ones by due date first."""
    if not actor.is_staff:
        raise Forbidden()
    stmt = select(ClaimQuery).options(joinedload(ClaimQuery.claim).joinedload(Claim.provider))
    if open_only:
        stmt = stmt.where(ClaimQuery.answered_at.is_(None))
    stmt = stmt.order_by(ClaimQuery.answered_at.is_not(None), ClaimQuery.due_on, ClaimQuery.id)
    return paginate(session, stmt, page, per_page)


def claim_document(session: Session, actor: User, document_id: int) -> ClaimDocument:
    """A document's file: for the claim's provider and staff only."""
    document = session.get(ClaimDocument, document_id)
    if document is None:
        raise NotFound()
    claim = session.get(Claim, document.claim_id)
    if not (actor.is_staff or actor.belongs_to(claim.provider_id)):
        raise NotFound()
    return document


# -- what waits for whom (the navigation's counts) ----------------------------------------------------------

def waiting_count(session: Session, actor: User) -> int:
    if actor.role == Role.PROVIDER:
        return session.scalar(select(func.count()).select_from(Claim).where(
            Claim.provider_id == actor.organisation_id, Claim.status == ClaimStatus.DRAFT)) or 0
    if actor.role == Role.OPERATOR:
        claims = session.scalar(select(func.count()).select_from(Claim).where(Claim.status == ClaimStatus.SUBMITTED)) or 0
        queries = session.scalar(select(func.count()).select_from(ClaimQuery).where(ClaimQuery.answered_at.is_(None))) or 0
        return claims + queries
    if actor.role == Role.AUTHORITY:
        return session.scalar(select(func.count()).select_from(Claim).where(
            Claim.status.in_([ClaimStatus.OPERATOR_APPROVED, ClaimStatus.APPROVED]))) or 0
    return 0


def overdue_queries(session: Session, today: dt.date | None = None) -> int:
    return session.scalar(select(func.count()).select_from(ClaimQuery).where(
        ClaimQuery.answered_at.is_(None), ClaimQuery.due_on < (today or clock.today()))) or 0


# -- the export per settlement date -----------------------------------------------------------------------

def settlement_export_count(session: Session, day: dt.date) -> int:
    """Rows the export writes: one per order, one subtotal per claim, the total."""
    items = session.scalar(select(func.count()).select_from(ClaimItem).join(Claim, Claim.id == ClaimItem.claim_id)
                           .where(Claim.settlement_date == day, Claim.status.in_(SUBMITTED_CLAIM_STATUSES),
                                  ClaimItem.live.is_(True))) or 0
    claims = session.scalar(select(func.count()).select_from(Claim).where(
        Claim.settlement_date == day, Claim.status.in_(SUBMITTED_CLAIM_STATUSES))) or 0
    return items + claims + 1


@dataclass(frozen=True)
class ExportLine:
    provider: str
    provider_uscc: str
    claim_id: int
    claim_status: str
    order_id: int
    confirmed_at: dt.datetime | None
    enterprise: str
    enterprise_uscc: str
    order_total_fen: int
    voucher_fen: int


def settlement_export_lines(session: Session, day: dt.date) -> Iterator[ExportLine]:
    """Every order of the claims of ``day`` with its provider and enterprise, read in batches."""
    enterprise = Organisation.__table__.alias("enterprise")
    provider = Organisation.__table__.alias("provider")
    stmt = (select(provider.c.name, provider.c.uscc, Claim.id, Claim.status, Order.id, Order.confirmed_at,
                   enterprise.c.name, enterprise.c.uscc, Order.total_fen, ClaimItem.voucher_fen)
            .select_from(ClaimItem)
            .join(Claim, Claim.id == ClaimItem.claim_id)
            .join(Order, Order.id == ClaimItem.order_id)
            .join(provider, provider.c.id == Claim.provider_id)
            .join(enterprise, enterprise.c.id == ClaimItem.enterprise_id)
            .where(Claim.settlement_date == day, Claim.status.in_(SUBMITTED_CLAIM_STATUSES), ClaimItem.live.is_(True))
            .order_by(provider.c.name, Claim.id, Order.id)
            .execution_options(yield_per=500))
    for row in session.execute(stmt):
        status = row[3].value if hasattr(row[3], "value") else row[3]
        yield ExportLine(row[0], row[1], row[2], status, row[4], row[5], row[6], row[7], int(row[8]), int(row[9]))
