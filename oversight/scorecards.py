"""Provider scorecards (五, 数据铁笼): for every certified provider, a year's orders, how fast it
confirms them, how many it refunded, the complaints against it and how fast they were resolved, and
its redemption claims the reviewers rejected. A handful of aggregate queries whatever the number of
providers or orders (``oversight.sql``'s portable SQL pieces).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from claims.models import Claim, ClaimItem
from claims.states import ClaimStatus
from orders.models import Order
from orders.states import OrderStatus
from orgs.models import Organisation
from orgs.states import OrgKind
from oversight.models import Complaint
from oversight.reports import LIVE_ORDER_STATUSES
from oversight.rules import per_mille
from oversight.sql import medians_by, seconds_between, year_range
from oversight.states import ComplaintStatus


@dataclass
class Scorecard:
    provider_id: int
    name: str
    status: str
    orders: int = 0  # placed in the year, any status
    confirmed: int = 0  # of which the provider confirmed
    voucher_fen: int = 0  # vouchers of its live orders
    median_confirm_seconds: int | None = None
    refunded: int = 0
    refund_rate_per_mille: int | None = None  # refunded / confirmed
    complaints: int = 0  # filed in the year
    complaints_resolved: int = 0
    median_first_response_seconds: int | None = None
    median_resolution_seconds: int | None = None
    claims: int = 0  # submitted (not drafts or withdrawn drafts)
    claims_rejected: int = 0
    orders_excluded: int = 0  # orders the operator took out of its claims

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


SCORECARD_SORTS = {
    "orders": lambda c: (-c.orders, c.name),
    "vouchers": lambda c: (-c.voucher_fen, c.name),
    "confirm": lambda c: (c.median_confirm_seconds is None, c.median_confirm_seconds or 0, c.name),
    "refunds": lambda c: (c.refund_rate_per_mille is None, -(c.refund_rate_per_mille or 0), c.name),
    "complaints": lambda c: (-c.complaints, c.name),
    "resolution": lambda c: (c.median_resolution_seconds is None, -(c.median_resolution_seconds or 0), c.name),
    "rejected": lambda c: (-c.claims_rejected, c.name),
    "name": lambda c: (c.name,),
}


def scorecards(session: Session, year: int, sort: str = "orders") -> list[Scorecard]:
    """Every provider that has been certified, with its figures of ``year`` (a handful of aggregate
    queries whatever the number of providers or orders)."""
    start, end = year_range(year)
    cards = {
        pid: Scorecard(pid, name, getattr(status, "value", status))
        for pid, name, status in session.execute(
            select(Organisation.id, Organisation.name, Organisation.status).where(
                Organisation.kind == OrgKind.PROVIDER, Organisation.certified_at.is_not(None)
            )
        )
    }
    placed = (Order.placed_at >= start, Order.placed_at < end)
    for pid, n, confirmed, refunded, voucher in session.execute(
        select(
            Order.provider_id,
            func.count(),
            func.count(Order.confirmed_at),
            func.coalesce(func.sum(case((Order.status == OrderStatus.REFUNDED, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Order.status.in_(LIVE_ORDER_STATUSES), Order.voucher_fen), else_=0)), 0),
        )
        .where(*placed)
        .group_by(Order.provider_id)
    ):
        card = cards.get(pid)
        if card is None:
            continue
        card.orders, card.confirmed, card.refunded, card.voucher_fen = (
            int(n),
            int(confirmed),
            int(refunded),
            int(voucher),
        )
        card.refund_rate_per_mille = per_mille(card.refunded, card.confirmed)
    for pid, value in medians_by(
        session,
        Order.provider_id,
        seconds_between(session, Order.placed_at, Order.confirmed_at),
        *placed,
        Order.confirmed_at.is_not(None),
    ).items():
        if pid in cards:
            cards[pid].median_confirm_seconds = value

    filed = (Complaint.filed_at >= start, Complaint.filed_at < end)
    for pid, n, resolved in session.execute(
        select(
            Complaint.provider_id,
            func.count(),
            func.coalesce(func.sum(case((Complaint.status == ComplaintStatus.RESOLVED, 1), else_=0)), 0),
        )
        .where(*filed)
        .group_by(Complaint.provider_id)
    ):
        if pid in cards:
            cards[pid].complaints, cards[pid].complaints_resolved = int(n), int(resolved)
    for pid, value in medians_by(
        session,
        Complaint.provider_id,
        seconds_between(session, Complaint.filed_at, Complaint.first_response_at),
        *filed,
        Complaint.first_response_at.is_not(None),
    ).items():
        if pid in cards:
            cards[pid].median_first_response_seconds = value
    for pid, value in medians_by(
        session,
        Complaint.provider_id,
        seconds_between(session, Complaint.filed_at, Complaint.resolved_at),
        *filed,
        Complaint.resolved_at.is_not(None),
    ).items():
        if pid in cards:
            cards[pid].median_resolution_seconds = value

    submitted = Claim.submitted_at.is_not(None)
    for pid, n, rejected in session.execute(
        select(
            Claim.provider_id,
            func.count(),
            func.coalesce(func.sum(case((Claim.status == ClaimStatus.REJECTED, 1), else_=0)), 0),
        )
        .where(submitted, Claim.submitted_at >= start, Claim.submitted_at < end)
        .group_by(Claim.provider_id)
    ):
        if pid in cards:
            cards[pid].claims, cards[pid].claims_rejected = int(n), int(rejected)
    for pid, n in session.execute(
        select(Claim.provider_id, func.count())
        .select_from(ClaimItem)
        .join(Claim, Claim.id == ClaimItem.claim_id)
        .where(ClaimItem.excluded_at >= start, ClaimItem.excluded_at < end)
        .group_by(Claim.provider_id)
    ):
        if pid in cards:
            cards[pid].orders_excluded = int(n)

    key = SCORECARD_SORTS.get(sort, SCORECARD_SORTS["orders"])
    return sorted(cards.values(), key=key)
