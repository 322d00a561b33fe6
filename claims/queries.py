"""Reading claims: a claim, the lists of claims and queries, the summary per settlement date, a
document's file, and what waits for whom (the navigation's counts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from claims import scope
from claims.commands import ClaimFilter
from claims.dates import settlement_dates
from claims.models import Claim, ClaimDocument, ClaimItem, ClaimQuery
from claims.services import held_clause
from claims.states import SUBMITTED_CLAIM_STATUSES, ClaimStatus
from shop import clock
from shop.accounts import User
from shop.errors import Forbidden, NotFound
from shop.pagination import Page, paginate
from shop.policy import year_end, year_start
from shop.states import Role


def get_claim(session: Session, actor: User, claim_id: int) -> Claim:
    claim = session.scalars(
        select(Claim)
        .where(Claim.id == claim_id)
        .options(
            joinedload(Claim.provider),
            selectinload(Claim.items).joinedload(ClaimItem.order),
            selectinload(Claim.items).joinedload(ClaimItem.enterprise),
            selectinload(Claim.items).joinedload(ClaimItem.excluded_by),
            selectinload(Claim.documents),
            selectinload(Claim.queries),
        )
    ).one_or_none()
    if claim is None or not (actor.belongs_to(claim.provider_id) or scope.sees(session, actor, claim)):
        raise NotFound()
    return claim


def _open_queries() -> Any:
    return (
        select(func.count())
        .select_from(ClaimQuery)
        .where(ClaimQuery.claim_id == Claim.id, ClaimQuery.answered_at.is_(None))
        .scalar_subquery()
    )


def list_claims(session: Session, actor: User, where: ClaimFilter, page: int, per_page: int) -> Page[Any]:
    """Claims with their order count, open queries and whether they are held (暂缓), by settlement
    date (drafts last), oldest first: the provider's own, or every claim for staff."""
    orders = (
        select(func.count())
        .select_from(ClaimItem)
        .where(ClaimItem.claim_id == Claim.id, ClaimItem.live.is_(True))
        .scalar_subquery()
    )
    held = case((held_clause(), True), else_=False).label("held")
    stmt = select(Claim, orders.label("orders"), _open_queries().label("open_queries"), held).options(
        joinedload(Claim.provider)
    )
    if actor.role == Role.PROVIDER:
        stmt = stmt.where(Claim.provider_id == actor.organisation_id)
    elif not actor.is_staff:
        raise Forbidden()
    else:
        stmt = stmt.where(scope.clause(actor))
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
    by_status: dict[str, int]  # claims per status
    disbursed_fen: int


def settlement_summary(session: Session, year: int | None = None) -> list[SettlementRow]:
    """Per settlement date (every date of the programme, and any a claim still has): the claims
    submitted or later and their vouchers, in one aggregate query."""
    stmt = (
        select(Claim.settlement_date, Claim.status, func.count(), func.sum(Claim.total_fen))
        .where(Claim.settlement_date.is_not(None), Claim.status.in_(SUBMITTED_CLAIM_STATUSES))
        .group_by(Claim.settlement_date, Claim.status)
    )
    dates = settlement_dates(session)
    if year:
        stmt = stmt.where(Claim.settlement_date >= year_start(year), Claim.settlement_date <= year_end(year))
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
    stmt = (
        select(ClaimQuery)
        .join(Claim, Claim.id == ClaimQuery.claim_id)
        .where(scope.clause(actor))
        .options(joinedload(ClaimQuery.claim).joinedload(Claim.provider))
    )
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
    if not (actor.belongs_to(claim.provider_id) or scope.sees(session, actor, claim)):
        raise NotFound()
    return document


# -- what waits for whom (the navigation's counts) ----------------------------------------------------------


def waiting_count(session: Session, actor: User) -> int:
    if actor.role == Role.PROVIDER:
        return (
            session.scalar(
                select(func.count())
                .select_from(Claim)
                .where(Claim.provider_id == actor.organisation_id, Claim.status == ClaimStatus.DRAFT)
            )
            or 0
        )
    if actor.role == Role.OPERATOR:
        claims = (
            session.scalar(
                select(func.count())
                .select_from(Claim)
                .where(Claim.status == ClaimStatus.SUBMITTED, scope.clause(actor))
            )
            or 0
        )
        queries = (
            session.scalar(
                select(func.count())
                .select_from(ClaimQuery)
                .join(Claim, Claim.id == ClaimQuery.claim_id)
                .where(ClaimQuery.answered_at.is_(None), scope.clause(actor))
            )
            or 0
        )
        return claims + queries
    if actor.role == Role.AUTHORITY:
        return (
            session.scalar(
                select(func.count())
                .select_from(Claim)
                .where(Claim.status.in_([ClaimStatus.OPERATOR_APPROVED, ClaimStatus.APPROVED]), scope.clause(actor))
            )
            or 0
        )
    return 0


def overdue_queries(session: Session, today: dt.date | None = None) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ClaimQuery)
            .where(ClaimQuery.answered_at.is_(None), ClaimQuery.due_on < (today or clock.today()))
        )
        or 0
    )
