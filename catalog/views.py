"""Pages of the catalogue: the public catalogue and a product, a provider's products and its exit; the
staff's pages are ``catalog.review_views`` (on the same blueprint), the API is ``catalog.api``. Thin:
parse, call a service, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, has_request_context, redirect, render_template, request, url_for
from flask_login import current_user

from catalog import listing, providers, queries, search, services
from catalog.listing import ListingInput
from catalog.models import ProductVersion
from catalog.rules import DESCRIPTION_MAX, EVIDENCE_URL_MAX, NAME_MAX, UNIT_MAX, diff_content, exit_effective_on
from catalog.states import ProductStatus
from shop import clock, policy
from shop.errors import DomainError
from shop.hooks import Ratios, buyer_ratios, layer_ratios
from shop.i18n import _
from shop.inputs import REASON_MAX, ReasonInput
from shop.pagination import page_args
from shop.policy import Layer, voucher_share_fen
from shop.states import Role
from shop.web import actor, db_session, is_htmx, public, render_form, roles_required, send_upload

bp = Blueprint("catalog", __name__, template_folder="templates")

PROVIDER, OPERATOR, AUTHORITY = Role.PROVIDER, Role.OPERATOR, Role.AUTHORITY
STAFF = (OPERATOR, AUTHORITY)
COMMON_UNITS = ("月", "年", "次", "套", "台·月", "核·月", "GB·月", "TB·年", "用户·年", "实例·月", "项")


def layer_ratios_now(user: Any = None) -> Ratios:
    """The voucher ratios per layer (第十六条) as pages and the API show them: for a signed-in
    enterprise, those of the wallet its checkout would spend (its scheme's categories too); else the
    year's province-wide programme's."""
    if user is None:
        user = current_user if has_request_context() else None
    if user is not None and user.is_authenticated and user.role == Role.ENTERPRISE and user.organisation_id:
        return buyer_ratios(db_session(), user.organisation_id, clock.today())
    return layer_ratios(db_session(), clock.today().year)


def uploaded_file(name: str) -> listing.Upload | None:
    file = request.files.get(name)
    if file is None or not file.filename:
        return None
    return listing.Upload(file.stream, file.filename)


def _form_context(**extra: Any) -> dict[str, Any]:
    return {
        "layers": list(Layer),
        "categories_by_layer": policy.current().categories,
        "units": COMMON_UNITS,
        "limits": {
            "name": NAME_MAX,
            "unit": UNIT_MAX,
            "description": DESCRIPTION_MAX,
            "evidence": EVIDENCE_URL_MAX,
            "reason": REASON_MAX,
        },
        **extra,
    }


# -- the public catalogue ---------------------------------------------------------------------------


@bp.get("/products")
@public
def catalogue() -> Any:
    s = db_session()
    query = search.CatalogueFilter.from_args(request.args, strict=False)
    page, per_page = page_args(request.args, default_per_page=24)
    result = search.search_catalogue(s, query, page, per_page)
    facets = search.catalogue_facets(s, query)
    context = dict(
        page=result,
        query=query,
        facets=facets,
        ratios=layer_ratios_now(),
        layers=list(Layer),
        categories_by_layer=policy.current().categories,
        errors=query.errors,
        args=request.args,
    )
    if is_htmx() and request.headers.get("HX-Target") == "catalogue":
        return render_template("catalog/_catalogue.html", **context)
    return render_template("catalog/catalogue.html", **context)


@bp.get("/products/<int:product_id>")
@public
def product_page(product_id: int) -> Any:
    s = db_session()
    viewer = actor()
    product = queries.get_product(s, viewer, product_id)
    full = queries.can_see_everything(viewer, product)
    on_sale = queries.is_on_sale(product, clock.today())
    shown = product.published_version if on_sale or not full else product.current_version
    shown = shown or product.current_version
    ratios = layer_ratios_now()
    ratio = ratios.of(shown.layer.value, shown.category.value) if shown.accepts_vouchers else 0
    return render_template(
        "catalog/product.html",
        product=product,
        version=shown,
        on_sale=on_sale,
        full=full,
        ratio=ratio,
        voucher_fen=voucher_share_fen(shown.price_fen, ratio, shown.accepts_vouchers),
        reviews=queries.reviews_of(s, product.id) if full else [],
        changes=diff_content(product.published_version.content(), product.current_version.content())
        if full and product.has_pending_revision
        else [],
        errors={},
        form={},
    )


@bp.get("/products/<int:product_id>/evidence/<int:version_id>")
@public
def evidence(product_id: int, version_id: int) -> Any:
    version = queries.evidence_version(db_session(), actor(), product_id, version_id)
    return send_evidence(version)


def send_evidence(version: ProductVersion) -> Any:
    return send_upload(version.evidence_stored_name, version.evidence_content_type, version.evidence_original_name)


# -- a provider's products ------------------------------------------------------------------------


@bp.get("/provider/products")
@roles_required(PROVIDER)
def my_products() -> Any:
    s = db_session()
    page, per_page = page_args(request.args)
    tab = request.args.get("status") or None
    org_id = current_user.organisation_id
    result = queries.provider_products(s, actor(), org_id, status=tab, page=page, per_page=per_page)
    return render_template(
        "catalog/my_products.html",
        page=result,
        tab=tab,
        actions_of=lambda product: services.product_actions(actor(), product),
        counts=queries.provider_status_counts(s, org_id),
        statuses=list(ProductStatus),
        organisation=current_user.organisation,
        today=clock.today(),
    )


@bp.route("/provider/products/new", methods=["GET", "POST"])
@roles_required(PROVIDER)
def new_product() -> Any:
    if request.method == "GET":
        layer = request.args.get("layer") if request.args.get("layer") in {x.value for x in Layer} else ""
        return render_template(
            "catalog/product_form.html",
            product=None,
            version=None,
            errors={},
            form={"layer": layer, "accepts_vouchers": "1"},
            **_form_context(),
        )
    try:
        new = ListingInput.from_input(request.form, evidence=uploaded_file("market_price_evidence_file"))
        product = services.create_product(db_session(), actor(), new, current_app.config["UPLOAD_DIR"])
    except DomainError as error:
        return render_form("catalog/product_form.html", error, product=None, version=None, **_form_context())
    if request.form.get("then") == "submit":
        return _submit_and_redirect(product.id)
    flash(_("The product is saved as a draft. Submit it for review when it is ready."), "success")
    return redirect(url_for("catalog.my_products"))


def _edit_values(version: ProductVersion) -> dict[str, Any]:
    from shop.money import fen_to_yuan_text

    return {
        "layer": version.layer.value,
        "category": version.category.value,
        "name": version.name,
        "description": version.description,
        "unit": version.unit,
        "price": fen_to_yuan_text(version.price_fen),
        "market_price": fen_to_yuan_text(version.market_price_fen),
        "market_price_evidence": version.evidence_url or "",
        "accepts_vouchers": "1" if version.accepts_vouchers else "0",
    }


@bp.route("/provider/products/<int:product_id>/edit", methods=["GET", "POST"])
@roles_required(PROVIDER)
def edit_product(product_id: int) -> Any:
    s = db_session()
    product = queries.get_product(s, actor(), product_id)
    if not actor().belongs_to(product.provider_id):
        abort(404)
    context = _form_context(product=product, version=product.current_version, reviews=queries.reviews_of(s, product.id))
    if request.method == "GET":
        return render_template(
            "catalog/product_form.html", errors={}, form=_edit_values(product.current_version), **context
        )
    try:
        change = ListingInput.from_input(
            request.form,
            evidence=uploaded_file("market_price_evidence_file"),
            partial=True,
            base=product.current_version.content(),
        )
        services.edit_product(s, actor(), product_id, change, current_app.config["UPLOAD_DIR"])
    except DomainError as error:
        return render_form("catalog/product_form.html", error, **context)
    if request.form.get("then") == "submit":
        return _submit_and_redirect(product_id)
    if product.published_version_id:
        flash(
            _("Your changes are saved. Submit them for review: the approved version stays on sale until they pass."),
            "success",
        )
    else:
        flash(_("Your changes are saved."), "success")
    return redirect(url_for("catalog.my_products"))


@bp.post("/provider/products/validate")
@roles_required(PROVIDER)
def validate_product() -> Any:
    """Inline validation (htmx): the messages of every field, each swapped in beside its field. A
    field left empty is not reproached yet: that waits for the form to be sent."""
    s = db_session()
    base = None
    product_id = request.args.get("product_id", type=int)
    if product_id:
        product = queries.get_product(s, actor(), product_id)
        if not actor().belongs_to(product.provider_id):
            abort(404)
        base = product.current_version
    errors: dict[str, list[Any]] = {}
    try:
        listing.validate_listing(request.form, base)
    except DomainError as error:
        errors = {k: v for k, v in error.errors.items() if (request.form.get(k) or "").strip()}
    return render_template(
        "catalog/_field_messages.html",
        errors=errors,
        fields=(
            "layer",
            "category",
            "name",
            "unit",
            "price",
            "market_price",
            "market_price_evidence",
            "accepts_vouchers",
            "description",
        ),
    )


@bp.get("/provider/products/categories")
@roles_required(PROVIDER)
def category_options() -> Any:
    """The categories of one layer, for the form's category list (htmx)."""
    layer = request.args.get("layer")
    layers = [Layer(layer)] if layer in {x.value for x in Layer} else list(Layer)
    return render_template(
        "catalog/_category_options.html",
        layers=layers,
        categories_by_layer=policy.current().categories,
        current=request.args.get("category", ""),
    )


def _submit_and_redirect(product_id: int) -> Any:
    try:
        services.submit_product(db_session(), actor(), product_id)
    except DomainError as error:
        if error.code in ("not_found", "forbidden"):
            raise
        flash(str(error.detail), "error")
        return redirect(url_for("catalog.my_products"))
    flash(_("Submitted. The operator reviews it first, then the authority."), "success")
    return redirect(url_for("catalog.my_products"))


@bp.post("/provider/products/<int:product_id>/submit")
@roles_required(PROVIDER)
def submit_product(product_id: int) -> Any:
    return _submit_and_redirect(product_id)


@bp.post("/provider/products/<int:product_id>/delist")
@roles_required(PROVIDER)
def delist_own_product(product_id: int) -> Any:
    services.delist_product(
        db_session(), actor(), product_id, ReasonInput.from_input(request.form, required=False).reason
    )
    flash(_("The product is delisted. You can change it and submit it again."), "info")
    return redirect(url_for("catalog.my_products"))


@bp.route("/provider/exit", methods=["GET", "POST"])
@roles_required(PROVIDER)
def provider_exit() -> Any:
    s = db_session()
    org = current_user.organisation
    errors: dict = {}
    status = 200
    if request.method == "POST":
        if request.form.get("confirm") != "1":
            errors = {"confirm": [_("Tick the box to confirm that your organisation leaves the platform.")]}
            status = 422
        else:
            try:
                org = providers.request_exit(s, actor(), org.id, ReasonInput.from_input(request.form))
                flash(
                    _(
                        "Your notice is recorded: your organisation leaves the platform on %(day)s.",
                        day=org.exit_effective_on.isoformat(),
                    ),
                    "info",
                )
                return redirect(url_for("catalog.provider_exit"))
            except DomainError as error:
                errors, status = error.errors or {"reason": [error.detail]}, error.status
    return render_template(
        "catalog/exit.html",
        org=org,
        on_sale_count=queries.on_sale_count(s, org.id),
        errors=errors,
        form=request.form,
        today=clock.today(),
        effective_on=exit_effective_on(clock.today(), policy.current().exit_notice_days),
    ), status
