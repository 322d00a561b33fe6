"""Demo data: the Linyi contract-voucher programme of this year (preset ``linyi``, 临沂市 3713, issue 14)
beside Guizhou's and Baiyun's, made through the use cases as its people would. The provider
``yimeng@`` lists an MES cloud platform; the enterprise ``linyi@`` (兰山区) ordered it at the full price
with a card, declared its 两化融合 certificate and was issued its voucher by the county
(``linyi-county@``), and the provider confirmed the order (claimable at the next settlement date);
``lanshan@`` ordered the ERP and its order waits for its voucher application (Linyi is once ever per
enterprise: 第九条). The authority (``linyi-authority@``) and the finance bureau (``linyi-finance@``) see
the claims and payment requests once the provider claims. Idempotent: each step looks first."""

from __future__ import annotations

import sys

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import services as catalog
from catalog.listing import ListingInput
from catalog.models import Product, ProductVersion
from orders import checkout as checkouts
from orders import contract_vouchers, services, voucher_issue, voucher_reviews
from orders.models import Order
from orders.voucher_commands import VoucherReview
from orgs.demo import demo_org, demo_user
from shop import clock
from shop.errors import DomainError
from shop.inputs import Decision
from wallet import policies
from wallet.commands import ProgrammeSpec
from wallet.models import Programme

YUAN = 100
# (name, category, price, market price, description): the provider's two products
PRODUCTS = [
    (
        "智能制造 MES 云平台 企业版（年付）",
        "production",
        180_000 * YUAN,
        198_000 * YUAN,
        "生产计划、工单报工、质量追溯与设备联网的一体化 MES 云平台，含 50 个用户、实施与培训。",
    ),
    (
        "云 ERP 标准版（年付）",
        "other_apps",
        36_000 * YUAN,
        42_000 * YUAN,
        "财务、进销存与生产管理的云 ERP，含 20 个用户。",
    ),
]
LOGINS = [
    ("operator", "linyi-county@yunquan.example"),  # 兰山区: the county's first review of contract vouchers
    ("authority", "linyi-authority@yunquan.example"),
    ("finance", "linyi-finance@yunquan.example"),
    ("provider", "yimeng@yunquan.example"),
    ("enterprise", "linyi@yunquan.example"),
    ("enterprise", "lanshan@yunquan.example"),
]


def code_of(year: int) -> str:
    return f"linyi-{year}"


def seed_linyi(session: Session) -> None:
    year = clock.today().year
    _programme(session, year)
    products = [_product(session, *spec) for spec in PRODUCTS]
    if not has_app_context() or None in products:
        return  # the orders are paid through the app's payment gateway
    gateway = current_app.extensions["orders.gateway"]
    machinery = _order(session, "linyi_machinery", products[0], gateway)
    if machinery is not None:
        _issue(session, machinery, gateway)
    _order(session, "lanshan_food", products[1], gateway)


def _programme(session: Session, year: int) -> None:
    if session.scalars(select(Programme.id).where(Programme.code == code_of(year))).first():
        return
    spec = ProgrammeSpec.from_input(
        {
            "preset": "linyi",
            "code": code_of(year),
            "title": f"{year}年临沂市云服务券",
            "jurisdiction": "3713",
            "starts_on": f"{year}-01-01",
            "ends_on": f"{year}-12-31",
            "budget_fen": 10_000_000 * YUAN,  # ¥10,000,000; settlement every half year (06-30, 12-31)
        }
    )
    policies.create_from_preset(session, demo_user(session, "linyi-authority@yunquan.example"), spec)


def _product(session: Session, name: str, category: str, price: int, market: int, description: str) -> int | None:
    provider = demo_org(session, "yimeng_cloud")
    found = session.scalars(
        select(Product.id)
        .join(ProductVersion, ProductVersion.product_id == Product.id)
        .where(Product.provider_id == provider.id, ProductVersion.name == name)
    ).first()
    if found is not None:
        return found
    seller = provider.members[0]
    product = catalog.create_product(
        session,
        seller,
        ListingInput.from_input(
            {
                "layer": "application",
                "category": category,
                "name": name,
                "description": description,
                "unit": "年",
                "price_fen": price,
                "market_price_fen": market,
                "market_price_evidence": "https://www.yimengyun.example/price",
                "accepts_vouchers": True,
            }
        ),
    )
    catalog.submit_product(session, seller, product.id)
    for reviewer in ("operator@yunquan.example", "authority@yunquan.example"):
        catalog.review_product(session, demo_user(session, reviewer), product.id, Decision(True))
    return product.id


def _order(session: Session, key: str, product_id: int, gateway: object) -> Order | None:
    """The enterprise's one order of the product at the full price, by card (None when the payment
    service is not there)."""
    buyer = demo_org(session, key).members[0]
    existing = session.scalars(select(Order).where(Order.enterprise_id == buyer.organisation_id)).first()
    if existing is not None:
        return None
    try:
        (order,) = checkouts.checkout(
            session,
            buyer,
            checkouts.CheckoutRequest([(product_id, 1)], False, True, "pm_card_visa"),
            gateway=gateway,
            idempotency_key=f"demo-linyi-{key}",
        )
    except DomainError as error:
        print(f"demo Linyi orders skipped: {error.detail}", file=sys.stderr)
        session.rollback()
        return None
    return order


def _issue(session: Session, order: Order, gateway: object) -> None:
    """The enterprise applies with its 两化融合 certificate (¥180,000 × 30% = ¥54,000, within the ¥60,000
    cap it gives); the county approves, the voucher is issued; the provider confirms the order and the
    voucher's amount is refunded on the card (the enterprise pays ¥126,000)."""
    buyer = demo_org(session, "linyi_machinery").members[0]
    order_id = order.id
    voucher = contract_vouchers.apply_for_voucher(session, buyer, order_id, None, {"certificates": ["lianghua"]})
    county = demo_user(session, "linyi-county@yunquan.example")
    voucher_reviews.review_voucher(session, county, voucher.id, VoucherReview(Decision(True), None))
    seller = demo_org(session, "yimeng_cloud").members[0]
    services.confirm_order(session, seller, order_id, gateway=gateway)
    voucher_issue.settle_card_refunds(session, gateway, voucher.id)
