"""The ``/api/v1`` endpoints of the cart, checkout and orders, and their JSON shapes (``order_json``,
``cart_json``). Thin: parse, call a service, answer JSON. The pages are ``orders.views``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from orders import cart as carts
from orders import checkout as checkouts
from orders import pricing, services, voucher_views
from orders.commands import CartLineInput, CheckoutRequest, OrderFilter, QuantityInput
from orders.models import Order
from orders.states import CancellationReason, OrderStatus
from orders.views import PARTIES, confirm_by, gateway
from shop.inputs import Decision, Inputs, ReasonInput
from shop.pagination import page_args
from shop.states import Role
from shop.web import api, db_session, json_body

api_bp = Blueprint("orders_api", __name__, url_prefix="/api/v1")

LINE_SCHEMA = {
    "type": "object",
    "properties": {
        k: {"type": "integer"}
        for k in ("product_id", "version_id", "quantity", "unit_price_fen", "amount_fen", "voucher_fen")
    },
}
ORDER_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "provider_id": {"type": "integer"},
        "enterprise_id": {"type": "integer"},
        "total_fen": {"type": "integer"},
        "voucher_fen": {"type": "integer"},
        "self_pay_fen": {"type": "integer"},
        "status": {"enum": [s.value for s in OrderStatus]},
        "payment_status": {"type": "string"},
        "wallet": {"type": "string", "description": "the wallet spent: 2026 (the year's), or <programme>/<scheme>"},
        "voucher_policy_version": {"type": ["integer", "null"]},
        "confirm_by": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "a placed order not confirmed by then is cancelled (CONFIRMATION_DEADLINE_DAYS)",
        },
        "cancellation_reason": {
            "enum": [*(r.value for r in CancellationReason), None],
            "description": "why the platform cancelled the order; null for the buyer's own cancel",
        },
        "lines": {"type": "array", "items": LINE_SCHEMA},
    },
}


def order_json(order: Order) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": order.id,
        "provider_id": order.provider_id,
        "enterprise_id": order.enterprise_id,
        "total_fen": order.total_fen,
        "voucher_fen": order.voucher_fen,
        "self_pay_fen": order.self_pay_fen,
        "status": order.status.value,
        "payment_status": order.payment_status.value,
        "voucher_year": order.voucher_year,
        # the wallet spent (``2026``: the province-wide programme's) and its policy version
        "wallet": order.voucher_book or str(order.voucher_year),
        "voucher_policy_version": order.voucher_policy_version,
        "agreement_version": order.agreement_version,
        "agreement_accepted_at": when(order.agreement_accepted_at),
        "placed_at": when(order.placed_at),
        "confirmed_at": when(order.confirmed_at),
        "cancelled_at": when(order.cancelled_at),
        "refund_requested_at": when(order.refund_requested_at),
        "confirm_by": when(confirm_by(order)) if order.status == OrderStatus.PLACED else None,
        "cancellation_reason": order.cancellation_reason.value if order.cancellation_reason else None,
        "refund_reason": order.refund_reason,
        "refund_decision_reason": order.refund_decision_reason,
        "lines": [
            {
                "product_id": line.product_id,
                "version_id": line.version_id,
                "quantity": line.quantity,
                "unit_price_fen": line.unit_price_fen,
                "amount_fen": line.amount_fen,
                "voucher_fen": line.voucher_fen,
            }
            for line in order.lines
        ],
    }


@api_bp.post("/checkout")
@api(
    summary="Buy: one order per provider, vouchers first, the rest authorised on the card",
    roles=[Role.ENTERPRISE],
    status=201,
    body={
        "type": "object",
        "required": ["lines", "agreement_accepted"],
        "properties": {
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["product_id", "quantity"],
                    "properties": {"product_id": {"type": "integer"}, "quantity": {"type": "integer", "minimum": 1}},
                },
            },
            "use_vouchers": {"type": "boolean"},
            "agreement_accepted": {"type": "boolean"},
            "payment_method": {"type": "string", "description": "a Stripe PaymentMethod id"},
            "expected_total_fen": {
                "type": "integer",
                "minimum": 0,
                "description": (
                    "the total the buyer was shown (GET /cart); when the checkout would charge another amount: 409 "
                    "price_changed with the current `quote` ({total_fen, voucher_fen, self_pay_fen, use_vouchers, orders}), "
                    "nothing kept"
                ),
            },
            "expected_self_pay_fen": {
                "type": "integer",
                "minimum": 0,
                "description": ("the card amount the buyer was shown; checked as expected_total_fen"),
            },
            "wallet": {
                "type": "string",
                "maxLength": 80,
                "description": (
                    "the wallet to spend (`2026` for the province-wide programme's, `<programme>/<scheme>` for "
                    "a scheme's, e.g. `baiyun-2026/public_cloud`); by default the one with vouchers that expires first"
                ),
            },
        },
    },
    response={"type": "object", "properties": {"orders": {"type": "array", "items": ORDER_SCHEMA}}},
    errors=[
        "validation_error",
        "not_certified",
        "agreement_not_accepted",
        "product_unavailable",
        "price_changed",
        "payment_declined",
        "payment_unavailable",
        "idempotency_mismatch",
        "invalid_state",
        "sanctioned",
    ],
)
def checkout_api(user: Any) -> Any:
    orders = checkouts.checkout(
        db_session(),
        user,
        CheckoutRequest.from_input(json_body()),
        gateway=gateway(),
        idempotency_key=request.headers.get("Idempotency-Key") or None,
    )
    return {"orders": [order_json(o) for o in orders]}


@api_bp.get("/orders")
@api(
    summary="Orders: the buyer's, the provider's, or every order for staff; newest first",
    roles=PARTIES,
    query={"status": {"type": "string"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}},
    errors=["validation_error"],
)
def list_orders_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    result = services.list_orders(db_session(), user, OrderFilter.from_args(request.args), page=page, per_page=per_page)
    return result.as_json(order_json)


@api_bp.get("/orders/<int:order_id>")
@api(summary="An order (its buyer, its provider and staff)", roles=PARTIES, response=ORDER_SCHEMA, errors=["not_found"])
def get_order_api(user: Any, order_id: int) -> Any:
    return order_json(services.get_order(db_session(), user, order_id))


@api_bp.post("/orders/<int:order_id>/confirm")
@api(
    summary="Confirm the transaction (the self-paid part is captured)",
    roles=[Role.PROVIDER],
    response=ORDER_SCHEMA,
    errors=["invalid_state", "not_found", "payment_declined", "payment_unavailable", "sanctioned"],
)
def confirm_api(user: Any, order_id: int) -> Any:
    order = services.confirm_order(db_session(), user, order_id, gateway=gateway())
    voucher_views.settle_after_confirmation(order_id)
    return order_json(order)


@api_bp.post("/orders/<int:order_id>/cancel")
@api(
    summary="Cancel before confirmation (vouchers back, payment voided)",
    roles=[Role.ENTERPRISE],
    response=ORDER_SCHEMA,
    errors=["invalid_state", "not_found"],
)
def cancel_api(user: Any, order_id: int) -> Any:
    return order_json(services.cancel_order(db_session(), user, order_id, gateway=gateway()))


@api_bp.post("/orders/<int:order_id>/refund-request")
@api(
    summary="Ask for a refund (confirmed, not in a submitted claim: a draft claim lets the order go)",
    roles=[Role.ENTERPRISE],
    body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
    response=ORDER_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def refund_request_api(user: Any, order_id: int) -> Any:
    return order_json(services.request_refund(db_session(), user, order_id, ReasonInput.from_input(json_body()).reason))


@api_bp.post("/orders/<int:order_id>/refund-decision")
@api(
    summary="Approve a refund (vouchers back, self-paid part refunded) or refuse it with a reason",
    roles=[Role.PROVIDER],
    body={
        "type": "object",
        "required": ["decision"],
        "properties": {"decision": {"enum": ["approve", "reject"]}, "reason": {"type": "string"}},
    },
    response=ORDER_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def refund_decision_api(user: Any, order_id: int) -> Any:
    return order_json(
        services.decide_refund(db_session(), user, order_id, Decision.from_input(json_body()), gateway=gateway())
    )


def cart_json(quote: pricing.Quote) -> dict[str, Any]:
    return {
        "year": quote.year,
        "total_fen": quote.total_fen,
        "voucher_fen": quote.voucher_fen,
        "self_pay_fen": quote.self_pay_fen,
        "available_fen": quote.available_fen,
        "available_after_fen": quote.available_after_fen,
        "unavailable_product_ids": quote.unavailable,
        "wallet": quote.wallet,
        "orders": quote.as_json()["orders"],
    }


@api_bp.get("/cart")
@api(
    summary="The enterprise's cart, priced as the checkout would price it now",
    roles=[Role.ENTERPRISE],
    query={"use_vouchers": {"type": "boolean"}, "wallet": {"type": "string", "maxLength": 80}},
    errors=["validation_error"],
)
def cart_api(user: Any) -> Any:
    s = db_session()
    inputs = Inputs(request.args)
    use_vouchers = inputs.boolean("use_vouchers", default=True)
    wallet = inputs.text("wallet", required=False, max_length=80)
    inputs.check()
    return cart_json(
        pricing.quote(
            s, user.organisation_id, carts.cart_lines(s, user.organisation_id), use_vouchers=use_vouchers, wallet=wallet
        )
    )


@api_bp.post("/cart/lines")
@api(
    summary="Put a product in the cart",
    roles=[Role.ENTERPRISE],
    status=201,
    body={
        "type": "object",
        "required": ["product_id"],
        "properties": {"product_id": {"type": "integer"}, "quantity": {"type": "integer", "minimum": 1}},
    },
    errors=["validation_error", "product_unavailable", "not_certified", "sanctioned"],
)
def add_cart_line_api(user: Any) -> Any:
    line = carts.add_to_cart(db_session(), user, CartLineInput.from_input(json_body()))
    return {"product_id": line.product_id, "quantity": line.quantity}


@api_bp.patch("/cart/lines/<int:product_id>")
@api(
    summary="Change a cart line's quantity (0 removes it)",
    roles=[Role.ENTERPRISE],
    body={"type": "object", "required": ["quantity"], "properties": {"quantity": {"type": "integer", "minimum": 0}}},
    errors=["validation_error", "not_found"],
)
def update_cart_line_api(user: Any, product_id: int) -> Any:
    line = carts.set_cart_quantity(db_session(), user, product_id, QuantityInput.from_input(json_body()))
    return {"product_id": product_id, "quantity": line.quantity if line else 0}


@api_bp.delete("/cart/lines/<int:product_id>")
@api(summary="Remove a product from the cart", roles=[Role.ENTERPRISE], errors=["not_found"])
def delete_cart_line_api(user: Any, product_id: int) -> Any:
    carts.remove_from_cart(db_session(), user, product_id)
    return {"product_id": product_id, "quantity": 0}
