"""The catalogue's pages for staff: the review queue and a product's review, every product, a forced
delisting and an expulsion. Routes on the blueprint of ``catalog.views`` (the provider's and the
public pages); the API is ``catalog.api``."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from catalog import providers, queries, services
from catalog.commands import Expulsion
from catalog.models import Product
from catalog.rules import diff_content
from catalog.states import PRODUCT, ProductStatus
from catalog.text import line_diff
from catalog.views import OPERATOR, STAFF, bp
from orgs.states import OrgKind
from shop import clock
from shop.errors import DomainError
from shop.i18n import _
from shop.inputs import Decision, ReasonInput
from shop.pagination import page_args
from shop.web import actor, db_session, is_htmx, roles_required


@bp.get("/staff/product-reviews")
@roles_required(*STAFF)
def review_queue() -> Any:
    page, per_page = page_args(request.args)
    return render_template(
        "catalog/review_queue.html", page=queries.review_queue(db_session(), actor(), page, per_page)
    )


@bp.get("/staff/products")
@roles_required(*STAFF)
def staff_products() -> Any:
    page, per_page = page_args(request.args)
    result = queries.list_products(
        db_session(),
        q=request.args.get("q"),
        status=request.args.get("status"),
        provider_id=request.args.get("provider_id", type=int),
        page=page,
        per_page=per_page,
    )
    return render_template("catalog/staff_products.html", page=result, statuses=list(ProductStatus))


def _review_context(product: Product) -> dict[str, Any]:
    s = db_session()
    current, published = product.current_version, product.published_version
    revision = product.has_pending_revision
    return dict(
        product=product,
        version=current,
        published=published,
        revision=revision,
        changes=diff_content(published.content(), current.content()) if revision else [],
        description_diff=line_diff(published.description, current.description)
        if revision and published.description != current.description
        else None,
        reviews=queries.reviews_of(s, product.id),
        on_sale=queries.is_on_sale(product, clock.today()),
        can=lambda action: PRODUCT.can(product.status, action),
        may=services.product_actions(actor(), product),
    )


@bp.get("/staff/products/<int:product_id>")
@roles_required(*STAFF)
def review_product_page(product_id: int) -> Any:
    product = queries.get_product(db_session(), actor(), product_id)
    return render_template("catalog/review.html", errors={}, form={}, **_review_context(product))


@bp.post("/staff/products/<int:product_id>/review")
@roles_required(*STAFF)
def review_product(product_id: int) -> Any:
    s = db_session()
    try:
        decision = Decision.from_input(request.form)
        product = services.review_product(s, actor(), product_id, decision)
    except DomainError as error:
        product = queries.get_product(s, actor(), product_id)
        errors = error.errors or {"decision": [error.detail]}
        if is_htmx():
            return render_template(
                "catalog/_decision.html", errors=errors, form=request.form, **_review_context(product)
            )
        return render_template(
            "catalog/review.html", errors=errors, form=request.form, **_review_context(product)
        ), error.status
    message = {
        ProductStatus.OPERATOR_APPROVED: _("Approved: the product goes to the authority for the second review."),
        ProductStatus.PUBLISHED: _("Approved and published: the product is on sale."),
        ProductStatus.REJECTED: _("Rejected: the provider sees your reason."),
    }[product.status]
    tone = "success" if decision.approve else "info"
    if is_htmx():
        waiting = queries.review_queue(s, actor(), 1, 1)
        return render_template(
            "catalog/_decision_done.html",
            product=product,
            message=message,
            tone=tone,
            next_product=waiting.items[0] if waiting.items else None,
            remaining=waiting.total,
        )
    flash(message, tone)
    return redirect(url_for("catalog.review_queue"))


@bp.post("/operator/products/<int:product_id>/delist")
@roles_required(OPERATOR)
def force_delist(product_id: int) -> Any:
    s = db_session()
    try:
        services.delist_product(s, actor(), product_id, ReasonInput.from_input(request.form, required=False).reason)
    except DomainError as error:
        product = queries.get_product(s, actor(), product_id)
        return render_template(
            "catalog/review.html",
            errors=error.errors or {"delist_reason": [error.detail]},
            form=request.form,
            delist_open=True,
            **_review_context(product),
        ), error.status
    flash(_("The product is delisted; the provider sees your reason."), "info")
    return redirect(url_for("catalog.review_product_page", product_id=product_id))


@bp.route("/operator/organisations/<int:org_id>/expel", methods=["GET", "POST"])
@roles_required(OPERATOR)
def expel(org_id: int) -> Any:
    from orgs.services import get_organisation

    s = db_session()
    org = get_organisation(s, actor(), org_id)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            providers.expel_organisation(s, actor(), org_id, Expulsion.from_input(request.form))
            if org.kind == OrgKind.PROVIDER:
                flash(_("%(name)s is expelled; all its products are delisted.", name=org.name), "info")
            else:
                flash(_("%(name)s is expelled.", name=org.name), "info")
            return redirect(url_for("orgs.organisation_detail", org_id=org_id))
        except DomainError as error:
            errors, status = error.errors or {"reason": [error.detail]}, error.status
    return render_template(
        "catalog/expel.html",
        org=org,
        counts=queries.provider_status_counts(s, org.id),
        errors=errors,
        form=request.form,
    ), status
