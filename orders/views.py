"""Pages of the cart, checkout and orders; the API is in ``orders.api``. Thin: parse, call a service,
render."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from orders import cart as carts
from orders import checkout as checkouts
from orders import idempotency, pricing, reconcile, rules, services, voucher_views
from orders.agreement import AGREEMENTS
from orders.agreement import CURRENT as CURRENT_AGREEMENT
from orders.commands import CartLineInput, CheckoutRequest, OrderFilter, QuantityInput
from orders.models import Order
from orders.payments import PaymentGateway
from orders.states import ORDER, OrderStatus
from shop import clock
from shop.audit import history
from shop.errors import DomainError
from shop.i18n import _
from shop.inputs import Decision, Inputs, ReasonInput
from shop.pagination import page_args
from shop.states import Role
from shop.web import actor, db_session, is_htmx, local_referrer, local_target, roles_required, signed_in
from wallet import spending

bp = Blueprint("orders", __name__, template_folder="templates")

PARTIES = (Role.ENTERPRISE, Role.PROVIDER, Role.OPERATOR, Role.AUTHORITY)


def gateway() -> PaymentGateway:
    return current_app.extensions["orders.gateway"]


# -- the cart ---------------------------------------------------------------------------------------


def _wallets(wanted: str | None) -> tuple[list[spending.WalletChoice], str | None]:
    """The enterprise's wallets with vouchers to spend (a choice only when there are several) and the
    one ``wanted`` names if it is among them (None: the one that expires first, ``wallet.spending``)."""
    options = [
        c for c in spending.choices(db_session(), current_user.organisation_id, clock.today()) if c.available_fen > 0
    ]
    keys = {c.key for c in options}
    return (options if len(options) > 1 else []), (wanted if wanted in keys else None)


def _cart_page(status: int = 200, errors: dict | None = None) -> Any:
    s = db_session()
    org_id = current_user.organisation_id
    wallets, wanted = _wallets(request.values.get("wallet"))
    quote = pricing.quote(s, org_id, carts.cart_lines(s, org_id), use_vouchers=True, wallet=wanted)
    template = "orders/_cart.html" if is_htmx() else "orders/cart.html"
    return render_template(template, quote=quote, wallets=wallets, errors=errors or {}), status


@bp.get("/cart")
@roles_required(Role.ENTERPRISE)
def cart() -> Any:
    return _cart_page()


@bp.post("/cart/add")
@roles_required(Role.ENTERPRISE)
def add_to_cart() -> Any:
    try:
        carts.add_to_cart(db_session(), actor(), CartLineInput.from_input(request.form))
    except DomainError as error:
        if is_htmx():
            return render_template("orders/_added.html", error=error), error.status
        flash(str(error.detail), "error")
        return redirect(local_referrer(url_for("shop.home")))
    if is_htmx():
        return render_template(
            "orders/_added.html", error=None, count=carts.cart_count(db_session(), current_user.organisation_id)
        )
    flash(_("Added to your cart."), "success")
    return redirect(local_target(request.form.get("next"), url_for("orders.cart")))


@bp.post("/cart/<int:product_id>")
@roles_required(Role.ENTERPRISE)
def update_cart_line(product_id: int) -> Any:
    try:
        if request.form.get("remove"):
            carts.remove_from_cart(db_session(), actor(), product_id)
        else:
            carts.set_cart_quantity(db_session(), actor(), product_id, QuantityInput.from_input(request.form))
    except DomainError as error:
        return _cart_page(error.status, {str(product_id): error.errors.get("quantity", [error.detail])})
    if is_htmx():
        return _cart_page()
    return redirect(url_for("orders.cart", wallet=request.form.get("wallet") or None))


# -- checkout ---------------------------------------------------------------------------------------------


def _checkout_context(use_vouchers: bool, wallet: str | None = None) -> dict[str, Any]:
    s = db_session()
    org_id = current_user.organisation_id
    wallets, wanted = _wallets(wallet)
    quote = pricing.quote(s, org_id, carts.cart_lines(s, org_id), use_vouchers=use_vouchers, wallet=wanted)
    return {
        "quote": quote,
        "wallets": wallets,
        "use_vouchers": use_vouchers,
        "agreement": CURRENT_AGREEMENT,
        "stripe_js": current_app.config["STRIPE_JS_URL"],
        "publishable_key": current_app.config["STRIPE_PUBLISHABLE_KEY"],
    }


def _checkout_form(
    use_vouchers: bool, *, form: Any, errors: dict | None = None, status: int = 200, price_changed: bool = False
) -> Any:
    return render_template(
        "orders/checkout.html",
        errors=errors or {},
        token=secrets.token_urlsafe(24),
        form=form,
        price_changed=price_changed,
        **_checkout_context(use_vouchers, form.get("wallet") or request.args.get("wallet")),
    ), status


@bp.get("/checkout")
@roles_required(Role.ENTERPRISE)
def checkout_page() -> Any:
    return _checkout_form(Inputs(request.args).boolean("use_vouchers", default=True), form={})


@bp.get("/checkout/summary")
@roles_required(Role.ENTERPRISE)
def checkout_summary() -> Any:
    use_vouchers = Inputs(request.args).boolean("use_vouchers", default=False)
    return render_template("orders/_summary.html", **_checkout_context(use_vouchers, request.args.get("wallet")))


@bp.post("/checkout")
@roles_required(Role.ENTERPRISE)
def checkout() -> Any:
    s = db_session()
    flags = Inputs(request.form)
    use_vouchers = flags.boolean("use_vouchers", default=False)
    if request.form.get("recalculate"):
        # the voucher toggle without JavaScript: the figures for the box as it is ticked now, nothing bought
        return _checkout_form(use_vouchers, form=request.form)
    key = "page-" + (request.form.get("checkout_token") or secrets.token_urlsafe(24))[:80]
    try:
        orders = idempotency.replay_checkout(s, actor(), key)  # the same form sent twice: one checkout
        if orders is None:
            lines = carts.cart_lines(s, current_user.organisation_id)
            if not lines:
                flash(_("Your cart is empty."), "info")
                return redirect(url_for("orders.cart"))
            data = {
                "lines": [{"product_id": p, "quantity": q} for p, q in lines],
                "use_vouchers": use_vouchers,
                "agreement_accepted": flags.boolean("agreement_accepted", default=False),
                "payment_method": request.form.get("payment_method") or None,
                # the figures the page showed (the summary's hidden fields): charged exactly, or asked again
                "expected_total_fen": request.form.get("expected_total_fen"),
                "expected_self_pay_fen": request.form.get("expected_self_pay_fen"),
                # the wallet the page showed the figures for (none: the one that expires first)
                "wallet": request.form.get("wallet") or None,
            }
            orders = checkouts.checkout(
                s,
                actor(),
                CheckoutRequest.from_input(data),
                gateway=gateway(),
                idempotency_key=key,
                strict_idempotency=False,
                from_cart=True,
            )
    except DomainError as error:
        # price_changed: the page shows the current figures, says what changed and asks again
        errors = dict(error.errors) or {"payment_method" if error.code.startswith("payment") else "_": [error.detail]}
        return _checkout_form(
            use_vouchers,
            form=request.form,
            errors=errors,
            status=error.status,
            price_changed=error.code == "price_changed",
        )
    flash(
        _("%(n)d order(s) placed. Each provider confirms its order; the self-paid part is taken then.", n=len(orders)),
        "success",
    )
    return redirect(url_for("orders.list_orders", placed=",".join(str(o.id) for o in orders)))


@bp.get("/agreements/<version>")
@signed_in
def agreement(version: str) -> Any:
    if version not in AGREEMENTS:
        abort(404)
    return render_template("orders/agreement.html", agreement=AGREEMENTS[version])


# -- orders -------------------------------------------------------------------------------------------------


@bp.get("/orders")
@roles_required(*PARTIES)
def list_orders() -> Any:
    page, per_page = page_args(request.args)
    wanted = OrderFilter.from_args(request.args, strict=False)  # an unknown status: every order
    result = services.list_orders(db_session(), actor(), wanted, page=page, per_page=per_page)
    placed = set(Inputs({"placed": (request.args.get("placed") or "").split(",")}).integers("placed", required=False))
    return render_template(
        "orders/orders.html",
        page=result,
        tab=wanted.status,
        statuses=list(OrderStatus),
        counts=services.order_counts(db_session(), actor()),
        placed=placed,
        time_left=_time_left,
        can=lambda order, action: ORDER.can(order.status, action),
    )


def confirm_by(order: Order) -> dt.datetime:
    """When a placed order not confirmed by then is cancelled (``CONFIRMATION_DEADLINE_DAYS``)."""
    return reconcile.confirmation_deadline(order, current_app.config["CONFIRMATION_DEADLINE_DAYS"])


def _time_left(order: Order) -> str | None:
    """The time left to confirm a placed order ("还剩 2 天 5 小时"), or None once its deadline passed."""
    left = rules.time_left(confirm_by(order), clock.now())
    if left is None:
        return None
    days, hours = left
    if days:
        return _("%(days)d d %(hours)d h left", days=days, hours=hours)
    if hours:
        return _("%(hours)d h left", hours=hours)
    return _("Less than an hour left")


@bp.get("/orders/<int:order_id>")
@roles_required(*PARTIES)
def order_detail(order_id: int) -> Any:
    return _order_page(order_id)


def _order_page(order_id: int, errors: dict | None = None, status: int = 200) -> Any:
    order = services.get_order(db_session(), actor(), order_id)
    allowed = services.allowed_actions(actor(), order)
    refusal = services.refund_refusal(db_session(), order) if "request_refund" in allowed else None
    placed = order.status == OrderStatus.PLACED
    return render_template(
        "orders/order.html",
        order=order,
        timeline=history(db_session(), "order", order.id),
        errors=errors or {},
        form=request.form,
        agreement=AGREEMENTS.get(order.agreement_version),
        can=lambda action: action in allowed,
        refund_refusal=refusal,
        confirm_by=confirm_by(order) if placed else None,
        time_left=_time_left(order) if placed else None,
        contract=voucher_views.order_context(order),
    ), status


def _act(order_id: int, action: Any, done: str) -> Any:
    try:
        action()
    except DomainError as error:
        return _order_page(order_id, errors=error.errors or {"_": [error.detail]}, status=error.status)
    flash(done, "success")
    return redirect(url_for("orders.order_detail", order_id=order_id))


@bp.post("/orders/<int:order_id>/confirm")
@roles_required(Role.PROVIDER)
def confirm(order_id: int) -> Any:

    def confirm_and_settle() -> None:
        services.confirm_order(db_session(), actor(), order_id, gateway=gateway())
        voucher_views.settle_after_confirmation(order_id)

    return _act(
        order_id,
        confirm_and_settle,
        _("The transaction is confirmed and the self-paid part taken. Deliver the service as agreed."),
    )


@bp.post("/orders/<int:order_id>/cancel")
@roles_required(Role.ENTERPRISE)
def cancel(order_id: int) -> Any:
    return _act(
        order_id,
        lambda: services.cancel_order(db_session(), actor(), order_id, gateway=gateway()),
        _("The order is cancelled: your vouchers are back and the card hold is released."),
    )


@bp.post("/orders/<int:order_id>/refund-request")
@roles_required(Role.ENTERPRISE)
def refund_request(order_id: int) -> Any:
    return _act(
        order_id,
        lambda: services.request_refund(db_session(), actor(), order_id, ReasonInput.from_input(request.form).reason),
        _("Your refund request is sent to the provider."),
    )


@bp.post("/orders/<int:order_id>/refund-decision")
@roles_required(Role.PROVIDER)
def refund_decision(order_id: int) -> Any:
    return _act(
        order_id,
        lambda: services.decide_refund(
            db_session(), actor(), order_id, Decision.from_input(request.form), gateway=gateway()
        ),
        _("Your decision is recorded."),
    )
