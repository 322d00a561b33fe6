"""The buyer's cart (第十八条): add, change and remove lines, and what the navigation counts. Only a
certified, unsanctioned enterprise buys (``buying_enterprise``, shared with the checkout)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog import queries
from orders.commands import MAX_QUANTITY, CartLineInput, QuantityInput
from orders.models import CartLine
from orgs.models import Organisation
from orgs.sanctions import ensure_not_sanctioned
from orgs.states import ACTIVE_ORG_STATUSES
from shop.accounts import User
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound
from shop.i18n import _l
from shop.states import Role


def buying_enterprise(session: Session, actor: User) -> Organisation:
    if actor.role != Role.ENTERPRISE or actor.organisation_id is None:
        raise Forbidden()
    org = session.get(Organisation, actor.organisation_id)
    ensure_not_sanctioned(session, actor.organisation_id)
    if org is None or org.status not in ACTIVE_ORG_STATUSES:
        raise DomainError("not_certified", _l("Your enterprise must be certified before it buys."))
    return org


@use_case
def add_to_cart(session: Session, actor: User, wanted: CartLineInput) -> CartLine:
    """Put a product in the cart (or add to its quantity)."""
    org = buying_enterprise(session, actor)
    product_id, quantity = wanted.product_id, wanted.quantity
    if product_id not in queries.versions_on_sale(session, [product_id]):
        raise DomainError("product_unavailable", _l("This product is not on sale."), field="product_id")
    line = session.scalars(
        select(CartLine).where(CartLine.enterprise_id == org.id, CartLine.product_id == product_id).with_for_update()
    ).one_or_none()
    if line is None:
        line = CartLine(enterprise_id=org.id, product_id=product_id, quantity=quantity)
        session.add(line)
    else:
        line.quantity = min(MAX_QUANTITY, line.quantity + quantity)
    session.commit()
    return line


@use_case
def set_cart_quantity(session: Session, actor: User, product_id: int, change: QuantityInput) -> CartLine | None:
    """Change a line's quantity; 0 removes it."""
    org = buying_enterprise(session, actor)
    quantity = change.quantity
    line = session.scalars(
        select(CartLine).where(CartLine.enterprise_id == org.id, CartLine.product_id == product_id)
    ).one_or_none()
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
    org = buying_enterprise(session, actor)
    line = session.scalars(
        select(CartLine).where(CartLine.enterprise_id == org.id, CartLine.product_id == product_id)
    ).one_or_none()
    if line is None:
        raise NotFound()
    session.delete(line)
    session.commit()


def cart_count(session: Session, enterprise_id: int | None) -> int:
    if enterprise_id is None:
        return 0
    return (
        session.scalar(select(func.count()).select_from(CartLine).where(CartLine.enterprise_id == enterprise_id)) or 0
    )


def cart_lines(session: Session, enterprise_id: int) -> list[tuple[int, int]]:
    return [
        (p, q)
        for p, q in session.execute(
            select(CartLine.product_id, CartLine.quantity)
            .where(CartLine.enterprise_id == enterprise_id)
            .order_by(CartLine.id)
        ).all()
    ]
