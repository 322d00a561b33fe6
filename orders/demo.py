"""Demo orders for ``make run`` (idempotent): the demo enterprises buy through the real checkout, so
the payment mock holds live authorisations for the orders still to confirm."""

from __future__ import annotations

import sys

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Product, ProductVersion
from catalog.states import ProductStatus
from orders import checkout as checkouts
from orders import services
from orders.models import Order
from orgs.demo import demo_org
from shop.errors import DomainError


def _products(session: Session, provider_key: str, count: int) -> list[Product]:
    provider = demo_org(session, provider_key)
    return list(
        session.scalars(
            select(Product)
            .join(ProductVersion, ProductVersion.id == Product.published_version_id)
            .where(
                Product.provider_id == provider.id,
                Product.published_version_id.is_not(None),
                Product.status.in_([ProductStatus.PUBLISHED, ProductStatus.SUBMITTED, ProductStatus.OPERATOR_APPROVED]),
            )
            .order_by(ProductVersion.price_fen)
            .limit(count)
        )
    )


# (buyer, [(provider, how many products)], then what happens to each order)
PURCHASES = [
    ("guizhou_tea", [("qianyun", 1), ("yunshang", 1)], ["placed", "confirmed"]),
    ("guizhou_tea", [("zhudata", 1)], ["cancelled"]),
    ("guizhou_tea", [("qianyun", 2)], ["refund_requested"]),
    ("anshun_parts", [("yunshang", 2), ("hangtian", 1)], ["confirmed", "confirmed"]),
    ("bijie_agri", [("zhudata", 2)], ["confirmed"]),
    ("bijie_agri", [("qianyun", 1)], ["confirmed"]),  # the demo provider's order, left confirmed
]


def seed_orders(session: Session) -> None:
    if session.scalar(select(func.count()).select_from(Order)):
        return
    if not has_app_context():  # the orders are paid through the app's payment gateway
        print("demo orders skipped: seed through `flask --app shop seed-demo`", file=sys.stderr)
        return
    gateway = current_app.extensions["orders.gateway"]
    for number, (buyer_key, wanted, outcomes) in enumerate(PURCHASES, 1):
        buyer = demo_org(session, buyer_key).members[0]
        lines = [(p.id, 1) for provider_key, n in wanted for p in _products(session, provider_key, n)]
        if not lines:
            continue
        try:
            orders = checkouts.checkout(
                session,
                buyer,
                checkouts.CheckoutRequest(lines, True, True, "pm_card_visa"),
                gateway=gateway,
                idempotency_key=f"demo-purchase-{number}",
            )
        except DomainError as error:
            print(
                f"demo orders skipped: {error.detail}"
                + (" (start the Stripe mock first: make run does)" if error.code == "payment_unavailable" else ""),
                file=sys.stderr,
            )
            session.rollback()
            return
        for order, outcome in zip(orders, outcomes, strict=False):
            seller = order.provider.members[0] if order.provider.members else None
            if outcome in ("confirmed", "refund_requested") and seller is not None:
                services.confirm_order(session, seller, order.id, gateway=gateway)
            if outcome == "refund_requested":
                services.request_refund(session, buyer, order.id, "服务开通后无法与现有系统对接，申请退款。")
            if outcome == "cancelled":
                services.cancel_order(session, buyer, order.id, gateway=gateway)
