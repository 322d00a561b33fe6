"""Demo products for ``seed-demo``: a living catalogue across all eleven categories from the four demo
providers, plus a few in the review queues (one a revision of a published product, to show the
difference), one rejected and one draft. Idempotent: a product whose name its provider already has
is left alone. Everything goes through the use cases, so the audit trail tells the same story. The
products on sale are ``catalog.demo_products`` and ``catalog.demo_application_layer``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import services
from catalog.demo_application_layer import APPLICATION
from catalog.demo_products import ALIYUN, HUAWEI, INFRASTRUCTURE, PLATFORM, DemoProduct, y
from catalog.listing import ListingInput
from catalog.models import Product, ProductVersion
from catalog.states import ProductStatus
from orgs.demo import demo_org, demo_user
from shop import policy
from shop.inputs import Decision
from shop.policy import Category

PROVIDER_EMAILS = {
    "qianyun": "provider@yunquan.example",
    "yunshang": "yunshang@yunquan.example",
    "zhudata": "zhudata@yunquan.example",
    "hangtian": "hangtian@yunquan.example",
}

C = Category
PUBLISHED = INFRASTRUCTURE + PLATFORM + APPLICATION  # layer by layer, category by category

IN_REVIEW = [  # (product, how far it goes)
    (
        DemoProduct(
            "qianyun",
            C.COMPUTE,
            "云服务器 ECS 内存型 4核32G 按月",
            "月",
            y(1380),
            y(1560),
            HUAWEI,
            "内存型实例，4 核 vCPU、32 GiB 内存，适合 Redis、内存数据库和大数据缓存场景。",
        ),
        "submitted",
    ),
    (
        DemoProduct(
            "zhudata",
            C.SECURITY,
            "数据库审计服务 标准版",
            "年",
            y(16800),
            y(19800),
            ALIYUN,
            "记录并分析数据库的全部访问行为，发现违规操作与 SQL 注入，满足等保审计要求。",
        ),
        "operator_approved",
    ),
    (
        DemoProduct(
            "hangtian",
            C.OTHER_APPS,
            "区块链存证服务",
            "年",
            y(20000),
            y(22000),
            "https://example.com/quote",
            "电子合同与数据的区块链存证，出具存证证明。",
        ),
        "rejected",
    ),
    (
        DemoProduct(
            "qianyun",
            C.OTHER_APPS,
            "云桌面 办公版 10用户",
            "月",
            y(1200),
            y(1350),
            HUAWEI,
            "10 个云桌面，2 核 4 GB，Windows 办公环境，随时随地安全接入。",
        ),
        "draft",
    ),
]

# A published product's change waiting for the operator: the diff reviewers see.
REVISION = (
    "yunshang",
    "对象存储 OSS 标准型 1TB/年",
    {
        "price_fen": y(1099),
        "description": "标准型对象存储容量包，1 TB 存储空间，一年有效。\n\n"
        "数据多副本冗余存储，设计持久性 99.9999999999%，适合图片、视频、备份归档等海量非结构化数据。\n\n"
        "新增：赠送 100 GB 外网下行流量，支持跨区域复制到贵安灾备中心。",
    },
)


def _existing(session: Session, provider_id: int, name: str) -> Product | None:
    return session.scalars(
        select(Product)
        .join(ProductVersion, ProductVersion.product_id == Product.id)
        .where(Product.provider_id == provider_id, ProductVersion.name == name)
    ).first()


def _create(session: Session, spec: DemoProduct) -> Product | None:
    org = demo_org(session, spec.provider)
    if _existing(session, org.id, spec.name) is not None:
        return None
    user = demo_user(session, PROVIDER_EMAILS[spec.provider])
    return services.create_product(
        session,
        user,
        ListingInput.from_input(
            {
                "layer": policy.current().layer_of(spec.category).value,
                "category": spec.category.value,
                "name": spec.name,
                "description": spec.description,
                "unit": spec.unit,
                "price_fen": spec.price,
                "market_price_fen": spec.market,
                "market_price_evidence": spec.evidence,
                "accepts_vouchers": spec.accepts_vouchers,
            }
        ),
    )


def seed_catalogue(session: Session) -> None:
    operator = demo_user(session, "operator@yunquan.example")
    authority = demo_user(session, "authority@yunquan.example")

    def advance(product: Product, spec: DemoProduct, to: str) -> None:
        provider = demo_user(session, PROVIDER_EMAILS[spec.provider])
        if to == "draft":
            return
        services.submit_product(session, provider, product.id)
        if to == "rejected":
            services.review_product(
                session,
                operator,
                product.id,
                Decision(False, "市场价依据的链接打不开，请上传加盖公章的报价单或提供可公开访问的价格页面。"),
            )
            return
        if to == "submitted":
            return
        services.review_product(session, operator, product.id, Decision(True))
        if to == "operator_approved":
            return
        services.review_product(session, authority, product.id, Decision(True))

    for spec in PUBLISHED:
        product = _create(session, spec)
        if product is not None:
            advance(product, spec, "published")
    for spec, to in IN_REVIEW:
        product = _create(session, spec)
        if product is not None:
            advance(product, spec, to)

    key, name, change = REVISION
    org = demo_org(session, key)
    product = _existing(session, org.id, name)
    if product is not None and product.status == ProductStatus.PUBLISHED and not product.has_pending_revision:
        provider = demo_user(session, PROVIDER_EMAILS[key])
        services.edit_product(session, provider, product.id, ListingInput.from_input(change, partial=True))
        services.submit_product(session, provider, product.id)
