"""Reading the catalogue: which products are on sale and who sees what (visibility), and the lists
of providers and staff. The public catalogue's search and facets are ``catalog.search``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, contains_eager, object_session, selectinload

from catalog.models import Product, ProductReview, ProductVersion
from catalog.rules import like_pattern, listed_on, parse_search
from catalog.states import REVIEW_STAGES, ProductStatus
from orgs.models import Organisation
from orgs.sanctions import sanction_of, sanctioned_clause
from orgs.states import ACTIVE_ORG_STATUSES, OrgStatus
from shop import clock
from shop.accounts import User
from shop.errors import Forbidden, NotFound
from shop.pagination import Page, paginate

# -- reading products ---------------------------------------------------------------------------

# A suspended provider's products are off sale while the suspension lasts and back on its end date
# (even before the daily job records it) or when the operator reinstates it.
SELLING_ORG_STATUSES = ACTIVE_ORG_STATUSES | {OrgStatus.SUSPENDED}


def _listed_filters(today: dt.date) -> list[Any]:
    """On sale today: a published version, a provider still active and not sanctioned (suspended,
    blacklisted), and not past its exit date (第十二条: the products leave on the effective date even if
    no job has run that day)."""
    return [
        Product.published_version_id.is_not(None),
        Organisation.status.in_([s.value for s in SELLING_ORG_STATUSES]),
        ~sanctioned_clause(Organisation, today),
        or_(Organisation.exit_effective_on.is_(None), Organisation.exit_effective_on > today),
    ]


def is_on_sale(product: Product, today: dt.date) -> bool:
    org = product.provider
    return (
        product.published_version_id is not None
        and org.status in SELLING_ORG_STATUSES
        and listed_on(today, org.exit_effective_on)
        and sanction_of(object_session(product), org.id, today) is None
    )


def can_see_everything(actor: User | None, product: Product) -> bool:
    """The owner and staff see a product in any state; others only what is on sale."""
    return actor is not None and (actor.is_staff or actor.belongs_to(product.provider_id))


def get_product(session: Session, actor: User | None, product_id: int) -> Product:
    """A product for this reader: on sale for anyone; in any state for its owner and staff; to anyone
    else a product that is not on sale does not exist."""
    product = session.scalars(
        select(Product)
        .where(Product.id == product_id)
        .options(
            selectinload(Product.provider),
            selectinload(Product.current_version),
            selectinload(Product.published_version),
        )
    ).one_or_none()
    if product is None:
        raise NotFound()
    if can_see_everything(actor, product) or is_on_sale(product, clock.today()):
        return product
    raise NotFound()


def reviews_of(session: Session, product_id: int) -> list[ProductReview]:
    return list(
        session.scalars(
            select(ProductReview)
            .where(ProductReview.product_id == product_id)
            .options(selectinload(ProductReview.reviewer), selectinload(ProductReview.version))
            .order_by(ProductReview.id.desc())
        )
    )


def versions_of(session: Session, actor: User, product_id: int) -> tuple[Product, list[ProductVersion]]:
    """A product and every version of it, newest first (owner and staff)."""
    product = session.get(Product, product_id)
    if product is None or not can_see_everything(actor, product):
        raise NotFound()
    return product, list(
        session.scalars(
            select(ProductVersion).where(ProductVersion.product_id == product_id).order_by(ProductVersion.number.desc())
        )
    )


def evidence_version(session: Session, actor: User | None, product_id: int, version_id: int) -> ProductVersion:
    """The version whose quote is asked for: the one on sale for anyone, any for owner and staff."""
    version = session.get(ProductVersion, version_id)
    if version is None or version.product_id != product_id or not version.evidence_stored_name:
        raise NotFound()
    product = version.product
    if can_see_everything(actor, product):
        return version
    if product.published_version_id == version.id and is_on_sale(product, clock.today()):
        return version
    raise NotFound()


def versions_on_sale(
    session: Session, product_ids: Iterable[int], today: dt.date | None = None
) -> dict[int, ProductVersion]:
    """For checkout (orders): the version each product sells today, keyed by product; products not
    on sale are missing. One query for a whole cart."""
    ids = list(set(product_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Product.id, ProductVersion)
        .join(ProductVersion, ProductVersion.id == Product.published_version_id)
        .join(Organisation, Organisation.id == Product.provider_id)
        .where(Product.id.in_(ids), *_listed_filters(today or clock.today()))
    ).all()
    return {product_id: version for product_id, version in rows}


# -- providers' and staff's lists ---------------------------------------------------------------


def provider_products(
    session: Session, actor: User, org_id: int, *, status: str | None, page: int, per_page: int
) -> Page[Product]:
    """An organisation's products in every state, last changed first (its members and staff)."""
    if not (actor.is_staff or actor.belongs_to(org_id)):
        raise NotFound()
    stmt = (
        select(Product)
        .where(Product.provider_id == org_id)
        .options(
            selectinload(Product.current_version),
            selectinload(Product.published_version),
            selectinload(Product.provider),
        )
        .order_by(Product.updated_at.desc(), Product.id.desc())
    )
    if status in {s.value for s in ProductStatus}:
        stmt = stmt.where(Product.status == status)
    return paginate(session, stmt, page, per_page)


def provider_status_counts(session: Session, org_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Product.status, func.count()).where(Product.provider_id == org_id).group_by(Product.status)
    ).all()
    return {getattr(s, "value", s): n for s, n in rows}


def live_product_count(session: Session, org_id: int) -> int:
    """An organisation's products not delisted yet (what an expulsion delists)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Product)
            .where(Product.provider_id == org_id, Product.status != ProductStatus.DELISTED)
        )
        or 0
    )


def on_sale_count(session: Session, org_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Product)
            .where(Product.provider_id == org_id, Product.published_version_id.is_not(None))
        )
        or 0
    )


def rejected_count(session: Session, actor: User) -> int:
    """What waits for a provider: its rejected products."""
    if actor.organisation_id is None:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(Product)
            .where(Product.provider_id == actor.organisation_id, Product.status == ProductStatus.REJECTED)
        )
        or 0
    )


def review_queue(session: Session, actor: User, page: int, per_page: int) -> Page[Product]:
    """The products waiting for this reviewer's stage, oldest first."""
    if actor.role.value not in REVIEW_STAGES:
        raise Forbidden()
    waiting = REVIEW_STAGES[actor.role.value][0]
    stmt = (
        select(Product)
        .where(Product.status == waiting)
        .options(
            selectinload(Product.current_version),
            selectinload(Product.published_version),
            selectinload(Product.provider),
        )
        .order_by(Product.queued_at, Product.id)
    )
    return paginate(session, stmt, page, per_page)


def review_queue_count(session: Session, actor: User) -> int:
    stage = REVIEW_STAGES.get(actor.role.value)
    if stage is None:
        return 0
    return session.scalar(select(func.count()).select_from(Product).where(Product.status == stage[0])) or 0


def list_products(
    session: Session, *, q: str | None, status: str | None, provider_id: int | None, page: int, per_page: int
) -> Page[Product]:
    """Every product for staff, any state, by the name of its latest version; last changed first."""
    stmt = (
        select(Product)
        .join(ProductVersion, ProductVersion.id == Product.current_version_id)
        .options(
            contains_eager(Product.current_version),
            selectinload(Product.published_version),
            selectinload(Product.provider),
        )
        .order_by(Product.updated_at.desc(), Product.id.desc())
    )
    if status in {s.value for s in ProductStatus}:
        stmt = stmt.where(Product.status == status)
    if provider_id:
        stmt = stmt.where(Product.provider_id == provider_id)
    terms = parse_search(q).terms
    for term in terms:
        stmt = stmt.where(ProductVersion.name.ilike(like_pattern(term), escape="\\"))
    return paginate(session, stmt, page, per_page)
