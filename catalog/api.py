"""The catalogue's ``/api/v1`` endpoints: products, their versions and evidence, the review queue,
a provider's exit and an expulsion. Thin: parse, call a service, answer JSON. The pages are
``catalog.views``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request, url_for

from catalog import providers, queries, search, services
from catalog.commands import Expulsion
from catalog.listing import ListingInput
from catalog.models import Product, ProductVersion
from catalog.rules import DESCRIPTION_MAX, EVIDENCE_URL_MAX, NAME_MAX, UNIT_MAX
from catalog.states import ProductStatus
from catalog.views import AUTHORITY, OPERATOR, PROVIDER, STAFF, layer_ratios_now, send_evidence, uploaded_file
from shop import clock
from shop.hooks import Ratios
from shop.inputs import Decision, ReasonInput
from shop.pagination import page_args
from shop.policy import Category, Layer, voucher_share_fen
from shop.uploads import UPLOAD_TYPES
from shop.web import api, db_session, json_body

api_bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")


LAYERS = [layer.value for layer in Layer]
CATEGORIES = [c.value for c in Category]
LISTING_PROPERTIES = {
    "layer": {"enum": LAYERS},
    "category": {"enum": CATEGORIES, "description": "must belong to the layer"},
    "name": {"type": "string", "minLength": 2, "maxLength": NAME_MAX},
    "description": {
        "type": "string",
        "minLength": 10,
        "maxLength": DESCRIPTION_MAX,
        "description": "plain text with paragraphs, or Markdown (no HTML)",
    },
    "unit": {"type": "string", "maxLength": UNIT_MAX, "description": "billing unit: 月, 年, 台·月, TB·年…"},
    "price_fen": {"type": "integer", "minimum": 1, "description": "at most market_price_fen"},
    "market_price_fen": {"type": "integer", "minimum": 1},
    "market_price_evidence": {
        "type": "string",
        "format": "uri-reference",
        "maxLength": EVIDENCE_URL_MAX,
        "description": "a public price page (http/https); or, sent as multipart/form-data, "
        "a quote file (PDF, JPEG, PNG, at most 10 MB), answered as the "
        "path of the file in this API",
    },
    "accepts_vouchers": {"type": "boolean", "default": True},
}
PRODUCT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "provider_id": {"type": "integer"},
        "provider_name": {"type": "string"},
        "status": {"enum": [s.value for s in ProductStatus]},
        **LISTING_PROPERTIES,
        "market_price_evidence_kind": {"enum": ["url", "quote"]},
        "voucher_ratio_percent": {"type": "integer"},
        "max_voucher_fen": {"type": "integer", "description": "the most vouchers may pay of one unit"},
        "version_id": {"type": "integer"},
        "published_version_id": {"type": ["integer", "null"]},
        "on_sale": {"type": "boolean"},
        "status_reason": {
            "type": ["string", "null"],
            "description": "owner and staff: the last rejection or delisting reason",
        },
        "published": {
            "type": ["object", "null"],
            "description": "owner and staff, while a revision is pending: the version on sale",
        },
    },
}
PRODUCT_LIST_SCHEMA = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": PRODUCT_SCHEMA},
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
    },
}


def _evidence_link(product: Product, version: ProductVersion) -> str:
    if version.evidence_url:
        return version.evidence_url
    return url_for("catalog_api.product_evidence_api", product_id=product.id, version_id=version.id)


def _version_json(product: Product, version: ProductVersion, ratios: Ratios) -> dict[str, Any]:
    ratio = ratios.of(version.layer.value, version.category.value) if version.accepts_vouchers else 0
    return {
        "version_id": version.id,
        "version_number": version.number,
        "layer": version.layer.value,
        "category": version.category.value,
        "name": version.name,
        "description": version.description,
        "unit": version.unit,
        "price_fen": version.price_fen,
        "market_price_fen": version.market_price_fen,
        "market_price_evidence": _evidence_link(product, version),
        "market_price_evidence_kind": version.evidence_kind,
        "accepts_vouchers": version.accepts_vouchers,
        "voucher_ratio_percent": ratio,
        "max_voucher_fen": voucher_share_fen(version.price_fen, ratio),
    }


def product_json(product: Product, *, full: bool, ratios: Ratios, on_sale: bool | None = None) -> dict[str, Any]:
    """The public view (the version on sale, status "published") or, for the owner and staff, the
    latest version with the product's review status and the version on sale beside it."""
    version = product.current_version if full else product.published_version
    data: dict[str, Any] = {
        "id": product.id,
        "provider_id": product.provider_id,
        "provider_name": product.provider.name,
        "status": product.status.value if full else ProductStatus.PUBLISHED.value,
        **_version_json(product, version, ratios),
        "published_version_id": product.published_version_id,
        "listed_at": product.listed_at.isoformat() if product.listed_at else None,
    }
    if full:
        data.update(
            {
                "status_reason": product.status_reason,
                "on_sale": queries.is_on_sale(product, clock.today()) if on_sale is None else on_sale,
                "submitted_at": version.submitted_at.isoformat() if version.submitted_at else None,
                "updated_at": product.updated_at.isoformat(),
                "published": _version_json(product, product.published_version, ratios)
                if product.has_pending_revision
                else None,
            }
        )
    return data


def _listing_input(*, partial: bool = False) -> ListingInput:
    """The listing from a JSON body, or from a multipart form with the quote as a file."""
    if request.mimetype == "multipart/form-data":
        return ListingInput.from_input(request.form, evidence=uploaded_file("market_price_evidence"), partial=partial)
    return ListingInput.from_input(json_body(), partial=partial)


@api_bp.get("/products")
@api(
    summary="The catalogue: published products on sale, searched, filtered and sorted",
    public=True,
    query={
        "q": {"type": "string", "description": "Chinese or English words; each must occur in the name or description"},
        "layer": {"enum": LAYERS},
        "category": {"enum": CATEGORIES},
        "provider_id": {"type": "integer"},
        "min_price_fen": {"type": "integer"},
        "max_price_fen": {"type": "integer"},
        "sort": {"enum": list(search.SORTS), "description": "default: relevance with q, else newest"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer", "maximum": 100},
    },
    response=PRODUCT_LIST_SCHEMA,
    errors=["validation_error"],
)
def list_products_api(_actor: Any) -> Any:
    s = db_session()
    query = search.CatalogueFilter.from_args(request.args, strict=True)
    page, per_page = page_args(request.args)
    ratios = layer_ratios_now(_actor)
    return search.search_catalogue(s, query, page, per_page).as_json(
        lambda p: product_json(p, full=False, ratios=ratios)
    )


@api_bp.get("/products/<int:product_id>")
@api(
    summary="A product: on sale for anyone; in any state for its owner and staff",
    public=True,
    response=PRODUCT_SCHEMA,
    errors=["not_found"],
)
def get_product_api(user: Any, product_id: int) -> Any:
    product = queries.get_product(db_session(), user, product_id)
    return product_json(product, full=queries.can_see_everything(user, product), ratios=layer_ratios_now(user))


@api_bp.post("/products")
@api(
    summary="List a product (a draft, to be submitted)",
    roles=[PROVIDER],
    status=201,
    body={
        "type": "object",
        "required": [k for k in LISTING_PROPERTIES if k != "accepts_vouchers"],
        "properties": LISTING_PROPERTIES,
    },
    response=PRODUCT_SCHEMA,
    errors=["validation_error", "price_above_market", "not_certified", "invalid_state", "sanctioned"],
)
def create_product_api(user: Any) -> Any:
    product = services.create_product(db_session(), user, _listing_input(), current_app.config["UPLOAD_DIR"])
    return product_json(product, full=True, ratios=layer_ratios_now(user))


@api_bp.patch("/products/<int:product_id>")
@api(
    summary="Change a product; a published one keeps selling its approved version until the change passes review",
    roles=[PROVIDER],
    body={"type": "object", "properties": LISTING_PROPERTIES},
    response=PRODUCT_SCHEMA,
    errors=["validation_error", "price_above_market", "invalid_state", "not_certified", "sanctioned", "not_found"],
)
def edit_product_api(user: Any, product_id: int) -> Any:
    product = services.edit_product(
        db_session(), user, product_id, _listing_input(partial=True), current_app.config["UPLOAD_DIR"]
    )
    return product_json(product, full=True, ratios=layer_ratios_now(user))


@api_bp.post("/products/<int:product_id>/submit")
@api(
    summary="Submit the product (or its change) for review",
    roles=[PROVIDER],
    response=PRODUCT_SCHEMA,
    errors=["invalid_state", "not_certified", "sanctioned", "not_found"],
)
def submit_product_api(user: Any, product_id: int) -> Any:
    product = services.submit_product(db_session(), user, product_id)
    return product_json(product, full=True, ratios=layer_ratios_now(user))


@api_bp.post("/products/<int:product_id>/review")
@api(
    summary="Review a product: the operator first, then the authority",
    roles=list(STAFF),
    body={
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": {"enum": ["approve", "reject"]},
            "reason": {"type": "string", "description": "required to reject"},
        },
    },
    response=PRODUCT_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def review_product_api(user: Any, product_id: int) -> Any:
    product = services.review_product(db_session(), user, product_id, Decision.from_input(json_body()))
    return product_json(product, full=True, ratios=layer_ratios_now(user))


@api_bp.post("/products/<int:product_id>/delist")
@api(
    summary="Delist a product (its provider; or the operator, with a reason)",
    roles=[PROVIDER, OPERATOR],
    body={"type": "object", "properties": {"reason": {"type": "string", "description": "required for the operator"}}},
    response=PRODUCT_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def delist_product_api(user: Any, product_id: int) -> Any:
    product = services.delist_product(
        db_session(), user, product_id, ReasonInput.from_input(json_body(), required=False).reason
    )
    return product_json(product, full=True, ratios=layer_ratios_now(user))


@api_bp.get("/products/<int:product_id>/versions")
@api(
    summary="Every version of a product, newest first (owner and staff)",
    roles=[PROVIDER, OPERATOR, AUTHORITY],
    errors=["not_found"],
)
def product_versions_api(user: Any, product_id: int) -> Any:
    s = db_session()
    ratios = layer_ratios_now(user)
    product, versions = queries.versions_of(s, user, product_id)
    return {
        "items": [
            {
                **_version_json(product, v, ratios),
                "submitted_at": v.submitted_at.isoformat() if v.submitted_at else None,
                "created_at": v.created_at.isoformat(),
                "on_sale": v.id == product.published_version_id,
            }
            for v in versions
        ],
        "total": len(versions),
        "page": 1,
        "per_page": len(versions),
    }


@api_bp.get("/products/<int:product_id>/evidence/<int:version_id>")
@api(summary="The uploaded market price quote of a version", public=True, binary=UPLOAD_TYPES, errors=["not_found"])
def product_evidence_api(user: Any, product_id: int, version_id: int) -> Any:
    return send_evidence(queries.evidence_version(db_session(), user, product_id, version_id))


@api_bp.get("/organisations/<int:org_id>/products")
@api(
    summary="An organisation's products in every state (its members and staff)",
    roles=[PROVIDER, OPERATOR, AUTHORITY],
    query={
        "status": {"enum": [s.value for s in ProductStatus]},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
    },
    response=PRODUCT_LIST_SCHEMA,
    errors=["not_found"],
)
def organisation_products_api(user: Any, org_id: int) -> Any:
    page, per_page = page_args(request.args)
    result = queries.provider_products(
        db_session(), user, org_id, status=request.args.get("status"), page=page, per_page=per_page
    )
    ratios = layer_ratios_now(user)
    return result.as_json(lambda p: product_json(p, full=True, ratios=ratios))


@api_bp.get("/product-reviews")
@api(
    summary="The products waiting for the caller's review stage, oldest first",
    roles=list(STAFF),
    query={"page": {"type": "integer"}, "per_page": {"type": "integer"}},
    response=PRODUCT_LIST_SCHEMA,
)
def review_queue_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    ratios = layer_ratios_now(user)
    return queries.review_queue(db_session(), user, page, per_page).as_json(
        lambda p: product_json(p, full=True, ratios=ratios)
    )


EXIT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "status": {"type": "string"},
        "effective_on": {"type": ["string", "null"], "format": "date"},
    },
}


@api_bp.post("/organisations/<int:org_id>/exit")
@api(
    summary="A provider gives notice to leave: it takes effect 30 days on",
    roles=[PROVIDER],
    body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
    response=EXIT_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def exit_api(user: Any, org_id: int) -> Any:
    org = providers.request_exit(db_session(), user, org_id, ReasonInput.from_input(json_body()))
    return {"id": org.id, "status": org.status.value, "effective_on": org.exit_effective_on.isoformat()}


@api_bp.post("/organisations/<int:org_id>/expel")
@api(
    summary="Expel an enterprise or a provider (all its products are delisted at once); optionally blacklist its "
    "credit code",
    roles=[OPERATOR],
    body={
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string"}, "blacklist": {"type": "boolean", "default": False}},
    },
    response={
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "status": {"const": "expelled"},
            "delisted": {"type": "integer"},
            "blacklisted": {"type": "boolean"},
        },
    },
    errors=["validation_error", "invalid_state", "not_found"],
)
def expel_api(user: Any, org_id: int) -> Any:
    s = db_session()
    expulsion = Expulsion.from_input(json_body())
    live = queries.live_product_count(s, org_id)
    org = providers.expel_organisation(s, user, org_id, expulsion)
    return {"id": org.id, "status": org.status.value, "delisted": live, "blacklisted": providers.is_blacklisted(s, org)}
