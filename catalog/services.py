"""Use cases of the catalogue (第十一条, 第十二条, 第十七条): listing, changing, submitting, reviewing
and delisting products; the public catalogue and its search; a provider's exit and expulsion.

Each public function that changes something owns its transaction: it commits on success; a refusal
raises DomainError (API.md's codes) and leaves nothing behind.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Select, case, func, literal_column, or_, select, text
from sqlalchemy.orm import Session, contains_eager, object_session, selectinload

from catalog.models import SEARCH_TABLE, Product, ProductReview, ProductVersion
from catalog.rules import (
    CATEGORIES_BY_LAYER,
    DESCRIPTION_MAX,
    EVIDENCE_URL_MAX,
    NAME_MAX,
    PRICE_MAX_FEN,
    REASON_MAX,
    UNIT_MAX,
    Category,
    Layer,
    SearchQuery,
    category_belongs_to_layer,
    check_evidence_url,
    check_price,
    exit_effective_on,
    fts5_phrase,
    like_pattern,
    listed_on,
    parse_search,
)
from catalog.states import IN_REVIEW, PRODUCT, REVIEW_STAGES, ProductStatus
from shop import clock
from shop.audit import change_state, record
from shop.db import is_sqlite
from shop.errors import DomainError, Forbidden, InvalidState, NotFound, ValidationError
from shop.i18n import _l
from shop.inputs import Inputs
from shop.labels import label
from shop.models import BlacklistEntry, Organisation, User
from shop.money import format_fen
from shop.pagination import Page, paginate
from shop.services import add_to_blacklist, ensure_not_sanctioned, sanction_of, sanctioned_clause
from shop.states import ACTIVE_ORG_STATUSES, ORGANISATION, OrgKind, OrgStatus, Role
from shop.uploads import MB, StoredFile, store_upload

EVIDENCE_TYPES = ("pdf", "jpg", "png")
EVIDENCE_MAX_BYTES = 10 * MB
SORTS = ("relevance", "price", "-price", "newest")


@dataclass(frozen=True)
class Upload:
    """A file given with a listing (the market price quote)."""
    stream: BinaryIO | None
    filename: str | None

    def __bool__(self) -> bool:
        return self.stream is not None and bool(self.filename)


# -- who may act --------------------------------------------------------------------------------

def _active_provider(session: Session, actor: User) -> Organisation:
    """The actor's provider organisation, certified and not leaving: only it lists and changes
    products (第十条: only certified organisations act; 第十二条: a leaving one winds down)."""
    if actor.role != Role.PROVIDER:
        raise Forbidden()
    org = session.get(Organisation, actor.organisation_id)
    if org is None:
        raise Forbidden()
    ensure_not_sanctioned(session, org.id)
    if org.status == OrgStatus.EXITING:
        raise InvalidState(_l("Your organisation is leaving the platform on %(day)s: it no longer lists or "
                              "changes products.", day=org.exit_effective_on.isoformat()))
    if org.status != OrgStatus.CERTIFIED:
        raise DomainError("not_certified", _l("Only a certified provider can list products."))
    return org


def _own_product(session: Session, actor: User, product_id: int) -> Product:
    """The actor's organisation's product, locked for the change; to anyone else it does not exist."""
    product = session.get(Product, product_id, with_for_update=True)
    if product is None or not actor.belongs_to(product.provider_id):
        raise NotFound()
    return product


# -- reading a listing's fields -----------------------------------------------------------------

def _wanted(inputs: Inputs, name: str, partial: bool) -> bool:
    if not partial:
        return True
    return inputs.present(name) or (name.endswith("_fen") and inputs.present(name.removesuffix("_fen")))


def _money_field(data: Mapping[str, Any], name: str) -> str:
    """Where an amount is read from and its message goes: ``price_fen`` (integer fen) in the API,
    ``price`` (yuan typed by a person) when a page form sends that field instead."""
    yuan = name.removesuffix("_fen")
    return yuan if yuan in data and name not in data else name


def _read_listing(data: Mapping[str, Any], *, partial: bool) -> tuple[dict[str, Any], Inputs]:
    """The listing's fields that were given (all of them unless ``partial``), typed; the faults of
    each stay in the returned Inputs."""
    inputs = Inputs(data)
    values: dict[str, Any] = {}
    if _wanted(inputs, "layer", partial):
        layer = inputs.choice("layer", [layer.value for layer in Layer])
        values["layer"] = Layer(layer) if layer else None
    if _wanted(inputs, "category", partial):
        category = inputs.choice("category", [c.value for c in Category])
        values["category"] = Category(category) if category else None
    if _wanted(inputs, "name", partial):
        values["name"] = inputs.text("name", max_length=NAME_MAX, min_length=2)
    if _wanted(inputs, "description", partial):
        values["description"] = inputs.text("description", max_length=DESCRIPTION_MAX, min_length=10)
    if _wanted(inputs, "unit", partial):
        values["unit"] = inputs.text("unit", max_length=UNIT_MAX)
    for name in ("price_fen", "market_price_fen"):
        if _wanted(inputs, name, partial):
            where = _money_field(data, name)
            amount = inputs.fen(name, minimum=0) if where != name else inputs.integer(name, minimum=0)
            if amount is not None and where not in inputs.errors:
                if amount == 0:
                    inputs.error(where, _l("Must be more than zero."))
                elif amount > PRICE_MAX_FEN:
                    inputs.error(where, _l("At most %(amount)s.", amount=format_fen(PRICE_MAX_FEN)))
            values[name] = amount
    if inputs.present("market_price_evidence") and not hasattr(data.get("market_price_evidence"), "read"):
        url = inputs.text("market_price_evidence", required=False, max_length=EVIDENCE_URL_MAX)
        if url and (message := check_evidence_url(url)):
            inputs.error("market_price_evidence", message)
        if url:
            values["evidence_url"] = url
    if _wanted(inputs, "accepts_vouchers", partial):
        values["accepts_vouchers"] = inputs.boolean("accepts_vouchers", default=True)
    return values, inputs


def _check_listing(content: dict[str, Any], inputs: Inputs, data: Mapping[str, Any], *, has_file: bool) -> None:
    """The rules over the whole listing (after a change is merged into it): the category belongs to
    its layer, the price is at most the market price (第十七条), there is evidence. Raises every fault
    at once; ``price_above_market`` when that is the only one."""
    layer, category = content.get("layer"), content.get("category")
    if layer and category and "layer" not in inputs.errors and "category" not in inputs.errors \
            and not category_belongs_to_layer(layer, category):
        inputs.error("category", _l("The category “%(category)s” is not in the layer “%(layer)s”: choose one of %(choices)s.",
                                    category=label(category), layer=label(layer),
                                    choices="、".join(str(label(c)) for c in CATEGORIES_BY_LAYER[Layer(layer)])))
    if not (content.get("evidence_url") or content.get("evidence_stored_name") or has_file) \
            and "market_price_evidence" not in inputs.errors:
        inputs.error("market_price_evidence", _l("Give the address of a public price page or upload a quote."))
    price, market = content.get("price_fen"), content.get("market_price_fen")
    price_field = _money_field(data, "price_fen")
    above = None
    if isinstance(price, int) and isinstance(market, int) and price_field not in inputs.errors \
            and _money_field(data, "market_price_fen") not in inputs.errors:
        above = check_price(price, market)
        if above:
            inputs.error(price_field, above)
    if inputs.errors:
        only_price = above is not None and set(inputs.errors) == {price_field} and len(inputs.errors[price_field]) == 1
        raise ValidationError(inputs.errors, code="price_above_market" if only_price else "validation_error")


def validate_listing(data: Mapping[str, Any], base: ProductVersion | None = None) -> None:
    """Check a listing as a form holds it, without storing anything (inline validation while a
    person types: the quote file, which is only sent with the form, is not asked for)."""
    values, inputs = _read_listing(data, partial=base is not None)
    content = dict(base.content()) if base is not None else {}
    content.update({k: v for k, v in values.items() if v is not None})
    _check_listing(content, inputs, data, has_file=True)


def _store_evidence(upload: Upload | None, upload_dir: str | Path | None) -> StoredFile | None:
    if not upload:
        return None
    if upload_dir is None:
        raise ValueError("an upload directory is needed for a quote")
    return store_upload(upload_dir, "market_price_evidence", upload.stream, upload.filename,
                        allowed=EVIDENCE_TYPES, max_bytes=EVIDENCE_MAX_BYTES)


def _evidence_fields(stored: StoredFile | None, url: str | None) -> dict[str, Any]:
    """The evidence columns for a quote file, or for a link (which clears a quote, and the reverse)."""
    if stored is not None:
        return {"evidence_url": None, "evidence_stored_name": stored.stored_name,
                "evidence_original_name": stored.original_name, "evidence_content_type": stored.content_type,
                "evidence_size_bytes": stored.size_bytes, "evidence_sha256": stored.sha256}
    return {"evidence_url": url, "evidence_stored_name": None, "evidence_original_name": None,
            "evidence_content_type": None, "evidence_size_bytes": None, "evidence_sha256": None}


def _audit_content(content: Mapping[str, Any]) -> dict[str, Any]:
    """A version's content for the audit trail (the quote by its name and hash)."""
    hidden = {"evidence_stored_name", "evidence_content_type", "evidence_size_bytes"}
    return {k: v for k, v in content.items() if k not in hidden}


def _remove(upload_dir: str | Path | None, stored: StoredFile | None) -> None:
    if stored is not None and upload_dir is not None:
        (Path(upload_dir) / stored.stored_name).unlink(missing_ok=True)


def _set_current(product: Product, version: ProductVersion) -> None:
    product.current_version = version
    product.current_version_id = version.id


def _set_published(product: Product, version: ProductVersion | None) -> None:
    product.published_version = version
    product.published_version_id = version.id if version is not None else None


# -- listing and changing -----------------------------------------------------------------------

def create_product(session: Session, actor: User, data: Mapping[str, Any], evidence: Upload | None = None,
                   upload_dir: str | Path | None = None) -> Product:
    """A certified provider lists a product: a draft with its first version, to be submitted."""
    org = _active_provider(session, actor)
    values, inputs = _read_listing(data, partial=False)
    url = values.pop("evidence_url", None)
    if evidence and "market_price_evidence" in inputs.errors:  # a file replaces a bad link
        inputs.errors.pop("market_price_evidence")
        url = None
    _check_listing({**values, **_evidence_fields(None, url)}, inputs, data, has_file=bool(evidence))
    stored = _store_evidence(evidence, upload_dir)
    try:
        at = clock.now()
        product = Product(provider_id=org.id, status=ProductStatus.DRAFT, created_at=at, updated_at=at)
        session.add(product)
        session.flush()
        version = ProductVersion(product_id=product.id, number=1, created_by_id=actor.id, created_at=at,
                                 **{**values, **_evidence_fields(stored, url)})
        session.add(version)
        session.flush()
        _set_current(product, version)
        record(session, actor, "product", product.id, "create", None,
               {"status": product.status.value, "version_id": version.id, **_audit_content(version.content())})
        session.commit()
    except Exception:
        session.rollback()
        _remove(upload_dir, stored)
        raise
    return product


def edit_product(session: Session, actor: User, product_id: int, data: Mapping[str, Any],
                 evidence: Upload | None = None, upload_dir: str | Path | None = None) -> Product:
    """The owner changes any of the fields. A draft is changed in place; a submitted version is
    frozen, so the change becomes a new version. A published product keeps selling its approved
    version until the new one passes both reviews (第十七条)."""
    product = _own_product(session, actor, product_id)
    _active_provider(session, actor)
    if product.status in IN_REVIEW:
        raise InvalidState(_l("The product is being reviewed; you can change it once the review is done."))
    base = product.current_version
    values, inputs = _read_listing(data, partial=True)
    url = values.pop("evidence_url", None)
    if evidence and "market_price_evidence" in inputs.errors:
        inputs.errors.pop("market_price_evidence")
        url = None
    before = base.content()
    merged = dict(before)
    merged.update({k: v for k, v in values.items() if v is not None})
    if url:
        merged.update(_evidence_fields(None, url))
    _check_listing(merged, inputs, data, has_file=bool(evidence))
    stored = _store_evidence(evidence, upload_dir)
    if stored is not None:
        merged.update(_evidence_fields(stored, None))
    changed = {k for k in merged if merged[k] != before[k]}
    if not changed:
        return product
    try:
        at = clock.now()
        if base.frozen:
            version = ProductVersion(product_id=product.id, number=base.number + 1, created_by_id=actor.id,
                                     created_at=at, **merged)
            session.add(version)
            session.flush()
            _set_current(product, version)
        else:
            version = base
            for name in changed:
                setattr(version, name, merged[name])
        product.updated_at = at
        record(session, actor, "product", product.id, "edit",
               {"version_id": base.id, **_audit_content({k: before[k] for k in sorted(changed)})},
               {"version_id": version.id, **_audit_content({k: merged[k] for k in sorted(changed)})})
        session.commit()
    except Exception:
        session.rollback()
        _remove(upload_dir, stored)
        raise
    return product


def submit_product(session: Session, actor: User, product_id: int) -> Product:
    """The owner sends the latest version to review (the operator first); from now on it is frozen."""
    product = _own_product(session, actor, product_id)
    _active_provider(session, actor)
    if product.status == ProductStatus.PUBLISHED and not product.has_pending_revision:
        raise InvalidState(_l("Nothing to submit: the published version is unchanged. Change the product first."))
    version = product.current_version
    at = clock.now()
    PRODUCT.next(product.status, "submit")
    if not version.frozen:
        version.submitted_at = at
    change_state(session, product, PRODUCT, "submit", actor, subject_type="product", queued_at=at, updated_at=at,
                 status_reason=None)
    session.commit()
    return product


def review_product(session: Session, actor: User, product_id: int, decision: Any, reason: Any) -> Product:
    """Two-stage review (第十七条): the operator approves a submitted product, then the authority
    publishes it; either may reject it with a reason the provider reads. Publishing puts the reviewed
    version on sale, replacing the one before in the same step."""
    if actor.role not in (Role.OPERATOR, Role.AUTHORITY):
        raise Forbidden()
    inputs = Inputs({"decision": decision, "reason": reason})
    decision = inputs.choice("decision", ["approve", "reject"])
    reason = inputs.text("reason", required=decision == "reject", max_length=REASON_MAX)
    inputs.check()
    product = session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound()
    stage = actor.role.value
    waiting_status, approve_action = REVIEW_STAGES[stage]
    if product.status != waiting_status:
        if product.status == ProductStatus.SUBMITTED:
            raise InvalidState(_l("The operator reviews this product first."))
        if product.status == ProductStatus.OPERATOR_APPROVED:
            raise InvalidState(_l("The operator has approved this product; it waits for the authority."))
        raise InvalidState(_l("This product is not waiting for a review (it is “%(status)s”).",
                              status=label(product.status)))
    version = product.current_version
    at = clock.now()
    if decision == "reject":
        change_state(session, product, PRODUCT, "reject", actor, subject_type="product", status_reason=reason,
                     queued_at=None, updated_at=at)
    elif stage == "operator":
        change_state(session, product, PRODUCT, approve_action, actor, subject_type="product", queued_at=at,
                     updated_at=at, status_reason=None)
    else:
        if product.published_version_id is None:
            product.listed_at = at
        _set_published(product, version)
        change_state(session, product, PRODUCT, approve_action, actor, subject_type="product", queued_at=None,
                     updated_at=at, status_reason=None, delisted_at=None)
    session.add(ProductReview(product_id=product.id, version_id=version.id, stage=stage, decision=decision,
                              reason=reason, reviewer_id=actor.id, decided_at=at))
    session.commit()
    return product


def delist_product(session: Session, actor: User, product_id: int, reason: Any) -> Product:
    """The provider withdraws its product, or the operator forces it out of the catalogue (下架) with
    a reason. Nothing is deleted: orders keep the version they bought."""
    product = session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound()
    if actor.role == Role.PROVIDER:
        if not actor.belongs_to(product.provider_id):
            raise NotFound()
    elif actor.role != Role.OPERATOR:
        raise Forbidden()
    inputs = Inputs({"reason": reason})
    reason = inputs.text("reason", required=actor.role == Role.OPERATOR, max_length=REASON_MAX)
    inputs.check()
    _delist(session, product, actor, reason, clock.now())
    session.commit()
    return product


def _delist(session: Session, product: Product, actor: User | None, reason: Any, at: dt.datetime) -> None:
    _set_published(product, None)
    change_state(session, product, PRODUCT, "delist", actor, subject_type="product", status_reason=reason,
                 queued_at=None, delisted_at=at, updated_at=at)


# -- reading products ---------------------------------------------------------------------------

# A suspended provider's products are off sale while the suspension lasts and back on its end date
# (even before the daily job records it) or when the operator reinstates it.
SELLING_ORG_STATUSES = ACTIVE_ORG_STATUSES | {OrgStatus.SUSPENDED}


def _listed_filters(today: dt.date) -> list[Any]:
    """On sale today: a published version, a provider still active and not sanctioned (suspended,
    blacklisted), and not past its exit date (第十二条: the products leave on the effective date even if
    no job has run that day)."""
    return [Product.published_version_id.is_not(None),
            Organisation.status.in_([s.value for s in SELLING_ORG_STATUSES]),
            ~sanctioned_clause(Organisation, today),
            or_(Organisation.exit_effective_on.is_(None), Organisation.exit_effective_on > today)]


def is_on_sale(product: Product, today: dt.date) -> bool:
    org = product.provider
    return (product.published_version_id is not None and org.status in SELLING_ORG_STATUSES
            and listed_on(today, org.exit_effective_on)
            and sanction_of(object_session(product), org.id, today) is None)


def can_see_everything(actor: User | None, product: Product) -> bool:
    """The owner and staff see a product in any state; others only what is on sale."""
    return actor is not None and (actor.is_staff or actor.belongs_to(product.provider_id))


def get_product(session: Session, actor: User | None, product_id: int) -> Product:
    """A product for this reader: on sale for anyone; in any state for its owner and staff; to anyone
    else a product that is not on sale does not exist."""
    product = session.scalars(
        select(Product).where(Product.id == product_id)
        .options(selectinload(Product.provider), selectinload(Product.current_version),
                 selectinload(Product.published_version))).one_or_none()
    if product is None:
        raise NotFound()
    if can_see_everything(actor, product) or is_on_sale(product, clock.today()):
        return product
    raise NotFound()


def reviews_of(session: Session, product_id: int) -> list[ProductReview]:
    return list(session.scalars(select(ProductReview).where(ProductReview.product_id == product_id)
                                .options(selectinload(ProductReview.reviewer), selectinload(ProductReview.version))
                                .order_by(ProductReview.id.desc())))


def versions_of(session: Session, actor: User, product_id: int) -> list[ProductVersion]:
    """Every version of a product, newest first (owner and staff)."""
    product = session.get(Product, product_id)
    if product is None or not can_see_everything(actor, product):
        raise NotFound()
    return list(session.scalars(select(ProductVersion).where(ProductVersion.product_id == product_id)
                                .order_by(ProductVersion.number.desc())))


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


def versions_on_sale(session: Session, product_ids: Iterable[int],
                     today: dt.date | None = None) -> dict[int, ProductVersion]:
    """For checkout (orders): the version each product sells today, keyed by product; products not
    on sale are missing. One query for a whole cart."""
    ids = list(set(product_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Product.id, ProductVersion).join(ProductVersion, ProductVersion.id == Product.published_version_id)
        .join(Organisation, Organisation.id == Product.provider_id)
        .where(Product.id.in_(ids), *_listed_filters(today or clock.today()))).all()
    return {product_id: version for product_id, version in rows}


# -- the catalogue ------------------------------------------------------------------------------

@dataclass
class CatalogueQuery:
    """What a visitor asks the catalogue for (API query or page filters)."""
    search: SearchQuery = field(default_factory=lambda: SearchQuery(()))
    q: str = ""
    layer: str | None = None
    category: str | None = None
    provider_id: int | None = None
    min_price_fen: int | None = None
    max_price_fen: int | None = None
    sort: str = "newest"
    errors: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def filtered(self) -> bool:
        return bool(self.search or self.layer or self.category or self.provider_id
                    or self.min_price_fen is not None or self.max_price_fen is not None)


def parse_catalogue_query(args: Mapping[str, Any], *, strict: bool) -> CatalogueQuery:
    """Read the filters; ``strict`` (the API) raises on a bad one, pages keep the good ones and show
    the faults beside the fields."""
    inputs = Inputs(args)
    q = inputs.text("q", required=False, max_length=200) or ""
    layer = inputs.choice("layer", [layer.value for layer in Layer], required=False)
    category = inputs.choice("category", [c.value for c in Category], required=False)
    provider_id = inputs.integer("provider_id", required=False, minimum=1)
    low = inputs.fen("min_price_fen", required=False)
    high = inputs.fen("max_price_fen", required=False)
    search = parse_search(q)
    sort = inputs.choice("sort", list(SORTS), required=False) or ("relevance" if search else "newest")
    if layer and category and not category_belongs_to_layer(layer, category):
        inputs.error("category", _l("The category “%(category)s” is not in the layer “%(layer)s”.",
                                    category=label(category), layer=label(layer)))
        category = None
    if low is not None and high is not None and low > high:
        inputs.error(_money_field(args, "max_price_fen"), _l("The highest price is below the lowest."))
        high = None
    if strict:
        inputs.check()
    if sort == "relevance" and not search:
        sort = "newest"
    return CatalogueQuery(search=search, q=q, layer=layer, category=category, provider_id=provider_id,
                          min_price_fen=low, max_price_fen=high, sort=sort, errors=inputs.errors)


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
            filters.append(ProductVersion.id.in_(
                select(literal_column("rowid")).select_from(text(SEARCH_TABLE))
                .where(text(f"{SEARCH_TABLE} MATCH :fts_match").bindparams(fts_match=match))))
        terms = search.short_terms
    else:
        terms = search.terms
    sqlite = is_sqlite(session)
    for term in terms:
        filters.append(or_(_contains(ProductVersion.name, term, sqlite), _contains(ProductVersion.description, term, sqlite)))
    return filters


def _catalogue_select(session: Session, query: CatalogueQuery, today: dt.date, *, columns: Iterable[Any] | None = None,
                      skip: frozenset[str] = frozenset()) -> Select:
    stmt = select(*(columns or [Product]))
    stmt = (stmt.select_from(Product)
            .join(ProductVersion, ProductVersion.id == Product.published_version_id)
            .join(Organisation, Organisation.id == Product.provider_id)
            .where(*_listed_filters(today)))
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


def search_catalogue(session: Session, query: CatalogueQuery, page: int, per_page: int,
                     today: dt.date | None = None) -> Page[Product]:
    """Published products on sale today, filtered, searched and sorted; name matches first when
    sorted by relevance."""
    today = today or clock.today()
    stmt = _catalogue_select(session, query, today).options(
        contains_eager(Product.published_version), contains_eager(Product.provider))
    if query.sort == "price":   # served by ix_product_versions_price_fen_id (a published version has one product)
        stmt = stmt.order_by(ProductVersion.price_fen, ProductVersion.id)
    elif query.sort == "-price":
        stmt = stmt.order_by(ProductVersion.price_fen.desc(), ProductVersion.id.desc())
    elif query.sort == "relevance":
        sqlite = is_sqlite(session)
        name_hits = sum((case((_contains(ProductVersion.name, t, sqlite), 1), else_=0) for t in query.search.terms),
                        start=literal_column("0"))
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


def catalogue_facets(session: Session, query: CatalogueQuery, today: dt.date | None = None) -> Facets:
    """Two aggregate queries: products per (layer, category), and per provider."""
    today = today or clock.today()
    by_category = session.execute(
        _catalogue_select(session, query, today, columns=[ProductVersion.category, func.count()],
                          skip=frozenset({"layer", "category"}))
        .group_by(ProductVersion.category)).all()
    categories = {str(getattr(c, "value", c)): n for c, n in by_category}
    layers = {layer.value: sum(categories.get(c.value, 0) for c in cats) for layer, cats in CATEGORIES_BY_LAYER.items()}
    providers = session.execute(
        _catalogue_select(session, query, today, columns=[Organisation.id, Organisation.name, func.count()],
                          skip=frozenset({"provider"}))
        .group_by(Organisation.id, Organisation.name).order_by(func.count().desc(), Organisation.name)).all()
    return Facets(layers, categories, [(i, n, c) for i, n, c in providers])


def catalogue_highlights(session: Session, limit: int = 6, today: dt.date | None = None) -> tuple[Facets, list[Product]]:
    """For the home page: counts per layer and category, and the newest products."""
    query = CatalogueQuery()
    newest = search_catalogue(session, query, 1, limit, today)
    return catalogue_facets(session, query, today), list(newest.items)


# -- providers' and staff's lists ---------------------------------------------------------------

def provider_products(session: Session, actor: User, org_id: int, *, status: str | None, page: int,
                      per_page: int) -> Page[Product]:
    """An organisation's products in every state, last changed first (its members and staff)."""
    if not (actor.is_staff or actor.belongs_to(org_id)):
        raise NotFound()
    stmt = (select(Product).where(Product.provider_id == org_id)
            .options(selectinload(Product.current_version), selectinload(Product.published_version),
                     selectinload(Product.provider))
            .order_by(Product.updated_at.desc(), Product.id.desc()))
    if status in {s.value for s in ProductStatus}:
        stmt = stmt.where(Product.status == status)
    return paginate(session, stmt, page, per_page)


def provider_status_counts(session: Session, org_id: int) -> dict[str, int]:
    rows = session.execute(select(Product.status, func.count()).where(Product.provider_id == org_id)
                           .group_by(Product.status)).all()
    return {getattr(s, "value", s): n for s, n in rows}


def on_sale_count(session: Session, org_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Product).where(
        Product.provider_id == org_id, Product.published_version_id.is_not(None))) or 0


def rejected_count(session: Session, actor: User) -> int:
    """What waits for a provider: its rejected products."""
    if actor.organisation_id is None:
        return 0
    return session.scalar(select(func.count()).select_from(Product).where(
        Product.provider_id == actor.organisation_id, Product.status == ProductStatus.REJECTED)) or 0


def review_queue(session: Session, actor: User, page: int, per_page: int) -> Page[Product]:
    """The products waiting for this reviewer's stage, oldest first."""
    if actor.role.value not in REVIEW_STAGES:
        raise Forbidden()
    waiting = REVIEW_STAGES[actor.role.value][0]
    stmt = (select(Product).where(Product.status == waiting)
            .options(selectinload(Product.current_version), selectinload(Product.published_version),
                     selectinload(Product.provider))
            .order_by(Product.queued_at, Product.id))
    return paginate(session, stmt, page, per_page)


def review_queue_count(session: Session, actor: User) -> int:
    stage = REVIEW_STAGES.get(actor.role.value)
    if stage is None:
        return 0
    return session.scalar(select(func.count()).select_from(Product).where(Product.status == stage[0])) or 0


def list_products(session: Session, *, q: str | None, status: str | None, provider_id: int | None, page: int,
                  per_page: int) -> Page[Product]:
    """Every product for staff, any state, by the name of its latest version; last changed first."""
    stmt = (select(Product).join(ProductVersion, ProductVersion.id == Product.current_version_id)
            .options(contains_eager(Product.current_version), selectinload(Product.published_version),
                     selectinload(Product.provider))
            .order_by(Product.updated_at.desc(), Product.id.desc()))
    if status in {s.value for s in ProductStatus}:
        stmt = stmt.where(Product.status == status)
    if provider_id:
        stmt = stmt.where(Product.provider_id == provider_id)
    terms = parse_search(q).terms
    for term in terms:
        stmt = stmt.where(ProductVersion.name.ilike(like_pattern(term), escape="\\"))
    return paginate(session, stmt, page, per_page)


# -- provider exit (第十二条) --------------------------------------------------------------------

def request_exit(session: Session, actor: User, org_id: int, reason: Any) -> Organisation:
    """A provider gives notice: it leaves 30 days on; its products stay on sale until then."""
    org = session.get(Organisation, org_id, with_for_update=True)
    if org is None or not actor.belongs_to(org.id):
        raise NotFound()
    if org.kind != OrgKind.PROVIDER:
        raise Forbidden()
    inputs = Inputs({"reason": reason})
    reason = inputs.text("reason", max_length=REASON_MAX)
    inputs.check()
    change_state(session, org, ORGANISATION, "request_exit", actor, subject_type="organisation",
                 exit_effective_on=exit_effective_on(clock.today()), status_reason=reason)
    session.commit()
    return org


def _live_products(session: Session, org_id: int) -> list[Product]:
    return list(session.scalars(select(Product).where(Product.provider_id == org_id,
                                                      Product.status != ProductStatus.DELISTED)
                                .order_by(Product.id).with_for_update()))


def expel_organisation(session: Session, actor: User, org_id: int, reason: Any, blacklist: Any) -> Organisation:
    """The operator forces an organisation out (a provider for law breaking, fake service, subsidy
    fraud, bankruptcy…; an enterprise for subsidy fraud or a bad-credit record): a provider's products
    are all delisted at once; in serious cases the credit code goes on the blacklist. Orders in
    progress are left as they are; nothing it is party to moves money any more (``sanctioned``)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    inputs = Inputs({"reason": reason, "blacklist": blacklist})
    reason = inputs.text("reason", max_length=REASON_MAX)
    blacklist = inputs.boolean("blacklist", default=False)
    inputs.check()
    org = session.get(Organisation, org_id, with_for_update=True)
    if org is None:
        raise NotFound()
    at = clock.now()
    change_state(session, org, ORGANISATION, "expel", actor, subject_type="organisation", status_reason=reason,
                 suspended_until=None)
    for product in _live_products(session, org.id):
        _delist(session, product, actor, reason, at)
    if blacklist and session.scalars(select(BlacklistEntry.id).where(BlacklistEntry.uscc == org.uscc)).first() is None:
        add_to_blacklist(session, actor, org.uscc, reason, commit=False)
    session.commit()
    return org


expel_provider = expel_organisation   # its name while only providers could be expelled


def settle_exits(session: Session, today: dt.date | None = None) -> int:
    """Complete the exits whose day has come: the organisation has left, its products are delisted.
    The catalogue already hides them from that day on; this records it. Idempotent; commits."""
    today = today or clock.today()
    leaving = list(session.scalars(select(Organisation).where(
        Organisation.status == OrgStatus.EXITING, Organisation.exit_effective_on <= today)
        .order_by(Organisation.id).with_for_update()))
    at = clock.now()
    for org in leaving:
        change_state(session, org, ORGANISATION, "complete_exit", None, subject_type="organisation")
        for product in _live_products(session, org.id):
            _delist(session, product, None, None, at)
    session.commit()
    return len(leaving)

