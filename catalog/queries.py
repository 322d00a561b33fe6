"""Reading the catalogue: which products are on sale and who sees what (visibility), the public
catalogue's search and facets, and the lists of providers and staff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from sqlalchemy import Select, case, func, literal_column, or_, select, text
from sqlalchemy.orm import Session, contains_eager, object_session, selectinload

from catalog.models import SEARCH_TABLE, Product, ProductReview, ProductVersion
from catalog.rules import SearchQuery, category_belongs_to_layer, fts5_phrase, like_pattern, listed_on, parse_search
from catalog.states import REVIEW_STAGES, ProductStatus
from orgs.models import Organisation
from orgs.sanctions import sanction_of, sanctioned_clause
from orgs.states import ACTIVE_ORG_STATUSES, OrgStatus
from shop import clock, policy
from shop.accounts import User
from shop.db import is_sqlite
from shop.errors import Forbidden, NotFound
from shop.i18n import _l
from shop.inputs import Inputs
from shop.labels import label
from shop.pagination import Page, paginate
from shop.policy import Category, Layer

SORTS = ("relevance", "price", "-price", "newest")


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


# -- the catalogue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueFilter:
    """What a visitor asks the catalogue for (API query or page filters)."""

    search: SearchQuery = field(default_factory=lambda: SearchQuery(()))
    q: str = ""
    layer: str | None = None
    category: str | None = None
    provider_id: int | None = None
    min_price_fen: int | None = None
    max_price_fen: int | None = None
    sort: str = "newest"
    errors: Mapping[str, list[Any]] = field(default_factory=dict)

    @property
    def filtered(self) -> bool:
        return bool(
            self.search
            or self.layer
            or self.category
            or self.provider_id
            or self.min_price_fen is not None
            or self.max_price_fen is not None
        )

    @classmethod
    def from_args(cls, args: Mapping[str, Any] | None, *, strict: bool) -> Self:
        """Read the filters; ``strict`` (the API) raises on a bad one, pages keep the good ones and
        show the faults beside the fields (``errors``)."""
        inputs = Inputs(args)
        q = inputs.text("q", required=False, max_length=200) or ""
        layer = inputs.choice("layer", [layer.value for layer in Layer], required=False)
        category = inputs.choice("category", [c.value for c in Category], required=False)
        provider_id = inputs.integer("provider_id", required=False, minimum=1)
        low = inputs.fen("min_price_fen", required=False)
        high = inputs.fen("max_price_fen", required=False)
        search = parse_search(q)
        sort = inputs.choice("sort", list(SORTS), required=False) or ("relevance" if search else "newest")
        if layer and category and not category_belongs_to_layer(layer, category, policy.current().categories):
            inputs.error(
                "category",
                _l(
                    "The category “%(category)s” is not in the layer “%(layer)s”.",
                    category=label(category),
                    layer=label(layer),
                ),
            )
            category = None
        if low is not None and high is not None and low > high:
            inputs.error(inputs.fen_field("max_price_fen"), _l("The highest price is below the lowest."))
            high = None
        if strict:
            inputs.check()
        if sort == "relevance" and not search:
            sort = "newest"
        return cls(
            search=search,
            q=q,
            layer=layer,
            category=category,
            provider_id=provider_id,
            min_price_fen=low,
            max_price_fen=high,
            sort=sort,
            errors=inputs.errors,
        )


def _contains(column: Any, term: str, sqlite: bool) -> Any:
    """``column`` contains ``term``, ignoring case. SQLite's LIKE ignores ASCII case already;
    PostgreSQL's ILIKE costs about four times LIKE, so a term without letters that have a case (Chinese,
    digits) is matched with LIKE, which gives the same answer. Both are served by the trigram indexes."""
    pattern = like_pattern(term)
    if sqlite or term.lower() == term.upper():
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def _search_filters(session: Session, search: SearchQuery) -> list[Any]:
    """Every term in the name or the description. SQLite: terms of three characters or more through
    the FTS5 trigram index, shorter ones by a substring scan; PostgreSQL: ILIKE, which the pg_trgm
    GIN indexes serve for three characters or more."""
    filters: list[Any] = []
    if is_sqlite(session):
        if search.long_terms:
            match = " ".join(fts5_phrase(t) for t in search.long_terms)
            filters.append(
                ProductVersion.id.in_(
                    select(literal_column("rowid"))
                    .select_from(text(SEARCH_TABLE))
                    .where(text(f"{SEARCH_TABLE} MATCH :fts_match").bindparams(fts_match=match))
                )
            )
        terms = search.short_terms
    else:
        terms = search.terms
    sqlite = is_sqlite(session)
    for term in terms:
        filters.append(
            or_(_contains(ProductVersion.name, term, sqlite), _contains(ProductVersion.description, term, sqlite))
        )
    return filters


def _catalogue_select(
    session: Session,
    query: CatalogueFilter,
    today: dt.date,
    *,
    columns: Iterable[Any] | None = None,
    skip: frozenset[str] = frozenset(),
) -> Select:
    stmt = select(*(columns or [Product]))
    stmt = (
        stmt.select_from(Product)
        .join(ProductVersion, ProductVersion.id == Product.published_version_id)
        .join(Organisation, Organisation.id == Product.provider_id)
        .where(*_listed_filters(today))
    )
    if query.search:
        stmt = stmt.where(*_search_filters(session, query.search))
    if query.layer and "layer" not in skip:
        stmt = stmt.where(ProductVersion.layer == query.layer)
    if query.category and "category" not in skip:
        stmt = stmt.where(ProductVersion.category == query.category)
    if query.provider_id and "provider" not in skip:
        stmt = stmt.where(Product.provider_id == query.provider_id)
    if query.min_price_fen is not None:
        stmt = stmt.where(ProductVersion.price_fen >= query.min_price_fen)
    if query.max_price_fen is not None:
        stmt = stmt.where(ProductVersion.price_fen <= query.max_price_fen)
    return stmt


def search_catalogue(
    session: Session, query: CatalogueFilter, page: int, per_page: int, today: dt.date | None = None
) -> Page[Product]:
    """Published products on sale today, filtered, searched and sorted; name matches first when
    sorted by relevance."""
    today = today or clock.today()
    stmt = _catalogue_select(session, query, today).options(
        contains_eager(Product.published_version), contains_eager(Product.provider)
    )
    if query.sort == "price":  # served by ix_product_versions_price_fen_id (a published version has one product)
        stmt = stmt.order_by(ProductVersion.price_fen, ProductVersion.id)
    elif query.sort == "-price":
        stmt = stmt.order_by(ProductVersion.price_fen.desc(), ProductVersion.id.desc())
    elif query.sort == "relevance":
        sqlite = is_sqlite(session)
        name_hits = sum(
            (case((_contains(ProductVersion.name, t, sqlite), 1), else_=0) for t in query.search.terms),
            start=literal_column("0"),
        )
        stmt = stmt.order_by(name_hits.desc(), Product.listed_at.desc(), Product.id.desc())
    else:
        stmt = stmt.order_by(Product.listed_at.desc(), Product.id.desc())
    return paginate(session, stmt, page, per_page)


@dataclass
class Facets:
    """Counts for the catalogue's filters, each counted with the other filters applied."""

    layers: dict[str, int]
    categories: dict[str, int]
    providers: list[tuple[int, str, int]]

    @property
    def total(self) -> int:
        return sum(self.layers.values())


def catalogue_facets(session: Session, query: CatalogueFilter, today: dt.date | None = None) -> Facets:
    """Two aggregate queries: products per (layer, category), and per provider."""
    today = today or clock.today()
    by_category = session.execute(
        _catalogue_select(
            session,
            query,
            today,
            columns=[ProductVersion.category, func.count()],
            skip=frozenset({"layer", "category"}),
        ).group_by(ProductVersion.category)
    ).all()
    categories = {str(getattr(c, "value", c)): n for c, n in by_category}
    layers = {
        layer.value: sum(categories.get(c.value, 0) for c in cats)
        for layer, cats in policy.current().categories.items()
    }
    providers = session.execute(
        _catalogue_select(
            session,
            query,
            today,
            columns=[Organisation.id, Organisation.name, func.count()],
            skip=frozenset({"provider"}),
        )
        .group_by(Organisation.id, Organisation.name)
        .order_by(func.count().desc(), Organisation.name)
    ).all()
    return Facets(layers, categories, [(i, n, c) for i, n, c in providers])


def catalogue_highlights(
    session: Session, limit: int = 6, today: dt.date | None = None
) -> tuple[Facets, list[Product]]:
    """For the home page: counts per layer and category, and the newest products."""
    query = CatalogueFilter()
    newest = search_catalogue(session, query, 1, limit, today)
    return catalogue_facets(session, query, today), list(newest.items)


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
