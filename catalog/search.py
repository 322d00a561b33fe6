"""The public catalogue's search: what a visitor asks for (``CatalogueFilter``), the products on sale
that match it, searched and sorted, the counts beside the filters (``Facets``) and the home page's
highlights. Who may see a product, and the lists of providers and staff, are ``catalog.queries``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from sqlalchemy import Select, case, func, literal_column, or_, select, text
from sqlalchemy.orm import Session, contains_eager

from catalog.models import SEARCH_TABLE, Product, ProductVersion
from catalog.queries import _listed_filters
from catalog.rules import SearchQuery, category_belongs_to_layer, fts5_phrase, like_pattern, parse_search
from orgs.models import Organisation
from shop import clock, policy
from shop.db import is_sqlite
from shop.i18n import _l
from shop.inputs import Inputs
from shop.labels import label
from shop.pagination import Page, paginate
from shop.policy import Category, Layer

SORTS = ("relevance", "price", "-price", "newest")


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
