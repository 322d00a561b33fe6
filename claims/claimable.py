"""The orders a provider may still claim: confirmed, with vouchers, in no live claim; the query and
the provider's filtered page of them. The claims themselves are ``claims.services``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from claims.commands import ClaimableFilter
from claims.models import ClaimItem
from claims.services import claiming_provider
from orders.models import Order
from orders.states import OrderStatus
from orders.voucher_models import ContractVoucher
from orgs.models import Organisation
from shop import clock
from shop.accounts import User
from shop.pagination import Page, paginate


def _live_item_exists(order_id: Any) -> Any:
    return exists().where(ClaimItem.order_id == order_id, ClaimItem.live.is_(True))


def _expired_voucher(order_id: Any) -> Any:
    """A contract voucher past its validity (Liuzhou 第十九条: it cannot be redeemed)."""
    return exists().where(ContractVoucher.order_id == order_id, ContractVoucher.valid_until < clock.today())


def claimable_query(provider_id: int, where: ClaimableFilter = ClaimableFilter()) -> Any:
    """Confirmed orders of the provider with vouchers to redeem, in no live claim (a refunded or
    refund-requested order is not confirmed)."""
    stmt = (
        select(Order)
        .join(Organisation, Organisation.id == Order.enterprise_id)
        .where(
            Order.provider_id == provider_id,
            Order.status == OrderStatus.CONFIRMED,
            Order.voucher_fen > 0,
            ~_live_item_exists(Order.id),
            ~_expired_voucher(Order.id),
        )
    )
    if where.confirmed_from:
        stmt = stmt.where(Order.confirmed_at >= clock.china_midnight(where.confirmed_from))
    if where.confirmed_to:
        stmt = stmt.where(Order.confirmed_at < clock.china_midnight(where.confirmed_to + dt.timedelta(days=1)))
    if where.enterprise:
        stmt = stmt.where(
            or_(
                Organisation.name.contains(where.enterprise, autoescape=True),
                Organisation.uscc == where.enterprise.upper(),
            )
        )
    return stmt


def list_claimable_orders(
    session: Session, actor: User, where: ClaimableFilter, page: int, per_page: int
) -> tuple[Page[Order], int]:
    """The page of claimable orders and the vouchers of all that match the filter."""
    org = claiming_provider(session, actor)
    stmt = claimable_query(org.id, where)
    total_fen = session.scalar(select(func.coalesce(func.sum(stmt.subquery().c.voucher_fen), 0))) or 0
    result = paginate(
        session, stmt.options(joinedload(Order.enterprise)).order_by(Order.confirmed_at, Order.id), page, per_page
    )
    return result, int(total_fen)
